"""In a real browser against a real server: from a collection's page to the Productions
page, a production asked for with the form (prefix, start, digits, position, legend), its
row turning ready, and the ZIP downloaded: its DAT and OPT load, every page is stamped."""

import zipfile
from pathlib import Path

import pytest

from tests.conftest import create_collection, ingest
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.files import make_pdf
from tests.fixtures.server import ServerProcess
from tests.productions.conftest import pdf_pages
from tests.productions.loadfiles import parse_dat, parse_opt

pytestmark = pytest.mark.slow


def test_producing_a_collection_from_the_web(tmp_path, browser_page):
    page = browser_page
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false",
                           ENTITY_EXTRACTION="false")
    api = server.start()
    try:
        collection = create_collection(api, "Harbour v Northgate")
        ingest(api, collection["id"], ("letter.pdf", make_pdf(["Dear Sir", "Yours"])),
               ("invoice.pdf", make_pdf(["Invoice 42"])))
        sign_in(page, server.url)
        page.goto(f"{server.url}/collections/{collection['id']}")
        page.get_by_role("link", name="Produce with Bates numbers").click()
        page.wait_for_url("**/productions?collection=*")

        page.get_by_label("Name").fill("Volume one")
        page.get_by_label("Bates prefix").fill("HNV")
        page.get_by_label("Start number").fill("500")
        page.get_by_label("Digits").fill("5")
        page.get_by_label("Stamp position").select_option("bottom-left")
        page.get_by_label("Confidentiality legend").fill("CONFIDENTIAL")
        # Whole families by default: an e-mail goes out with its attachments.
        assert page.get_by_label("Families").input_value() == "complete"
        natives = page.get_by_label("Natives")
        assert natives.input_value() == "none"  # the default images every document
        natives.select_option("spreadsheets_and_media")
        page.get_by_role("button", name="Produce").click()
        link = page.get_by_role("link", name="Download ZIP")
        link.wait_for(timeout=120_000)
        listed = page.locator("table.productions").inner_text()
        assert "HNV00500 \u2013 HNV00502 (3 pages)" in listed
        shot(page, "productions")
        with page.expect_download() as waiting:
            link.click()
        with zipfile.ZipFile(Path(waiting.value.path())) as archive:
            records = parse_dat(archive.read("DATA/VOL001.dat"))
            pages = parse_opt(archive.read("DATA/VOL001.opt"))
            assert [r["FILENAME"] for r in records] == ["invoice.pdf", "letter.pdf"]
            assert [p.key for p in pages] == ["HNV00500", "HNV00501", "HNV00502"]
            letter = pdf_pages(archive.read("IMAGES/HNV00501.pdf"))
            assert "HNV00501" in letter[0] and "HNV00502" in letter[1]
            assert all("CONFIDENTIAL" in text for text in letter)
    finally:
        api.close()
        server.stop()
