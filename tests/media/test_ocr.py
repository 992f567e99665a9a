"""OCR: scanned PDF pages and images with text are read by Tesseract and indexed with their
page; pages with a text layer are not OCRed; without Tesseract, ingest still succeeds."""

from tests.conftest import create_collection, ingest, test_settings
from tests.fixtures.files import make_pdf
from tests.fixtures.media import png_of, scanned_pdf, text_image

SENTENCE = "The harbour master signed the manifest at dawn"


def _search(client, query):
    return client.get("/api/v1/search", params={"q": query, "mode": "keyword"}).json()["hits"]


def test_a_scanned_pdf_is_ocred_page_by_page_and_searchable(client, tesseract):
    collection = create_collection(client)
    pdf = scanned_pdf([["Exhibit list for the hearing"], [SENTENCE]])
    doc = ingest(client, collection["id"], ("scan.pdf", pdf))[0]
    assert doc["page_count"] == 2
    ocr = doc["metadata"]["ocr"]
    assert ocr["status"] == "done"
    assert ocr["pages"] == [1, 2]
    assert ocr["languages"] == "eng"
    pages = client.get(f"/api/v1/documents/{doc['id']}/pages").json()
    assert "harbour master signed the manifest" in pages[1]["text"].lower()
    assert "harbour" not in pages[0]["text"].lower()
    hits = _search(client, "manifest")
    assert [(h["document_id"], h["page"]) for h in hits] == [(doc["id"], 2)]


def test_an_image_with_text_is_ocred(client, tesseract):
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("note.png", png_of(text_image([SENTENCE]))))[0]
    assert doc["metadata"]["ocr"]["status"] == "done"
    assert _search(client, "harbour manifest")[0]["document_id"] == doc["id"]


def test_pages_with_a_text_layer_are_not_ocred(client, tesseract):
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("born-digital.pdf", make_pdf([SENTENCE])))[0]
    assert "ocr" not in doc["metadata"]


def test_without_tesseract_the_file_is_ingested_and_ocr_marked_unavailable(tmp_path,
                                                                           make_client):
    client = make_client(test_settings(tmp_path / "data",
                                       tesseract_command="/nonexistent/tesseract"))
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("scan.pdf", scanned_pdf([[SENTENCE]])))[0]
    assert doc["status"] == "ready"
    ocr = doc["metadata"]["ocr"]
    assert ocr["status"] == "unavailable"
    assert "apt-get install tesseract-ocr" in ocr["message"]
    # The page preview still works: the viewer shows the scan.
    preview = client.get(f"/api/v1/documents/{doc['id']}/pages/1/preview")
    assert preview.status_code == 200


def test_a_missing_language_is_reported(tmp_path, make_client, tesseract):
    client = make_client(test_settings(tmp_path / "data", ocr_languages="eng+zzz"))
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("scan.pdf", scanned_pdf([[SENTENCE]])))[0]
    assert doc["metadata"]["ocr"]["status"] == "unavailable"
    assert "tesseract-ocr-zzz" in doc["metadata"]["ocr"]["message"]
