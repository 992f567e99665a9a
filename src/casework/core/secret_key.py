"""The development signing key's stand-in and the per-install key that replaces it.

Apart from the settings and the production checks because both need `DEV_SECRET_KEY`:
settings use it as the default and swap it for the installed key, the checks refuse it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# Stands for "unset": it is public, so it never signs anything. Outside production
# `load_settings` swaps it for the per-install key in DATA_DIR/SECRET_KEY_FILE; production
# refuses to start with it (see `production_checks.production_problems`).
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-in-production"  # noqa: S105
SECRET_KEY_FILE = "secret-key"  # noqa: S105  # a file name


def install_secret_key(data_dir: Path) -> str:
    """This installation's own signing key, made once and kept in DATA_DIR (mode 0600).

    A development server without SECRET_KEY must not accept tokens signed with a key anyone
    can read in the source. Written under a temporary name and linked into place, so
    processes starting together (`serve --workers N`) all end up with the same key.
    """
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            draft.unlink()
    return path.read_text().strip()
