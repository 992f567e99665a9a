"""`casework admin ...`: accounts and keys created on the server itself, without HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from casework.accounts import service as accounts_service
from casework.accounts.permissions import Scope
from casework.accounts.principal import Principal
from casework.apikeys import service as apikeys_service
from casework.cli.context import open_runtime, workspace_id
from casework.cli.options import load_cli_settings
from casework.core.database import transaction
from casework.core.errors import CaseworkError
from casework.core.origin import RequestOrigin
from casework.runtime import Runtime

app = typer.Typer(help="Accounts and API keys, on the server itself.", no_args_is_help=True,
                  add_completion=False)
console = Console()
err_console = Console(stderr=True)


@contextmanager
def _account_transaction() -> Iterator[tuple[Runtime, Session]]:
    """One transaction on the server's database; a refusal is a red line and exit 1."""
    runtime = open_runtime(load_cli_settings())
    try:
        with transaction(runtime.sessions) as session:
            yield runtime, session
    except CaseworkError as exc:
        err_console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        runtime.close()


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="The account's e-mail address.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True,
                                          help="Asked for when not given.")],
    workspace: Annotated[str, typer.Option("--workspace", "-w",
                                           help="Workspace slug (created if missing).")]
    = "default",
) -> None:
    """Create an account (or reuse an existing one) as an owner of the workspace."""
    with _account_transaction() as (runtime, session):
        user, ws, created = accounts_service.bootstrap_owner(
            session=session, settings=runtime.settings, email=email, password=password,
            workspace_slug=workspace, origin=RequestOrigin.cli())
    verb = "created" if created else "already existed (password unchanged); made"
    console.print(f"[green]{user.email}[/green] {verb} owner of workspace "
                  f"[bold]{ws.slug}[/bold]")


def _set_active(email: str, active: bool) -> None:
    with _account_transaction() as (_, session):
        accounts_service.set_account_active(session=session, email=email, active=active,
                                   origin=RequestOrigin.cli())
    console.print(f"{email} is {'active again' if active else 'suspended'}")


@app.command("suspend-user")
def suspend_user(email: Annotated[str, typer.Option(help="The account's e-mail address.")]
                 ) -> None:
    """Suspend an account: it is refused everywhere and every session of it ends."""
    _set_active(email, False)


@app.command("reinstate-user")
def reinstate_user(email: Annotated[str, typer.Option(help="The account's e-mail address.")]
                   ) -> None:
    """Let a suspended account log in again (with its password)."""
    _set_active(email, True)


@app.command("set-password")
def set_password(
    email: Annotated[str, typer.Option(help="The account's e-mail address.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True,
                                          help="Asked for when not given.")],
) -> None:
    """Set an account's password (and log it out everywhere): the way back in where
    password reset by e-mail is off, in production without SMTP_HOST."""
    with _account_transaction() as (runtime, session):
        user = accounts_service.set_password_by_operator(
            session=session, settings=runtime.settings, email=email, password=password,
            origin=RequestOrigin.cli())
        address = user.email
    console.print(f"password of [green]{address}[/green] set; its sessions were ended")


@app.command("create-api-key")
def create_api_key(
    name: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
    scopes: Annotated[str, typer.Option(help="Comma-separated: read, write, admin.")]
    = "read,write",
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]
    = "default",
    expires_in_days: Annotated[int | None, typer.Option(min=1, max=3650)] = None,
) -> None:
    """Create an API key and print its secret (shown only this once)."""
    try:
        wanted = [Scope(s.strip()) for s in scopes.split(",") if s.strip()]
    except ValueError:
        err_console.print("[red]scopes are read, write and admin[/red]")
        raise typer.Exit(2) from None
    runtime = open_runtime(load_cli_settings())
    try:
        principal = Principal(workspace_id=workspace_id(runtime, workspace), user_id=None,
                              role=None, label="cli", origin=RequestOrigin.cli())
        with transaction(runtime.sessions) as session:
            key, secret = apikeys_service.create_key(
                session=session, principal=principal, name=name, scopes=wanted,
                expires_in_days=expires_in_days)
    finally:
        runtime.close()
    console.print(f"API key {key.prefix}... ({key.scopes}) for workspace {workspace}:")
    console.print(secret, soft_wrap=True, highlight=False)
