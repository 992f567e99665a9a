"""What the document page shows of containers: an archive's (or e-mail's) members linking
to their documents, and for a member, the container it came from and its path there."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from casework.core.scoping import find_scoped
from casework.custody import service as custody_service
from casework.documents.models import Document

MEMBERS_SHOWN = 500  # on the page; GET /api/v1/documents/{id}/children pages through all


def container_context(*, session: Session, document: Document) -> dict[str, Any]:
    _, members, total = custody_service.container_members(
        session=session, workspace_id=document.workspace_id, document_id=document.id,
        limit=MEMBERS_SHOWN, offset=0)
    summary = (document.metadata_json or {}).get("container") or {}
    came_from = custody_service.arrived_from(session=session, document=document)
    container = (find_scoped(session, Document, document.workspace_id,
                             came_from.parent_document_id)
                 if came_from is not None else None)
    return {"members": members, "members_total": total,
            "members_skipped": summary.get("skipped", []),
            "members_skipped_count": summary.get("skipped_count", 0),
            "came_from": came_from if container is not None else None,
            "came_from_path": (came_from.source_path or came_from.filename).rsplit("!/", 1)[-1]
            if came_from is not None else None,
            "container": container}
