"""Audit hash chain: seq, prev_hash and hash on every audit event, a chain head per
workspace, and the events already written linked in id order (audit/chain.py).

The hashing is written out here, not imported, so this migration keeps producing the
hashes of its day whatever later code does.

Revision ID: audit_0001
Revises: 0003_accounts
Create Date: 2026-12-14 10:00:00
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "audit_0001"
down_revision: str | None = "0003_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
ACCOUNT_CHAIN = "-"
FIELDS = ("workspace_id", "created_at", "action", "outcome", "actor_user_id",
          "actor_api_key_id", "actor_label", "target_type", "target_id", "ip", "user_agent",
          "request_id", "details")
# The append-only triggers of 0003_accounts stand aside while the old rows get their links.
LIFT = {"sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update"],
        "postgresql": ["ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"]}
RESTORE = {
    "sqlite": ["CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
               "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"],
    "postgresql": ["ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"],
}


def _hash(values: dict[str, object]) -> str:
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _time(value: datetime | str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _link_existing_rows(bind: sa.engine.Connection) -> None:
    event = sa.table("audit_event", sa.column("id"), sa.column("seq"), sa.column("prev_hash"),
                     sa.column("hash"), *(sa.column(name) for name in FIELDS))
    head = sa.table("audit_chain_head", sa.column("chain"), sa.column("seq"),
                    sa.column("hash"))
    heads: dict[str, tuple[int, str]] = {}
    rows = bind.execute(sa.select(event.c.id, *(event.c[n] for n in FIELDS))
                        .order_by(event.c.id)).mappings().all()
    for row in rows:
        chain = row["workspace_id"] or ACCOUNT_CHAIN
        seq, prev_hash = heads.get(chain, (0, GENESIS))
        values = {name: row[name] for name in FIELDS}
        values["created_at"] = _time(row["created_at"])
        values.update(seq=seq + 1, prev_hash=prev_hash)
        digest = _hash(values)
        bind.execute(sa.update(event).where(event.c.id == row["id"])
                     .values(seq=seq + 1, prev_hash=prev_hash, hash=digest))
        heads[chain] = (seq + 1, digest)
    if heads:
        bind.execute(sa.insert(head), [{"chain": chain, "seq": seq, "hash": digest}
                                       for chain, (seq, digest) in heads.items()])


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_chain_head")),
    )
    with op.batch_alter_table("audit_event", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    dialect = bind.dialect.name
    for statement in LIFT.get(dialect, []):
        op.execute(statement)
    _link_existing_rows(bind)
    for statement in RESTORE.get(dialect, []):
        op.execute(statement)
    op.create_index("uq_audit_event_workspace_seq", "audit_event", ["workspace_id", "seq"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("uq_audit_event_workspace_seq", table_name="audit_event")
    with op.batch_alter_table("audit_event", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    op.drop_table("audit_chain_head")
