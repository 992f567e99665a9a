"""PostgreSQL: a word inside a path, identifier or address is a word of its own, as on FTS5.

PostgreSQL's text parser keeps `test/mocklibc/x` as one "file" token and `foo_bar.baz` or
`x.org` as one "host", so `mocklibc` or `baz` found nothing there, while SQLite's FTS5
(unicode61) splits them at every punctuation mark. The generated `tsv` column now reads the
text with `/ \\ _ . : @ -` turned into spaces; the query side already splits there
(search/query.py), so both engines find the same words (tests/search/test_keyword_parity.py).
Rebuilding the column rewrites the chunk table once.

Revision ID: 0010_pg_words_in_paths
Revises: 0009_fts_workspace
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_pg_words_in_paths"
down_revision: str | Sequence[str] | None = "0009_fts_workspace"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SPLIT_TEXT = r"to_tsvector('english', regexp_replace(text, '[/\\_.:@-]+', ' ', 'g'))"
WHOLE_TEXT = "to_tsvector('english', text)"


def _rebuild(expression: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # FTS5 already splits there
    op.execute("DROP INDEX IF EXISTS ix_chunk_tsv")
    op.execute("ALTER TABLE chunk DROP COLUMN tsv")
    op.execute(f"ALTER TABLE chunk ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({expression}) "
               "STORED")
    op.execute("CREATE INDEX ix_chunk_tsv ON chunk USING gin (tsv)")


def upgrade() -> None:
    _rebuild(SPLIT_TEXT)


def downgrade() -> None:
    _rebuild(WHOLE_TEXT)
