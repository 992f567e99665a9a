"""The first owner: from ADMIN_EMAIL/ADMIN_PASSWORD, or - in development, on an empty
database - a generated password printed once to the console (and kept in a 0600 file under
DATA_DIR), so `./scripts/serve.sh` still works with nothing configured."""

from __future__ import annotations

import logging
import os
import secrets

from casework.accounts import service
from casework.core.database import transaction
from casework.core.origin import RequestOrigin
from casework.core.settings import Environment
from casework.runtime import Runtime
from casework.workspaces.service import DEFAULT_SLUG

log = logging.getLogger(__name__)
DEV_OWNER_EMAIL = "admin@localhost"
PASSWORD_FILE = "initial-admin-password.txt"  # noqa: S105  (a file name)


def bootstrap_accounts(runtime: Runtime) -> None:
    settings = runtime.settings
    origin = RequestOrigin(user_agent="casework-bootstrap")
    with transaction(runtime.sessions) as session:
        if settings.admin_email and settings.admin_password:
            if service.find_user(session=session, email=settings.admin_email) is None:
                service.bootstrap_owner(
                    session=session, settings=settings, email=settings.admin_email,
                    password=settings.admin_password.get_secret_value(),
                    workspace_slug=DEFAULT_SLUG, origin=origin)
                log.info("created the first owner %s (ADMIN_EMAIL)", settings.admin_email)
            return
        if settings.environment != Environment.development or service.has_users(session=session):
            return
        password = secrets.token_urlsafe(12)
        service.bootstrap_owner(session=session, settings=settings, email=DEV_OWNER_EMAIL,
                                password=password, workspace_slug=DEFAULT_SLUG, origin=origin)
    path = settings.data_dir / PASSWORD_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(f"{DEV_OWNER_EMAIL}\n{password}\n")
    log.warning(
        "\n" + "=" * 72 + "\n  casework: first start, no ADMIN_EMAIL/ADMIN_PASSWORD set.\n"
        f"  Created the owner   {DEV_OWNER_EMAIL}\n  with the password   {password}\n"
        f"  (also in {path.resolve()}; delete it once noted)\n"
        "  Log in: POST /api/v1/auth/login, or create an API key with\n"
        "  `casework admin create-api-key`. Change the password after logging in.\n"
        + "=" * 72)
