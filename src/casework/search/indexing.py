"""Keeping the indexes in step with documents and notes.

Keyword indexing happens inside the caller's transaction (the chunk rows are the index).
Vectors come in a second, lower-priority stage: `embed_chunks` embeds only texts never
embedded before in the workspace, stores them, then adds them to the ANN index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

import numpy as np
from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from casework.core.database import after_commit, transaction
from casework.runtime import Runtime
from casework.search.cache import mark_changed
from casework.search.chunking import Passage
from casework.search.models import Chunk, Embedding
from casework.search.stored_vectors import has_vector, vector_pages

INSERT_BATCH = 500
EMBED_GROUP = 64  # texts per embed call; stored after each group so a crash keeps progress
EMBED_READ_PAGE = 1024  # chunks read at a time when looking for texts to embed
INDEX_PAGE = 4096  # vectors read and added to the ANN index at a time (6 MB of float32)
_MODEL_TEXT = func.coalesce(Chunk.embed_text, Chunk.text)  # what the model reads


def _batched(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _owner(document_id: str | None, note_id: str | None):
    if (document_id is None) == (note_id is None):
        raise ValueError("exactly one of document_id and note_id")
    return Chunk.document_id == document_id if document_id else Chunk.note_id == note_id


def remove_chunks(*, session: Session, runtime: Runtime, workspace_id: str,
                  document_id: str | None = None, note_id: str | None = None) -> int:
    """Delete the owner's chunks (keyword index follows); vectors go after commit."""
    owner = _owner(document_id, note_id)
    ids = list(session.scalars(
        select(Chunk.id).where(Chunk.workspace_id == workspace_id, owner)))
    if ids:
        session.execute(delete(Chunk).where(Chunk.workspace_id == workspace_id, owner))
        mark_changed(session, workspace_id)

        def _drop_vectors() -> None:
            runtime.vector_index.remove(workspace_id, ids)
            runtime.content_changed({workspace_id})  # again: vectors go after the commit

        after_commit(session, _drop_vectors)
    return len(ids)


def write_chunks(*, session: Session, workspace_id: str, passages: Iterable[Passage],
                 document_id: str | None = None, note_id: str | None = None) -> int:
    """Insert passages as chunks with core inserts (no ORM objects pile up in memory)."""
    _owner(document_id, note_id)
    rows = ({"workspace_id": workspace_id, "document_id": document_id, "note_id": note_id,
             "page": p.page, "ordinal": p.ordinal, "start_char": p.start_char,
             "end_char": p.end_char, "text": p.text, "embed_text": p.embed_text,
             "content_hash": p.content_hash}
            for p in passages)
    count = 0
    for batch in _batched(rows, INSERT_BATCH):
        session.execute(insert(Chunk), batch)
        count += len(batch)
    if count:
        mark_changed(session, workspace_id)
    return count


def _insert_ignore(session: Session, rows: list[dict]) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(Embedding).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(Embedding).on_conflict_do_nothing()
    session.execute(stmt, rows)


def _unembedded(runtime: Runtime, workspace_id: str, owner: Any, model: str, *, after: int
                ) -> Iterator[list[tuple[int, str, str]]]:
    """The owner's chunks whose text has no stored vector: (id, hash, text), a page at a time.

    The text is what the model reads (`embed_text` when set); a chunk of nothing but
    running heads has none and is never embedded (keyword search still finds it).

    Keyset pages by chunk id, read lazily: the caller stores each page's vectors before the
    next page is read, so a text repeated further on is no longer missing by then; reading
    every missing hash up front held about 200 MB for a 1 GB text file
    (docs/benchmarks.md#memory-1gb-file). `after`: just below the owner's first chunk id
    (see `stored_vectors.vector_pages`).
    """
    while True:
        with transaction(runtime.read_sessions) as session:
            rows = session.execute(
                select(Chunk.id, Chunk.content_hash, _MODEL_TEXT)
                .where(Chunk.workspace_id == workspace_id, owner, Chunk.id > after,
                       _MODEL_TEXT != "", ~has_vector(model))
                .order_by(Chunk.id).limit(EMBED_READ_PAGE)).all()
        if not rows:
            return
        yield [(int(i), h, text) for i, h, text in rows]
        after = rows[-1][0]


def chunk_spans(*, runtime: Runtime, workspace_id: str, document_id: str, size: int
                ) -> list[tuple[int, int]]:
    """The document's chunk ids cut into (first, last) spans of at most `size` chunks."""
    with transaction(runtime.read_sessions) as session:
        ids = list(session.scalars(select(Chunk.id).where(
            Chunk.workspace_id == workspace_id, Chunk.document_id == document_id)
            .order_by(Chunk.id)))
    return [(ids[start], ids[min(start + size, len(ids)) - 1])
            for start in range(0, len(ids), size)]


def fully_embedded(*, runtime: Runtime, workspace_id: str, document_id: str) -> bool:
    """Whether every chunk the model reads has a stored vector (all spans done)."""
    with transaction(runtime.read_sessions) as session:
        missing = session.scalar(select(Chunk.id).where(
            Chunk.workspace_id == workspace_id, Chunk.document_id == document_id,
            _MODEL_TEXT != "", ~has_vector(runtime.embedder.name)).limit(1))
    return missing is None


def embed_chunks(*, runtime: Runtime, workspace_id: str, document_id: str | None = None,
                 note_id: str | None = None, span: tuple[int, int] | None = None,
                 progress: Callable[[float], None] | None = None) -> int:
    """Embed the owner's chunks that have no stored vector; index all of them. Idempotent.

    `span`: only the chunks with ids from first to last (one slice of a long document).

    Streams: texts are read, embedded and stored a page at a time, and vectors go into
    the ANN index a page at a time, so memory does not grow with the document (a 200 MB
    text file peaked at 3.9 GB before, docs/benchmarks.md#large-file-memory). Returns how
    many texts were newly embedded (0 on a rerun after success).
    """
    owner = _owner(document_id, note_id)
    if span is not None:
        owner = and_(owner, Chunk.id.between(*span))
    model = runtime.embedder.name
    with transaction(runtime.read_sessions) as session:
        first, last = session.execute(select(func.min(Chunk.id), func.max(Chunk.id)).where(
            Chunk.workspace_id == workspace_id, owner)).one()
    if first is None:
        return 0
    before = first - 1
    embedded = 0
    for page in _unembedded(runtime, workspace_id, owner, model, after=before):
        texts: dict[str, str] = {}
        for _, content_hash, text in page:
            texts.setdefault(content_hash, text)  # a text repeated in the page: once
        hashes = list(texts)
        for start in range(0, len(hashes), EMBED_GROUP):
            group = hashes[start:start + EMBED_GROUP]
            vectors = runtime.embedder.embed([texts[h] for h in group])
            with transaction(runtime.sessions) as session:
                _insert_ignore(session, [
                    {"workspace_id": workspace_id, "model": model, "content_hash": h,
                     "dimensions": int(v.shape[0]), "vector": v.astype(np.float32).tobytes()}
                    for h, v in zip(group, vectors, strict=True)])
        embedded += len(hashes)
        if progress is not None:
            progress(min(1.0, (page[-1][0] - before) / (last - before)))
    if progress is not None:
        progress(1.0)  # the chunks after the last missing text repeat stored ones
    _index_stored(runtime, workspace_id, owner, after=before)
    return embedded


def index_stored_vectors(*, runtime: Runtime, workspace_id: str, document_id: str) -> int:
    """Put the document's chunks whose text already has a stored vector in the ANN index.

    For chunks rewritten in place (re-chunking): what was embedded before is searchable
    again at once, before the embed job gets to the rest. Returns how many were added.
    """
    owner = _owner(document_id, None)
    with transaction(runtime.read_sessions) as session:
        first = session.scalar(select(func.min(Chunk.id)).where(
            Chunk.workspace_id == workspace_id, owner))
    return 0 if first is None else _index_stored(runtime, workspace_id, owner,
                                                 after=first - 1)


def _index_stored(runtime: Runtime, workspace_id: str, owner: Any, *, after: int) -> int:
    added = 0
    for keys, vectors in vector_pages(runtime.read_sessions, workspace_id=workspace_id,
                                      model=runtime.embedder.name, size=INDEX_PAGE,
                                      owner=owner, after=after):
        runtime.vector_index.add(workspace_id, keys, vectors)
        added += len(keys)
    if added:
        runtime.content_changed({workspace_id})
    return added
