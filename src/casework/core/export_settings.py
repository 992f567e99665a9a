"""The fields of `Settings` for exports: the installation's signing key, how long download
links and finished archives live, and how many exports a workspace may have in flight.

`Settings` (core/settings.py) inherits them, so there is still one settings object.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr, field_validator

PEM_HEADER = "-----BEGIN PRIVATE KEY-----"
MIN_SIGNING_SECRET_CHARS = 32


class ExportFields(BaseModel):
    """Fields only: never built on its own (`Settings` reads them from the environment)."""

    export_signing_key: SecretStr | None = Field(
        default=None, description="What the Ed25519 key that signs every export's "
        "manifest is made from: a random secret of at least 32 characters (the key is "
        "derived from it), or an Ed25519 private key as a PKCS#8 PEM. Unset: a key made on "
        "first use in DATA_DIR/export-signing-key.pem (mode 0600). Every process that "
        "builds exports or serves the public key must have the same key, so production with "
        "REDIS_URL or S3_BUCKET refuses to start without it.")
    export_link_ttl_seconds: Annotated[int, Field(ge=60, le=7 * 86_400)] = Field(
        default=3600, description="How long a download link of a finished export works.")
    export_retention_days: Annotated[float, Field(gt=0, le=3650)] = Field(
        default=7.0, description="Exports older than this are removed (archive and row) by "
        "an hourly job.")
    export_max_pending: Annotated[int, Field(ge=1, le=1000)] = Field(
        default=5, description="Exports one workspace may have queued or running at once; "
        "another is refused (429) until one finishes.")

    @field_validator("export_signing_key")
    @classmethod
    def _empty_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        """Its strength is a production check (core/production_checks.py), as SECRET_KEY's."""
        if value is None or not value.get_secret_value().strip():
            return None
        return SecretStr(value.get_secret_value().strip())
