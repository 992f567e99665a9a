"""Scale-out: an index for the job sweeper; pgvector vectors where the extension exists.

The `chunk_vector` table (HNSW over pgvector) is created only on PostgreSQL servers that
offer the `vector` extension to this role; elsewhere casework runs keyword search and says
why semantic search is off (docs/scale-out.md). Vectors stay in `embedding` too, so they can
be copied into `chunk_vector` later: every migration run sets pgvector up once the server
offers it (casework/db/pgvector.py), since this revision runs only once.

Revision ID: 0004_scaleout
Revises: 0001
Create Date: 2026-11-25 16:00:00
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

revision: str = "0004_scaleout"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = 384  # all-MiniLM-L6-v2

PGVECTOR = [
    "CREATE EXTENSION IF NOT EXISTS vector",
    f"CREATE TABLE chunk_vector ("
    f" chunk_id integer NOT NULL,"
    f" workspace_id varchar(32) NOT NULL,"
    f" embedding vector({DIMENSIONS}) NOT NULL,"
    f" CONSTRAINT pk_chunk_vector PRIMARY KEY (chunk_id),"
    f" CONSTRAINT fk_chunk_vector_chunk_id_chunk FOREIGN KEY (chunk_id)"
    f"  REFERENCES chunk (id) ON DELETE CASCADE,"
    f" CONSTRAINT fk_chunk_vector_workspace_id_workspace FOREIGN KEY (workspace_id)"
    f"  REFERENCES workspace (id) ON DELETE CASCADE)",
    "CREATE INDEX ix_chunk_vector_workspace_id ON chunk_vector (workspace_id)",
    "CREATE INDEX ix_chunk_vector_embedding ON chunk_vector "
    "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)",
]


def _pgvector_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bool(bind.execute(text(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).first())


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index("ix_job_lease", ["status", "locked_until"], unique=False)
    if not _pgvector_available():
        return
    try:
        # pgvector is not a trusted extension: a role that may not create it must still
        # get its schema; the step after migrating (casework/db/pgvector.py) says why.
        with op.get_bind().begin_nested():
            for statement in PGVECTOR:
                op.execute(statement)
    except DBAPIError:
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS chunk_vector")  # the extension may serve others
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_lease")
