"""Near-duplicates in a real browser against a real server: from the collection page to
its near-duplicates page (where an owner may queue the documents stored before), then to a
member, whose page lists its near-copies."""

from __future__ import annotations

import pytest

from tests.conftest import create_collection, ingest
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.server import ServerProcess
from tests.neardup.test_api import ORIGINAL, UNRELATED, wait_for_near_duplicate_jobs

pytestmark = pytest.mark.slow


def test_opening_a_near_duplicate_group_in_the_browser(tmp_path, browser_page):
    page = browser_page
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false")
    api = server.start()
    try:
        collection = create_collection(api, "Harbour")
        ingest(api, collection["id"], ("memo.txt", ORIGINAL.encode()),
               ("memo-forwarded.txt", ("Fwd: memo\nFrom: Ann\n\n" + ORIGINAL).encode()),
               ("menu.txt", UNRELATED.encode()))
        wait_for_near_duplicate_jobs(api, 3)

        sign_in(page, server.url)
        page.get_by_role("link", name="Harbour").click()
        page.get_by_role("link", name="Near-duplicates").click()
        page.wait_for_url("**/near-duplicates")
        rows = page.locator("section.neardup-group tbody tr")
        assert rows.count() == 2
        pivot = rows.first.inner_text()
        assert "pivot" in pivot and "memo-forwarded.txt" in pivot
        shot(page, "near-duplicates")
        # An owner may queue the documents stored before near-duplicates: none here.
        page.get_by_text("Documents stored before near-duplicates existed").click()
        page.get_by_role("button", name="Match them now").click()
        page.wait_for_url("**/near-duplicates?queued=0")
        assert "Queued 0 documents" in page.locator("p.flash").inner_text()
        page.get_by_role("link", name="memo.txt", exact=True).click()
        page.wait_for_url("**/documents/*")
        box = page.locator("#near-duplicates")
        assert "memo-forwarded.txt" in box.inner_text() and "(this document)" in box.inner_text()
    finally:
        api.close()
        server.stop()
