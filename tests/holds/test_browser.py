"""Legal holds in a real browser against a real server: place a hold on a collection from
the holds page, see "on hold" on its document with Delete switched off, release it."""

from __future__ import annotations

import time

import pytest

from tests.fixtures.browser import sign_in
from tests.fixtures.server import ServerProcess

pytestmark = pytest.mark.slow


def test_place_a_hold_see_the_badge_then_release_it(tmp_path, browser_page):
    page = browser_page
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false",
                           ENTITY_EXTRACTION="false")
    api = server.start()
    try:
        collection = api.post("/api/v1/collections", json={"name": "Harbour"}).json()
        uploaded = api.post(f"/api/v1/collections/{collection['id']}/documents",
                            files=[("files", ("memo.txt", b"crane hose", "text/plain"))])
        doc_id = uploaded.json()["documents"][0]["document"]["id"]
        for _ in range(600):
            if api.get(f"/api/v1/documents/{doc_id}").json()["status"] == "ready":
                break
            time.sleep(0.1)

        sign_in(page, server.url)
        page.get_by_role("link", name="Holds").click()
        page.wait_for_url("**/holds")
        page.get_by_label("Name").fill("Harbour litigation")
        page.get_by_label("Matter or reason").fill("Smith v. Port Authority")
        page.get_by_label("Collection").select_option(label="Harbour")
        page.get_by_role("button", name="Place hold").click()
        page.wait_for_url("**/holds")
        assert "Harbour litigation" in page.locator("#holds").inner_text()

        page.goto(f"{server.url}/documents/{doc_id}")
        assert page.locator("h1 .on-hold").inner_text() == "on hold"
        assert page.get_by_role("button", name="Delete").is_disabled()

        page.goto(f"{server.url}/holds")
        page.get_by_label("Reason for release").fill("Matter settled")
        page.get_by_role("button", name="Release").click()
        page.wait_for_url("**/holds")
        assert "Matter settled" in page.locator("#holds").inner_text()
        page.goto(f"{server.url}/documents/{doc_id}")
        assert page.locator("h1 .on-hold").count() == 0
        assert page.get_by_role("button", name="Delete").is_enabled()
    finally:
        server.stop()
