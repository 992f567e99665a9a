"""In a real browser (Debian chromium, Playwright) against a real server: one click on
Report, and the report's download links appear with their SHA-256; the PDF downloaded
from the link has that digest."""

import hashlib
from pathlib import Path

import pytest

from tests.conftest import create_collection, ingest
from tests.fixtures.browser import sign_in
from tests.fixtures.server import ServerProcess
from tests.reports.conftest import FILES

pytestmark = pytest.mark.slow


def test_one_click_on_report_shows_the_files_and_their_digests(tmp_path, browser_page):
    page = browser_page
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false",
                           ENTITY_EXTRACTION="false")
    api = server.start()
    try:
        collection = create_collection(api, "Harbour v Northgate")
        ingest(api, collection["id"], *FILES[:2])
        sign_in(page, server.url)
        page.goto(f"{server.url}/collections/{collection['id']}")

        page.get_by_role("button", name="Report", exact=True).click()
        link = page.locator("#reports .report-files a", has_text="PDF")
        link.wait_for(timeout=60_000)  # app.js redraws the section once the job is done
        report = api.get(f"/api/v1/collections/{collection['id']}/reports").json()["items"][0]
        pdf = {f["format"]: f for f in report["files"]}["pdf"]
        assert page.locator("#reports code.sha", has_text=pdf["sha256"]).is_visible()
        with page.expect_download() as waiting:
            link.click()
        download = waiting.value
        assert download.suggested_filename.endswith("report.pdf")
        data = Path(download.path()).read_bytes()
        assert hashlib.sha256(data).hexdigest() == pdf["sha256"]
    finally:
        api.close()
        server.stop()
