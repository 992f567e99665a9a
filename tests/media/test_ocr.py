"""OCR: scanned PDF pages and images with text are read by Tesseract and indexed with their
page; pages with a text layer are not OCRed; photos without text are not read in full
(OCR_IMAGES); without Tesseract, ingest still succeeds."""

import pytest

from tests.conftest import create_collection, ingest, test_settings
from tests.fixtures.files import make_pdf
from tests.fixtures.media import png_of, scanned_pdf, scene, text_image

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


def test_a_photo_without_text_gets_only_the_quick_pass(tmp_path, make_client, tesseract_log):
    client = make_client(test_settings(tmp_path / "data",
                                       tesseract_command=str(tesseract_log.command)))
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("IMG_2041.jpg", scene(2000, 1500)))[0]
    ocr = doc["metadata"]["ocr"]
    assert ocr["status"] == "no_text"
    assert ocr["no_text_pages"] == [1]
    assert "OCR_IMAGES=always" in ocr["message"]
    pages = client.get(f"/api/v1/documents/{doc['id']}/pages").json()
    assert [p["text"] for p in pages] == [""]
    # One Tesseract run, on a copy the preview's size, not the 3-megapixel original.
    (run,) = tesseract_log.runs()
    assert (run.width, run.height) == (1280, 960)
    assert "--psm 11" in run.arguments


def test_a_photo_with_text_is_read_in_full_and_found(tmp_path, make_client, tesseract_log):
    client = make_client(test_settings(tmp_path / "data",
                                       tesseract_command=str(tesseract_log.command)))
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("notice.jpg", scene(2000, 1500, sign=[SENTENCE])))[0]
    assert doc["metadata"]["ocr"]["status"] == "done"
    quick, full = tesseract_log.runs()
    assert (quick.width, full.width) == (1280, 2000)
    assert _search(client, "harbour manifest")[0]["document_id"] == doc["id"]
    assert _search(client, '"signed the manifest at dawn"')[0]["document_id"] == doc["id"]


def test_a_grey_image_is_read_as_a_scan_without_a_quick_pass(tmp_path, make_client,
                                                           tesseract_log):
    client = make_client(test_settings(tmp_path / "data",
                                       tesseract_command=str(tesseract_log.command)))
    collection = create_collection(client)
    page = text_image([SENTENCE])  # 1700 px wide, grey: what a scanner writes
    ingest(client, collection["id"], ("scan.png", png_of(page)))
    (run,) = tesseract_log.runs()
    assert (run.width, run.height) == page.size
    assert "--psm" not in run.arguments  # page layout, reading order kept
    assert _search(client, "harbour manifest")


@pytest.mark.parametrize(("policy", "runs", "status"), [("always", 1, "done"),
                                                         ("never", 0, "disabled")])
def test_ocr_images_always_reads_every_photo_and_never_none(tmp_path, make_client,
                                                            tesseract_log, policy, runs,
                                                            status):
    client = make_client(test_settings(tmp_path / "data", ocr_images=policy,
                                       tesseract_command=str(tesseract_log.command)))
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("notice.jpg", scene(2000, 1500, sign=[SENTENCE])),
                 ("scan.pdf", scanned_pdf([["Exhibit list for the hearing"]])))[0]
    assert doc["metadata"]["ocr"]["status"] == status
    photo_runs = [run for run in tesseract_log.runs() if run.width == 2000]
    assert len(photo_runs) == runs  # always: in full, no quick pass first
    assert bool(_search(client, "harbour manifest")) == (policy == "always")
    # PDF scans are read whatever OCR_IMAGES says.
    assert _search(client, "hearing")


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
