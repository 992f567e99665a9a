"""A whole case over HTTP, as a review team works it (issue #20): a generated case with
mailboxes in every format, a scan, PDFs and a re-typed copy is read in; a reviewer reads the
thread and the near-duplicate group, codes from a search, marks one document privileged,
redacts search hits and a drawn box, and produces it with Bates numbers. The production is
then checked as the other side would check it: its DAT and OPT read with parsers written
from the published formats, every redacted page re-read (text layer and OCR of its
picture), and the audit log's chain shown to name a row edited in the database.
SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json

from tests.audit.tampering import tamper
from tests.case.files import (
    ALICE,
    RESPONSIVE_WORD,
    SCAN_LINES,
    SCAN_NAME,
    THREAD_SUBJECT,
    case_files,
    scan_region,
)
from tests.cli.test_cli import run
from tests.conftest import create_collection, upload, wait_for_jobs
from tests.fixtures.accounts import signed_in
from tests.mail.messages import collection_documents
from tests.productions.conftest import download, members, pdf_pages, produce
from tests.productions.loadfiles import documents_of, parse_dat, parse_opt
from tests.redaction.conftest import SECRETS, read_back

# What the case holds once read in: 9 files, 5 messages out of the mailboxes, 3 attachments.
DOCUMENTS = 17
# The memo's secrets the reviewer redacts by search (its Carol Jones is left readable).
MEMO_SECRETS = [s for s in SECRETS if s != "Carol Jones"]
PRIVILEGED = "advice.pdf"


def _number(label: str) -> int:
    assert label.startswith("HNV") and len(label) == 9, label
    return int(label[3:])


def _read_in(client) -> tuple[dict, dict[str, dict]]:
    """Upload the case and wait for everything: documents, previews, near-duplicates."""
    collection = create_collection(client, "Harbour v Northgate", reference="HN-2026-20")
    upload(client, collection["id"], *case_files())
    docs = collection_documents(client, collection["id"], expected=DOCUMENTS)
    wait_for_jobs(client)
    assert len(docs) == DOCUMENTS and all(d["status"] == "ready" for d in docs), docs
    by_name = {d["filename"]: d for d in docs}
    assert len(by_name) == DOCUMENTS  # every file name of the case is distinct
    assert by_name["scan.pdf"]["metadata"]["ocr"]["pages"] == [1]  # read by Tesseract
    return collection, by_name


def _read_the_thread(client, collection: dict, docs: dict[str, dict]) -> None:
    """The mbox's three messages and the .msg that answers them are one thread, in the
    order they were sent, on the API and on its web page."""
    threads = client.get("/api/v1/threads", params={"collection_id": collection["id"]}).json()
    [crane] = [t for t in threads["items"] if t["subject"] == THREAD_SUBJECT]
    thread = client.get(f"/api/v1/threads/{crane['id']}").json()
    assert [m["message"]["message_id"] for m in thread["messages"]] == [
        f"crane-{n}@example.org" for n in (1, 2, 3, 4)]
    assert thread["messages"][3]["document_id"] == docs["parts.msg"]["id"]
    assert [a["filename"] for a in thread["messages"][1]["attachments"]] == [
        "inspection-report.txt"]
    browser, _ = signed_in(client)
    page = browser.get(f"/threads/{crane['id']}")
    assert page.status_code == 200
    order = [page.text.index(body) for body in (
        "Did the inspector look", "a worn hose", "Order the harbour spare parts",
        "spare parts are ordered")]
    assert order == sorted(order)


def _see_the_near_duplicates(client, collection: dict) -> None:
    groups = client.get("/api/v1/near-duplicates",
                        params={"collection_id": collection["id"]}).json()
    assert [sorted(m["filename"] for m in g["members"]) for g in groups["groups"]] == [
        ["policy-retyped.pdf", "policy.pdf"]]


def _code(client, collection: dict, docs: dict[str, dict]) -> set[str]:
    """Everything that mentions the harbour is responsive; the advice is privileged. The
    ids the production will hold."""
    batch = client.post("/api/v1/review/batch", json={
        "search": {"q": RESPONSIVE_WORD, "collection_id": collection["id"]},
        "coding": {"responsiveness": "responsive"}})
    assert batch.status_code == 200, batch.text
    not_responsive = {"crane.mbox", "erin.pst", "00002.eml"}  # containers, and the lunch
    responsive = {d["id"] for name, d in docs.items() if name not in not_responsive}
    assert docs["00002.eml"]["message"]["subject"] == "Lunch on Friday?"
    assert batch.json()["matched"] == len(responsive) == DOCUMENTS - 3
    coded = client.patch(f"/api/v1/review/documents/{docs[PRIVILEGED]['id']}", json={
        "privileged": True, "privilege_basis": "attorney-client"})
    assert coded.status_code == 200, coded.text
    return responsive


def _redact(client, collection: dict, docs: dict[str, dict]) -> None:
    """Every e-mail address and phone number, and one name, found across the collection's
    PDFs and accepted; a box drawn over a name on the scan."""
    found = client.post(f"/api/v1/collections/{collection['id']}/redactions/search", json={
        "presets": ["email", "phone"], "terms": ["Bob Smith"]})
    assert found.status_code == 200, found.text
    found = [f for f in found.json() if f["hits"]]
    assert [f["filename"] for f in found] == ["memo.pdf"]
    hits = found[0]["hits"]
    assert sorted(h["text"] for h in hits) == ["+1 555 123 4567", "Bob Smith",
                                               "alice@example.com"]
    accepted = client.post(f"/api/v1/documents/{found[0]['document_id']}/redactions", json={
        "redactions": [{"page": h["page"], "x0": b[0], "y0": b[1], "x1": b[2], "y1": b[3],
                        "reason": "Privacy", "source": "search", "found_by": h["label"]}
                       for h in hits for b in h["boxes"]]})
    assert accepted.status_code == 201, accepted.text
    drawn = client.post(f"/api/v1/documents/{docs['scan.pdf']['id']}/redactions", json={
        "redactions": [{**scan_region(), "reason": "Privacy"}]})
    assert drawn.status_code == 201, drawn.text


def _check_the_load_files(files: dict[str, bytes], production: dict,
                          docs: dict[str, dict], responsive: set[str]) -> dict[str, dict]:
    """Bates numbers, families, the withheld document and the privilege log, as a review
    platform reads them. The DAT records by file name."""
    records = parse_dat(files["DATA/VOL001.dat"])
    pages = parse_opt(files["DATA/VOL001.opt"])
    groups = documents_of(pages)
    assert {r["DOCID"] for r in records} == responsive
    assert len(groups) == len(records) == production["documents"]
    # One run of numbers, page by page, without a gap, from HNV000001.
    assert [_number(p.key) for p in pages] == list(range(1, len(pages) + 1))
    assert (production["first_bates"], production["last_bates"],
            production["page_count"]) == ("HNV000001", pages[-1].key, len(pages))
    for record, group in zip(records, groups, strict=True):
        assert (record["BEGBATES"], record["ENDBATES"]) == (group[0].key, group[-1].key)
        assert int(record["PGCOUNT"]) == len(group) == group[0].page_count
        assert {p.path for p in group} == {f"IMAGES\\{record['BEGBATES']}.pdf"}
        image = pdf_pages(files[f"IMAGES/{record['BEGBATES']}.pdf"])
        assert len(image) == len(group)
        assert all(page.key in text for page, text in zip(group, image, strict=True))
    by_name = {r["FILENAME"]: r for r in records}

    # Families: a message and its attachments take one range, the attachment right after.
    # A mailbox is not responsive: its messages are families of their own.
    for parent, child in (("lease.eml", "lease.pdf"),
                          ("00002 Re Crane inspection.eml", "inspection-report.txt"),
                          ("00001.eml", "berth-fees.txt")):
        mail, attachment = by_name[parent], by_name[child]
        assert attachment["PARENTDOCID"] == mail["DOCID"] == docs[parent]["id"]
        assert records.index(attachment) == records.index(mail) + 1
        assert _number(attachment["BEGBATES"]) == _number(mail["ENDBATES"]) + 1
        for member in (mail, attachment):
            assert (member["BEGATTACH"], member["ENDATTACH"]) == (
                mail["BEGBATES"], attachment["ENDBATES"])
    for alone in ("00001 Re Re Crane inspection.eml", "parts.msg", "memo.pdf"):
        assert (by_name[alone]["BEGATTACH"], by_name[alone]["PARENTDOCID"]) == ("", "")
    # Every message carries its facts, whatever mailbox format it came in.
    for name, sender, sent in (("lease.eml", "Alice Example <alice@example.org>",
                                "2024-05-17"),
                               ("00003 Crane inspection.eml", ALICE, "2025-03-03"),
                               ("parts.msg", "Carol Crane <carol@example.org>", "2025-03-03"),
                               ("00001.eml", "Erin Ewing <erin@example.org>", "2025-03-04")):
        assert (by_name[name]["FROM"], by_name[name]["DATESENT"]) == (sender, sent), name

    # The privileged advice: one slip sheet in its place, in the privilege log, no text.
    advice = by_name[PRIVILEGED]
    assert advice["BEGBATES"] == advice["ENDBATES"] and advice["TEXTPATH"] == ""
    assert advice["PRIVILEGE"] == "Withheld - attorney-client"
    slip = pdf_pages(files[f"IMAGES/{advice['BEGBATES']}.pdf"])[0]
    assert "Withheld: privileged (attorney-client)" in slip
    log = list(csv.DictReader(io.StringIO(files["PRIVILEGE/privilege-log.csv"].decode())))
    assert [(row["BEGBATES"], row["PRIVILEGE_BASIS"]) for row in log] == [
        (advice["BEGBATES"], "attorney-client")]
    for name, data in files.items():  # no word of it anywhere in the production
        text = " ".join(pdf_pages(data)) if name.endswith(".pdf") else data.decode(
            "utf-8", "replace")
        assert "nine million" not in text, name
    assert production["withheld_count"] == 1
    assert {r["FILENAME"] for r in records if r["REDACTED"] == "Y"} == {"memo.pdf",
                                                                        "scan.pdf"}
    return by_name


def _check_the_redacted_pages(files: dict[str, bytes], by_name: dict[str, dict]) -> None:
    """Every redacted page read back as a recipient can: the text layer (pypdfium2) and
    Tesseract on the page's picture show no redacted word, and do show its neighbours
    (so a blank or unreadable page would fail)."""
    hidden = {"memo.pdf": [s.lower() for s in MEMO_SECRETS],
              "scan.pdf": [w.lower() for w in SCAN_NAME.split()]}
    for name, words in hidden.items():
        record = by_name[name]
        seen = read_back(files[f"IMAGES/{record['BEGBATES']}.pdf"])
        text = files[record["TEXTPATH"].replace("\\", "/")].decode()
        for where, pages in (("text", seen["text"]), ("ocr", seen["ocr"]),
                             ("TEXT/", [text])):
            for number, page in enumerate(pages, start=1):
                flat = " ".join(page.split()).lower()
                for word in words:
                    assert word not in flat, (name, word, where, number)
        if name == "memo.pdf":
            assert "quarterly" in seen["text"][0] and "quarterly" in seen["ocr"][0]
            assert "Contact" in seen["ocr"][0] and "quarterly" in text
        else:
            # Every word left, whole, in the text layer and TEXT/, "today" too, which
            # touches the box: the layer is read with the box as blank paper. No junk where
            # the box is. A reader's OCR of the picture reads the black box itself, and
            # may cost the letters touching it: there, the line's first word and the next.
            shown = " ".join(SCAN_LINES).replace(SCAN_NAME, " ").split()
            for where in (seen["text"][0], text):  # then the Bates stamp
                assert where.split()[:len(shown)] == shown, (where, shown)
            for word in (SCAN_LINES[0].split()[0], *SCAN_LINES[1].split()):
                assert word in seen["ocr"][0], (word, seen)


def _edit_the_audit_log(client, settings, docs: dict[str, dict]) -> None:
    """Someone with the database rewrites who was called privileged; `casework audit
    verify`, run as a user runs it, names the row."""
    assert client.get("/api/v1/audit/verify").json()["ok"] is True
    [event] = client.get("/api/v1/audit", params={
        "action": "document.code", "target_id": docs[PRIVILEGED]["id"]}).json()["items"]
    assert event["details"]["changes"]["privileged"] == {"old": False, "new": True}
    forged = {**event["details"], "changes": {"privileged": {"old": False, "new": False}}}
    tamper(settings, "UPDATE audit_event SET details = :details WHERE id = :id",
           details=json.dumps(forged), id=event["id"])

    report = client.get("/api/v1/audit/verify").json()
    assert report["ok"] is False and report["edited"] == [event["seq"]]
    result = run(["audit", "verify"], settings.data_dir,
                 DATABASE_URL=settings.database_url or "")
    assert result.returncode == 1, result.stdout + result.stderr
    out = " ".join(result.stdout.split())
    assert f"first broken seq {event['seq']}" in out
    assert f"seq {event['seq']}: edited" in out


def test_a_generated_case_is_reviewed_redacted_produced_and_verified(client, settings):
    collection, docs = _read_in(client)
    _read_the_thread(client, collection, docs)
    _see_the_near_duplicates(client, collection)
    responsive = _code(client, collection, docs)
    _redact(client, collection, docs)

    production = produce(client, name="Volume 1", collection_id=collection["id"],
                         responsiveness="responsive", bates_prefix="HNV",
                         legend="CONFIDENTIAL")
    assert production["status"] == "succeeded", production
    files = members(download(client, production))
    by_name = _check_the_load_files(files, production, docs, responsive)
    _check_the_redacted_pages(files, by_name)
    _edit_the_audit_log(client, settings, docs)
