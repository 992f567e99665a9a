"""A collection's report as API clients use it: asked for, followed, downloaded and checked
(every document's name and SHA-256 in the PDF, the footer's inventory digest, the audit
log's digest of the download), reproduced, and refused to other workspaces."""

import csv
import hashlib
import io
import re

from casework.core.database import transaction
from casework.reports.content import build_content
from casework.reports.html import render_html
from casework.reports.pdf import render_pdf
from tests.conftest import create_collection, ingest, test_settings
from tests.fixtures.webhook_receiver import WebhookReceiver, verified
from tests.reports.conftest import FILES, pdf_text, wait_for_report

INVOICE_BYTES = dict(FILES)["invoice.pdf"]


def _report(client, collection_id):
    response = client.post(f"/api/v1/collections/{collection_id}/reports")
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["status"] in ("queued", "running") and queued["job_id"] is not None
    report = wait_for_report(client, queued["id"])
    assert report["status"] == "ready", report
    return report


def _download(client, report, fmt):
    response = client.get(f"/api/v1/reports/{report['id']}/download", params={"format": fmt})
    assert response.status_code == 200, response.text
    listed = {f["format"]: f for f in report["files"]}[fmt]
    assert hashlib.sha256(response.content).hexdigest() == listed["sha256"]
    assert len(response.content) == listed["size"]
    return response


def _save(client, collection_id, question):
    response = client.post(f"/api/v1/collections/{collection_id}/saved-questions",
                           json={"question": question, "mode": "extractive"})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_report_lists_every_document_and_its_digests_check_out(case):
    client, collection, docs = case
    saved = _save(client, collection["id"], "Where did John O'Brien meet Anna Kowalski?")
    assert saved["found"] and saved["citations"], saved
    again = client.post(f"/api/v1/collections/{collection['id']}/documents",
                        files=[("files", ("inv-copy.pdf", INVOICE_BYTES, "application/pdf"))],
                        data={"custodian": "R. Okafor", "source_path": "usb/accounts/inv.pdf"})
    assert again.status_code == 202 and again.json()["documents"][0]["duplicate"]
    report = _report(client, collection["id"])
    assert report["documents"] == 3 and report["created_by"] == "owner@example.test"

    pdf = _download(client, report, "pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment; filename*=UTF-8''report-")
    text = pdf_text(pdf.content)
    for doc in docs:
        assert doc["filename"] in text and doc["sha256"] in text, doc["filename"]
    assert report["inventory_sha256"] in text
    assert "Generated " in text and "Key entities" in text

    # The footer's digest is the SHA-256 of the inventory CSV, which lists every document.
    inventory = _download(client, report, "csv").content
    assert hashlib.sha256(inventory).hexdigest() == report["inventory_sha256"]
    rows = list(csv.DictReader(io.StringIO(inventory.decode())))
    assert [r["sha256"] for r in rows] == [d["sha256"] for d in docs]
    assert rows[0] == {"number": "1", "name": "letter.pdf", "type": "application/pdf",
                       "pages": "2", "size_bytes": str(docs[0]["size_bytes"]),
                       "sha256": docs[0]["sha256"], "received": rows[0]["received"],
                       "uploader": "owner@example.test"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rows[0]["received"])

    html = _download(client, report, "html").content.decode()
    for doc in docs:
        assert f"<td>{doc['filename']}</td>" in html and doc["sha256"] in html
    # The chain of custody: each document's MD5 and SHA-1, and every arrival of its bytes,
    # the second copy of the invoice too, with its custodian and source.
    custody = html.split('id="custody"')[1].split("</section>")[0]
    md5, sha1 = hashlib.md5(INVOICE_BYTES).hexdigest(), hashlib.sha1(INVOICE_BYTES).hexdigest()
    assert f"MD5 {md5} · SHA-1 {sha1}" in custody
    assert "custodian R. Okafor · usb/accounts/inv.pdf" in custody
    assert custody.count("<li>") == 4  # three uploads and the copy
    assert md5 in text and "R. Okafor" in text
    assert f"Inventory SHA-256: <code>{report['inventory_sha256']}</code>" in html
    # The saved question with its cited passage, verbatim, and where it stands.
    citation = saved["citations"][0]
    assert "Where did John O&#39;Brien meet Anna Kowalski?" in html
    assert f"page {citation['page']}" in html
    assert citation["text"].replace("'", "&#39;") in html
    assert "Anna Kowalski" in html.split('id="entities"')[1]

    # The timeline, as GET /collections/{id}/timeline gives it: date, sentence, document,
    # page (the document by its inventory number and title).
    timeline = client.get(f"/api/v1/collections/{collection['id']}/timeline").json()
    assert timeline["total"] >= 3
    assert f"Timeline events</th><td>{timeline['total']}</td>" in html
    section = html.split('id="timeline"')[1].split("</section>")[0]
    numbers = {doc["id"]: number for number, doc in enumerate(docs, start=1)}
    for event in timeline["events"]:
        row = (f"<tr><td>{event['date']}</td><td>{_escaped(event['sentence'])}</td>"
               f"<td>#{numbers[event['document_id']]} {_escaped(event['title'])}</td>"
               f"<td class=\"num\">{event['page']}</td></tr>")
        assert row in section, row
    assert [e["date"] for e in timeline["events"]][:1] == ["2024-04-03"]
    assert "2024-04-03" in text and "#1 Letter to Ms Kowalski" in text

    # The audit log holds the report's digest, which is the downloaded file's.
    events = client.get("/api/v1/audit", params={"action": "report.generate"}).json()["items"]
    assert len(events) == 1 and events[0]["target_id"] == report["id"]
    assert events[0]["actor_label"] == "owner@example.test"
    assert events[0]["details"]["sha256"] == hashlib.sha256(pdf.content).hexdigest()
    assert events[0]["details"]["inventory_sha256"] == report["inventory_sha256"]
    downloads = client.get("/api/v1/audit", params={"action": "report.download"}).json()
    assert sorted(e["details"]["format"] for e in downloads["items"]) == ["csv", "html", "pdf"]


def test_the_same_collection_gives_the_same_report_but_for_its_generation_time(case):
    client, collection, _ = case
    _save(client, collection["id"], "Who chaired the meeting in Leeds?")
    first, second = _report(client, collection["id"]), _report(client, collection["id"])
    assert first["id"] != second["id"]
    assert first["content_sha256"] == second["content_sha256"]
    assert first["inventory_sha256"] == second["inventory_sha256"]
    # HTML: the files differ in the one generation-time line, nowhere else.
    html = [_download(client, r, "html").content.decode().split("\n") for r in (first, second)]
    different = [(a, b) for a, b in zip(*html, strict=True) if a != b]
    assert all(a.startswith('<p class="generated"') for a, _ in different)
    pdfs = [_download(client, r, "pdf").content for r in (first, second)]
    texts = [[line for line in pdf_text(p).splitlines() if not line.startswith("Generated ")]
             for p in pdfs]
    assert texts[0] == texts[1]
    # Rendered again at the first report's generation time, the collection gives the
    # first report's files byte for byte.
    runtime = client.app.state.runtime
    with transaction(runtime.read_sessions) as session:
        content = build_content(session=session, workspace_id=_workspace_id(client),
                                collection_id=collection["id"])
    generated_at = _when(first["generated_at"])
    assert render_pdf(content, generated_at=generated_at) == pdfs[0]
    assert render_html(content, generated_at=generated_at) == "\n".join(html[0]).encode()


def test_a_change_to_the_collection_changes_the_digests(case):
    client, collection, _ = case
    before = _report(client, collection["id"])
    _save(client, collection["id"], "What is the amount due on the invoice?")
    after = _report(client, collection["id"])
    assert after["content_sha256"] != before["content_sha256"]
    assert after["inventory_sha256"] == before["inventory_sha256"]  # same documents


def test_another_workspace_cannot_see_ask_for_or_download_the_report(case):
    client, collection, _ = case
    report = _report(client, collection["id"])
    other = client.post("/api/v1/workspaces", json={"name": "Other"}).json()
    client.headers["X-Workspace"] = other["slug"]
    try:
        assert client.get(f"/api/v1/reports/{report['id']}").status_code == 404
        download = client.get(f"/api/v1/reports/{report['id']}/download")
        assert download.status_code == 404
        assert download.json()["error"]["code"] == "not_found"
        assert client.post(f"/api/v1/collections/{collection['id']}/reports").status_code == 404
        assert client.get(f"/api/v1/collections/{collection['id']}/reports").status_code == 404
        assert client.post(f"/api/v1/collections/{collection['id']}/saved-questions",
                           json={"question": "Who?"}).status_code == 404
        assert client.get("/api/v1/audit", params={"action": "report."}).json()["items"] == []
    finally:
        del client.headers["X-Workspace"]
    downloads = client.get("/api/v1/audit", params={"action": "report.download"}).json()
    assert downloads["items"] == []  # refused downloads leave no download event


def test_an_empty_collection_has_a_report_and_a_second_click_gets_the_same_one(client):
    collection = create_collection(client, "Empty")
    first = client.post(f"/api/v1/collections/{collection['id']}/reports").json()
    again = client.post(f"/api/v1/collections/{collection['id']}/reports").json()
    report = wait_for_report(client, first["id"])
    assert report["status"] == "ready" and report["documents"] == 0
    if again["id"] != first["id"]:  # the first had finished before the second click
        wait_for_report(client, again["id"])
    listed = client.get(f"/api/v1/collections/{collection['id']}/reports").json()
    assert first["id"] in {r["id"] for r in listed["items"]}
    html = _download(client, report, "html").content.decode()
    assert "No documents." in html and "No saved questions." in html
    assert hashlib.sha256(b"number,name,type,pages,size_bytes,sha256,received,uploader\n"
                          ).hexdigest() == report["inventory_sha256"]
    assert client.get(f"/api/v1/reports/{report['id']}/download",
                      params={"format": "docx"}).status_code == 422


def test_deleting_the_collection_removes_its_reports_and_their_files(client):
    collection = create_collection(client, "Short-lived")
    report = _report(client, collection["id"])
    blobs = client.app.state.runtime.blobs
    ws = _workspace_id(client)
    key = f"{ws}/reports/{collection['id']}/{report['id']}/report.pdf"
    assert blobs.exists(key)
    assert client.delete(f"/api/v1/collections/{collection['id']}").status_code == 204
    assert client.get(f"/api/v1/reports/{report['id']}").status_code == 404
    assert not blobs.exists(key)


def _escaped(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


def _workspace_id(client):
    return client.get("/api/v1/workspaces/current").json()["id"]


def _when(value):
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_names_and_passages_are_shown_as_text_whatever_they_hold(client):
    collection = create_collection(client, "<script>alert(1)</script> case")
    name = "résumé & notes 東京 \u05e9\u05dc\u05d5\u05dd.txt"
    ingest(client, collection["id"], (name, "Zoë met 東京 counsel.\x0cNext page.".encode()))
    _save(client, collection["id"], "Who met counsel?")
    report = _report(client, collection["id"])
    stored = client.get("/api/v1/documents", params={
        "collection_id": collection["id"]}).json()["items"][0]["filename"]
    assert stored == name
    html = _download(client, report, "html").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; case" in html
    assert "<td>résumé &amp; notes 東京 \u05e9\u05dc\u05d5\u05dd.txt</td>" in html
    assert "Zoë met 東京 counsel." in html  # the HTML keeps every character
    text = pdf_text(_download(client, report, "pdf").content)
    # The PDF leaves out glyphs DejaVu Sans lacks (docs/reports.md), keeps the rest.
    assert "résumé & notes" in text and "Zoë met" in text and "counsel." in text


def test_a_collection_past_the_limit_gets_a_failed_report_saying_why(client, monkeypatch):
    monkeypatch.setattr("casework.reports.content.MAX_DOCUMENTS", 2)
    collection = create_collection(client, "Too big")
    ingest(client, collection["id"], *FILES)
    queued = client.post(f"/api/v1/collections/{collection['id']}/reports").json()
    report = wait_for_report(client, queued["id"])
    assert report["status"] == "failed" and report["files"] == []
    assert "holds 3 documents; a report lists at most 2" in report["error"]
    refused = client.get(f"/api/v1/reports/{report['id']}/download")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "conflict"
    events = client.get("/api/v1/audit", params={"action": "report.generate"}).json()["items"]
    assert [(e["outcome"], e["target_id"]) for e in events] == [("failed", report["id"])]
    # A failed report does not hold the next one back.
    monkeypatch.setattr("casework.reports.content.MAX_DOCUMENTS", 20_000)
    assert _report(client, collection["id"])["documents"] == 3


def test_a_ready_report_is_announced_to_the_workspace_webhooks(tmp_path, database_url,
                                                               make_client):
    client = make_client(test_settings(tmp_path / "data", database_url,
                                       webhook_allow_private=True))
    collection = create_collection(client, "Announced")
    with WebhookReceiver() as receiver:
        hook = client.post("/api/v1/webhooks", json={"url": receiver.url,
                                                     "events": ["report.ready"]}).json()
        report = _report(client, collection["id"])
        (received,) = receiver.wait_for(1, event="report.ready")
    assert verified(received, hook["secret"])
    data = received.json["data"]
    assert data["report_id"] == report["id"] and data["collection_id"] == collection["id"]
    pdf = {f["format"]: f for f in report["files"]}["pdf"]
    assert data["sha256"] == pdf["sha256"] and data["url"] == f"/api/v1/reports/{report['id']}"
