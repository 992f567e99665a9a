"""A small case worked in a real browser against a real server (issue #20): a reviewer
signs in, opens the collection, codes a document from its page, reads an e-mail thread,
and produces what was coded responsive from the Productions page, whose row turns ready
with its download; the ZIP holds that document alone, Bates-numbered."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.case.files import THREAD_SUBJECT, crane_thread
from tests.conftest import create_collection, upload
from tests.fixtures.browser import sign_in
from tests.fixtures.files import make_pdf
from tests.fixtures.server import ServerProcess
from tests.mail.messages import collection_documents, mailbox
from tests.productions.conftest import pdf_pages
from tests.productions.loadfiles import parse_dat, parse_opt

pytestmark = pytest.mark.slow

CASE = "Harbour v Northgate"


def test_a_reviewer_codes_reads_a_thread_and_produces(tmp_path, browser_page):
    page = browser_page
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false",
                           ENTITY_EXTRACTION="false")
    api = server.start()
    try:
        collection = create_collection(api, CASE)
        upload(api, collection["id"], ("crane.mbox", mailbox(*crane_thread())),
               ("memo.pdf", make_pdf(["Memo on the harbour crane.", "Page two."])),
               ("letter.pdf", make_pdf(["A letter about the canteen."])))
        # The mailbox, its three messages, one attachment, the two PDFs.
        collection_documents(api, collection["id"], expected=7)

        sign_in(page, server.url)
        page.get_by_role("link", name=CASE).click()
        page.wait_for_url(f"**/collections/{collection['id']}")

        # Code the memo responsive from its page.
        page.get_by_role("link", name="memo.pdf").first.click()
        page.wait_for_url("**/documents/*")
        page.get_by_role("button", name="Responsive", exact=True).click()
        page.wait_for_url("**/documents/*#coding")
        assert page.get_by_role("button", name="Responsive", exact=True).get_attribute(
            "aria-pressed") == "true"

        # Back to the case, and the thread its first message starts.
        page.locator("nav.crumbs").get_by_role("link", name=CASE).click()
        page.wait_for_url(f"**/collections/{collection['id']}")
        page.get_by_role("link", name=THREAD_SUBJECT, exact=True).first.click()
        page.wait_for_url("**/documents/*")
        page.get_by_role("link", name="View the thread").click()
        page.wait_for_url("**/threads/*")
        assert page.get_by_role("heading", level=1).inner_text() == THREAD_SUBJECT
        messages = page.locator(".mail-message")
        assert messages.count() == 3
        assert "Did the inspector look" in messages.nth(0).locator(".mail-body").inner_text()
        assert "spare parts" in messages.nth(2).locator(".mail-body").inner_text()

        # Produce what is coded responsive.
        page.goto(f"{server.url}/collections/{collection['id']}")
        page.get_by_role("link", name="Produce with Bates numbers").click()
        page.wait_for_url("**/productions?collection=*")
        page.get_by_label("Name").fill("Volume 1")
        page.get_by_label("Only documents coded responsive").check()
        page.get_by_label("Bates prefix").fill("HNV")
        page.get_by_role("button", name="Produce").click()
        link = page.get_by_role("link", name="Download ZIP")
        link.wait_for(timeout=120_000)
        row = page.locator("table.productions tbody tr").first.inner_text()
        assert "Volume 1" in row and "HNV000001 \u2013 HNV000002" in row
        with page.expect_download() as waiting:
            link.click()
        with zipfile.ZipFile(Path(waiting.value.path())) as archive:
            records = parse_dat(archive.read("DATA/VOL001.dat"))
            pages = parse_opt(archive.read("DATA/VOL001.opt"))
            assert [r["FILENAME"] for r in records] == ["memo.pdf"]
            assert [p.key for p in pages] == ["HNV000001", "HNV000002"]
            memo = pdf_pages(archive.read("IMAGES/HNV000001.pdf"))
            assert "harbour crane" in memo[0] and "HNV000002" in memo[1]
    finally:
        api.close()
        server.stop()
