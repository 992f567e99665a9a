"""An archive's page in a real browser against a real server: its files listed by path,
one click to a member's page, which says which archive and path it came from."""

import pytest

from tests.conftest import create_collection, ingest
from tests.fixtures.archives import make_zip
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.files import make_pdf
from tests.fixtures.server import ServerProcess

pytestmark = pytest.mark.slow


def test_an_archive_page_lists_its_files_and_a_member_names_its_archive(tmp_path,
                                                                       browser_page):
    page = browser_page
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false",
                           ENTITY_EXTRACTION="false")
    api = server.start()
    try:
        collection = create_collection(api, "Harbour v Northgate")
        archive = make_zip({"survey/hull.pdf": make_pdf(["Corrosion on the starboard hull."]),
                            "notes.txt": b"Berth nine, Tuesday.", "../escape.txt": b"no"})
        doc = ingest(api, collection["id"], ("evidence.zip", archive))[0]
        sign_in(page, server.url)
        page.goto(f"{server.url}/documents/{doc['id']}")

        members = page.locator("section.members")
        assert "2 documents, 1 skipped" in members.locator("h2").inner_text()
        assert "unsafe_path" in members.locator("tr.skipped").inner_text()
        shot(page, "archive-members")
        members.get_by_role("link", name="survey/hull.pdf").click()
        page.wait_for_url("**/documents/*")
        came_from = page.locator(".came-from")
        assert "From archive evidence.zip, path survey/hull.pdf" in came_from.inner_text()
        came_from.get_by_role("link", name="evidence.zip").click()
        page.wait_for_url(f"**/documents/{doc['id']}")
    finally:
        api.close()
        server.stop()
