"""What an attacker with write access to the database does to the audit log: lift the
append-only triggers (they stand in the way of an edit, not of someone who can drop them)
and change rows with plain SQL, for the tests that check the hash chain names the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text

from casework.core.settings import Settings

LIFT_TRIGGERS = {
    "sqlite": ["DROP TRIGGER audit_event_no_update", "DROP TRIGGER audit_event_no_delete"],
    "postgresql": ["ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"],
}


def tamper(settings: Settings, statement: str, **params: Any) -> None:
    """Run `statement` on the app's database with the triggers lifted, in one commit."""
    engine = create_engine(settings.resolved_database_url)
    try:
        with engine.begin() as conn:
            for lift in LIFT_TRIGGERS[engine.dialect.name]:
                conn.execute(text(lift))
            conn.execute(text(statement), params)
    finally:
        engine.dispose()
