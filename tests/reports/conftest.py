"""A collection of real PDFs with entities and a saved question, and helpers that follow a
report as a client would and read a PDF's text."""

import time

import pypdfium2
import pytest

from tests.conftest import create_collection, ingest, test_settings
from tests.entities.conftest import wait_for_entities
from tests.fixtures.files import make_pdf

LETTER = ("Dear Ms Kowalski,\nFurther to our call, I confirm that John O'Brien met Anna "
          "Kowalski at the offices of Harbour Law LLP in Manchester on 3 April 2024.\n"
          "The transfer of 4,500 pounds was approved by Northgate Insurance Ltd.")
MINUTES = ("Minutes of the meeting in Leeds on 12 May 2024.\nAnna Kowalski chaired. "
           "Peter Grant of Harbour Law LLP reported that the settlement was signed.")
INVOICE = ("Invoice CR-2024-0117 from Harbour Law LLP.\nAmount due: 1,200 pounds, payable "
           "by 30 June 2024.")
FILES = (("letter.pdf", make_pdf([LETTER, "Second page: nothing more to say."],
                                 title="Letter to Ms Kowalski")),
         ("minutes.pdf", make_pdf([MINUTES], title="Minutes of 12 May")),
         ("invoice.pdf", make_pdf([INVOICE])))


def wait_for_report(client, report_id, *, timeout=120.0):
    deadline = time.monotonic() + timeout
    while True:
        report = client.get(f"/api/v1/reports/{report_id}").json()
        if report["status"] in ("ready", "failed"):
            return report
        if time.monotonic() > deadline:
            raise AssertionError(f"the report did not finish in {timeout}s: {report}")
        time.sleep(0.05)


def pdf_text(data):
    """Every page's text, pages joined by newlines, as a reader copying it would get."""
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


@pytest.fixture
def case(tmp_path, database_url, make_client):
    """A case of three PDFs whose entity jobs have finished (entity extraction is off in
    the tests' default settings): (client, collection, docs)."""
    client = make_client(test_settings(tmp_path / "data", database_url,
                                       entity_extraction=True))
    collection = create_collection(client, "Harbour v Northgate", reference="CR-17")
    docs = ingest(client, collection["id"], *FILES)
    wait_for_entities(client, [d["id"] for d in docs])
    return client, collection, docs
