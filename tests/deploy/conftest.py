"""Helpers for the deploy tests: where the artefacts are, and what Settings accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from casework.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"

# What a production deployment (several processes, several machines) cannot do without.
REQUIRED_IN_PRODUCTION = {"ENVIRONMENT", "DATABASE_URL", "SECRET_KEY", "ADMIN_API_KEY",
                          "REDIS_URL", "S3_BUCKET"}
# Variables the artefacts set for Python, pip or Hugging Face, not for casework.
NOT_CASEWORK = {"PATH", "PYTHONUNBUFFERED", "HF_HUB_OFFLINE", "PIP_NO_CACHE_DIR",
                "PIP_DISABLE_PIP_VERSION_CHECK"}


@pytest.fixture(scope="session")
def setting_names() -> set[str]:
    """Every environment variable casework reads, from the Settings class as it is now."""
    return {name.upper() for name in Settings.model_fields}
