"""In a real browser (Debian chromium, Playwright) against a real server: redaction mode
on a PDF's page, a box dragged over a name with the mouse, the redacted copy produced and
downloaded; the downloaded PDF's text layer and the OCR of its page do not show the name."""

from pathlib import Path

import pytest

from tests.conftest import create_collection, ingest
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.server import ServerProcess
from tests.redaction.conftest import CAROL_REGION, memo_pdf, read_back

pytestmark = pytest.mark.slow


def test_drawing_a_box_and_downloading_the_redacted_copy(tmp_path, browser_page):
    page = browser_page
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false",
                           ENTITY_EXTRACTION="false")
    api = server.start()
    try:
        collection = create_collection(api, "Harbour v Northgate")
        doc = ingest(api, collection["id"], ("memo.pdf", memo_pdf()))[0]
        sign_in(page, server.url)
        page.goto(f"{server.url}/documents/{doc['id']}")

        page.get_by_label("Reason").select_option("Privilege: attorney-client")
        page.get_by_role("button", name="Draw boxes").click()
        frame = page.locator('.page-frame[data-page="2"]')
        frame.scroll_into_view_if_needed()
        picture = frame.locator("img")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=picture.element_handle())
        box = frame.bounding_box()
        page.mouse.move(box["x"] + CAROL_REGION["x0"] * box["width"],
                        box["y"] + CAROL_REGION["y0"] * box["height"])
        page.mouse.down()
        page.mouse.move(box["x"] + CAROL_REGION["x1"] * box["width"],
                        box["y"] + CAROL_REGION["y1"] * box["height"], steps=5)
        page.mouse.up()
        page.locator(".redactions li", has_text="Privilege: attorney-client").wait_for()
        saved = api.get(f"/api/v1/documents/{doc['id']}/redactions").json()
        assert [(r["page"], r["reason"]) for r in saved] == [(2, "Privilege: attorney-client")]

        page.get_by_role("button", name="Produce redacted copy").click()
        link = page.get_by_role("link", name="Download redacted PDF")
        link.wait_for(timeout=120_000)
        page.locator('.page-frame[data-page="2"]').scroll_into_view_if_needed()
        shot(page, "redaction")
        with page.expect_download() as waiting:
            link.click()
        seen = read_back(Path(waiting.value.path()).read_bytes())
        for where in ("text", "ocr"):
            assert "carol" not in seen[where][1].lower() and "jones" not in seen[where][1].lower()
        assert "Witness" in seen["text"][1]
        assert "bananas" in seen["text"][2]
    finally:
        api.close()
        server.stop()
