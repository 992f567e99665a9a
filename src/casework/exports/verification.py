"""Checking an export offline: the signature over the manifest, then every member against it.

Used by `casework verify-export`; needs nothing but the ZIP (and, better, the installation's
public key). Every difference is reported, not only the first: the signature, each member
whose bytes, size or CRC do not match, each member missing, each member the manifest does
not list, and names that appear twice in the ZIP (an unzip tool would pick one of them).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from casework.exports.manifest import ENVELOPE, FORMAT, MANIFEST, PUBLIC_KEY, SIGNATURE
from casework.exports.signing import (
    SigningKeyError,
    fingerprint,
    load_public_key,
    verify_signature,
)

_READ = 1024 * 1024


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: int = 0
    fingerprint: str | None = None
    export_id: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_export(archive: Path, *, public_key: bytes | None = None) -> Verdict:
    """Everything that differs from what the signed manifest says, in `Verdict.problems`."""
    verdict = Verdict()
    try:
        opened = zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile) as exc:
        verdict.problems.append(f"{archive.name}: not a readable ZIP ({exc})")
        return verdict
    with opened as zipped:
        manifest = _checked_manifest(zipped, public_key, verdict)
        if manifest is not None:
            _check_members(zipped, manifest, verdict)
    return verdict


def _read_member(zipped: zipfile.ZipFile, name: str, verdict: Verdict) -> bytes | None:
    try:
        return zipped.read(name)
    except KeyError:
        verdict.problems.append(f"missing: {name}")
    except (zipfile.BadZipFile, zlib.error, OSError) as exc:
        verdict.problems.append(f"damaged: {name} ({exc})")
    return None


def _signer(zipped: zipfile.ZipFile, public_key: bytes | None,
            verdict: Verdict) -> Ed25519PublicKey | None:
    if public_key is None:
        embedded = _read_member(zipped, PUBLIC_KEY, verdict)
        if embedded is None:
            return None
        verdict.notes.append("checked against the public key inside the archive: compare its "
                             "fingerprint with the installation's, or pass --public-key")
        public_key = embedded
    try:
        return load_public_key(public_key)
    except SigningKeyError as exc:
        verdict.problems.append(f"public key: {exc}")
        return None


def _checked_manifest(zipped: zipfile.ZipFile, public_key: bytes | None,
                      verdict: Verdict) -> dict[str, Any] | None:
    """The manifest, if its signature holds; None (with the reason recorded) otherwise."""
    raw = _read_member(zipped, MANIFEST, verdict)
    signature = _read_member(zipped, SIGNATURE, verdict)
    key = _signer(zipped, public_key, verdict)
    if raw is None or signature is None or key is None:
        return None
    verdict.fingerprint = fingerprint(key)
    if not verify_signature(key, signature, raw):
        verdict.problems.append(
            f"{MANIFEST}: the signature does not match: the manifest was changed after it "
            f"was signed, or it was not signed by the key {verdict.fingerprint}")
        return None
    try:
        manifest = json.loads(raw)
    except ValueError as exc:  # signed, yet not JSON: not an archive casework made
        verdict.problems.append(f"{MANIFEST}: not JSON ({exc})")
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        verdict.problems.append(f"{MANIFEST}: not a {FORMAT} manifest")
        return None
    verdict.export_id = manifest.get("export_id")
    named = (manifest.get("signing") or {}).get("key_fingerprint")
    if named and named != verdict.fingerprint:
        verdict.problems.append(f"{MANIFEST}: names the signing key {named}, but it was "
                                f"signed by {verdict.fingerprint}")
    return manifest


def _check_members(zipped: zipfile.ZipFile, manifest: dict[str, Any],
                   verdict: Verdict) -> None:
    listed = {entry["path"]: entry for entry in manifest.get("files", [])}
    names = Counter(info.filename for info in zipped.infolist())
    for name, count in sorted(names.items()):
        if count > 1:
            verdict.problems.append(f"duplicate: {name} is in the archive {count} times")
        if name not in listed and name not in ENVELOPE:
            verdict.problems.append(f"extra: {name} is not in the manifest")
    for path, entry in listed.items():
        if path not in names:
            verdict.problems.append(f"missing: {path}")
            continue
        problem = _member_problem(zipped, path, entry)
        if problem:
            verdict.problems.append(problem)
        verdict.checked += 1


def _member_problem(zipped: zipfile.ZipFile, path: str, entry: dict[str, Any]) -> str | None:
    digest = hashlib.sha256()
    size = 0
    try:
        with zipped.open(path) as member:
            while block := member.read(_READ):
                digest.update(block)
                size += len(block)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        # zipfile checks each member's CRC-32 as it reads: one changed byte ends up here.
        return f"changed: {path} (its bytes do not match the archive's own checksum: {exc})"
    expected_size, expected_sha = entry.get("size"), entry.get("sha256")
    if digest.hexdigest() != expected_sha or size != expected_size:
        return (f"changed: {path} (manifest: {expected_size} bytes, sha256 {expected_sha}; "
                f"archive: {size} bytes, sha256 {digest.hexdigest()})")
    return None
