"""Removing a document's stored files once no document of its workspace uses them."""

from __future__ import annotations

from sqlalchemy import func, select

from casework.core.scoping import scoped
from casework.documents.models import Document
from casework.runtime import Runtime
from casework.storage.blobstore import derived_prefix, original_key


def drop_if_unreferenced(*, runtime: Runtime, workspace_id: str, sha256: str) -> bool:
    """Delete the original and its previews unless a document still has these bytes.

    Called after the commit that deleted a document, and again when a job that was
    processing it stops: previews it wrote after the delete would otherwise be orphans.
    Safe to call twice. True if the files were removed.
    """
    with runtime.read_sessions() as check:
        still_used = check.scalar(select(func.count()).select_from(
            scoped(Document, workspace_id).where(Document.sha256 == sha256).subquery()))
    if still_used:
        return False
    runtime.blobs.delete(original_key(workspace_id, sha256))
    runtime.blobs.delete_prefix(derived_prefix(workspace_id, sha256))
    return True
