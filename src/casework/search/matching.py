"""Which documents a keyword query matches, all of them, unranked: the counts a batch search
reports and the test a saved search's alert makes on a new document.

Ranked search (search/service.py) returns the best passages and may rank only the newest
rows of a broad query; a hit count must not. So this asks the database's own keyword index
directly with the same query syntax (search/query.py): FTS5's MATCH on SQLite (kept beside
tantivy, which serves ranking), `tsv @@ to_tsquery` on PostgreSQL.
"""

# ruff: noqa: S608 - the only interpolated name is keyword_table's checked identifier

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from casework.search.keyword_tables import keyword_table
from casework.search.query import ParsedQuery, to_fts5, to_tsquery


def matching_documents(session: Session, *, workspace_id: str, query: ParsedQuery,
                       collection_id: str | None = None,
                       document_ids: Collection[str] | None = None) -> set[str]:
    """The ids of the workspace's documents with a passage matching `query` (notes are
    not documents), optionally only in one collection or among `document_ids`."""
    if query.is_empty or (document_ids is not None and not document_ids):
        return set()
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        fts = keyword_table(workspace_id)
        sql = (f"SELECT DISTINCT c.document_id FROM {fts} JOIN chunk c ON c.id = {fts}.rowid "
               f"WHERE {fts} MATCH :match AND c.document_id IS NOT NULL")
        params: dict[str, object] = {"match": to_fts5(query)}
    else:
        sql = ("SELECT DISTINCT c.document_id FROM chunk c WHERE c.workspace_id = :workspace "
               "AND c.tsv @@ to_tsquery('english', :match) AND c.document_id IS NOT NULL")
        params = {"match": to_tsquery(query), "workspace": workspace_id}
    statement = text(sql + (" AND c.document_id IN (SELECT d.id FROM document d WHERE "
                            "d.workspace_id = :workspace AND d.collection_id = :collection)"
                            if collection_id else "")
                     + (" AND c.document_id IN :ids" if document_ids is not None else ""))
    if collection_id:
        params.update(workspace=workspace_id, collection=collection_id)
    if document_ids is not None:
        statement = statement.bindparams(bindparam("ids", expanding=True))
        params["ids"] = list(document_ids)
    return set(session.execute(statement, params).scalars())
