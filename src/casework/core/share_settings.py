"""The fields of `Settings` for share links: how long a link may live, how long an entered
password holds, and how fast one address may use the public pages.

`Settings` (core/settings.py) inherits them, so there is still one settings object.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class ShareFields(BaseModel):
    """Fields only: never built on its own (`Settings` reads them from the environment)."""

    share_max_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        default=90, description="The longest a share link may live: a link asked for "
        "longer is refused (422). Every link expires; there is no 'never'.")
    share_unlock_minutes: Annotated[int, Field(ge=1, le=1440)] = Field(
        default=60, description="After the password of a protected link is entered, the "
        "browser may open that link without it for this long (a signed cookie scoped to "
        "the link), never past the link's own expiry.")
    share_requests_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        default=300, description="Requests to public share pages (/s/...) per client IP "
        "per minute, every link together; a gallery page loads one thumbnail per photo.")
    share_password_failures: Annotated[int, Field(ge=1, le=1000)] = Field(
        default=5, description="Wrong passwords for one link from one client IP before "
        "that IP must wait (SHARE_PASSWORD_WINDOW_SECONDS) to try that link again.")
    share_password_window_seconds: Annotated[int, Field(ge=1, le=86_400)] = Field(
        default=900, description="The window SHARE_PASSWORD_FAILURES counts in.")
