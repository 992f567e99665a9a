"""HTTP hardening from the outside: rate limits, headers, CORS, hosts, proxies, cookies,
CSRF, body limits, production refusals."""

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from casework.app import create_app
from casework.cli.main import app as cli
from casework.core.settings import SettingsError, load_settings
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, test_settings
from tests.fixtures.accounts import anonymous


def test_default_rate_limit_answers_429_with_headers(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d", rate_limit_requests=5,
                                       rate_limit_window=60))
    statuses = [client.get("/api/v1/collections") for _ in range(6)]
    assert [r.status_code for r in statuses[:4]] == [200] * 4  # 1 request went to login
    assert statuses[0].headers["x-ratelimit-limit"] == "5"
    assert "x-ratelimit-remaining" in statuses[0].headers
    last = statuses[-1]
    assert last.status_code == 429
    assert last.json()["error"]["code"] == "rate_limited"
    assert int(last.headers["retry-after"]) >= 1
    assert last.headers["x-ratelimit-remaining"] == "0"


def test_login_is_limited_per_account_and_ip_and_failures_slow_down(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d", login_rate_limit_per_minute=5))
    anon = anonymous(client)
    bad = {"email": OWNER_EMAIL, "password": "wrong-password!"}
    codes = [anon.post("/api/v1/auth/login", json=bad).status_code for _ in range(3)]
    assert codes == [401, 401, 401]
    delayed = anon.post("/api/v1/auth/login", json=bad)  # 4th failure: locked a moment
    assert delayed.status_code == 401
    locked = anon.post("/api/v1/auth/login", json={"email": OWNER_EMAIL,
                                                   "password": OWNER_PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
    other = anon.post("/api/v1/auth/login", json={"email": "x@example.test", "password": "p"})
    assert other.status_code == 401
    for _ in range(5):
        last = anon.post("/api/v1/auth/login", json={"email": "y@example.test", "password": "p"})
    assert last.status_code == 429 and last.json()["error"]["code"] == "rate_limited"


def test_uploads_are_limited_per_workspace(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d", upload_rate_limit_per_hour=1))
    collection = client.post("/api/v1/collections", json={"name": "c"}).json()
    url = f"/api/v1/collections/{collection['id']}/documents"
    assert client.post(url, files=[("files", ("a.txt", b"a", "text/plain"))]).status_code == 202
    second = client.post(url, files=[("files", ("b.txt", b"b", "text/plain"))])
    assert second.status_code == 429 and "retry-after" in second.headers


def test_security_headers(client):
    headers = client.get("/api/v1/collections").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "strict-transport-security" not in headers  # only in production


def test_cors_allows_only_listed_origins_and_hosts_are_checked(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d", cors_origins="https://ui.example",
                                       allowed_hosts="testserver,casework.example"))
    ok = client.options("/api/v1/collections", headers={
        "Origin": "https://ui.example", "Access-Control-Request-Method": "GET"})
    assert ok.headers["access-control-allow-origin"] == "https://ui.example"
    evil = client.options("/api/v1/collections", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in evil.headers
    assert client.get("/health", headers={"Host": "attacker.example"}).status_code == 400


def _login_ips(client):
    events = client.get("/api/v1/operator/audit", params={"action": "auth.login"},
                        headers={"X-Admin-Key": "k" * 40}).json()["items"]
    return [e["ip"] for e in events]


def test_forwarded_for_is_believed_only_from_trusted_proxies(tmp_path, make_client):
    spoof = {"X-Forwarded-For": "203.0.113.9"}
    plain = make_client(test_settings(tmp_path / "a", admin_api_key="k" * 40))
    anonymous(plain).post("/api/v1/auth/login", headers=spoof,
                          json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert "203.0.113.9" not in _login_ips(plain)
    proxied = make_client(test_settings(tmp_path / "b", admin_api_key="k" * 40,
                                        trusted_proxies="testclient,127.0.0.1"))
    anonymous(proxied).post("/api/v1/auth/login", headers=spoof,
                            json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert "203.0.113.9" in _login_ips(proxied)


def test_cookie_session_is_httponly_lax_and_writes_need_csrf(client):
    browser = anonymous(client)
    response = browser.post("/api/v1/auth/session",
                            json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    csrf = response.json()["csrf_token"]
    assert browser.get("/api/v1/collections").status_code == 200
    no_token = browser.post("/api/v1/collections", json={"name": "x"})
    assert no_token.status_code == 403 and "CSRF" in no_token.json()["error"]["message"]
    wrong = browser.post("/api/v1/collections", json={"name": "x"},
                         headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    cross = browser.post("/api/v1/collections", json={"name": "x"},
                         headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"})
    assert cross.status_code == 403
    ok = browser.post("/api/v1/collections", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    assert browser.delete("/api/v1/auth/session",
                          headers={"X-CSRF-Token": csrf}).status_code == 204
    browser.cookies.clear()
    assert browser.get("/api/v1/collections").status_code == 401


def test_production_cookies_are_secure_and_hsts_is_sent(tmp_path, make_client):
    settings = test_settings(tmp_path / "d", environment="production", secret_key="s" * 40,
                             admin_api_key="k" * 40)
    client = make_client(settings)
    response = anonymous(client).post("/api/v1/auth/session",
                                      json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert "secure" in response.headers["set-cookie"].lower()
    assert "max-age" in response.headers["strict-transport-security"]


def test_json_bodies_are_size_limited(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d", max_json_bytes=2048))
    response = client.post("/api/v1/notes", json={"title": "t", "body": "x" * 5000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert client.get("/api/v1/notes").json()["total"] == 0


@pytest.mark.parametrize(("overrides", "expected"), [
    ({}, "SECRET_KEY"),
    ({"secret_key": "short"}, "SECRET_KEY"),
    ({"secret_key": "s" * 40, "admin_api_key": "k" * 40, "cors_origins": "*"}, "CORS_ORIGINS"),
    ({"secret_key": "s" * 40, "admin_api_key": "k" * 40, "debug": True}, "DEBUG"),
    ({"secret_key": "s" * 40}, "ADMIN_API_KEY"),
])
def test_production_refuses_unsafe_settings(tmp_path, overrides, expected):
    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=None, environment="production", data_dir=tmp_path, **overrides)
    assert expected in str(refused.value) and "refuses to start" in str(refused.value)


def test_production_start_refused_from_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(cli, ["migrate"])
    assert result.exit_code == 2
    assert "SECRET_KEY" in result.output or "SECRET_KEY" in str(result.stderr_bytes)


def test_a_production_app_with_safe_settings_starts(tmp_path):
    settings = test_settings(tmp_path / "d", environment="production", secret_key="s" * 40,
                             admin_api_key="k" * 40)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
