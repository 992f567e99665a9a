"""The one permission table: what each role, and each API-key scope, may do in a workspace.

Routes ask for a `Permission` through a dependency (`casework.api.deps`); nothing else
decides who may do what. Viewer reads, editor writes content, admin manages members and
keys, owner does everything including deleting the workspace.
"""

from __future__ import annotations

from enum import StrEnum

from casework.accounts.models import Role


class Permission(StrEnum):
    read = "read"  # collections, documents, notes, search, jobs, members list
    write = "write"  # create, edit, delete and upload content
    manage_members = "manage_members"  # invite, change roles, remove members
    manage_keys = "manage_keys"  # create, list and revoke API keys
    read_audit = "read_audit"
    manage_workspace = "manage_workspace"  # rename, require 2FA
    read_usage = "read_usage"  # usage analytics (GET /usage, the admin page's charts)
    manage_webhooks = "manage_webhooks"  # outgoing webhooks and their delivery log
    manage_holds = "manage_holds"  # place and release legal holds
    delete_workspace = "delete_workspace"


class Scope(StrEnum):
    read = "read"
    write = "write"
    admin = "admin"


_VIEWER = frozenset({Permission.read})
_EDITOR = _VIEWER | {Permission.write}
_ADMIN = _EDITOR | {Permission.manage_members, Permission.manage_keys, Permission.read_audit,
                    Permission.manage_workspace, Permission.read_usage,
                    Permission.manage_webhooks, Permission.manage_holds}
_OWNER = frozenset(Permission)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.viewer: _VIEWER, Role.editor: _EDITOR, Role.admin: _ADMIN, Role.owner: _OWNER,
}
# A key never gets more than an admin: deleting a workspace takes a person.
SCOPE_PERMISSIONS: dict[Scope, frozenset[Permission]] = {
    Scope.read: _VIEWER, Scope.write: _EDITOR, Scope.admin: _ADMIN,
}

# Which roles a role may hand out (or take away): only an owner makes or unmakes owners.
ASSIGNABLE: dict[Role, frozenset[Role]] = {
    Role.owner: frozenset(Role),
    Role.admin: frozenset({Role.admin, Role.editor, Role.viewer}),
    Role.editor: frozenset(), Role.viewer: frozenset(),
}


def permissions_for_scopes(scopes: list[Scope]) -> frozenset[Permission]:
    granted: frozenset[Permission] = frozenset()
    for scope in scopes:
        granted |= SCOPE_PERMISSIONS[scope]
    return granted
