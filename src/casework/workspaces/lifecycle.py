"""Creating a workspace for its first owner, and deleting one with everything in it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.accounts.models import Membership, Role
from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.collections.models import Collection
from casework.core.origin import RequestOrigin
from casework.holds import service as holds_service
from casework.runtime import Runtime
from casework.search.keyword_tables import drop_keyword_table
from casework.workspaces import service
from casework.workspaces.models import Workspace


def create_owned_workspace(*, session: Session, user_id: str, label: str | None, name: str,
                           origin: RequestOrigin) -> Workspace:
    workspace = service.create_workspace(session=session, name=name)
    session.add(Membership(workspace_id=workspace.id, user_id=user_id, role=Role.owner))
    session.flush()
    audit.record(session=session, action="workspace.create", origin=origin,
                 workspace_id=workspace.id, actor_user_id=user_id, actor_label=label,
                 target_type="workspace", target_id=workspace.id)
    return workspace


def delete_workspace(*, session: Session, runtime: Runtime, principal: Principal) -> None:
    """Through the domain services, so blobs and index entries go too; the audit log stays.
    Refused while any legal hold of the workspace is active."""
    from casework.collections import service as collections_service
    from casework.notes import service as notes_service

    workspace_id = principal.workspace_id
    holds_service.ensure_workspace_deletable(session=session, workspace_id=workspace_id)
    drop_keyword_table(session=session, workspace_id=workspace_id)
    notes_service.delete_workspace_notes(session=session, runtime=runtime,
                                         workspace_id=workspace_id)
    for collection_id in list(session.scalars(
            select(Collection.id).where(Collection.workspace_id == workspace_id))):
        collections_service.delete_collection(session=session, runtime=runtime,
                                              principal=principal, collection_id=collection_id)
    audit.record_by(session=session, principal=principal, action="workspace.delete",
                    target_type="workspace", target_id=workspace_id)
    session.delete(service.get_workspace(session=session, workspace_id=workspace_id))
    session.flush()
