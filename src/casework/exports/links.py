"""Expiring download links for finished exports: an HMAC under SECRET_KEY, no session.

A link names the export (and its workspace, so the export is looked up inside it), when
it stops working and whom it was issued to, and carries a tag over all of them: it can be
handed to a download manager or another machine (no cookie goes with it), it cannot be
stretched past its expiry or moved to another export, and the audit log says whose link
was used.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from casework.accounts import credentials
from casework.accounts.principal import Principal
from casework.core.errors import CaseworkError, NotFound
from casework.core.settings import Settings

MAX_ACTOR_CHARS = 80


class LinkExpired(CaseworkError):
    status_code = 410
    code = "link_expired"


@dataclass(frozen=True, slots=True)
class DownloadLink:
    url: str
    expires_at: datetime


def link_actor(principal: Principal) -> str:
    """`user:<id>` or `key:<id>`: ids only, so the URL reveals no address."""
    if principal.user_id:
        return f"user:{principal.user_id}"
    if principal.api_key_id:
        return f"key:{principal.api_key_id}"
    return "local"


def _tag(settings: Settings, workspace_id: str, export_id: str, expires: int,
         actor: str) -> str:
    message = f"export-download\n{workspace_id}\n{export_id}\n{expires}\n{actor}"
    return credentials.sign(settings.secret_key.get_secret_value(), message)


def make_download_link(*, settings: Settings, workspace_id: str, export_id: str, actor: str,
                       now: datetime | None = None) -> DownloadLink:
    moment = now or datetime.now(UTC)
    expires_at = moment + timedelta(seconds=settings.export_link_ttl_seconds)
    expires = int(expires_at.timestamp())
    query = urlencode({"ws": workspace_id, "expires": expires, "by": actor,
                       "signature": _tag(settings, workspace_id, export_id, expires, actor)})
    return DownloadLink(url=f"/api/v1/exports/{export_id}/download?{query}",
                        expires_at=datetime.fromtimestamp(expires, UTC))


def check_download_link(*, settings: Settings, workspace_id: str, export_id: str,
                        expires: int, actor: str, signature: str,
                        now: datetime | None = None) -> None:
    """Raise unless the link was made here for this export and has not expired.

    A wrong tag answers 404, as for an export that does not exist: a guessed or edited
    link learns nothing. Expiry is checked after the tag, so only a real link hears 410.
    """
    expected = _tag(settings, workspace_id, export_id, expires, actor)
    if not hmac.compare_digest(expected, signature):
        raise NotFound("export not found, or the link is not valid")
    if (now or datetime.now(UTC)).timestamp() > expires:
        raise LinkExpired("this download link has expired: open the export again for a "
                          "new one")
