"""Join the branches that media, accounts, scale-out, usage and operations grew from 0001.

Revision ID: 0006_merge
Revises: 0002_media, 0003_accounts, 0004_scaleout, 0005_usage, ops_0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

revision: str = "0006_merge"
down_revision: str | Sequence[str] | None = (
    "0002_media", "0003_accounts", "0004_scaleout", "0005_usage", "ops_0001")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
