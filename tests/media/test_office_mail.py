"""Spreadsheets, slides and e-mail: text per sheet/slide; attachments become documents."""

from tests.conftest import create_collection, ingest, wait_for_documents
from tests.fixtures.files import make_pdf
from tests.fixtures.media import email_with_attachment, pptx_deck, xlsx


def _pages(client, document_id):
    return client.get(f"/api/v1/documents/{document_id}/pages").json()


def test_xlsx_one_page_per_sheet(client):
    collection = create_collection(client)
    data = xlsx({"Evidence": [["Item", "Room"], ["Knife", "Kitchen"]],
                 "Costs": [["Expert fee", 1200.0]]}, title="Inventory")
    doc = ingest(client, collection["id"], ("inventory.xlsx", data))[0]
    assert doc["media_type"].endswith("spreadsheetml.sheet")
    assert doc["title"] == "Inventory"
    assert doc["metadata"]["sheets"] == ["Evidence", "Costs"]
    pages = _pages(client, doc["id"])
    assert "Knife | Kitchen" in pages[0]["text"]
    assert "Expert fee | 1200" in pages[1]["text"]


def test_pptx_one_page_per_slide_with_notes(client):
    collection = create_collection(client)
    data = pptx_deck([("Timeline", "The vessel left port at nine"),
                      ("Findings", "The cargo was mislabelled")], notes="Ask about customs")
    doc = ingest(client, collection["id"], ("briefing.pptx", data))[0]
    assert doc["page_count"] == 2
    pages = _pages(client, doc["id"])
    assert "vessel left port" in pages[0]["text"]
    assert "cargo was mislabelled" in pages[1]["text"]
    assert "Notes: Ask about customs" in pages[1]["text"]


def test_eml_headers_body_and_attachments_as_linked_documents(client):
    collection = create_collection(client)
    report = make_pdf(["The inspection found water damage in hold two."])
    message = email_with_attachment(
        subject="Inspection report", body="Please find the report attached.",
        attachments=[("inspection.pdf", report, "application/pdf"),
                     ("notes.bin", b"\x00\x01\x02binary", "application/octet-stream")])
    doc = ingest(client, collection["id"], ("message.eml", message))[0]
    assert doc["media_type"] == "message/rfc822"
    assert doc["title"] == "Inspection report"
    assert doc["metadata"]["from"] == "Alice Example <alice@example.org>"
    assert doc["captured_at"].startswith("2024-05-17T07:15:00")
    assert "Please find the report attached" in _pages(client, doc["id"])[0]["text"]
    attached, skipped = doc["metadata"]["attachments"]
    assert attached["filename"] == "inspection.pdf"
    assert attached["duplicate"] is False
    assert "not a supported file type" in skipped["skipped"]
    child = wait_for_documents(client, [attached["document_id"]])[0]
    assert child["status"] == "ready"
    assert child["parent_document_id"] == doc["id"]
    assert child["collection_id"] == collection["id"]
    assert child["sha256"] == attached["sha256"]
    hits = client.get("/api/v1/search", params={"q": "water damage", "mode": "keyword"})
    assert hits.json()["hits"][0]["document_id"] == child["id"]


def test_an_attachment_already_in_the_workspace_is_deduplicated(client):
    collection = create_collection(client)
    report = make_pdf(["Shared annex"])
    first = ingest(client, collection["id"], ("annex.pdf", report))[0]
    message = email_with_attachment(subject="Fwd: annex", body="see annex",
                                    attachments=[("annex.pdf", report, "application/pdf")])
    doc = ingest(client, collection["id"], ("fwd.eml", message))[0]
    (attached,) = doc["metadata"]["attachments"]
    assert attached["document_id"] == first["id"]
    assert attached["duplicate"] is True
    assert client.get("/api/v1/documents").json()["total"] == 2
