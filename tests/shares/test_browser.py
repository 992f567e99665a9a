"""In a real browser (Debian chromium via Playwright) against a real server: a member
opens an event's gallery, shares it with the Share dialog and copies the link; a fresh
browser with no session opens the link and sees the photos and the preview tags."""

from __future__ import annotations

import time

import pytest

from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.fixtures.browser import launch_chromium
from tests.fixtures.media import photo
from tests.fixtures.server import ServerProcess

pytestmark = pytest.mark.slow

@pytest.fixture
def browser():
    with launch_chromium() as launched:
        yield launched


def _event_with_photos(api) -> str:
    collection = api.post("/api/v1/collections",
                          json={"name": "Harbour gala", "kind": "event"}).json()
    files = [("files", (f"gala-{i}.jpg", photo(640, 480, seed=i), "image/jpeg"))
             for i in (1, 2)]
    uploaded = api.post(f"/api/v1/collections/{collection['id']}/documents", files=files)
    assert uploaded.status_code == 202, uploaded.text
    ids = [d["document"]["id"] for d in uploaded.json()["documents"]]
    deadline = time.monotonic() + 60
    while not all(api.get(f"/api/v1/documents/{i}").json()["preview_status"] == "ready"
                  for i in ids):
        assert time.monotonic() < deadline, "the photos' thumbnails were not drawn"
        time.sleep(0.2)
    return collection["id"]


def test_a_gallery_shared_from_the_ui_opens_with_its_photos_in_a_fresh_browser(tmp_path,
                                                                               browser):
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false", OCR_ENABLED="false",
                           ENTITY_EXTRACTION="false")
    api = server.start()
    try:
        collection_id = _event_with_photos(api)
        member = browser.new_context(viewport={"width": 1280, "height": 860})
        page = member.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{server.url}/login?next=/collections/{collection_id}?view=gallery")
        page.get_by_label("Email").fill(OWNER_EMAIL)
        page.get_by_label("Password").fill(OWNER_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"**/collections/{collection_id}?view=gallery")

        page.locator("summary", has_text="Share").click()
        assert page.get_by_label("the photo gallery").is_checked()
        page.get_by_label("Link expires after").select_option(label="1 day")
        page.get_by_role("button", name="Create link").click()
        shown = page.get_by_label("Share link")
        shown.wait_for()  # hidden until the link is made
        link = shown.input_value()
        assert link.startswith(f"{server.url}/s/")
        member.close()

        guest = browser.new_context(viewport={"width": 1280, "height": 860})  # no session
        visit = guest.new_page()
        visit.set_default_timeout(30_000)
        visit.goto(link)
        assert visit.url == link  # not sent to the sign-in page
        photos = visit.locator("#shared-gallery img")
        photos.first.wait_for()
        assert photos.count() == 2
        for i in range(2):
            photos.nth(i).scroll_into_view_if_needed()
            visit.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                    arg=photos.nth(i).element_handle())
        card = visit.locator('meta[property="og:image"]').get_attribute("content")
        assert card == f"{link}/og.png"
        assert visit.locator('meta[name="twitter:card"]').get_attribute(
            "content") == "summary_large_image"
        photos.first.click()
        preview = visit.locator("#shared-preview")
        preview.wait_for()
        visit.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                arg=preview.element_handle())
        guest.close()
    finally:
        server.stop()
