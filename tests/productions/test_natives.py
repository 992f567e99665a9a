"""Natives over HTTP: spreadsheets (.xlsx, .csv) and audio produced in their original form
under NATIVES/, byte for byte, with a Bates-numbered slip sheet in the images and the DAT's
NATIVEPATH; privileged, redacted and container documents imaged as before."""

from __future__ import annotations

import hashlib
import json
import time

from tests.conftest import create_collection, ingest
from tests.fixtures.files import make_pdf
from tests.fixtures.media import audio, email_with_attachment, xlsx
from tests.productions.conftest import download, members, pdf_pages, produce
from tests.productions.loadfiles import documents_of, parse_dat, parse_opt
from tests.redaction.conftest import CAROL_REGION, memo_pdf

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _files() -> dict[str, bytes]:
    return {
        "budget.xlsx": xlsx({"2026": [["Item", "Cost"], ["Crane hose", 4200]]}),
        "ledger.csv": b"date,amount\r\n2026-03-01,1500\r\n2026-03-02,980\r\n",
        "call.wav": audio(seconds=1.0),
        "secret.xlsx": xlsx({"Advice": [["Settle for", "nine million"]]}),
        "memo.pdf": memo_pdf(),
        "plain.pdf": make_pdf(["Plain page one"]),
        "email.eml": email_with_attachment(
            subject="Figures", body="The figures are attached.",
            attachments=[("figures.xlsx", xlsx({"Q1": [["Revenue", 10]]}), XLSX)]),
    }


def _case(client) -> tuple[dict, dict[str, bytes]]:
    """The collection (its documents ready, coded and redacted) and the bytes of each
    document by file name."""
    files = _files()
    collection = create_collection(client, "Natives")
    docs = {d["filename"]: d for d in ingest(client, collection["id"], *files.items())}
    deadline = time.monotonic() + 60
    while "figures.xlsx" not in docs:  # the attachment arrives as a document of its own
        listed = client.get("/api/v1/documents", params={
            "collection_id": collection["id"], "limit": 50}).json()["items"]
        docs.update({d["filename"]: d for d in listed
                     if d["filename"] == "figures.xlsx" and d["status"] == "ready"})
        assert time.monotonic() < deadline, listed
        time.sleep(0.1)
    files["figures.xlsx"] = client.get(
        f"/api/v1/documents/{docs['figures.xlsx']['id']}/original").content
    assert docs["ledger.csv"]["media_type"] == "text/plain"
    response = client.patch(f"/api/v1/review/documents/{docs['secret.xlsx']['id']}",
                            json={"privileged": True, "privilege_basis": "attorney-client"})
    assert response.status_code == 200, response.text
    response = client.post(f"/api/v1/documents/{docs['memo.pdf']['id']}/redactions",
                           json={"redactions": [{**CAROL_REGION, "reason": "Privacy"}]})
    assert response.status_code == 201, response.text
    return collection, files


def _read(files: dict[str, bytes]) -> dict[str, dict[str, str]]:
    """The DAT's records by file name, checked against the OPT (one group each)."""
    records = parse_dat(files["DATA/VOL001.dat"])
    groups = documents_of(parse_opt(files["DATA/VOL001.opt"]))
    assert len(groups) == len(records)
    for record, group in zip(records, groups, strict=True):
        assert group[0].key == record["BEGBATES"] and group[-1].key == record["ENDBATES"]
        assert {p.path for p in group} == {f"IMAGES\\{record['BEGBATES']}.pdf"}
        assert f"IMAGES/{record['BEGBATES']}.pdf" in files
    return {r["FILENAME"]: r for r in records}


def _member(path: str) -> str:
    return path.replace("\\", "/")


def _assert_native(files: dict[str, bytes], record: dict[str, str], original: bytes,
                   extension: str) -> None:
    path = record["NATIVEPATH"]
    assert path == f"NATIVES\\{record['BEGBATES']}{extension}", record
    assert files[_member(path)] == original  # byte for byte
    assert record["SHA256"] == hashlib.sha256(original).hexdigest()
    assert record["MD5HASH"] == hashlib.md5(original, usedforsecurity=False).hexdigest()
    # One slip-sheet page in the images, stamped with its Bates number.
    assert record["BEGBATES"] == record["ENDBATES"] and record["PGCOUNT"] == "1"
    [slip] = pdf_pages(files[f"IMAGES/{record['BEGBATES']}.pdf"])
    assert "Document produced in native format" in slip
    assert record["BEGBATES"] in slip and path in slip


def _assert_imaged(files: dict[str, bytes], record: dict[str, str]) -> None:
    assert record["NATIVEPATH"] == ""
    assert not any(name.startswith(f"NATIVES/{record['BEGBATES']}") for name in files)


def test_spreadsheets_and_media_go_out_natively(client):
    collection, originals = _case(client)
    body = {"collection_id": collection["id"], "natives": "spreadsheets_and_media"}
    production = produce(client, **body)
    assert production["status"] == "succeeded", production
    assert production["natives"] == "spreadsheets_and_media"
    assert production["native_count"] == 4 and production["withheld_count"] == 1
    data = download(client, production)
    files = members(data)
    by_name = _read(files)

    _assert_native(files, by_name["budget.xlsx"], originals["budget.xlsx"], ".xlsx")
    _assert_native(files, by_name["ledger.csv"], originals["ledger.csv"], ".csv")
    _assert_native(files, by_name["call.wav"], originals["call.wav"], ".wav")
    _assert_native(files, by_name["figures.xlsx"], originals["figures.xlsx"], ".xlsx")
    assert {n for n in files if n.startswith("NATIVES/")} == {
        _member(by_name[n]["NATIVEPATH"])
        for n in ("budget.xlsx", "ledger.csv", "call.wav", "figures.xlsx")}
    # A native's extracted text is still in TEXT/.
    budget_text = files[_member(by_name["budget.xlsx"]["TEXTPATH"])].decode()
    assert "Crane hose" in budget_text

    # The privileged spreadsheet is withheld (a slip sheet), not produced natively.
    secret = by_name["secret.xlsx"]
    _assert_imaged(files, secret)
    assert secret["PRIVILEGE"] == "Withheld - attorney-client" and secret["TEXTPATH"] == ""
    slip = pdf_pages(files[f"IMAGES/{secret['BEGBATES']}.pdf"])[0]
    assert "Withheld: privileged" in slip and "nine million" not in slip
    # The e-mail holding the native attachment is imaged; so are the PDFs.
    for name in ("email.eml", "memo.pdf", "plain.pdf"):
        _assert_imaged(files, by_name[name])

    # Natives are listed in the checksums like every member.
    sums = dict(reversed(line.split("  ", 1))
                for line in files["checksums.sha256"].decode().splitlines())
    for name in ("budget.xlsx", "call.wav"):
        path = _member(by_name[name]["NATIVEPATH"])
        assert sums[path] == hashlib.sha256(originals[name]).hexdigest()
    manifest = json.loads(files["manifest.json"])
    assert manifest["natives"] == "spreadsheets_and_media" and manifest["native_count"] == 4

    events = client.get("/api/v1/audit", params={"action": "production.produce"}).json()
    produced = [e for e in events["items"] if e["target_id"] == production["id"]]
    assert produced[0]["details"]["native_count"] == 4
    created = client.get("/api/v1/audit", params={"action": "production.create"}).json()
    assert created["items"][0]["details"]["natives"] == "spreadsheets_and_media"

    # The same inputs give the same bytes, natives and all.
    again = produce(client, **body)
    assert download(client, again) == data and again["sha256"] == production["sha256"]


def test_all_natives_still_image_what_must_be_imaged(client):
    collection, originals = _case(client)
    production = produce(client, collection_id=collection["id"], natives="all")
    assert production["status"] == "succeeded", production
    files = members(download(client, production))
    by_name = _read(files)
    _assert_native(files, by_name["plain.pdf"], originals["plain.pdf"], ".pdf")
    _assert_native(files, by_name["call.wav"], originals["call.wav"], ".wav")
    # Redacted: imaged from its verified redacted copy, the redacted words gone.
    memo = by_name["memo.pdf"]
    _assert_imaged(files, memo)
    assert memo["REDACTED"] == "Y"
    assert "Carol Jones" not in " ".join(pdf_pages(files[f"IMAGES/{memo['BEGBATES']}.pdf"]))
    # Privileged: withheld. A container (its bytes hold its attachments): imaged.
    _assert_imaged(files, by_name["secret.xlsx"])
    _assert_imaged(files, by_name["email.eml"])
    assert by_name["email.eml"]["PGCOUNT"] != "" and "figures.xlsx" in by_name
    _assert_native(files, by_name["figures.xlsx"], originals["figures.xlsx"], ".xlsx")
    assert production["native_count"] == 5  # budget, ledger, call, plain, figures


def test_natives_default_to_none_and_refuse_an_unknown_policy(client):
    response = client.post("/api/v1/productions", json={
        "name": "x", "bates_prefix": "ABC", "collection_id": "x", "natives": "some"})
    assert response.status_code == 422
    collection = create_collection(client, "Default")
    ingest(client, collection["id"], ("budget.xlsx", xlsx({"S": [["a", 1]]})))
    production = produce(client, collection_id=collection["id"])
    assert production["natives"] == "none" and production["native_count"] == 0
    files = members(download(client, production))
    [record] = parse_dat(files["DATA/VOL001.dat"])
    assert record["NATIVEPATH"] == ""
    assert not any(name.startswith("NATIVES/") for name in files)
