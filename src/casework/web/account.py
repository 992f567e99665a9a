"""Account page: change the password, turn two-factor authentication on or off."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from casework.accounts import service as accounts_service
from casework.accounts import two_factor
from casework.api.deps import OriginDep, ReadSessionDep, RuntimeDep, SessionDep
from casework.core.errors import CaseworkError
from casework.web.deps import AccountVisitorDep, Visitor
from casework.web.router import render

router = APIRouter(prefix="/account", include_in_schema=False)


def _page(request: Request, viewer: Visitor, status_code: int = 200,
          **context: object) -> HTMLResponse:
    return render(request, viewer, "account.html", status_code, nav="account", **context)


@router.get("", response_class=HTMLResponse)
def account_page(request: Request, viewer: AccountVisitorDep,
                 session: ReadSessionDep) -> HTMLResponse:
    del session
    return _page(request, viewer)


@router.post("/password", response_class=HTMLResponse)
def change_password(request: Request, viewer: AccountVisitorDep, session: SessionDep,
                    runtime: RuntimeDep, origin: OriginDep,
                    current: Annotated[str, Form(max_length=1024)],
                    new: Annotated[str, Form(max_length=1024)]) -> HTMLResponse:
    user = session.merge(viewer.user)
    try:
        accounts_service.change_password(session=session, settings=runtime.settings, user=user,
                                         current=current, new=new, origin=origin)
    except CaseworkError as exc:
        return _page(request, viewer, exc.status_code, password_error=exc.message)
    return _page(request, viewer, message="Password changed. Other sessions were signed out.")


@router.post("/2fa/setup", response_class=HTMLResponse)
def start_two_factor(request: Request, viewer: AccountVisitorDep,
                     session: SessionDep) -> HTMLResponse:
    enrolment = two_factor.begin_enrolment(session=session, user=session.merge(viewer.user))
    return _page(request, viewer, enrolment=enrolment)


@router.post("/2fa/enable", response_class=HTMLResponse)
def enable_two_factor(request: Request, viewer: AccountVisitorDep, session: SessionDep,
                      origin: OriginDep, code: Annotated[str, Form(max_length=20)]
                      ) -> HTMLResponse:
    try:
        codes = two_factor.confirm_enrolment(session=session, user=session.merge(viewer.user),
                                             code=code, origin=origin)
    except CaseworkError as exc:
        return _page(request, viewer, exc.status_code, two_factor_error=exc.message)
    return _page(request, viewer, recovery_codes=codes,
                 message="Two-factor authentication is on.")


@router.post("/2fa/disable", response_class=HTMLResponse)
def disable_two_factor(request: Request, viewer: AccountVisitorDep, session: SessionDep,
                       origin: OriginDep, password: Annotated[str, Form(max_length=1024)],
                       code: Annotated[str, Form(max_length=64)]) -> HTMLResponse:
    try:
        two_factor.disable(session=session, user=session.merge(viewer.user), password=password,
                           code=code, origin=origin)
    except CaseworkError as exc:
        return _page(request, viewer, exc.status_code, two_factor_error=exc.message)
    return _page(request, viewer, message="Two-factor authentication is off.")
