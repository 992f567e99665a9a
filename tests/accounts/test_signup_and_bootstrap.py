"""Sign-up modes, and the first owner: from settings, the CLI, or generated in development."""

from typer.testing import CliRunner

from casework.cli.main import app as cli
from tests.conftest import login, test_settings
from tests.fixtures.accounts import anonymous


def test_invite_only_signup_refuses_strangers(client):
    response = anonymous(client).post("/api/v1/auth/signup", json={
        "email": "stranger@example.test", "password": "a-long-test-password"})
    assert response.status_code == 403


def test_open_signup_then_own_workspace(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d", signup_mode="open"))
    anon = anonymous(client)
    assert anon.post("/api/v1/auth/signup", json={
        "email": "New@Example.test", "password": "a-long-test-password"}).status_code == 201
    assert anon.post("/api/v1/auth/signup", json={
        "email": "new@example.test", "password": "a-long-test-password"}).status_code == 409
    assert anon.post("/api/v1/auth/signup", json={
        "email": "short@example.test", "password": "short"}).status_code == 422
    tokens = login(anon, "new@example.test", "a-long-test-password")
    anon.headers["Authorization"] = f"Bearer {tokens['access_token']}"
    assert anon.get("/api/v1/collections").status_code == 404  # in no workspace yet
    created = anon.post("/api/v1/workspaces", json={"name": "Mine"})
    assert created.status_code == 201
    assert anon.get("/api/v1/collections").status_code == 200
    assert [w["slug"] for w in anon.get("/api/v1/workspaces").json()] == ["mine"]


def test_cli_creates_an_owner_who_can_log_in(tmp_path, make_client, monkeypatch):
    data = tmp_path / "d"
    monkeypatch.setenv("DATA_DIR", str(data))
    monkeypatch.setenv("ENVIRONMENT", "test")
    result = CliRunner().invoke(cli, ["admin", "create-user", "--email", "boss@example.test",
                                      "--password", "boss-long-password", "--workspace", "hq"])
    assert result.exit_code == 0, result.output
    keyed = CliRunner().invoke(cli, ["admin", "create-api-key", "--workspace", "hq",
                                     "--scopes", "read"])
    assert keyed.exit_code == 0, keyed.output
    secret = keyed.output.strip().splitlines()[-1].strip()
    client = make_client(test_settings(data, admin_email=None, admin_password=None))
    tokens = login(client, "boss@example.test", "boss-long-password")
    me = anonymous(client).get("/api/v1/auth/me",
                               headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert [(w["slug"], w["role"]) for w in me.json()["workspaces"]] == [("hq", "owner")]
    assert anonymous(client).get("/api/v1/workspaces/current",
                                 headers={"X-API-Key": secret}).json()["slug"] == "hq"


def test_development_first_start_generates_an_owner_password(tmp_path, make_client):
    data = tmp_path / "d"
    client = make_client(test_settings(data, environment="development", admin_email=None,
                                       admin_password=None))
    email, password = (data / "initial-admin-password.txt").read_text().split()
    assert (data / "initial-admin-password.txt").stat().st_mode & 0o077 == 0
    login(client, email, password)
