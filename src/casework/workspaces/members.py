"""Members of a workspace: roles, removal, and expiring single-use invitations.

Rules: only an owner hands out or takes away the owner role; a workspace always keeps at
least one owner; an admin cannot touch an owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.accounts import credentials
from casework.accounts.models import Membership, Role, User
from casework.accounts.permissions import ASSIGNABLE
from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.core.database import utcnow
from casework.core.errors import Conflict, Forbidden, NotFound, Unauthorized
from casework.core.origin import RequestOrigin
from casework.core.scoping import get_scoped, scoped
from casework.workspaces.models import Invitation

INVITE_PREFIX = "cwi"


@dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    email: str
    display_name: str
    role: Role
    two_factor: bool


def list_members(*, session: Session, workspace_id: str) -> list[Member]:
    rows = session.execute(
        select(Membership, User).join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace_id).order_by(User.email)).all()
    return [Member(u.id, u.email, u.display_name, Role(m.role), u.totp_enabled) for m, u in rows]


def _membership(session: Session, workspace_id: str, user_id: str) -> Membership:
    membership = session.scalars(scoped(Membership, workspace_id).where(
        Membership.user_id == user_id)).first()
    if membership is None:
        raise NotFound("member not found")
    return membership


def _owners(session: Session, workspace_id: str) -> int:
    return session.scalar(select(func.count()).select_from(scoped(Membership, workspace_id)
                          .where(Membership.role == Role.owner).subquery())) or 0


def _check_assignable(principal: Principal, *roles: Role) -> None:
    allowed = ASSIGNABLE[principal.role] if principal.role else ASSIGNABLE[Role.admin]
    for role in roles:
        if role not in allowed:
            raise Forbidden(f"your role cannot grant or change the role {role.value!r}")


def change_role(*, session: Session, principal: Principal, user_id: str, role: Role) -> Member:
    membership = _membership(session, principal.workspace_id, user_id)
    _check_assignable(principal, Role(membership.role), role)
    if membership.role == Role.owner and role != Role.owner and \
            _owners(session, principal.workspace_id) <= 1:
        raise Conflict("a workspace needs at least one owner")
    previous = membership.role
    membership.role = role
    session.flush()
    audit.record_by(session=session, principal=principal, action="member.role_change",
                    target_type="user", target_id=user_id,
                    details={"from": str(previous), "to": str(role)})
    return next(m for m in list_members(session=session, workspace_id=principal.workspace_id)
                if m.user_id == user_id)


def remove_member(*, session: Session, principal: Principal, user_id: str) -> None:
    membership = _membership(session, principal.workspace_id, user_id)
    if user_id != principal.user_id:
        _check_assignable(principal, Role(membership.role))
    if membership.role == Role.owner and _owners(session, principal.workspace_id) <= 1:
        raise Conflict("a workspace needs at least one owner")
    session.delete(membership)
    session.flush()
    audit.record_by(session=session, principal=principal, action="member.remove",
                    target_type="user", target_id=user_id)


def create_invitation(*, session: Session, principal: Principal, role: Role,
                      email: str | None, days: int) -> tuple[Invitation, str]:
    """Returns the invitation and its token; the token is never shown again."""
    _check_assignable(principal, role)
    token = credentials.new_secret(INVITE_PREFIX)
    invitation = Invitation(
        workspace_id=principal.workspace_id, email=email.strip().lower() if email else None,
        role=role, token_hash=credentials.digest(token), created_by=principal.user_id,
        expires_at=utcnow() + timedelta(days=days))
    session.add(invitation)
    session.flush()
    audit.record_by(session=session, principal=principal, action="member.invite",
                    target_type="invitation", target_id=invitation.id,
                    details={"role": str(role), "email": invitation.email})
    return invitation, token


def list_invitations(*, session: Session, workspace_id: str) -> list[Invitation]:
    return list(session.scalars(scoped(Invitation, workspace_id).where(
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc())))


def revoke_invitation(*, session: Session, principal: Principal, invitation_id: str) -> None:
    invitation = get_scoped(session, Invitation, principal.workspace_id, invitation_id,
                            noun="invitation")
    invitation.revoked_at = utcnow()
    session.flush()
    audit.record_by(session=session, principal=principal, action="member.invite_revoke",
                    target_type="invitation", target_id=invitation.id)


def find_open_invitation(*, session: Session, token: str) -> Invitation:
    invitation = session.scalars(select(Invitation).where(
        Invitation.token_hash == credentials.digest(token))).first()
    if invitation is None or invitation.accepted_at is not None or \
            invitation.revoked_at is not None or invitation.expires_at <= utcnow():
        raise Unauthorized("the invitation is invalid, used or expired")
    return invitation


def accept_invitation(*, session: Session, invitation: Invitation, user: User,
                      origin: RequestOrigin) -> Membership:
    if invitation.email and invitation.email != user.email:
        raise Forbidden("this invitation is for another e-mail address")
    invitation.accepted_at, invitation.accepted_by = utcnow(), user.id
    membership = session.scalars(scoped(Membership, invitation.workspace_id).where(
        Membership.user_id == user.id)).first()
    if membership is None:
        membership = Membership(workspace_id=invitation.workspace_id, user_id=user.id,
                                role=invitation.role)
        session.add(membership)
    session.flush()
    audit.record(session=session, action="member.join", origin=origin,
                 workspace_id=invitation.workspace_id, actor_user_id=user.id,
                 actor_label=user.email, target_type="user", target_id=user.id,
                 details={"role": invitation.role, "invitation_id": invitation.id})
    return membership


def memberships_of(*, session: Session, user_id: str) -> list[Membership]:
    return list(session.scalars(select(Membership).where(Membership.user_id == user_id)
                                .order_by(Membership.created_at)))


def join(*, session: Session, user_id: str, token: str, origin: RequestOrigin) -> Membership:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("account not found")
    return accept_invitation(session=session, invitation=find_open_invitation(
        session=session, token=token), user=user, origin=origin)
