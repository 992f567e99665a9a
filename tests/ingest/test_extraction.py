"""Extraction: every supported format becomes pages of text with the right metadata."""

from tests.conftest import create_collection, ingest
from tests.fixtures.files import make_docx, make_html, make_pdf


def _pages(client, document_id):
    response = client.get(f"/api/v1/documents/{document_id}/pages")
    assert response.status_code == 200
    return response.json()


def test_pdf_text_is_extracted_per_page_with_metadata(client):
    collection = create_collection(client)
    pdf = make_pdf(["Chapter one talks about the harbour.",
                    "Chapter two is about the lighthouse keeper.",
                    "Chapter three describes the storm."], title="Coastal Report")
    doc = ingest(client, collection["id"], ("coast.pdf", pdf))[0]
    assert doc["page_count"] == 3
    assert doc["title"] == "Coastal Report"
    assert doc["metadata"]["author"] == "Test Author"
    pages = _pages(client, doc["id"])
    assert [p["number"] for p in pages] == [1, 2, 3]
    assert "lighthouse keeper" in pages[1]["text"]
    assert "lighthouse" not in pages[0]["text"]


def test_docx_paragraphs_and_tables_are_extracted(client):
    collection = create_collection(client)
    data = make_docx(["The defendant arrived at noon.", "Witnesses disagreed."],
                     title="Statement", table=[["Exhibit", "Location"], ["Knife", "Kitchen"]])
    doc = ingest(client, collection["id"], ("statement.docx", data))[0]
    assert doc["media_type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert doc["title"] == "Statement"
    text = _pages(client, doc["id"])[0]["text"]
    assert "defendant arrived at noon" in text
    assert "Knife | Kitchen" in text


def test_html_keeps_only_visible_text(client):
    collection = create_collection(client)
    html = make_html("Meeting minutes", "The budget was approved unanimously.",
                     hidden="secret hidden payload", script="var trackingPixel = 1;")
    doc = ingest(client, collection["id"], ("minutes.html", html))[0]
    assert doc["media_type"] == "text/html"
    assert doc["title"] == "Meeting minutes"
    text = _pages(client, doc["id"])[0]["text"]
    assert "budget was approved" in text
    assert "trackingPixel" not in text
    assert "secret hidden payload" not in text
    assert "color: red" not in text
    hits = client.get("/api/v1/search", params={"q": "trackingPixel", "mode": "keyword"})
    assert hits.json()["hits"] == []


def test_markdown_and_latin1_text(client):
    collection = create_collection(client)
    docs = ingest(client, collection["id"],
                  ("plan.md", b"# Project Plan\n\nMilestones for spring."),
                  ("legacy.txt", "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e".encode("latin-1")))
    assert docs[0]["media_type"] == "text/markdown"
    assert docs[0]["title"] == "Project Plan"
    assert _pages(client, docs[1]["id"])[0]["text"] == "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e"


def test_unreadable_pdf_fails_with_a_readable_reason_and_keeps_the_original(client):
    collection = create_collection(client)
    broken = b"%PDF-1.7\n this is not really a pdf \n%%EOF"
    response = client.post(f"/api/v1/collections/{collection['id']}/documents",
                           files=[("files", ("broken.pdf", broken, "application/pdf"))])
    doc_id = response.json()["documents"][0]["document"]["id"]
    from tests.conftest import wait_for_documents

    doc = wait_for_documents(client, [doc_id])[0]
    assert doc["status"] == "failed"
    assert "PDF" in doc["error"]
    assert client.get(f"/api/v1/documents/{doc_id}/original").content == broken
    # A failure that retrying cannot fix is not retried five times.
    jobs = client.get("/api/v1/jobs", params={"status": "failed"}).json()
    assert [j["attempts"] for j in jobs] == [1]
