"""The fields of `Settings` for productions (productions/): how large a production set may
be. (`production_checks.py` is about running in production, not about these.)

`Settings` (core/settings.py) inherits them, so there is still one settings object.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class ProductionSetFields(BaseModel):
    """Fields only: never built on its own (`Settings` reads them from the environment)."""

    production_max_documents: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        default=50_000, description="Documents one production set may hold; a larger "
        "selection is refused.")
    production_max_pages: Annotated[int, Field(ge=1, le=100_000)] = Field(
        default=5_000, description="Pages one produced document may have; a longer one "
        "fails the production, naming it.")
