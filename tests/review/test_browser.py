"""Review coding in a real browser against a real server: code a document from its page
with the keyboard, then code every result of a search at once and filter by the coding."""

from __future__ import annotations

import pytest

from tests.conftest import create_collection, ingest
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.server import ServerProcess

pytestmark = pytest.mark.slow


def test_coding_a_document_and_batch_coding_search_results(tmp_path, browser_page):
    page = browser_page
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false")
    api = server.start()
    try:
        collection = create_collection(api, "Harbour")
        docs = ingest(api, collection["id"],
                      ("advice.txt", b"Counsel's advice on the harbour crane contract."),
                      ("invoice.txt", b"Invoice: harbour crane repairs, paid in cash."),
                      ("minutes.txt", b"Board minutes: the harbour crane was discussed."))
        ids = {d["filename"]: d["id"] for d in docs}
        assert api.post("/api/v1/review/issues", json={"name": "Crane"}).status_code == 201

        sign_in(page, server.url)

        advice = ids["advice.txt"]
        page.goto(f"{server.url}/documents/{advice}")
        responsive = page.get_by_role("button", name="Responsive", exact=True)
        responsive.focus()
        page.keyboard.press("Enter")  # a call is one key press
        page.wait_for_url(f"**/documents/{advice}#coding")
        assert page.get_by_role("button", name="Responsive", exact=True).get_attribute(
            "aria-pressed") == "true"
        page.get_by_label("Privileged", exact=True).check()
        page.get_by_label("Privilege basis").fill("attorney-client")
        page.get_by_role("button", name="Save coding").click()
        page.wait_for_url(f"**/documents/{advice}#coding")
        assert page.get_by_label("Privileged", exact=True).is_checked()
        page.locator("details.coding-history summary").click()
        assert "attorney-client" in page.locator("details.coding-history").inner_text()
        shot(page, "document-coding")

        page.goto(f"{server.url}/search?q=crane&mode=keyword")
        batch = page.locator("form.batch-code")
        batch.get_by_label("Responsiveness").select_option("responsive")
        batch.get_by_label("Add issue").select_option("Crane")
        batch.get_by_role("button", name="Code matching documents").click()
        page.wait_for_url("**/search?*coded=*")
        assert "Coded 3 documents." in page.get_by_role("status").first.inner_text()

        page.locator("details.coding-filters summary").click()
        page.locator("details.coding-filters").get_by_label("Privileged").select_option("no")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/search?*privileged=no*")
        titles = page.locator("li.hit strong").all_inner_texts()
        assert sorted(titles) == ["invoice.txt", "minutes.txt"]
        coding = api.get(f"/api/v1/documents/{ids['minutes.txt']}").json()["coding"]
        assert (coding["responsiveness"], coding["issues"]) == ("responsive", ["Crane"])
    finally:
        api.close()
        server.stop()
