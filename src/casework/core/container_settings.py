"""The fields of `Settings` for containers (archives, e-mail): how far a container may
expand before it is refused as a bomb, and how deep containers inside containers are opened.

`Settings` (core/settings.py) inherits them, so there is still one settings object.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

MiB = 1024 * 1024


class ContainerFields(BaseModel):
    """Fields only: never built on its own (`Settings` reads them from the environment)."""

    container_max_members: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        default=10_000, description="Members (files, links, folders) one archive may list; "
        "past it the archive is refused as a bomb before anything is extracted.")
    container_max_bytes: Annotated[int, Field(ge=MiB)] = Field(
        default=4096 * MiB, description="Bytes one archive may expand to, declared or "
        "really written; past it the archive is refused as a bomb.")
    container_max_ratio: Annotated[float, Field(ge=2)] = Field(
        default=200.0, description="How many times its own size an archive may expand to "
        "(once past 16 MiB); real archives of documents stay well under 20x.")
    container_max_depth: Annotated[int, Field(ge=0, le=20)] = Field(
        default=3, description="Containers inside containers opened this deep; a deeper one "
        "is kept and its members listed, not extracted.")
    mailbox_max_messages: Annotated[int, Field(ge=1, le=10_000_000)] = Field(
        default=1_000_000, description="Messages one mailbox (.mbox, .pst) may hold, in "
        "place of CONTAINER_MAX_MEMBERS: a real mailbox of years holds far more messages "
        "than an archive holds files; its bytes stay held to CONTAINER_MAX_BYTES.")
    container_commit_members: Annotated[int, Field(ge=1, le=10_000)] = Field(
        default=500, description="Members of a container stored per transaction: a "
        "mailbox of 50,000 messages commits in batches, so SQLite's one write lock is "
        "free between them and a retried job resumes where the last batch ended.")
