"""What ENVIRONMENT=production refuses to start with.

Kept apart from the Settings class so the list of checks can grow without it; every check
reads a built settings object and returns readable lines naming the variable to change.
`load_settings()` (core/settings.py) calls them, so this module does not import
`Settings`: `CheckedSettings` names the part of it the checks read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

from casework.core.export_settings import MIN_SIGNING_SECRET_CHARS, PEM_HEADER
from casework.core.secret_key import DEV_SECRET_KEY


class CheckedSettings(Protocol):
    """What the checks read of `Settings`; iterating gives every (field name, value)."""

    @property
    def environment(self) -> str: ...
    @property
    def debug(self) -> bool: ...
    @property
    def secret_key(self) -> SecretStr: ...
    @property
    def admin_email(self) -> str | None: ...
    @property
    def admin_password(self) -> SecretStr | None: ...
    @property
    def admin_api_key(self) -> SecretStr | None: ...
    @property
    def password_min_length(self) -> int: ...
    @property
    def cors_origins(self) -> list[str]: ...
    @property
    def s3_access_key_id(self) -> str | None: ...
    @property
    def database_url(self) -> str | None: ...
    @property
    def redis_url(self) -> str | None: ...
    @property
    def rate_limit_storage_url(self) -> str: ...
    @property
    def llm_base_url(self) -> str | None: ...
    @property
    def llm_api_key(self) -> SecretStr | None: ...
    @property
    def s3_bucket(self) -> str | None: ...
    @property
    def export_signing_key(self) -> SecretStr | None: ...

    def __iter__(self) -> Iterator[tuple[str, Any]]: ...

# Values the files in deploy/ show as examples (tests/deploy/test_placeholders.py reads them
# from there and fails when one is missing here). Production refuses each, and anything
# starting with CHANGE-ME / changeme, in every secret setting: an example copied into a real
# deployment is a password the whole internet knows.
EXAMPLE_SECRETS = frozenset({
    DEV_SECRET_KEY, "dev-only-compose-secret-key-0123456789abcdef", "minioadmin", "casework",
    "dev-only-compose-metrics-token", "dev-only-compose-export-signing-key-0123456789",
})
PLACEHOLDER_PREFIXES = ("change-me", "changeme", "change_me")


def is_placeholder(value: str) -> bool:
    """An example value from deploy/ or a CHANGE-ME marker, not a real secret."""
    return value in EXAMPLE_SECRETS or value.strip().lower().startswith(PLACEHOLDER_PREFIXES)


def _url_password(url: str | None) -> str | None:
    if not url:
        return None
    # Parsed by hand, not by SQLAlchemy: the settings load in every command, and importing
    # SQLAlchemy costs `casework search` a quarter of a second.
    try:
        password = urlsplit(url).password
    except ValueError:  # not a URL at all: no password in it
        return None
    return unquote(password) if password else None


def secret_values(settings: CheckedSettings) -> dict[str, str]:
    """Every secret the settings hold, by the variable that sets it (passwords inside URLs
    included), for the placeholder check."""
    values = {name.upper(): value.get_secret_value()
              for name, value in settings if isinstance(value, SecretStr)}
    if settings.s3_access_key_id:
        values["S3_ACCESS_KEY_ID"] = settings.s3_access_key_id
    for name in ("database_url", "redis_url", "rate_limit_storage_url"):
        password = _url_password(getattr(settings, name))
        if password:
            values[f"{name.upper()} (its password)"] = password
    return values


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _in_clear_off_machine(url: str | None) -> bool:
    """An http:// URL to another machine: what is sent there crosses the network readable."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "http" and (parts.hostname or "") not in LOOPBACK_HOSTS


def production_problems(settings: CheckedSettings) -> list[str]:
    """What must change before ENVIRONMENT=production may start; empty when all is well."""
    problems: list[str] = []
    if bool(settings.admin_email) != bool(settings.admin_password):
        problems.append("ADMIN_EMAIL and ADMIN_PASSWORD: set both or neither")
    if settings.environment != "production":
        return problems
    for name, value in secret_values(settings).items():
        if is_placeholder(value) and value != DEV_SECRET_KEY:  # unset: said just below
            problems.append(f"{name}: still the example value from the deploy files or a "
                            "CHANGE-ME placeholder; set a real secret")
    secret = settings.secret_key.get_secret_value()
    if secret == DEV_SECRET_KEY or len(secret) < 32:
        problems.append("SECRET_KEY: set a random value of at least 32 characters, e.g. "
                        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
    if "*" in settings.cors_origins:
        problems.append("CORS_ORIGINS: list the allowed origins; '*' is not allowed")
    if settings.debug:
        problems.append("DEBUG: must be false")
    if settings.llm_api_key is not None and _in_clear_off_machine(settings.llm_base_url):
        problems.append("LLM_API_KEY: LLM_BASE_URL is plain http to another machine, so the "
                        "key (and every question) would cross the network in clear; use "
                        "https, or a generator on this machine")
    if settings.export_signing_key is None and (settings.redis_url or settings.s3_bucket):
        # Each machine would make its own key in its own DATA_DIR: exports signed by one
        # would not verify against the public key another serves.
        problems.append("EXPORT_SIGNING_KEY: several processes build exports and serve the "
                        "public key (REDIS_URL or S3_BUCKET is set) and DATA_DIR is not "
                        "shared between them; set one key for all of them (docs/deploy.md)")
    signing = settings.export_signing_key.get_secret_value() if settings.export_signing_key \
        else None
    if signing and not signing.startswith(PEM_HEADER) and \
            len(signing) < MIN_SIGNING_SECRET_CHARS:
        problems.append(f"EXPORT_SIGNING_KEY: at least {MIN_SIGNING_SECRET_CHARS} random "
                        "characters, or an Ed25519 private key as a PKCS#8 PEM")
    api_key = settings.admin_api_key.get_secret_value() if settings.admin_api_key else ""
    if len(api_key) < 32:
        problems.append("ADMIN_API_KEY: set a random operator key of at least 32 characters")
    password = settings.admin_password.get_secret_value() if settings.admin_password else ""
    if settings.admin_email and len(password) < settings.password_min_length:
        problems.append(f"ADMIN_PASSWORD: at least {settings.password_min_length} characters")
    return problems
