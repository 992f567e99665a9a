"""The installation's Ed25519 key that signs export manifests, and checking a signature.

One key per installation, so a recipient who once fetched its public key (or its
fingerprint) can check any export it made. Configured as EXPORT_SIGNING_KEY (a PEM, or a
secret the key is derived from) where several processes must share it; otherwise made on
first use and kept in DATA_DIR with mode 0600, like the development SECRET_KEY.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from casework.core.export_settings import PEM_HEADER
from casework.core.settings import Settings

ALGORITHM = "Ed25519"
KEY_FILE = "export-signing-key.pem"
# Domain separation: the same secret used elsewhere (by mistake) yields another key.
_DERIVATION_LABEL = b"casework export signing key v1\x00"


class SigningKeyError(Exception):
    """The configured key cannot be read (a damaged PEM, a PEM of another algorithm)."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def sign(self, data: bytes) -> bytes:
        """A raw 64-byte Ed25519 signature (what `openssl pkeyutl -verify -rawin` reads)."""
        return self.private.sign(data)

    def public_pem(self) -> bytes:
        return public_pem(self.public)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key: Ed25519PublicKey) -> str:
    """`sha256:` and the hex SHA-256 of the raw 32-byte public key: short enough to read
    out on the phone, and what the manifest names as its signer."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """A public key from a PEM (the archive's `public-key.pem`, or one the user was given)."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise SigningKeyError(f"not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("the public key is not an Ed25519 key")
    return key


def verify_signature(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _from_setting(text: str) -> Ed25519PrivateKey:
    if text.startswith(PEM_HEADER):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"EXPORT_SIGNING_KEY is not a readable PEM ({exc})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError("EXPORT_SIGNING_KEY is a PEM of another algorithm than "
                                  "Ed25519")
        return key
    seed = hashlib.sha256(_DERIVATION_LABEL + text.encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def install_signing_key(data_dir: Path) -> Ed25519PrivateKey:
    """This installation's key in DATA_DIR (mode 0600), made on first use.

    Written under a temporary name and linked into place, so processes starting together
    all end up with the first one's key (as `core/secret_key.install_secret_key`).
    """
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_private_pem(Ed25519PrivateKey.generate()))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            draft.unlink()
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{KEY_FILE} in DATA_DIR is not an Ed25519 key")
    return key


def load_signing_key(settings: Settings) -> SigningKey:
    """The configured key, else the one kept in DATA_DIR (made now if there is none).

    Read on each use (a file read and a parse, microseconds): no process-wide cache, and
    a key rotated in DATA_DIR is picked up without a restart.
    """
    configured = settings.export_signing_key
    if configured is not None:
        return SigningKey(_from_setting(configured.get_secret_value()))
    return SigningKey(install_signing_key(settings.data_dir))
