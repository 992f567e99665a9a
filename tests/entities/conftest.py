"""Apps with entity extraction on (the tests' default has it off: it loads spaCy), and a
helper that waits, as a client would, for a document's entity job to finish."""

import time

import pytest

from tests.conftest import test_settings


@pytest.fixture
def entity_client(tmp_path, database_url, shape_overrides, make_client):
    return make_client(test_settings(tmp_path / "data", database_url, entity_extraction=True,
                                     **shape_overrides))


def wait_for_entities(client, document_ids, *, timeout=120.0):
    """Until every entity job of these documents has finished; returns those jobs."""
    deadline = time.monotonic() + timeout
    wanted = set(document_ids)
    while True:
        jobs = [j for j in client.get("/api/v1/jobs", params={"limit": 200}).json()
                if j["kind"] == "extract_entities" and j["payload"]["document_id"] in wanted]
        if {j["payload"]["document_id"] for j in jobs} == wanted and all(
                j["status"] in ("succeeded", "failed", "cancelled") for j in jobs):
            return jobs
        if time.monotonic() > deadline:
            raise AssertionError(f"entity jobs did not finish in {timeout}s: {jobs}")
        time.sleep(0.05)


LETTER = """Dear Ms Kowalski,

Further to our call yesterday, I confirm that Mr. John O'Brien met Anna Kowalski at the offices
of Harbour Law LLP in Manchester last Friday. John O'Brien's statement is attached.

Please transfer \u00a34,500 to IBAN GB82 WEST 1234 5698 7654 32 before 3 April 2024, quoting
reference CR-2024-0117. Questions to ann.lee@Harbour-Law.example or 0161 496 0123.

Deutsche Bank AG in Frankfurt will release EUR 12,000 once the IBAN GB00 WEST 1234 5698 7654 32
is corrected.
"""


def letter_eml(body=LETTER, date="Mon, 11 Mar 2024 10:00:00 +0000"):
    """An e-mail: its Date is the document's date, against which "yesterday" is read."""
    return (f"From: Ann Lee <ann.lee@harbour-law.example>\r\nTo: anna@example.test\r\n"
            f"Subject: Transfer\r\nDate: {date}\r\nMessage-ID: <1@example.test>\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}").encode()
