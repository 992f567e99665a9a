"""Who acts, in which workspace, with which permissions, and from where."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from casework.accounts.models import Role
from casework.accounts.permissions import Permission
from casework.core.origin import RequestOrigin


class CredentialKind(StrEnum):
    access_token = "access_token"  # noqa: S105  (a kind of credential, not one)
    api_key = "api_key"
    cookie = "cookie"
    local_token = "local_token"  # noqa: S105  (the CLI's token from local-server.json)


@dataclass(frozen=True, slots=True)
class Principal:
    """Every service call is scoped by `workspace_id`; `role` is None for API keys."""

    workspace_id: str
    user_id: str | None
    role: Role | None
    permissions: frozenset[Permission] = frozenset()
    api_key_id: str | None = None
    label: str | None = None  # e-mail, key prefix, "casework cli": how the audit log names
    #                           the actor
    via: CredentialKind = CredentialKind.access_token
    origin: RequestOrigin = field(default_factory=RequestOrigin)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def actor_id(self) -> str:
        """Who acts, as one id: the user, else the API key, else the label (local CLI)."""
        return self.user_id or self.api_key_id or self.label or ""

    @classmethod
    def command(cls, workspace_id: str, label: str) -> Principal:
        """A command run on the server's machine (`casework ingest`, a benchmark): it acts in
        the workspace it names, and the audit log names it by `label`."""
        return cls(workspace_id=workspace_id, user_id=None, role=None, label=label,
                   origin=RequestOrigin.cli())
