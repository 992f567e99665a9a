"""Hybrid search keeps what each engine is sure of (docs/benchmarks.md#question-sets)."""

import pytest

from tests.conftest import create_collection, ingest
from tests.search.test_semantic import DOCS, hits

pytestmark = pytest.mark.embedding

LEDGER = ("ledger.txt", b"Payment reference QX7731 was settled by bank transfer on 3 March.")


def test_a_word_found_in_one_passage_alone_leads_and_the_meaning_follows(semantic_client):
    """The reference number is in one passage only: that passage comes first, although the
    flood passage is closer in meaning; the flood passage comes next, before every decoy.
    (Fusing standard scores over the keyword list alone would give a list of one hit the
    mean, nothing, and put the ledger behind the flood.)"""
    client = semantic_client
    collection = create_collection(client)
    ingest(client, collection["id"], *DOCS, LEDGER, vectors=True)
    query = "which natural disaster caused the water damage? file QX7731"
    assert [h["filename"] for h in hits(client, query, "keyword")] == ["ledger.txt"]
    assert [h["filename"] for h in hits(client, query, "semantic")[:2]] == [
        "storm.pdf", "ledger.txt"]
    hybrid = hits(client, query, "hybrid")
    assert [(h["filename"], h["page"]) for h in hybrid[:2]] == [("ledger.txt", 1),
                                                               ("storm.pdf", 2)]
    assert hybrid[0]["score"] > hybrid[1]["score"] > hybrid[2]["score"]
