"""What an export's manifest says, the member names inside the ZIP, and the small text
files beside the originals (checksums, read-me).

The manifest (`manifest.json`) lists every member but itself and its signature with its
size and SHA-256; `manifest.sig` is the Ed25519 signature over the manifest's exact bytes.
So one signature check plus one hash per member proves that nothing was changed, added or
removed - with casework (`casework verify-export`) or with openssl and sha256sum alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

FORMAT = "casework-export/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public-key.pem"
CHECKSUMS = "checksums.sha256"
README = "README.txt"
# The two members the manifest cannot list: itself and the signature over it.
ENVELOPE = frozenset({MANIFEST, SIGNATURE})

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\<>:"|?*]')


@dataclass
class MemberNames:
    """Unique, safe member paths: `originals/<file name>`, and the same name again under
    `text/` (+ `.txt`) for its extracted text, so the two are easy to pair. A name taken
    twice in a collection (two `scan.pdf`) gets the document id's first 8 characters."""

    taken: set[str] = field(default_factory=set)

    def for_document(self, filename: str, document_id: str) -> str:
        name = _UNSAFE.sub("_", filename).strip().lstrip(".") or "unnamed"
        if name in self.taken:
            path = PurePosixPath(name)
            name = f"{path.stem} ({document_id[:8]}){path.suffix}"
        if name in self.taken:
            name = f"{document_id}-{name}"
        self.taken.add(name)
        return name


def original_path(name: str) -> str:
    return f"originals/{name}"


def text_path(name: str) -> str:
    return f"text/{name}.txt"


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """Indented, UTF-8, newline-terminated: readable, and signed exactly as stored."""
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()


def checksums_text(files: list[dict[str, Any]]) -> bytes:
    """`sha256sum -c checksums.sha256` checks every member after unzipping, no casework
    needed (the file is listed, with its own hash, in the signed manifest)."""
    return "".join(f"{f['sha256']}  {f['path']}\n" for f in files).encode()


def readme_text(*, export_id: str, collection: str, fingerprint: str) -> bytes:
    return f"""casework export {export_id}
Collection: {collection}

What is inside
  originals/          the uploaded files, byte for byte (see manifest.json: a file changed
                      on export, e.g. a photo whose GPS position was removed, says so and
                      gives the original's SHA-256 too)
  text/               the text casework extracted from each document, pages separated by
                      a form feed (\\f)
  metadata.json/.csv  what casework knows about each document
  report/             the latest case report (PDF, HTML, inventory CSV), when one was made
  manifest.json       every file with its size and SHA-256
  manifest.sig        an Ed25519 signature over manifest.json
  public-key.pem      the installation's public key ({fingerprint})

Checking it
  casework verify-export THIS.zip --public-key KEY.pem
or, without casework, after unzipping:
  openssl pkeyutl -verify -pubin -inkey KEY.pem -rawin -in manifest.json -sigfile manifest.sig
  sha256sum -c checksums.sha256
Use a KEY.pem you got from the installation itself (GET /api/v1/exports/public-key.pem), not
only the copy inside this archive: anyone who rewrites an archive can put a key of their own
in it.
""".encode()
