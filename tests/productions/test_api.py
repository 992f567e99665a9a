"""Productions over HTTP: a collection with a redacted PDF, a privileged PDF and an e-mail
with an attachment, produced, downloaded and read back with load-file readers written from
the published formats (tests/productions/loadfiles.py)."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from tests.conftest import create_collection, ingest
from tests.fixtures.files import make_pdf
from tests.productions.conftest import build_case, download, members, pdf_pages, produce
from tests.productions.loadfiles import documents_of, parse_dat, parse_opt


def _number(label: str) -> int:
    assert label.startswith("ABC") and len(label) == 9, label
    return int(label[3:])


def test_a_production_numbers_stamps_redacts_withholds_and_loads(client):
    case = build_case(client)
    docs = case["docs"]
    production = produce(client, collection_id=case["collection"]["id"],
                         legend="CONFIDENTIAL", stamp_position="bottom-right")
    assert production["status"] == "succeeded", production
    assert production["documents"] == 5 and production["withheld_count"] == 1
    files = members(download(client, production))

    records = parse_dat(files["DATA/VOL001.dat"])
    pages = parse_opt(files["DATA/VOL001.opt"])
    groups = documents_of(pages)
    # Stable order: by file name, an attachment straight after its e-mail.
    assert [r["FILENAME"] for r in records] == ["advice.pdf", "email.eml", "contract.pdf",
                                                "memo.pdf", "plain.pdf"]
    assert len(groups) == len(records)
    # Bates numbers run on without a gap from ABC000001, page by page.
    assert [_number(p.key) for p in pages] == list(range(1, len(pages) + 1))
    assert production["first_bates"] == "ABC000001"
    assert production["last_bates"] == pages[-1].key
    assert production["page_count"] == len(pages)
    for record, group in zip(records, groups, strict=True):
        assert record["BEGBATES"] == group[0].key and record["ENDBATES"] == group[-1].key
        assert int(record["PGCOUNT"]) == len(group) == group[0].page_count
        assert {p.path for p in group} == {f"IMAGES\\{record['BEGBATES']}.pdf"}
        assert all(p.volume == "VOL001" for p in group)
        image = files[f"IMAGES/{record['BEGBATES']}.pdf"]
        texts = pdf_pages(image)
        assert len(texts) == len(group)
        for page, text in zip(group, texts, strict=True):  # the stamp is on every page
            assert page.key in text and "CONFIDENTIAL" in text
    by_name = {r["FILENAME"]: r for r in records}

    # The privileged document is one slip sheet, listed in the privilege log.
    advice = by_name["advice.pdf"]
    assert advice["BEGBATES"] == advice["ENDBATES"]
    assert advice["PRIVILEGE"] == "Withheld - attorney-client"
    slip = pdf_pages(files[f"IMAGES/{advice['BEGBATES']}.pdf"])[0]
    assert "Withheld: privileged (attorney-client)" in slip and "nine million" not in slip
    assert advice["TEXTPATH"] == "" and f"TEXT/{advice['BEGBATES']}.txt" not in files
    log = list(csv.DictReader(io.StringIO(files["PRIVILEGE/privilege-log.csv"].decode())))
    assert [(row["BEGBATES"], row["PRIVILEGE_BASIS"]) for row in log] == [
        (advice["BEGBATES"], "attorney-client")]
    assert advice["BEGBATES"] in " ".join(pdf_pages(files["PRIVILEGE/privilege-log.pdf"]))

    # The redacted word is gone from the pages and the text; the rest is there.
    memo = by_name["memo.pdf"]
    assert memo["REDACTED"] == "Y" and int(memo["PGCOUNT"]) == 3
    memo_pages = pdf_pages(files[f"IMAGES/{memo['BEGBATES']}.pdf"])
    assert "Carol Jones" not in " ".join(memo_pages) and "harbour meeting" in memo_pages[1]
    memo_text = files[memo["TEXTPATH"].replace("\\", "/")].decode()
    assert "Carol" not in memo_text and "bananas" in memo_text

    # The family: the e-mail and its attachment share one attachment range.
    email, contract = by_name["email.eml"], by_name["contract.pdf"]
    assert contract["PARENTDOCID"] == email["DOCID"] == docs["email.eml"]["id"]
    for member in (email, contract):
        assert (member["BEGATTACH"], member["ENDATTACH"]) == (email["BEGBATES"],
                                                              contract["ENDBATES"])
    assert email["FROM"] == "dana@example.com" and email["DATESENT"] == "2026-03-03"
    assert by_name["plain.pdf"]["BEGATTACH"] == ""
    assert "harbour contract attached" in files[email["TEXTPATH"].replace("\\", "/")].decode()

    # Every member but the manifest is in the checksums, with its SHA-256.
    sums = dict(reversed(line.split("  ", 1))
                for line in files["checksums.sha256"].decode().splitlines())
    assert set(sums) == set(files) - {"manifest.json", "checksums.sha256"}
    for path, digest in sums.items():
        assert hashlib.sha256(files[path]).hexdigest() == digest, path
    manifest = json.loads(files["manifest.json"])
    assert manifest["checksums"]["sha256"] == hashlib.sha256(
        files["checksums.sha256"]).hexdigest()
    assert manifest["withheld_count"] == 1 and manifest["bates"]["prefix"] == "ABC"

    actions = [e["action"] for e in client.get("/api/v1/audit",
                                               params={"limit": 200}).json()["items"]]
    for action in ("production.create", "production.produce", "production.download"):
        assert action in actions
    assert client.get("/api/v1/audit/verify").json()["ok"] is True


def test_the_same_production_twice_gives_the_same_bytes(client):
    case = build_case(client)
    body = {"collection_id": case["collection"]["id"], "stamp_position": "top-left",
            "start_number": 100, "digits": 7}
    first = produce(client, **body)
    second = produce(client, **body)
    assert first["status"] == second["status"] == "succeeded"
    assert first["id"] != second["id"]
    assert download(client, first) == download(client, second)
    assert first["sha256"] == second["sha256"] and first["first_bates"] == "ABC0000100"
    listed = client.get("/api/v1/productions").json()
    assert listed["total"] == 2


def test_a_bad_prefix_or_selection_is_refused(client):
    for body in ({"bates_prefix": "A B", "collection_id": "x"},
                 {"bates_prefix": "ABC"},
                 {"bates_prefix": "ABC", "collection_id": "x", "document_ids": ["y"]},
                 {"bates_prefix": "ABC", "collection_id": "x", "digits": 2,
                  "start_number": 1000}):
        response = client.post("/api/v1/productions", json={"name": "x", **body})
        assert response.status_code == 422, (body, response.text)
    response = client.post("/api/v1/productions", json={
        "name": "x", "bates_prefix": "ABC", "collection_id": "0" * 32})
    assert response.status_code == 404
    response = client.get(f"/api/v1/productions/{'0' * 32}/download")
    assert response.status_code == 404


def test_a_redaction_that_fails_its_check_fails_the_production(client):
    collection = create_collection(client, "Twice")
    doc = ingest(client, collection["id"], ("twice.pdf", make_pdf(
        ["Signed by Carol Jones.\n\nCopied to Carol Jones and the harbour master."])))[0]
    found = client.post(f"/api/v1/documents/{doc['id']}/redactions/search",
                        json={"terms": ["Carol Jones"]}).json()
    first = found["hits"][0]  # only the first occurrence is redacted: the check fails
    client.post(f"/api/v1/documents/{doc['id']}/redactions", json={"redactions": [
        {"page": first["page"], "x0": b[0], "y0": b[1], "x1": b[2], "y1": b[3],
         "reason": "Privacy"} for b in first["boxes"]]})
    production = produce(client, document_ids=[doc["id"]])
    assert production["status"] == "failed" and production["download_url"] is None
    assert "twice.pdf" in production["error"] and "failed its check" in production["error"]
    assert client.get(f"/api/v1/productions/{production['id']}/download").status_code == 409
    assert client.delete(f"/api/v1/productions/{production['id']}").status_code == 204
    assert client.get(f"/api/v1/productions/{production['id']}").status_code == 404


def test_numbers_that_outgrow_their_digits_fail_the_production(client):
    collection = create_collection(client, "Short")
    doc = ingest(client, collection["id"], ("two.pdf", make_pdf(["one", "two"])))[0]
    production = produce(client, document_ids=[doc["id"]], start_number=99, digits=2)
    assert production["status"] == "failed"
    assert "outgrew 2 digits at ABC100" in production["error"]
