"""A workspace's whole audit log as CSV or JSON, streamed in chain order with the links
(seq, prev_hash, hash), so whoever receives it can check the chain without the database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from casework.audit.models import AuditEvent
from casework.audit.service import CSV_COLUMNS, to_csv
from casework.core.database import transaction

BATCH = 1000


def _batches(sessions: sessionmaker[Session], workspace_id: str) -> Iterator[list[AuditEvent]]:
    """The chain in seq order, a short read transaction per batch (keyset on seq): a long
    download never holds one snapshot, or a connection, for its whole length."""
    after = 0
    while True:
        with transaction(sessions) as session:
            rows = list(session.scalars(
                select(AuditEvent).where(AuditEvent.workspace_id == workspace_id,
                                         AuditEvent.seq > after)
                .order_by(AuditEvent.seq).limit(BATCH)))
            session.expunge_all()
        if not rows:
            return
        yield rows
        after = int(rows[-1].seq or 0)


def _row(event: AuditEvent) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in CSV_COLUMNS:
        value = getattr(event, column)
        row[column] = value.isoformat() if isinstance(value, datetime) else value
    return row


def export_csv(*, sessions: sessionmaker[Session], workspace_id: str) -> Iterator[str]:
    """CSV as `/audit.csv` writes it (cells starting with = + - @ get a leading `'`
    against spreadsheet formulas, so check the chain from the JSON export)."""
    yield from to_csv([])
    for rows in _batches(sessions, workspace_id):
        yield from to_csv(rows, header=False)


def export_json(*, sessions: sessionmaker[Session], workspace_id: str) -> Iterator[str]:
    """One JSON array; `details` stays the exact string that was hashed."""
    yield "["
    separator = ""
    for rows in _batches(sessions, workspace_id):
        for event in rows:
            yield separator + json.dumps(_row(event), ensure_ascii=False)
            separator = ",\n"
    yield "]\n"
