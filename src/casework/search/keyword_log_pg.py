"""The keyword change log on PostgreSQL: triggers that record chunk writes, and reading it
back by transaction horizon.

Why not by change id, as on SQLite: ids come from a sequence as rows are inserted, but
PostgreSQL transactions commit in any order, so a reader that has applied up to id 10 may
later see id 9 commit, and would skip it. Each row therefore carries the transaction that
wrote it (`pg_current_xact_id()`), and an index's watermark is a transaction horizon: the
reading snapshot's xmin, below which every transaction has ended (committed or rolled
back, never to change). A reader applies every visible change at or above its watermark,
then moves the watermark to the xmin it read with. Changes of transactions above the
horizon that were already visible are applied too (an index searched right after an upload
holds it), and remembered by transaction id (`beyond`) so a long transaction elsewhere
(a backup's snapshot holds xmin back) does not make every search apply them again.

Several processes on several machines each keep their own index, so no one of them can
say when a change has been applied everywhere: the log is pruned by age instead
(`RETENTION_SECONDS`), and the highest transaction pruned is recorded per workspace
(`keyword_horizon`). An index whose watermark is at or below that was not kept up while
the rows went, and is rebuilt from `chunk`.

Statement-level triggers with transition tables write one log insert per statement for
the bulk paths (ingest writes a document's chunks in one statement); a text update, rare,
is logged per row so unchanged rows cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

RETENTION_SECONDS = 24 * 3600.0  # an index away longer than this rebuilds when it returns

_FUNCTIONS = {
    "keyword_change_rows": """
CREATE OR REPLACE FUNCTION keyword_change_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO keyword_change (workspace_id, chunk_id, txid, created_at)
  SELECT workspace_id, id, pg_current_xact_id()::text::bigint, now() FROM changed_rows;
  RETURN NULL;
END $$""",
    "keyword_change_row": """
CREATE OR REPLACE FUNCTION keyword_change_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO keyword_change (workspace_id, chunk_id, txid, created_at)
  VALUES (NEW.workspace_id, NEW.id, pg_current_xact_id()::text::bigint, now());
  RETURN NULL;
END $$""",
}

TRIGGERS = {
    "keyword_change_insert": "AFTER INSERT ON chunk REFERENCING NEW TABLE AS changed_rows "
                             "FOR EACH STATEMENT EXECUTE FUNCTION keyword_change_rows()",
    "keyword_change_delete": "AFTER DELETE ON chunk REFERENCING OLD TABLE AS changed_rows "
                             "FOR EACH STATEMENT EXECUTE FUNCTION keyword_change_rows()",
    "keyword_change_update": "AFTER UPDATE OF text ON chunk FOR EACH ROW "
                             "WHEN (OLD.text IS DISTINCT FROM NEW.text) "
                             "EXECUTE FUNCTION keyword_change_row()",
}


@dataclass(frozen=True, slots=True)
class Changes:
    """What a reader must apply, and where its watermark stands once it has."""

    chunk_ids: list[int]
    applied: int  # the new horizon: every transaction below it is in the index
    beyond: frozenset[int]  # transactions at or above it whose changes are in too
    newest_id: int  # the highest change id read (0: none)


def _present(session: Session) -> set[str]:
    return set(session.scalars(text(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'chunk'::regclass "
        "AND tgname LIKE 'keyword_change_%' AND NOT tgisinternal")))


def enable(session: Session) -> bool:
    """Create the triggers that are missing; True if any was (the log has a gap then).

    Serialised by a transaction-level advisory lock: processes starting together would
    otherwise race on `CREATE OR REPLACE FUNCTION`."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('keyword_change'))"))
    missing = [name for name in TRIGGERS if name not in _present(session)]
    if missing:
        for body in _FUNCTIONS.values():
            session.execute(text(body))
        for name in missing:
            session.execute(text(f"CREATE TRIGGER {name} {TRIGGERS[name]}"))
    return bool(missing)


def disable(session: Session) -> None:
    """Stop logging and drop what nobody will read (the database's own index is on)."""
    if not _present(session):
        return
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('keyword_change'))"))
    for name in TRIGGERS:
        session.execute(text(f"DROP TRIGGER IF EXISTS {name} ON chunk"))
    session.execute(text("DELETE FROM keyword_change"))
    session.execute(text("DELETE FROM keyword_horizon"))


def horizon(session: Session) -> int:
    """This snapshot's xmin: every transaction below it has ended."""
    return int(session.scalar(text(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")))


def next_transaction(session: Session) -> int:
    """The id the next transaction will get: no index can have applied beyond it."""
    return int(session.scalar(text(
        "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")))


def last_issued(session: Session) -> int:
    """The highest change id the log's sequence has handed out (0: none yet). A restored
    database's sequence is back where the backup left it."""
    return int(session.scalar(text(
        "SELECT coalesce(pg_sequence_last_value("
        "CAST(pg_get_serial_sequence('keyword_change', 'id') AS regclass)), 0)")))


def pruned_through(session: Session, workspace_id: str) -> int | None:
    """The highest transaction whose changes were pruned from the workspace's log."""
    return session.scalar(text(
        "SELECT pruned_through FROM keyword_horizon WHERE workspace_id = :w"),
        {"w": workspace_id})


def lost(session: Session, workspace_id: str, applied: int) -> bool:
    """Changes the index had not applied were pruned: only a rebuild can catch up."""
    return behind_pruning(pruned_through(session, workspace_id), applied)


def behind_pruning(pruned: int | None, applied: int) -> bool:
    """Whether an index at watermark `applied` misses changes pruned up to `pruned`."""
    return pruned is not None and pruned >= applied


def pending(session: Session, workspace_id: str, *, applied: int, beyond: frozenset[int],
            cap: int) -> int:
    """How many logged changes the index has yet to apply, counted up to `cap` + 1."""
    return int(session.scalar(text(
        "SELECT count(*) FROM (SELECT 1 FROM keyword_change WHERE workspace_id = :w "
        "AND txid >= :a AND NOT (txid = ANY(:b)) LIMIT :n) AS pending"),
        {"w": workspace_id, "a": applied, "b": sorted(beyond), "n": cap + 1}))


def changes(session: Session, workspace_id: str, *, applied: int,
            beyond: frozenset[int]) -> Changes:
    """Every change the index has yet to apply, visible now, and the watermark after.

    The horizon is read first: a transaction below it had ended before the rows are read,
    so all its changes are among them (READ COMMITTED reads each statement afresh, later).
    """
    now = horizon(session)
    rows = session.execute(text(
        "SELECT chunk_id, txid, id FROM keyword_change WHERE workspace_id = :w "
        "AND txid >= :a AND NOT (txid = ANY(:b)) ORDER BY id"),
        {"w": workspace_id, "a": applied, "b": sorted(beyond)}).all()
    new_applied = max(applied, now)
    seen = beyond | {int(txid) for _, txid, _ in rows}
    return Changes(chunk_ids=list(dict.fromkeys(int(chunk_id) for chunk_id, _, _ in rows)),
                   applied=new_applied,
                   beyond=frozenset(t for t in seen if t >= new_applied),
                   newest_id=max((int(i) for _, _, i in rows), default=0))


def pending_workspaces(session: Session) -> dict[str, int]:
    """Every workspace with changes in the log, and one past its newest transaction."""
    return {workspace_id: int(newest) + 1 for workspace_id, newest in session.execute(text(
        "SELECT workspace_id, max(txid) FROM keyword_change GROUP BY workspace_id"))}


def prune(session: Session, workspace_id: str, *, older_than_seconds: float | None) -> int:
    """Forget the workspace's changes logged longer ago than the retention (all of them
    when `older_than_seconds` is None: the workspace is gone), recording the highest
    transaction pruned so an index that missed them knows to rebuild."""
    if older_than_seconds is None:
        session.execute(text("DELETE FROM keyword_horizon WHERE workspace_id = :w"),
                        {"w": workspace_id})
        return session.execute(text("DELETE FROM keyword_change WHERE workspace_id = :w"),
                               {"w": workspace_id}).rowcount
    newest, count = session.execute(text(
        "WITH gone AS (DELETE FROM keyword_change WHERE workspace_id = :w "
        "AND created_at < now() - make_interval(secs => :s) RETURNING txid) "
        "SELECT max(txid), count(*) FROM gone"),
        {"w": workspace_id, "s": older_than_seconds}).one()
    if newest is None:
        return 0
    session.execute(text(
        "INSERT INTO keyword_horizon (workspace_id, pruned_through) VALUES (:w, :t) "
        "ON CONFLICT (workspace_id) DO UPDATE SET pruned_through = "
        "greatest(keyword_horizon.pruned_through, excluded.pruned_through)"),
        {"w": workspace_id, "t": int(newest)})
    return int(count)
