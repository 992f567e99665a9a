"""Chunk and embedding tables.

The database is the source of truth for both indexes: the keyword index lives in it
(FTS5 / tsvector, kept in step by the same transaction), and every vector is stored here
so the on-disk ANN index can always be rebuilt from it.
"""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base


class Chunk(Base):
    __tablename__ = "chunk"
    __table_args__ = (
        Index("ix_chunk_document", "document_id"),
        Index("ix_chunk_note", "note_id"),
        Index("ix_chunk_workspace_hash", "workspace_id", "content_hash"),
        # Alone, so a keyword hit's workspace check is a covering probe (migration 0007).
        Index("ix_chunk_workspace", "workspace_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    document_id: Mapped[str | None] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), default=None
    )
    note_id: Mapped[str | None] = mapped_column(
        ForeignKey("note.id", ondelete="CASCADE"), default=None
    )
    page: Mapped[int] = mapped_column(Integer, default=1)
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    start_char: Mapped[int] = mapped_column(Integer)
    end_char: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # What the model reads when it is not `text` (running heads left out); "" for nothing.
    # `content_hash` hashes what the model reads, so it keys the stored vector.
    embed_text: Mapped[str | None] = mapped_column(Text, default=None)
    content_hash: Mapped[str] = mapped_column(String(64))


class Embedding(Base):
    """A vector per distinct passage text, so the same text is never embedded twice."""

    __tablename__ = "embedding"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    dimensions: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class KeywordChange(Base):
    """A chunk of the workspace was written or deleted: the tantivy keyword index's outbox.

    Rows are written by triggers on `chunk` in the chunk's own transaction (while the
    tantivy engine is on, search/keyword_log.py), so a committed chunk always has a row
    here and a rolled-back one never does. The indexer replays them idempotently (delete the
    chunk's entry, add its current text if it still exists) and removes them once applied.

    On PostgreSQL (search/keyword_log_pg.py) each row also records the transaction that
    wrote it and when: there, readers follow the log by transaction horizon, and the log
    is pruned by age, since every process keeps an index of its own.
    """

    __tablename__ = "keyword_change"
    __table_args__ = (Index("ix_keyword_change_workspace", "workspace_id", "id"),
                      Index("ix_keyword_change_txid", "workspace_id", "txid"),
                      Index("ix_keyword_change_created", "workspace_id", "created_at"),
                      {"sqlite_autoincrement": True})

    # AUTOINCREMENT: ids are never reused, so an index that says it applied up to an id
    # the database never issued was made against another database (a restored backup).
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    chunk_id: Mapped[int] = mapped_column(Integer)
    txid: Mapped[int | None] = mapped_column(BigInteger)  # PostgreSQL only
    created_at: Mapped[datetime | None] = mapped_column()  # PostgreSQL only


class KeywordHorizon(Base):
    """PostgreSQL: the highest transaction whose logged changes were pruned, per workspace.

    An index whose watermark is at or below it missed changes it can no longer read and
    is rebuilt from `chunk` (search/keyword_log_pg.py)."""

    __tablename__ = "keyword_horizon"

    workspace_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    pruned_through: Mapped[int] = mapped_column(BigInteger)
