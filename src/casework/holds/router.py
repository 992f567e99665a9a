"""Legal hold routes: anyone who reads the workspace sees its holds; placing and releasing
one needs `manage_holds` (admins and owners)."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from casework.api.deps import CanManageHolds, CanRead, ReadSessionDep, SessionDep
from casework.holds import service
from casework.holds.schemas import HoldCreate, HoldOut, HoldRelease
from casework.holds.service import HoldTarget

router = APIRouter(prefix="/holds", tags=["holds"])


@router.post("", response_model=HoldOut, status_code=status.HTTP_201_CREATED)
def place_hold(body: HoldCreate, session: SessionDep, principal: CanManageHolds) -> HoldOut:
    return HoldOut.model_validate(service.place_hold(
        session=session, principal=principal, name=body.name, matter=body.matter,
        target=HoldTarget(collection_id=body.collection_id, custodian=body.custodian)))


@router.get("", response_model=list[HoldOut])
def list_holds(session: ReadSessionDep, principal: CanRead,
               active: Annotated[bool | None, Query()] = None) -> list[HoldOut]:
    """Active holds first, then released ones, newest first (at most 1000)."""
    return [HoldOut.model_validate(h) for h in service.list_holds(
        session=session, workspace_id=principal.workspace_id, active=active)]


@router.get("/{hold_id}", response_model=HoldOut)
def get_hold(hold_id: str, session: ReadSessionDep, principal: CanRead) -> HoldOut:
    return HoldOut.model_validate(service.get_hold(
        session=session, workspace_id=principal.workspace_id, hold_id=hold_id))


@router.post("/{hold_id}/release", response_model=HoldOut)
def release_hold(hold_id: str, body: HoldRelease, session: SessionDep,
                 principal: CanManageHolds) -> HoldOut:
    return HoldOut.model_validate(service.release_hold(
        session=session, principal=principal, hold_id=hold_id, reason=body.reason))
