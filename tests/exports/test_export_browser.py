"""Exports in a real browser against a real server: the collection's Export button shows the
build's progress, then a download that verifies; photos picked in the gallery's selection
mode export on their own."""

from __future__ import annotations

import time
import zipfile

import pytest

from casework.exports.verification import verify_export
from tests.fixtures.browser import sign_in
from tests.fixtures.media import photo
from tests.fixtures.server import ServerProcess

pytestmark = pytest.mark.slow


def _wait_ready(api, ids):
    for _ in range(600):
        docs = [api.get(f"/api/v1/documents/{i}").json() for i in ids]
        if all(d["status"] == "ready" and d["preview_status"] != "pending" for d in docs):
            return
        time.sleep(0.1)
    raise AssertionError(docs)


def test_export_shows_progress_then_a_download_that_verifies(tmp_path, browser_page):
    page = browser_page
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false",
                           ENTITY_EXTRACTION="false")
    api = server.start()
    try:
        collection = api.post("/api/v1/collections",
                              json={"name": "Summer fair", "kind": "event"}).json()
        files = [("files", (f"stand-{i}.jpg", photo(seed=i, width=320, height=240,
                                                     gps=(51.5, -0.1)), "image/jpeg"))
                 for i in range(3)]
        uploaded = api.post(f"/api/v1/collections/{collection['id']}/documents", files=files)
        _wait_ready(api, [d["document"]["id"] for d in uploaded.json()["documents"]])

        sign_in(page, server.url)
        page.goto(f"{server.url}/collections/{collection['id']}")

        page.get_by_role("button", name="Export", exact=True).click()
        page.wait_for_url("**/exports/*")
        assert page.locator("#export-progress").is_visible()
        download_link = page.get_by_role("link", name="Download ZIP")
        download_link.wait_for(timeout=60_000)
        with page.expect_download() as started:
            download_link.click()
        whole = tmp_path / "whole.zip"
        started.value.save_as(whole)
        assert verify_export(whole).ok
        with zipfile.ZipFile(whole) as zipped:
            assert sum(n.startswith("originals/") for n in zipped.namelist()) == 3

        # The gallery: Select, pick two pictures, export them.
        page.goto(f"{server.url}/collections/{collection['id']}?view=gallery")
        page.get_by_role("button", name="Select").click()
        page.locator(".gallery img[alt='stand-0.jpg']").click()
        page.locator(".gallery img[alt='stand-2.jpg']").click()
        assert page.locator("#gallery-count").inner_text() == "2 selected"
        page.get_by_role("button", name="Export selected").click()
        page.wait_for_url("**/exports/*")
        download_link = page.get_by_role("link", name="Download ZIP")
        download_link.wait_for(timeout=60_000)
        assert "2 selected documents" in page.locator("#export").inner_text()
        with page.expect_download() as started:
            download_link.click()
        picked = tmp_path / "picked.zip"
        started.value.save_as(picked)
        with zipfile.ZipFile(picked) as zipped:
            assert sorted(n for n in zipped.namelist() if n.startswith("originals/")) == [
                "originals/stand-0.jpg", "originals/stand-2.jpg"]
    finally:
        server.stop()
