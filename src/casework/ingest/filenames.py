"""Make a client-supplied filename safe to store and show."""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\/]')
_SPACES = re.compile(r"\s+")


def sanitize_filename(raw: str, *, max_length: int = 255) -> str:
    """Keep only the last path component, NFC, without control or reserved characters.

    Never returns an empty name, a dot-only name or a name longer than `max_length`
    (the extension is kept when shortening).
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name)
    name = _SPACES.sub(" ", name).strip().lstrip(".")
    if not name or set(name) <= {".", "_", " "}:
        name = "unnamed"
    if len(name) > max_length:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: max_length - len(ext) - 1] + "." + ext
        else:
            name = name[:max_length]
    return name
