"""`DATA_DIR/local-server.json`: how a `casework` command on this machine finds the running
server and proves it may read through it.

`casework serve` writes the file (mode 0600, so only the account that runs casework reads
the token) and removes it when it stops; the CLI's `search` then asks the warm server
instead of loading the embedding model itself. The token grants read access from loopback
only (accounts/policy.py); this module knows the file and nothing of HTTP, so the CLI can
import it without the server's stack.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "local-server.json"
TOKEN_HEADER = "X-Casework-Local-Token"  # noqa: S105  (a header's name, not a secret)


@dataclass(frozen=True, slots=True)
class LocalServer:
    url: str
    pid: int
    token: str


def discovery_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def publish(*, data_dir: Path, url: str) -> LocalServer:
    """Write a fresh token for this process; atomic, so a reader never sees half a file."""
    server = LocalServer(url=url.rstrip("/"), pid=os.getpid(),
                         token=secrets.token_urlsafe(32))
    path = discovery_path(data_dir)
    temp = path.with_name(f".{FILE_NAME}.{server.pid}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"url": server.url, "pid": server.pid, "token": server.token}, out)
    os.replace(temp, path)
    return server


def withdraw(*, data_dir: Path, server: LocalServer) -> None:
    """Remove the file if it is still ours: a newer server may have replaced it."""
    path = discovery_path(data_dir)
    if read(path) == server:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def read(path: Path) -> LocalServer | None:
    """The file's server, or None when there is no readable, well-formed file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LocalServer(url=str(data["url"]), pid=int(data["pid"]),
                           token=str(data["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def find_running(data_dir: Path) -> LocalServer | None:
    """The server published in `data_dir`, if its process is still alive."""
    server = read(discovery_path(data_dir))
    if server is None:
        return None
    try:
        os.kill(server.pid, 0)
    except ProcessLookupError:
        return None  # stale: the server died without removing its file
    except PermissionError:
        pass  # alive, under another account; the token decides
    return server
