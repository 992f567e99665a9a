"""Schema: every model registered on one metadata, and the Alembic migrations over it."""
