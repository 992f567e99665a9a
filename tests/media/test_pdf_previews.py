"""PDF page previews: the first pages at ingest, the rest on first view, cached."""

from tests.conftest import create_collection, ingest, test_settings
from tests.fixtures.files import make_pdf
from tests.media.conftest import fetch_image


def test_first_pages_at_ingest_the_rest_on_demand(tmp_path, make_client):
    settings = test_settings(tmp_path / "data", pdf_preview_pages=1)
    client = make_client(settings)
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("report.pdf", make_pdf(["One", "Two", "Three"])))[0]
    assert doc["metadata"]["page_previews"] == 1
    names = {p.name for p in settings.blob_dir.rglob("*.webp")}
    assert names == {"page-1-1280.webp", "thumb-320.webp", "thumb-1280.webp"}
    first = fetch_image(client, f"/api/v1/documents/{doc['id']}/pages/1/preview")
    assert first.width == 1280
    second = client.get(f"/api/v1/documents/{doc['id']}/pages/2/preview")
    assert second.status_code == 200
    assert second.headers["etag"] == f'"{doc["sha256"]}-page-2-1280.webp"'
    assert "page-2-1280.webp" in {p.name for p in settings.blob_dir.rglob("*.webp")}
    again = client.get(f"/api/v1/documents/{doc['id']}/pages/2/preview",
                       headers={"If-None-Match": second.headers["etag"]})
    assert again.status_code == 304
    assert client.get(f"/api/v1/documents/{doc['id']}/pages/4/preview").status_code == 404
    # The PDF's thumbnail is its first page (A4 portrait, within a 320 px box).
    assert fetch_image(client, f"/api/v1/documents/{doc['id']}/thumbnail").size == (226, 320)


def test_previews_are_for_pdfs_and_go_with_the_document(client):
    collection = create_collection(client)
    text = ingest(client, collection["id"], ("a.txt", b"plain words"))[0]
    assert client.get(f"/api/v1/documents/{text['id']}/pages/1/preview").status_code == 404
    pdf = ingest(client, collection["id"], ("b.pdf", make_pdf(["Only page"])))[0]
    assert client.get(f"/api/v1/documents/{pdf['id']}/pages/1/preview").status_code == 200
    assert client.delete(f"/api/v1/documents/{pdf['id']}").status_code == 204
    runtime = client.app.state.runtime
    assert not list(runtime.settings.blob_dir.rglob("*.webp"))
