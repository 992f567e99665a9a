"""Share link shapes: the token (and the link built from it) appear only in the answer to
its creation."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from casework.shares.models import ShareTarget
from casework.shares.service import MIN_PASSWORD_CHARS, ShareRow, ShareState

DAY = 86_400
# The bound here is the schema's; SHARE_MAX_DAYS (at most this) is checked by the service.
MAX_EXPIRES_IN = 3650 * DAY


class ShareCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target_type: ShareTarget
    target_id: Annotated[str, Field(min_length=1, max_length=64)]
    expires_in: Annotated[int, Field(ge=60, le=MAX_EXPIRES_IN)] = Field(
        default=7 * DAY, description="Seconds until the link stops working (at most "
        "SHARE_MAX_DAYS days; 7 days if not given).")
    password: Annotated[str, Field(min_length=MIN_PASSWORD_CHARS, max_length=1024)] | None = Field(
        default=None, description="Visitors must enter it before they see anything.")
    allow_download: bool = Field(
        default=True, description="Whether visitors may download the originals (which "
        "carry their own metadata, e.g. a photo's EXIF location).")


class ShareOut(BaseModel):
    id: str
    target_type: ShareTarget
    target_id: str
    target_name: str = Field(description="The document's title or file name, or the "
                             "collection's name.")
    prefix: str = Field(description="The first characters of the link's token, to "
                        "recognise it.")
    state: ShareState
    password_protected: bool
    allow_download: bool
    created_by: str | None = Field(description="The member's user id (null for an API key).")
    created_by_label: str | None = Field(description="Who created it: an e-mail address or "
                                         "an API key's prefix.")
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    view_count: int = Field(description="Audited views: one per visitor (address and "
                            "browser) and item per VIEW_AUDIT_WINDOW_SECONDS.")
    last_viewed_at: datetime | None

    @classmethod
    def build(cls, row: ShareRow) -> "ShareOut":
        link = row.link
        return cls(id=link.id, target_type=link.target_type, target_id=link.target_id,
                   target_name=row.target_name, prefix=link.prefix, state=row.state,
                   password_protected=link.password_hash is not None,
                   allow_download=link.allow_download, created_by=link.created_by,
                   created_by_label=link.created_by_label, created_at=link.created_at,
                   expires_at=link.expires_at, revoked_at=link.revoked_at,
                   view_count=link.view_count, last_viewed_at=link.last_viewed_at)


class ShareCreated(ShareOut):
    token: str = Field(description="The link's secret. Shown once: copy the link now.")
    url: str = Field(description="The link to hand out: <base>/s/<token>.")
