"""The export forms as a browser without JavaScript posts them: the collection's Export
button and the gallery's "Export selected", then the export's page with its link."""

from __future__ import annotations

import io
import time
import zipfile

from PIL import Image

from tests.conftest import create_collection, ingest, test_settings
from tests.fixtures.accounts import signed_in
from tests.fixtures.media import photo


def _follow(browser, location: str, timeout: float = 30.0) -> str:
    """Reload the export page as its refresh does until it shows the download link."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = browser.get(location)
        assert page.status_code == 200
        if 'id="export-download" class="button" href="/api/' in page.text:
            return page.text
        time.sleep(0.1)
    raise AssertionError(f"no download link on {location}: {page.text[-2000:]}")


def _download(browser, page: str) -> zipfile.ZipFile:
    url = page.split('id="export-download" class="button" href="')[1].split('"')[0]
    response = browser.get(url.replace("&amp;", "&"))
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_collection_export_form_leads_to_a_page_with_the_download(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d"))
    collection = create_collection(client, "Harbour fire")
    ingest(client, collection["id"], ("statement.txt", b"Witness statement of Ann Lee."))
    browser, csrf = signed_in(client)
    page = browser.get(f"/collections/{collection['id']}")
    assert 'action="/collections/' + collection["id"] + '/exports"' in page.text
    refused = browser.post(f"/collections/{collection['id']}/exports",
                           data={"include": ["originals"]}, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token: not from our page
    created = browser.post(f"/collections/{collection['id']}/exports", data={
        "csrf_token": csrf, "include": ["originals", "metadata"]}, follow_redirects=False)
    assert created.status_code == 303
    location = created.headers["location"]
    assert location.startswith("/exports/")
    page = _follow(browser, location)
    assert "verify-export" in page
    with _download(browser, page) as zipped:
        assert zipped.read("originals/statement.txt") == b"Witness statement of Ann Lee."
        assert "text/statement.txt.txt" not in zipped.namelist()  # text was not asked for
    listed = browser.get(f"/collections/{collection['id']}").text
    assert f'href="{location}"' in listed  # the collection lists its exports


def test_the_gallery_exports_the_selected_photos_without_their_position(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d"))
    collection = create_collection(client, "Summer fair", kind="event")
    docs = ingest(client, collection["id"],
                  *[(f"p{i}.jpg", photo(seed=i, width=96, height=64, gps=(45.0, 7.0)))
                    for i in range(3)])
    browser, csrf = signed_in(client)
    gallery = browser.get(f"/collections/{collection['id']}?view=gallery").text
    assert gallery.count('name="document_ids"') == 3
    created = browser.post(f"/collections/{collection['id']}/exports", data={
        "csrf_token": csrf, "include": ["originals", "metadata"], "strip_gps": "1",
        "document_ids": [docs[0]["id"], docs[2]["id"]]}, follow_redirects=False)
    assert created.status_code == 303
    page = _follow(browser, created.headers["location"])
    assert "2 selected documents" in page and "GPS positions removed" in page
    with _download(browser, page) as zipped:
        names = sorted(n for n in zipped.namelist() if n.startswith("originals/"))
        assert names == ["originals/p0.jpg", "originals/p2.jpg"]
        assert b'"gps"' not in zipped.read("metadata.json")
        for name in names:
            exif = Image.open(io.BytesIO(zipped.read(name))).getexif()
            assert exif[0x010F] == "Canon" and not exif.get_ifd(0x8825)
