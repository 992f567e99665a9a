"""The one settings object, read once from the environment and `.env` and handed down.

No other module reads `os.environ`: the app factory, the CLI and the workers each build a
`Settings` and pass it on, which is also what makes tests independent of the host.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from casework.core.ask_settings import AskFields
from casework.core.container_settings import ContainerFields
from casework.core.embedding_settings import EmbeddingFields
from casework.core.entity_settings import EntityFields
from casework.core.export_settings import ExportFields
from casework.core.learning_settings import LearningFields, check_s3_location
from casework.core.parser_settings import MediaFields, SandboxFields
from casework.core.production_checks import production_problems
from casework.core.production_set_settings import ProductionSetFields
from casework.core.review_settings import ReviewFields
from casework.core.secret_key import DEV_SECRET_KEY, install_secret_key
from casework.core.share_settings import ShareFields
from casework.core.webhook_settings import WebhookFields

MiB = 1024 * 1024
CommaList = Annotated[list[str], NoDecode]


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings, EmbeddingFields, AskFields, EntityFields, WebhookFields,
               ShareFields, ExportFields, LearningFields, ContainerFields, ReviewFields,
               ProductionSetFields, MediaFields, SandboxFields):
    """Every knob casework has. Names match the environment variables (case-insensitive).

    The passage-size and embedding fields are inherited from `EmbeddingFields`
    (core/embedding_settings.py), the ask and generator fields from `AskFields`
    (core/ask_settings.py), the entity fields from `EntityFields` (core/entity_settings.py),
    the webhook fields from `WebhookFields` (core/webhook_settings.py), the share-link fields
    from `ShareFields` (core/share_settings.py), the export fields from `ExportFields`
    (core/export_settings.py), the learning fields from `LearningFields`
    (core/learning_settings.py), the container limits from `ContainerFields`
    (core/container_settings.py), the review and near-duplicate fields from `ReviewFields`
    (core/review_settings.py), the media and parser-sandbox fields from `MediaFields` and
    `SandboxFields` (core/parser_settings.py): still one object, read only by
    `load_settings()`.
    """

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    environment: Environment = Environment.development
    debug: bool = False
    data_dir: Path = Path("./data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to SQLite under DATA_DIR."
    )
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    local_server_url: str | None = Field(
        default=None, description="Set by `casework serve`: the server then publishes this "
        "URL and a read-only token in DATA_DIR/local-server.json for the CLI's `search` "
        "(docs/security.md). Unset (tests, other launchers): no file is written.")

    default_workspace_name: Annotated[str, Field(min_length=1, max_length=120)] = "Default"

    # Uploads: every request is bounded; a file past the limit is refused with 413.
    max_upload_bytes: Annotated[int, Field(ge=1)] = 512 * MiB
    max_files_per_upload: Annotated[int, Field(ge=1, le=10_000)] = 100
    max_filename_length: Annotated[int, Field(ge=16, le=1024)] = 255

    # Jobs: durable in the database, run by in-process threads in the embedded shape.
    worker_threads: Annotated[int, Field(ge=0, le=64)] = 2
    job_max_attempts: Annotated[int, Field(ge=1, le=100)] = 5
    job_retry_base_seconds: Annotated[float, Field(ge=0)] = 2.0
    job_retry_max_seconds: Annotated[float, Field(ge=0)] = 300.0
    job_lease_seconds: Annotated[float, Field(gt=0)] = 60.0
    job_poll_seconds: Annotated[float, Field(gt=0)] = 0.5
    worker_fair_share_threads: Annotated[int, Field(ge=0, le=8)] = Field(
        default=1, description="Extra embedded worker threads that only start interactive "
        "jobs of workspaces running nothing: another workspace's upload starts at once "
        "instead of waiting for a backlog's running job to end (docs/security.md, Jobs). "
        "0: none; only with WORKER_THREADS > 0.")

    # Search.
    search_max_limit: Annotated[int, Field(ge=1, le=1000)] = 100
    search_max_offset: Annotated[int, Field(ge=0)] = 10_000
    search_max_query_chars: Annotated[int, Field(ge=1, le=10_000)] = 1000
    search_candidates: Annotated[int, Field(ge=10, le=5000)] = 100
    keyword_engine: Literal["tantivy", "database", "fts5"] | None = Field(
        default=None, description="The keyword index. tantivy (the default) keeps one "
        "index per workspace under DATA_DIR/index/keyword, follows the chunks through a "
        "change log and stays fast at a million passages; on PostgreSQL each DATA_DIR "
        "keeps its own, built on a workspace's first search there. database ranks in "
        "the database's own full-text index with a bounded plan, slower and less exact "
        "past ~100,000 passages (FTS5 on SQLite; tsvector and GIN on PostgreSQL); fts5 is "
        "database's old name. The database's index is kept up to date either way "
        "(tantivy falls back on it). Every process on one database must use the same "
        "engine (docs/benchmarks.md#million-chunks, #postgres-tantivy).")

    # Scale-out services.
    redis_url: str | None = Field(
        default=None, description="redis://host:6379/0 for the scale-out shape (queue, cache, "
        "rate limits); unset on the embedded default. Readiness checks it when set.")

    # Scale-out: PostgreSQL pool, Celery, S3 blobs, pgvector, the search cache
    # (docs/scale-out.md). Each is off until its variable is set.
    db_pool_size: Annotated[int, Field(ge=1, le=200)] = 5
    db_max_overflow: Annotated[int, Field(ge=0, le=500)] = 10
    db_pool_timeout: Annotated[float, Field(gt=0)] = 30.0
    db_pool_recycle: Annotated[int, Field(ge=-1)] = 1800
    redis_namespace: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")] = Field(
        default="casework", description="Prefix of Celery queues and Redis keys, so several "
        "installations can share one Redis.")
    celery_time_limit_seconds: Annotated[float, Field(gt=0)] = Field(
        default=3600.0, description="A Celery task past this is killed (its job is retried).")
    job_sweep_seconds: Annotated[float, Field(gt=0)] = Field(
        default=30.0, description="How often beat re-dispatches due jobs and expired leases.")
    search_cache_seconds: Annotated[int, Field(ge=0)] = Field(
        default=300, description="Cache search results in Redis this long (0: off). Keys "
        "carry the workspace's index version, so a cached result is never stale.")
    vector_backend: Literal["auto", "pgvector", "disk"] = Field(
        default="auto", description="auto: pgvector on PostgreSQL when the extension is "
        "there, else the on-disk index (single process only); disk: always on-disk.")
    s3_endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint (MinIO, SeaweedFS, R2); unset: AWS.")
    s3_bucket: str | None = Field(
        default=None, description="Store blobs in this bucket instead of DATA_DIR/blobs.")
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_sse: Literal["AES256", "aws:kms"] | None = Field(
        default=None, description="Server-side encryption for every object written.")
    s3_multipart_threshold_bytes: Annotated[int, Field(ge=5 * MiB)] = 16 * MiB

    # Operations: logs, errors, metrics, health, backups.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] | None = Field(
        default=None, description="json (one object a line, for collectors) or console "
        "(readable); default: console in development, json otherwise.")
    sentry_dsn: str | None = Field(
        default=None, description="Report unhandled errors to Sentry; unset: nothing is sent.")
    sentry_traces_sample_rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    metrics_enabled: bool = True
    metrics_token: SecretStr | None = Field(
        default=None, description="When set, /metrics requires 'Authorization: Bearer <token>' "
        "(ADMIN_API_KEY is accepted too). Production without it: ADMIN_API_KEY is required.")
    docs_enabled: bool | None = Field(
        default=None, description="Serve /docs, /redoc and /openapi.json. Default: on, except "
        "in production, where the API's full map is not handed to anonymous callers.")
    prometheus_multiproc_dir: Path | None = Field(
        default=None, description="Shared folder for metrics of several server processes. "
        "Must be a real environment variable (prometheus_client reads it at import); "
        "`casework serve --workers N` sets it to DATA_DIR/metrics when unset.")
    worker_heartbeat_seconds: Annotated[float, Field(gt=0, le=300)] = Field(
        default=5.0, description="How often job workers record that they are alive; "
        "readiness fails when none did within three intervals.")
    health_require_workers: bool | None = Field(
        default=None, description="Readiness fails without a live job worker. Default: "
        "only when this process is configured to run workers (WORKER_THREADS > 0).")
    health_check_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 3.0
    usage_term_min_users: Annotated[int, Field(ge=1, le=1000)] = Field(
        default=3, description="A search term is listed among a workspace's popular terms "
        "(GET /usage) only once at least this many different people (users or keys) "
        "searched it in the period, so one person's searches are never shown "
        "(docs/usage.md). 1 turns that protection off.")
    shutdown_grace_seconds: Annotated[float, Field(ge=1, le=3600)] = Field(
        default=30.0, description="On SIGTERM, how long in-flight requests may take to finish.")
    tmp_max_age_hours: Annotated[float, Field(gt=0)] = Field(
        default=24.0, description="Upload spool files older than this are removed at start.")
    backup_dir: Path | None = Field(
        default=None, description="Where `casework backup` and scheduled backups write "
        "archives; default DATA_DIR/backups.")
    backup_target: str | None = Field(
        default=None, description="Where backups go, before BACKUP_DIR: a folder, or "
        "s3://bucket/prefix/ (a bucket other than S3_BUCKET; S3_ENDPOINT_URL, S3_REGION, "
        "S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY and S3_SSE apply).")
    backup_interval_hours: Annotated[float, Field(ge=0)] = Field(
        default=0.0, description="Take a backup every N hours: from the job workers in the "
        "embedded shape, from `casework scheduler` (Celery beat) with REDIS_URL; 0: off.")
    backup_keep: Annotated[int, Field(ge=1, le=10_000)] = Field(
        default=7, description="Scheduled backups keep this many newest archives.")

    # Accounts and sessions (docs/security.md explains the choices).
    secret_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET_KEY), description="Signs access tokens and CSRF tokens. "
        "Production needs a random value of at least 32 characters.")
    access_token_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    refresh_token_days: Annotated[int, Field(ge=1, le=365)] = 30
    session_cookie_hours: Annotated[int, Field(ge=1, le=2160)] = 12
    two_factor_pending_minutes: Annotated[int, Field(ge=1, le=60)] = 5
    signup_mode: Literal["open", "invite"] = Field(
        default="invite", description="open: anyone may sign up; invite: only with an "
        "invitation token from a workspace admin.")
    invitation_days: Annotated[int, Field(ge=1, le=90)] = 7
    password_reset_minutes: Annotated[int, Field(ge=5, le=1440)] = 60
    password_min_length: Annotated[int, Field(ge=8, le=128)] = 10
    admin_email: str | None = Field(
        default=None, description="With ADMIN_PASSWORD: the first owner, created at start "
        "if no user has that address yet.")
    admin_password: SecretStr | None = None
    admin_api_key: SecretStr | None = Field(
        default=None, description="Guards the operator endpoints (/api/v1/operator/...).")
    public_url: str = Field(default="http://127.0.0.1:8000",
                            description="Base of links in e-mails (password reset, invites).")
    smtp_host: str | None = Field(
        default=None, description="Unset: e-mails are written to the log (development).")
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "casework@localhost"
    smtp_starttls: bool = True

    # Rate limits: `limits` storage URI, memory:// now, redis://... in the scale-out shape.
    rate_limit_storage_url: str = "memory://"
    rate_limit_requests: Annotated[int, Field(ge=1)] = 1200
    rate_limit_window: Annotated[int, Field(ge=1)] = 60
    login_rate_limit_per_minute: Annotated[int, Field(ge=1)] = 5
    # Failed logins from one client IP, across every account, before that IP is refused
    # for the rest of the hour: against password spraying (one password, many accounts).
    login_failures_per_ip_per_hour: Annotated[int, Field(ge=1)] = 30
    # Sign-up attempts per client IP: each may learn whether an address has an account.
    signups_per_ip_per_hour: Annotated[int, Field(ge=1)] = 10
    upload_rate_limit_per_hour: Annotated[int, Field(ge=1)] = 1000
    download_audit_window_seconds: Annotated[int, Field(ge=1, le=86_400)] = Field(
        default=900, description="A document's original fetched by the same user or key "
        "again within this window (a player seeking, a download resumed in ranges) is one "
        "`document.download` audit event, not one per request.")
    view_audit_window_seconds: Annotated[int, Field(ge=1, le=86_400)] = Field(
        default=900, description="A document's content (its web page, its text or page "
        "images from the API) seen by the same user or key again within this window is one "
        "`document.view` audit event, not one per request or page.")

    # HTTP hardening. Lists are comma-separated in the environment.
    cors_origins: CommaList = Field(default_factory=list)
    allowed_hosts: CommaList = Field(default_factory=lambda: ["*"])
    trusted_proxies: CommaList = Field(
        default_factory=list, description="IPs/CIDRs whose X-Forwarded-For/-Proto are believed.")
    max_json_bytes: Annotated[int, Field(ge=1024)] = 1 * MiB

    @field_validator("cors_origins", "allowed_hosts", "trusted_proxies", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _rate_limits_follow_redis(self) -> Self:
        # Several API processes must share one counter: with Redis there, use it.
        if self.redis_url and "rate_limit_storage_url" not in self.model_fields_set:
            self.rate_limit_storage_url = self.redis_url
        return self

    @field_validator("backup_target")
    @classmethod
    def _check_backup_target(cls, value: str | None) -> str | None:
        check_s3_location(value)
        if value and value.endswith(".tar"):  # retention needs a place for many archives
            raise ValueError("name a folder or an s3://bucket/prefix/, not one archive")
        return value or None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            # Platforms (Render, Fly, Heroku) hand out postgres:// URLs; we speak psycopg 3.
            for scheme in ("postgres://", "postgresql://"):
                if self.database_url.startswith(scheme):
                    return "postgresql+psycopg://" + self.database_url[len(scheme):]
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'casework.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def uses_tantivy(self) -> bool:
        """The keyword engine in use: tantivy unless `database` (or `fts5`) is chosen."""
        return self.keyword_engine in (None, "tantivy")

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def tmp_dir(self) -> Path:
        """Uploads are spooled here: same filesystem as the blobs, so publishing is a rename."""
        return self.data_dir / "tmp"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def resolved_backup_dir(self) -> Path:
        return self.backup_dir or self.data_dir / "backups"

    @property
    def resolved_model_storage(self) -> str:
        """MODEL_STORAGE_PATH as an s3:// location or an absolute folder."""
        if self.model_storage_path and self.model_storage_path.startswith("s3://"):
            return self.model_storage_path
        return str(Path(self.model_storage_path or self.data_dir / "models").resolve())

    @property
    def resolved_backup_target(self) -> str:
        """BACKUP_TARGET, else BACKUP_DIR as an absolute path: scheduled backup jobs carry
        it to whichever worker runs them, whose working directory may differ."""
        if self.backup_target and self.backup_target.startswith("s3://"):
            return self.backup_target
        return str(Path(self.backup_target or self.resolved_backup_dir).resolve())

    @property
    def resolved_log_format(self) -> str:
        if self.log_format:
            return self.log_format
        return "console" if self.environment == Environment.development else "json"

    @property
    def serves_docs(self) -> bool:
        if self.docs_enabled is not None:
            return self.docs_enabled
        return self.environment != Environment.production

    @property
    def metrics_tokens(self) -> list[str]:
        """Bearer tokens /metrics accepts; empty: open (only outside production)."""
        required = self.metrics_token is not None or self.environment == Environment.production
        if not required:
            return []
        return [secret.get_secret_value() for secret in (self.metrics_token, self.admin_api_key)
                if secret is not None and secret.get_secret_value()]

    @property
    def password_reset_available(self) -> bool:
        """Reset links go by e-mail. Without SMTP they would be written to the log, where in
        production anyone reading logs could take over any account: reset is off there."""
        return bool(self.smtp_host) or self.environment != Environment.production

    @property
    def runs_workers(self) -> bool:
        """Whether readiness should insist on a live job worker."""
        if self.health_require_workers is not None:
            return self.health_require_workers
        # With REDIS_URL the jobs run on Celery workers, not in this process.
        return self.worker_threads > 0 and not self.redis_url


class SettingsError(Exception):
    """Raised with a readable, multi-line explanation of what is wrong in the configuration."""


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's errors into one message naming each variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = ["casework cannot start: the configuration is invalid."]
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]).upper() or "SETTINGS"
            lines.append(f"  {name}: {err['msg']} (got {err.get('input')!r})")
        raise SettingsError("\n".join(lines)) from None
    problems = production_problems(settings)
    if problems:
        raise SettingsError("\n".join(
            ["casework refuses to start in production: the configuration is unsafe.",
             *(f"  {p}" for p in problems)]))
    if settings.secret_key.get_secret_value() == DEV_SECRET_KEY:
        try:
            key = install_secret_key(settings.data_dir)
        except OSError as exc:
            raise SettingsError(
                "casework cannot start: SECRET_KEY is unset and its stand-in, "
                f"DATA_DIR/secret-key, cannot be kept ({exc.strerror}); set SECRET_KEY or "
                "make DATA_DIR writable") from None
        settings = settings.model_copy(update={"secret_key": SecretStr(key)})
    return settings
