"""Integer ids in paths and queries, bounded to what the database can hold.

A larger number (2**64, say) must be a 422 from validation, not an overflow raised by the
database driver deep in a query (a 500). tests/security/test_integer_params.py walks the
route table and fails for an integer parameter without an upper bound.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_DATABASE_INT = 2**63 - 1  # BIGINT on PostgreSQL, INTEGER on SQLite

IntIdPath = Annotated[int, Path(ge=1, le=MAX_DATABASE_INT)]
