"""The collection page's progress panel in a real browser against a real server: files
dropped on the page show up in the stage bars, the broken one in the failures list with
its reason, the CSV downloads, and "Retry failed only" queues it (and only it) again."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.fixtures.browser import shot, sign_in
from tests.fixtures.server import ServerProcess

pytestmark = pytest.mark.slow

BROKEN_PDF = b"%PDF-1.7\n this is not really a pdf \n%%EOF"


def test_progress_panel_follows_an_upload_lists_failures_and_retries_them(tmp_path,
                                                                          browser_page):
    page = browser_page
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false",
                           ENTITY_EXTRACTION="false")
    api = server.start()
    try:
        collection = api.post("/api/v1/collections", json={"name": "Harbour"}).json()
        sign_in(page, server.url)
        page.goto(f"{server.url}/collections/{collection['id']}")
        panel = page.locator("#ingest-progress")
        assert panel.is_hidden()  # nothing uploaded yet

        page.locator("#file-input").set_input_files([
            {"name": "memo.txt", "mimeType": "text/plain", "buffer": b"crane memo"},
            {"name": "minutes.md", "mimeType": "text/markdown", "buffer": b"# Minutes\n"},
            {"name": "broken.pdf", "mimeType": "application/pdf", "buffer": BROKEN_PDF}])
        panel.wait_for(state="visible")
        summary = panel.locator("[data-summary]")
        expect(summary).to_contain_text("2 ready, 1 failed", timeout=60_000)
        assert summary.inner_text() == "3 documents: 0 queued, 0 processing, 2 ready, 1 failed"
        text_row = panel.locator('tr[data-stage="text"]')
        assert text_row.locator('[data-count="ready"]').inner_text() == "2"
        assert text_row.locator('[data-count="failed"]').inner_text() == "1"
        failures = panel.locator("[data-failure-rows] tr")
        failures.first.wait_for()
        assert failures.count() == 1
        row = failures.first.inner_text()
        assert "broken.pdf" in row and "not a readable PDF" in row
        shot(page, "ingest-progress")

        with page.expect_download() as started:
            panel.get_by_role("link", name="Download the failures (CSV)").click()
        rows = list(csv.DictReader(io.StringIO(
            Path(started.value.path()).read_text(encoding="utf-8"))))
        assert [(r["filename"], r["stage"], r["code"]) for r in rows] == [
            ("broken.pdf", "text", "extraction_failed")]

        panel.get_by_role("button", name="Retry failed only").click()
        status = panel.locator("[data-retry-status]")
        expect(status).to_contain_text("Queued again")
        assert status.inner_text().startswith("Queued again: 1 to extract, 0 previews")
        # It runs again and fails the same way: a second failed job, the others untouched.
        for _ in range(600):
            jobs = api.get("/api/v1/jobs", params={"status": "failed"}).json()
            if len(jobs) == 2:
                break
            page.wait_for_timeout(100)
        assert len(jobs) == 2
        expect(summary).to_contain_text("2 ready, 1 failed", timeout=60_000)
    finally:
        server.stop()
