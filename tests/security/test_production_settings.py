"""What ENVIRONMENT=production hides or turns off: the API's map, open metrics, and
password-reset links written to the log when there is no mail server."""

from __future__ import annotations

import logging
import time

import pytest
from typer.testing import CliRunner

from casework.accounts.mail import build_mailer
from casework.cli.main import app as cli
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, login, test_settings
from tests.fixtures.accounts import anonymous

API_KEY = "k" * 40
PRODUCTION = {"environment": "production", "secret_key": "s" * 40, "admin_api_key": API_KEY}
DOC_PATHS = ("/docs", "/redoc", "/openapi.json")


def test_production_serves_no_api_docs_unless_asked(tmp_path, make_client):
    production = anonymous(make_client(test_settings(tmp_path / "p", **PRODUCTION)))
    for path in DOC_PATHS:
        assert production.get(path).status_code == 404, path
    asked = anonymous(make_client(test_settings(tmp_path / "a", **PRODUCTION,
                                                docs_enabled=True)))
    development = anonymous(make_client(test_settings(tmp_path / "d")))
    for client in (asked, development):
        for path in DOC_PATHS:
            assert client.get(path).status_code == 200, path


def test_production_metrics_need_the_admin_key_without_a_metrics_token(tmp_path, make_client):
    client = anonymous(make_client(test_settings(tmp_path / "p", **PRODUCTION)))
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {API_KEY}"})
    assert ok.status_code == 200 and "http_requests_total" in ok.text


def test_production_metrics_accept_the_metrics_token(tmp_path, make_client):
    client = anonymous(make_client(test_settings(tmp_path / "p", **PRODUCTION,
                                                 metrics_token="m" * 40)))
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {'m' * 40}"}
                      ).status_code == 200


def test_production_without_smtp_refuses_password_reset(tmp_path, make_client, caplog):
    client = anonymous(make_client(test_settings(tmp_path / "p", **PRODUCTION)))
    with caplog.at_level(logging.DEBUG):
        response = client.post("/api/v1/auth/password-reset", json={"email": OWNER_EMAIL})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "password_reset_unavailable"
    assert "SMTP_HOST" in response.json()["error"]["message"]
    assert "cwp_" not in caplog.text and "reset-password#token" not in caplog.text


def test_development_without_smtp_still_logs_the_reset_link(tmp_path, make_client, caplog):
    client = anonymous(make_client(test_settings(tmp_path / "d")))
    with caplog.at_level(logging.WARNING):
        response = client.post("/api/v1/auth/password-reset", json={"email": OWNER_EMAIL})
        # The mail goes out from a thread after the commit (a slow mail server must not
        # hold the response): wait for it as a user waits for the e-mail.
        deadline = time.monotonic() + 10
        while "reset-password#token=cwp_" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)
    assert response.status_code == 202
    assert "reset-password#token=cwp_" in caplog.text


@pytest.mark.parametrize(("environment", "shown"), [("development", True),
                                                    ("production", False)])
def test_the_log_mailer_never_writes_a_body_in_production(tmp_path, caplog, environment,
                                                         shown):
    overrides = PRODUCTION if environment == "production" else {}
    mailer = build_mailer(test_settings(tmp_path, **overrides))
    with caplog.at_level(logging.WARNING):
        mailer.send(to="a@example.test", subject="s", body="the-body-with-a-token")
    assert ("the-body-with-a-token" in caplog.text) is shown
    assert "a@example.test" in caplog.text


def test_an_operator_sets_a_password_from_the_command_line(tmp_path, make_client, monkeypatch):
    """The way back in where reset by e-mail is off."""
    data = tmp_path / "d"
    client = make_client(test_settings(data))
    old_token = login(client, OWNER_EMAIL, OWNER_PASSWORD)["access_token"]
    monkeypatch.setenv("DATA_DIR", str(data))
    monkeypatch.setenv("ENVIRONMENT", "test")
    result = CliRunner().invoke(cli, ["admin", "set-password", "--email", OWNER_EMAIL.upper(),
                                      "--password", "a-brand-new-password"])
    assert result.exit_code == 0, result.output
    anon = anonymous(client)
    assert anon.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old_token}"}
                    ).status_code == 401  # logged out everywhere
    login(client, OWNER_EMAIL, "a-brand-new-password")
    unknown = CliRunner().invoke(cli, ["admin", "set-password", "--email", "no@example.test",
                                       "--password", "a-brand-new-password"])
    assert unknown.exit_code == 1 and "no account" in unknown.output
    short = CliRunner().invoke(cli, ["admin", "set-password", "--email", OWNER_EMAIL,
                                     "--password", "short"])
    assert short.exit_code == 1
