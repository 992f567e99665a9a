"""The keyword change log on SQLite: triggers that record chunk writes, and reading it back.

The tantivy index lives outside the database, so it cannot change in the chunk's
transaction as FTS5 does. Instead every insert, delete and text update of `chunk` adds a
`keyword_change` row in that transaction (an outbox): whatever committed is in the log,
whatever rolled back is not, whichever code path wrote it (ingest, notes, cascades from a
deleted document or collection). The indexer (search/tantivy_index.py) replays the log.

The triggers exist only while the tantivy engine is on: `enable` creates them, `disable`
drops them and empties the log (FTS5 needs neither). An index built while they were off
would miss changes, so turning them on again tells the caller to rebuild every index.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from casework.search.models import KeywordChange

TRIGGERS = {
    "keyword_change_insert": "AFTER INSERT ON chunk BEGIN INSERT INTO keyword_change"
                             "(workspace_id, chunk_id) VALUES (new.workspace_id, new.id); END",
    "keyword_change_delete": "AFTER DELETE ON chunk BEGIN INSERT INTO keyword_change"
                             "(workspace_id, chunk_id) VALUES (old.workspace_id, old.id); END",
    "keyword_change_update": "AFTER UPDATE OF text ON chunk BEGIN INSERT INTO keyword_change"
                             "(workspace_id, chunk_id) VALUES (new.workspace_id, new.id); END",
}


def _present(session: Session) -> set[str]:
    return set(session.scalars(text(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'keyword_change_%'")))


def enable(session: Session) -> bool:
    """Create the triggers that are missing; True if any was (the log has a gap then)."""
    missing = [name for name in TRIGGERS if name not in _present(session)]
    for name in missing:
        session.execute(text(f"CREATE TRIGGER IF NOT EXISTS {name} {TRIGGERS[name]}"))
    return bool(missing)


def disable(session: Session) -> None:
    """Stop logging and drop what nobody will read (the FTS5 engine is on)."""
    if not _present(session):
        return
    for name in TRIGGERS:
        session.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    session.execute(delete(KeywordChange))


def last_issued(session: Session) -> int:
    """The highest change id this database ever issued (AUTOINCREMENT keeps it even when
    the rows are gone): every change up to it is visible in the caller's snapshot."""
    return session.scalar(text(
        "SELECT seq FROM sqlite_sequence WHERE name = 'keyword_change'")) or 0


def newest(session: Session, workspace_id: str) -> int:
    """The workspace's newest change id, 0 when its log is empty (one index seek)."""
    return session.scalar(select(func.max(KeywordChange.id)).where(
        KeywordChange.workspace_id == workspace_id)) or 0


def pending_workspaces(session: Session) -> dict[str, int]:
    """Every workspace with changes in the log, and its newest change id."""
    return {workspace_id: newest_id for workspace_id, newest_id in session.execute(
        select(KeywordChange.workspace_id, func.max(KeywordChange.id))
        .group_by(KeywordChange.workspace_id))}


def changed_chunks(session: Session, workspace_id: str, *, after: int, upto: int
                   ) -> list[int]:
    """The chunk ids the workspace's changes (after, upto] touched, each once."""
    return list(dict.fromkeys(session.scalars(
        select(KeywordChange.chunk_id).where(
            KeywordChange.workspace_id == workspace_id, KeywordChange.id > after,
            KeywordChange.id <= upto).order_by(KeywordChange.id))))


def prune(session: Session, workspace_id: str, *, upto: int) -> int:
    """Forget the workspace's changes up to `upto`: its index holds them durably."""
    return session.execute(delete(KeywordChange).where(
        KeywordChange.workspace_id == workspace_id, KeywordChange.id <= upto)).rowcount
