"""Optional error reporting to Sentry: on only when SENTRY_DSN is set, otherwise nothing."""

from __future__ import annotations

from casework import __version__
from casework.core.settings import Settings


def configure_sentry(settings: Settings) -> bool:
    """Initialise sentry-sdk once per process; True when reporting is on."""
    if not settings.sentry_dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.environment.value,
        release=f"casework@{__version__}",
        traces_sample_rate=settings.sentry_traces_sample_rate,
        # Personal data stays off (the SDK's default): documents and users are sensitive.
    )
    return True


def tag_request(request_id: str) -> None:
    """Let an event in Sentry be found from the X-Request-ID a user reports."""
    import sentry_sdk

    sentry_sdk.set_tag("request_id", request_id)
