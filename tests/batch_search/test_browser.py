"""Batch search in a real browser against a real server: upload a CSV of terms from the
search page's link, watch the batch finish, read the per-term table, download its CSV."""

from __future__ import annotations

import csv
import io
import time

import pytest

from tests.fixtures.browser import sign_in
from tests.fixtures.server import ServerProcess

pytestmark = pytest.mark.slow


def test_upload_terms_and_read_the_counts(tmp_path, browser_page):
    page = browser_page
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false",
                           ENTITY_EXTRACTION="false")
    api = server.start()
    try:
        collection = api.post("/api/v1/collections", json={"name": "Harbour"}).json()
        files = [("files", (name, body, "text/plain")) for name, body in [
            ("crane.txt", b"The harbour crane hose was paid in cash."),
            ("report.txt", b"The salvage report was filed; the crane was idle."),
            ("menu.txt", b"Lunch menu: soup and bread.")]]
        uploaded = api.post(f"/api/v1/collections/{collection['id']}/documents", files=files)
        ids = [d["document"]["id"] for d in uploaded.json()["documents"]]
        for _ in range(600):
            if all(api.get(f"/api/v1/documents/{i}").json()["status"] == "ready" for i in ids):
                break
            time.sleep(0.1)
        terms = tmp_path / "terms.csv"
        terms.write_text('term,label\ncrane,Crane\n"""salvage report""~1",Salvage\nsoup\n')

        sign_in(page, server.url)
        page.goto(f"{server.url}/search")
        page.get_by_role("link", name="batch search").click()
        page.wait_for_url("**/search/batch")
        page.get_by_label("CSV of terms").set_input_files(str(terms))
        page.get_by_role("button", name="Run batch search").click()
        page.wait_for_url("**/search/batch/*")
        page.locator("#batch-results").wait_for(timeout=30_000)  # the page refreshes itself
        assert page.locator("#batch-status").inner_text() == "ready"
        rows = [[cell.inner_text() for cell in row.locator("td").all()]
                for row in page.locator("#batch-results tbody tr").all()]
        assert rows == [["Crane", "crane", "2", "1"],
                        ["Salvage", '"salvage report"~1', "1", "0"],
                        ["soup", "soup", "1", "1"]]
        with page.expect_download() as started:
            page.get_by_role("link", name="Download counts (CSV)").click()
        saved = tmp_path / "counts.csv"
        started.value.save_as(saved)
        assert list(csv.reader(io.StringIO(saved.read_text())))[1] == ["Crane", "crane", "2",
                                                                       "1"]
    finally:
        server.stop()
