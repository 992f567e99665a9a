"""Every door applies the workspace's policies, proven from the app's own route table.

A member without 2FA in a `require_2fa` workspace, a viewer trying to write, and a
suspended account call EVERY route (API with a bearer token, API with the cookie session,
web pages with the cookie). Only the routes in the allow-lists below may answer; a route
added later without the policy dependency fails these tests until it is protected or,
deliberately, listed here.
"""

import pyotp
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from casework.accounts import service as accounts_service
from casework.cli.main import app as cli
from casework.core.database import transaction
from casework.core.origin import RequestOrigin
from tests.conftest import create_collection, ingest, test_settings
from tests.fixtures.accounts import PASSWORD, add_member, anonymous, api_routes, user_id

SECRET = "zebrasecrettext"

# Reachable without a workspace principal: signing in and out, one's own account (where
# 2FA is turned on), one's own workspace list, and the operator's ADMIN_API_KEY routes.
ACCOUNT_API = {
    "/api/v1/auth/signup", "/api/v1/auth/login", "/api/v1/auth/2fa/verify",
    "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/auth/session",
    "/api/v1/auth/password-reset", "/api/v1/auth/password-reset/confirm",
    "/api/v1/auth/me", "/api/v1/auth/password", "/api/v1/auth/2fa/setup",
    "/api/v1/auth/2fa/enable", "/api/v1/auth/2fa/disable",
    "/api/v1/workspaces", "/api/v1/workspaces/join",
}
OPERATOR_PREFIX = "/api/v1/operator/"
# Answer without a member: the export-signing public key (no secret, no workspace data) and
# an export's download, which answers to its signed link (tests/exports/test_api.py).
NOT_MEMBER_API = {"/api/v1/exports/public-key", "/api/v1/exports/public-key.pem",
                  "/api/v1/exports/{export_id}/download"}
ACCOUNT_WEB = {"/login", "/logout", "/account", "/account/password", "/account/2fa/setup",
               "/account/2fa/enable", "/account/2fa/disable", "/workspace"}
NOT_A_PAGE = {"/health", "/healthz", "/readyz", "/health/ready", "/metrics"}
# Share links' public pages answer to a link's token, not to a member (an unknown token is
# 404 whoever asks): tests/shares/test_route_table.py walks them.
SHARE_PAGES = "/s/"
# A viewer may use these POSTs: they change nothing in the workspace.
VIEWER_POSTS = {"/notes/preview"}
# API POSTs that only read (a question is a read with a body): the read scope may call them.
READ_POSTS = {"/api/v1/ask", "/api/v1/ask/stream"}


def _workspace_with_content(owner):
    """One object of every kind, all holding SECRET, then the owner turns on require_2fa."""
    collection = create_collection(owner, f"case {SECRET}")
    document = ingest(owner, collection["id"], ("memo.txt", f"memo {SECRET}".encode()))[0]
    note = owner.post("/api/v1/notes", json={"title": f"note {SECRET}",
                                             "body": f"body {SECRET}"}).json()
    key = owner.post("/api/v1/api-keys", json={"name": "k"}).json()
    invitation = owner.post("/api/v1/workspaces/current/invitations",
                            json={"role": "viewer"}).json()
    return {"collection_id": collection["id"], "document_id": document["id"],
            "note_id": note["id"], "key_id": key["id"], "invitation_id": invitation["id"],
            "user_id": user_id(owner), "job_id": "1", "number": "1"}


def _path(route, ids):
    path = route.path
    for name in route.param_convertors:
        path = path.replace("{" + name + "}", ids.get(name, "0" * 26))
    return path


def _routes(app, *, web):
    for route in api_routes(app):
        if route.path in NOT_A_PAGE or route.path.startswith(SHARE_PAGES):
            continue
        if web != (not route.path.startswith("/api/")):
            continue
        for method in sorted(route.methods):
            yield method, route


def _cookie_login(client, email, password=PASSWORD):
    browser = anonymous(client)
    response = browser.post("/api/v1/auth/session", json={"email": email,
                                                          "password": password})
    assert response.status_code == 200, response.text
    return browser, response.json()["csrf_token"]


def _call_api(client, method, path, csrf=None):
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return client.request(method, path, headers=headers)


def _call_page(browser, method, path, csrf):
    headers = {"Accept": "text/html", "X-CSRF-Token": csrf}
    data = {"csrf_token": csrf} if method == "POST" else None
    return browser.request(method, path, headers=headers, data=data, follow_redirects=False)


def _api_refusals(client, member, browser, csrf, ids, expect):
    seen = 0
    for method, route in _routes(client.app, web=False):
        if route.path in ACCOUNT_API | NOT_MEMBER_API or \
                route.path.startswith(OPERATOR_PREFIX):
            continue
        path = _path(route, ids)
        for who, response in (("bearer", _call_api(member, method, path)),
                              ("cookie", _call_api(browser, method, path, csrf))):
            assert expect(response), (who, method, route.path, response.status_code,
                                      response.text[:200])
            assert SECRET not in response.text, (who, method, route.path)
        seen += 1
    return seen


def test_a_member_without_2fa_is_refused_by_every_route_when_the_workspace_requires_it(
        client):
    member = add_member(client, "editor", "no2fa@example.test")
    ids = _workspace_with_content(client)
    browser, csrf = _cookie_login(client, "no2fa@example.test")
    assert browser.get("/collections").status_code == 200  # allowed before the policy
    assert client.patch("/api/v1/workspaces/current",
                        json={"require_2fa": True}).status_code == 200

    def two_factor_required(response):
        return response.status_code == 403 and \
            response.json()["error"]["code"] == "two_factor_required"

    assert _api_refusals(client, member, browser, csrf, ids, two_factor_required) >= 40

    pages = 0
    for method, route in _routes(client.app, web=True):
        if route.path in ACCOUNT_WEB:
            continue
        response = _call_page(browser, method, _path(route, ids), csrf)
        assert not 200 <= response.status_code < 300, (method, route.path)
        assert SECRET not in response.text, (method, route.path)
        if response.status_code == 403:  # the page says how to get in
            assert 'href="/account"' in response.text, (method, route.path)
        pages += 1
    assert pages > 15


def test_a_refused_member_reaches_the_account_page_turns_2fa_on_and_gets_in(client):
    add_member(client, "editor", "later@example.test")
    create_collection(client, f"case {SECRET}")
    assert client.patch("/api/v1/workspaces/current",
                        json={"require_2fa": True}).status_code == 200
    browser, csrf = _cookie_login(client, "later@example.test")
    refused = browser.get("/collections", headers={"Accept": "text/html"})
    assert refused.status_code == 403 and SECRET not in refused.text
    assert 'href="/account"' in refused.text
    page = browser.get("/account", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Sign out" in page.text
    setup = browser.post("/account/2fa/setup", data={"csrf_token": csrf})
    assert setup.status_code == 200
    secret = setup.text.split("enter the key by hand: <code>")[1].split("<")[0]
    enabled = browser.post("/account/2fa/enable",
                           data={"csrf_token": csrf, "code": pyotp.TOTP(secret).now()})
    assert enabled.status_code == 200, enabled.text
    assert SECRET in browser.get("/collections").text


def _snapshot(owner):
    return [owner.get(path).json() for path in (
        "/api/v1/collections", "/api/v1/documents", "/api/v1/notes",
        "/api/v1/workspaces/current/members", "/api/v1/workspaces/current/invitations",
        "/api/v1/api-keys")]


def test_a_viewer_cannot_write_through_any_web_form(client):
    add_member(client, "viewer", "reader@example.test")
    ids = _workspace_with_content(client)
    browser, csrf = _cookie_login(client, "reader@example.test")
    before = _snapshot(client)
    posts = 0
    for method, route in _routes(client.app, web=True):
        if method != "POST" or route.path in ACCOUNT_WEB | VIEWER_POSTS:
            continue
        response = _call_page(browser, method, _path(route, ids), csrf)
        assert response.status_code == 403, (route.path, response.status_code)
        posts += 1
    assert posts > 10
    assert _snapshot(client) == before
    assert SECRET in browser.get(f"/documents/{ids['document_id']}").text  # reading is fine


def test_a_suspended_account_is_refused_everywhere(client):
    member = add_member(client, "editor", "gone@example.test")
    ids = _workspace_with_content(client)
    browser, csrf = _cookie_login(client, "gone@example.test")
    refresh = anonymous(client).post("/api/v1/auth/login", json={
        "email": "gone@example.test", "password": PASSWORD}).json()["tokens"]["refresh_token"]
    runtime = client.app.state.runtime
    with transaction(runtime.sessions) as session:
        accounts_service.set_account_active(session=session, email="gone@example.test",
                                            active=False, origin=RequestOrigin.cli())

    def unauthorized(response):
        return response.status_code == 401

    assert _api_refusals(client, member, browser, csrf, ids, unauthorized) >= 40
    for path in ("/api/v1/auth/me", "/api/v1/workspaces"):
        assert member.get(path).status_code == 401
    for method, route in _routes(client.app, web=True):
        if route.path == "/login":
            continue
        response = _call_page(browser, method, _path(route, ids), csrf)
        assert response.status_code in (303, 401, 403), (method, route.path)
        assert SECRET not in response.text
    anon = anonymous(client)
    assert anon.post("/api/v1/auth/refresh",
                     json={"refresh_token": refresh}).status_code == 401
    assert anon.post("/api/v1/auth/login", json={"email": "gone@example.test",
                                                 "password": PASSWORD}).status_code == 401


def test_an_operator_suspends_and_reinstates_an_account_from_the_command_line(
        tmp_path, make_client, monkeypatch):
    data = tmp_path / "d"
    monkeypatch.setenv("DATA_DIR", str(data))
    monkeypatch.setenv("ENVIRONMENT", "test")
    client = make_client(test_settings(data))
    member = add_member(client, "editor", "paused@example.test")
    assert member.get("/api/v1/collections").status_code == 200
    suspended = CliRunner().invoke(cli, ["admin", "suspend-user", "--email",
                                         "paused@example.test"])
    assert suspended.exit_code == 0, suspended.output
    assert member.get("/api/v1/collections").status_code == 401
    login = {"email": "paused@example.test", "password": PASSWORD}
    assert anonymous(client).post("/api/v1/auth/login", json=login).status_code == 401
    unknown = CliRunner().invoke(cli, ["admin", "suspend-user", "--email", "no@example.test"])
    assert unknown.exit_code == 1
    assert CliRunner().invoke(cli, ["admin", "reinstate-user", "--email",
                                    "paused@example.test"]).exit_code == 0
    assert anonymous(client).post("/api/v1/auth/login", json=login).status_code == 200


def _local_cli(client, *, host="127.0.0.1", token=None, **headers):
    """What `casework search` sends: the token its server published in local-server.json."""
    published = client.app.state.local_server
    return TestClient(client.app, raise_server_exceptions=False, client=(host, 50000),
                      headers={"X-Casework-Local-Token": token or published.token, **headers})


def test_the_local_token_reads_the_workspace_and_writes_nothing(tmp_path, database_url,
                                                                 make_client):
    owner = make_client(test_settings(tmp_path / "data", database_url,
                                      local_server_url="http://127.0.0.1:8000"))
    ids = _workspace_with_content(owner)
    cli_client = _local_cli(owner)
    found = cli_client.get("/api/v1/search", params={"q": SECRET, "mode": "keyword"})
    assert found.status_code == 200, found.text
    assert ids["document_id"] in {hit["document_id"] for hit in found.json()["hits"]}

    before = _snapshot(owner)
    writes = 0
    for method, route in _routes(owner.app, web=False):
        if method in ("GET", "HEAD") or route.path in ACCOUNT_API | READ_POSTS or \
                route.path.startswith(OPERATOR_PREFIX):
            continue
        response = _call_api(cli_client, method, _path(route, ids))
        assert response.status_code == 403, (method, route.path, response.text[:200])
        assert response.json()["error"]["code"] == "forbidden"
        writes += 1
    assert writes > 15
    assert cli_client.post("/api/v1/collections", json={"name": "x"}).status_code == 403
    assert cli_client.get("/api/v1/auth/me").status_code == 403  # not a person
    asked = cli_client.post("/api/v1/ask", json={"question": f"what is the memo {SECRET}?"})
    assert asked.status_code == 200, asked.text  # `casework ask` reads through the server
    assert _snapshot(owner) == before


def test_the_local_token_is_refused_off_this_machine_or_when_wrong(tmp_path, database_url,
                                                                     make_client):
    owner = make_client(test_settings(tmp_path / "data", database_url,
                                      local_server_url="http://127.0.0.1:8000"))
    create_collection(owner, f"case {SECRET}")
    # TestClient's own client address ("testclient") is not loopback: a remote caller.
    refusals = {
        "remote": _local_cli(owner, host="testclient"),
        "remote IPv4": _local_cli(owner, host="192.0.2.7"),
        "via a proxy": _local_cli(owner, **{"X-Forwarded-For": "192.0.2.7"}),
        "wrong token": _local_cli(owner, token="not-the-token"),
    }
    for who, caller in refusals.items():
        response = caller.get("/api/v1/collections")
        assert response.status_code == 401, (who, response.text)
        assert response.json()["error"]["code"] == "unauthorized", who
        assert SECRET not in response.text
    unknown = _local_cli(owner, **{"X-Workspace": "nowhere"}).get("/api/v1/collections")
    assert unknown.status_code == 404


def test_without_a_published_server_no_local_token_is_accepted(client):
    assert client.app.state.local_server is None
    assert not (client.app.state.runtime.settings.data_dir / "local-server.json").exists()
    response = TestClient(client.app, raise_server_exceptions=False,
                          client=("127.0.0.1", 50000),
                          headers={"X-Casework-Local-Token": ""}).get("/api/v1/collections")
    assert response.status_code == 401
