"""A search holds one pooled connection: concurrent searches cannot deadlock the pool.

pgvector's search used to open a second session while the request's own read transaction
held the first; once as many searches ran as the pool has connections, each waited for a
second one forever (bench/scaleout_api_rps.py hung at 8 concurrent hybrid searches).
"""

from __future__ import annotations

import pytest

from casework.bootstrap import build_runtime
from casework.core.database import transaction
from casework.search import service as search_service
from casework.search.filters import SearchFilters
from casework.search.pgvector_index import PgvectorIndex
from casework.search.service import SearchMode
from tests.conftest import create_collection, ingest, test_settings

pytestmark = [pytest.mark.scaleout, pytest.mark.embedding]


def test_a_hybrid_search_runs_on_a_pool_of_one_connection(
        tmp_path, scaleout_postgres_url, make_client, embedder):
    client = make_client(test_settings(tmp_path / "data", scaleout_postgres_url,
                                       semantic_search=True))
    if not isinstance(client.app.state.runtime.vector_index, PgvectorIndex):
        pytest.skip("needs PostgreSQL with pgvector (the pgserver wheel)")
    collection = create_collection(client)
    ingest(client, collection["id"],
           ("storm.txt", b"The river burst its banks and flooded the lower town."),
           ("recipe.txt", b"Knead the dough and let it rise somewhere warm."), vectors=True)
    workspace_id = client.get("/api/v1/workspaces/current").json()["id"]

    narrow = build_runtime(test_settings(
        tmp_path / "narrow", scaleout_postgres_url, semantic_search=True, db_pool_size=1,
        db_max_overflow=0, db_pool_timeout=2), embedder=embedder)
    try:
        for mode in (SearchMode.semantic, SearchMode.hybrid):
            with transaction(narrow.read_sessions) as session:
                result = search_service.search(
                    session=session, runtime=narrow, workspace_id=workspace_id,
                    text="natural disaster with water damage", mode=mode,
                    filters=SearchFilters(), limit=5, offset=0)
            assert result.hits[0].filename == "storm.txt", mode
    finally:
        narrow.close()
