"""An app with entity extraction on (the timeline is built on its date mentions), and a
collection of two dated documents ingested as a client would."""

import uuid

import pytest

from tests.conftest import create_collection, ingest, test_settings
from tests.entities.conftest import wait_for_entities

# Dates in several shapes, two in one sentence, a month alone, and an amount (a pattern
# entity: found without the name model) to filter by.
DIARY = b"""Harbour Road incident log.

In March 2024 the landlord changed the locks. On 3 March 2024 the tenant reported a
break-in to the police; the alarm had been off since 2024-03-01 and was repaired on
5 March 2024. The insurer paid \xc2\xa34,500 on 2 April 2024.

Nothing happened in between.
"""
LETTER = b"""Dear Sir,

We confirm the payment of \xc2\xa34,500 made on 2 April 2024 for the claim.
The claim was first notified on 1 March 2024.
"""


@pytest.fixture
def timeline_client(tmp_path, database_url, make_client):
    return make_client(test_settings(tmp_path / "data", database_url, entity_extraction=True))


@pytest.fixture
def dated_case(timeline_client):
    """(collection, {filename: document}) once every entity job has finished."""
    collection = create_collection(timeline_client, f"Harbour Road {uuid.uuid4().hex[:6]}")
    docs = ingest(timeline_client, collection["id"], ("a-diary.txt", DIARY),
                  ("b-letter.txt", LETTER))
    wait_for_entities(timeline_client, [d["id"] for d in docs])
    return collection, {d["filename"]: d for d in docs}
