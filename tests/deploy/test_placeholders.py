"""Production refuses every example secret the deploy files show, in every secret setting.

The examples are read from deploy/ itself, so a new example value there fails this test
until production refuses it too (EXAMPLE_SECRETS, or a CHANGE-ME prefix).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from casework.core.settings import Settings, SettingsError, load_settings
from tests.deploy.conftest import DEPLOY

SECRET_WORDS = ("SECRET", "PASSWORD", "KEY", "TOKEN")
URL_SETTINGS = ("DATABASE_URL", "REDIS_URL")


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines()
             if "=" in line and not line.lstrip().startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def _yaml_environments(node: Any) -> list[dict[str, Any]]:
    """Every `environment:` / `stringData:` / `data:` / `env:` mapping in a YAML document,
    and Render's / Kubernetes' lists of {key or name, value}."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("environment", "stringData", "data", "env") and isinstance(value, dict):
                found.append(value)
            elif key in ("envVars", "env") and isinstance(value, list):  # Render, Kubernetes
                found.append({v.get("key", v.get("name")): v["value"] for v in value
                              if isinstance(v, dict) and "value" in v})
            found += _yaml_environments(value)
    elif isinstance(node, list):
        for item in node:
            found += _yaml_environments(item)
    return found


def example_values() -> dict[str, set[str]]:
    """Secret-looking values set by the example files in deploy/, by variable name."""
    pairs: list[tuple[str, str]] = []
    for path in DEPLOY.rglob("*"):
        if path.suffix in (".yml", ".yaml"):
            for document in yaml.safe_load_all(path.read_text()):
                for mapping in _yaml_environments(document):
                    pairs += [(str(k), str(v)) for k, v in mapping.items()]
        elif path.suffix == ".toml":
            config = tomllib.loads(path.read_text())
            pairs += [(str(k), str(v)) for k, v in config.get("env", {}).items()]
        elif path.name.endswith(".env.example"):
            pairs += list(_env_file(path).items())
    pairs.append(("METRICS_TOKEN", (DEPLOY / "monitoring/casework-token").read_text().strip()))
    values: dict[str, set[str]] = {}
    for name, value in pairs:
        if "${" in value or not value:
            continue  # filled in by the operator at deploy time
        if name in URL_SETTINGS:
            password = make_url(value).password
            if password:
                values.setdefault(name, set()).add(str(password))
        elif any(word in name for word in SECRET_WORDS) or name == "MINIO_ROOT_USER":
            values.setdefault(name, set()).add(value)
    return values


EXAMPLES = sorted({v for vs in example_values().values() for v in vs})
SECRET_SETTINGS = sorted(name for name, info in Settings.model_fields.items()
                         if "SecretStr" in str(info.annotation))
SAFE = {"environment": "production", "secret_key": "s" * 40, "admin_api_key": "k" * 40}


def test_the_deploy_files_show_the_examples_this_test_expects():
    assert {"SECRET_KEY", "ADMIN_API_KEY", "S3_SECRET_ACCESS_KEY", "DATABASE_URL",
            "METRICS_TOKEN"} <= set(example_values())
    assert len(EXAMPLES) >= 5
    assert {"secret_key", "admin_api_key", "admin_password", "smtp_password",
            "s3_secret_access_key", "metrics_token"} <= set(SECRET_SETTINGS)


def _refusal(tmp_path: Path, **overrides: Any) -> str:
    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=None, data_dir=tmp_path, **{**SAFE, **overrides})
    return str(refused.value)


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("setting", SECRET_SETTINGS)
def test_production_refuses_an_example_secret_naming_the_setting(tmp_path, setting, example):
    extra = {"admin_email": "owner@example.test"} if setting == "admin_password" else {}
    message = _refusal(tmp_path, **{setting: example}, **extra)
    assert f"{setting.upper()}: still the example value" in message


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("setting", ["database_url", "redis_url"])
def test_production_refuses_an_example_password_inside_a_url(tmp_path, setting, example):
    url = make_url("postgresql+psycopg://casework@db.internal/casework").set(password=example)
    if setting == "redis_url":
        url = make_url("redis://default@redis.internal:6379/0").set(password=example)
    message = _refusal(tmp_path, **{setting: url.render_as_string(hide_password=False)})
    assert f"{setting.upper()} (its password): still the example value" in message


@pytest.mark.parametrize("value", ["CHANGE-ME", "changeme-later", "Change_Me_please-0123456789"
                                   "0123456789abcdef"])
def test_any_change_me_marker_is_refused(tmp_path, value):
    assert "SECRET_KEY: still the example value" in _refusal(tmp_path, secret_key=value)


def test_real_secrets_are_accepted(tmp_path):
    settings = load_settings(_env_file=None, data_dir=tmp_path, **SAFE,
                             s3_secret_access_key="a-real-random-value-0123456789",
                             database_url="postgresql+psycopg://casework:Xy7-real@db/casework")
    assert isinstance(settings.s3_secret_access_key, SecretStr)
