"""Server paths out of messages users see: error answers, job and document errors.

Libraries put the file they failed on into their messages (Pillow, PyAV, SQLite,
OSError), and those messages reach clients as a document's error or a 422. A path tells an
attacker where DATA_DIR, the temp folder and the Python installation live; the user learns
nothing from it. Each path is replaced by `<server path>`; the log keeps the original.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

PLACEHOLDER = "<server path>"
# What may follow a path's first character: stops at spaces, quotes and punctuation.
_REST = r"[^\s'\"`,;()<>\[\]{}|]*"
# Absolute paths under the usual top-level folders. Not any "/x/y": routes in messages
# ("POST /auth/2fa/setup") must stay.
_SYSTEM_FOLDERS = ("tmp", "var", "home", "root", "usr", "opt", "srv", "etc", "mnt", "media",
                   "data", "app", "run", "proc", "private", "Users", "nix", "snap", "lib",
                   "lib64", "bin", "sbin", "dev", "sys", "boot", "workspace", "work")
_ABSOLUTE = re.compile(
    rf"(?<![\w.~:/-])/(?:{'|'.join(_SYSTEM_FOLDERS)})(?=/|\b){_REST}")
_PACKAGES = re.compile(rf"[^\s'\"`,;()<>\[\]{{}}|]*(?:site|dist)-packages{_REST}")


def redact_paths(text: str, *, roots: Iterable[Path | str] = ()) -> str:
    """`text` with every server path replaced. `roots` are folders to hide wherever they
    appear, relative ones too (a relative DATA_DIR puts `data/tmp/upload-x` in messages)."""
    for root in sorted({str(r).rstrip("/") for r in roots if str(r) not in ("", ".")},
                       key=len, reverse=True):
        # A relative root only counts as the start of a path ("data/tmp/x"), not as a word.
        ending = r"(?=/|[^\w.-]|$)" if root.startswith("/") else "(?=/)"
        text = re.sub(rf"(?<![\w./-]){re.escape(root)}{ending}{_REST}", PLACEHOLDER, text)
    text = _PACKAGES.sub(PLACEHOLDER, text)
    return _ABSOLUTE.sub(PLACEHOLDER, text)


def data_roots(data_dir: Path) -> tuple[str, ...]:
    """DATA_DIR as configured and as resolved: messages carry either."""
    return (str(data_dir), str(data_dir.resolve()))
