"""Login hardening from the outside: lockout a stranger cannot use against the owner,
password spraying across accounts, CSRF on the sign-in form, and no tenant data revealed
by sign-up, invitations, resets or workspace names."""

import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient

from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, create_collection, test_settings, upload

ATTACKER = ("203.0.113.66", 40000)
OWNER_DESK = ("198.51.100.10", 40000)


def _from(client, address):
    """A client on the same app whose requests come from `address`."""
    return TestClient(client.app, raise_server_exceptions=False, client=address)


def _login(client, email, password):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_a_strangers_failures_do_not_lock_the_owner_out(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d", login_rate_limit_per_minute=100))
    attacker, owner = _from(client, ATTACKER), _from(client, OWNER_DESK)
    for _ in range(6):
        _login(attacker, OWNER_EMAIL, "guess-guess-guess")
    locked = _login(attacker, OWNER_EMAIL, OWNER_PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
    assert _login(owner, OWNER_EMAIL, OWNER_PASSWORD).status_code == 200


def test_password_spraying_from_one_address_is_refused(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d", login_failures_per_ip_per_hour=5))
    sprayer, owner = _from(client, ATTACKER), _from(client, OWNER_DESK)
    codes = [_login(sprayer, f"user{n}@example.test", "Summer2026!").status_code
             for n in range(5)]
    assert codes == [401] * 5  # one try per account: no account lockout ever triggers
    refused = _login(sprayer, "user99@example.test", "Summer2026!")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    # Even the right password is refused from there; from elsewhere it works.
    assert _login(sprayer, OWNER_EMAIL, OWNER_PASSWORD).status_code == 429
    assert _login(owner, OWNER_EMAIL, OWNER_PASSWORD).status_code == 200


def _sign_in_form(browser):
    page = browser.get("/login")
    assert page.status_code == 200
    return page.text.split('name="login_token" value="')[1].split('"')[0]


def test_the_sign_in_form_needs_its_token_and_the_pre_session_cookie(client):
    form = {"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "next": "/collections"}
    # A foreign page posting the form: no pre-session cookie, no token.
    forged = _from(client, ATTACKER).post("/login", data=form, follow_redirects=False)
    assert forged.status_code == 403 and "casework_session" not in forged.headers.get(
        "set-cookie", "")
    # The attacker's own token does not work from the victim's browser (other cookie).
    attacker_token = _sign_in_form(_from(client, ATTACKER))
    victim = _from(client, OWNER_DESK)
    _sign_in_form(victim)
    replayed = victim.post("/login", data={**form, "login_token": attacker_token},
                           follow_redirects=False)
    assert replayed.status_code == 403
    # The real form works.
    browser = _from(client, OWNER_DESK)
    signed_in = browser.post("/login", data={**form, "login_token": _sign_in_form(browser)},
                             follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/collections"
    assert browser.get("/collections").status_code == 200


def test_production_workspace_cookie_is_secure(tmp_path, make_client):
    settings = test_settings(tmp_path / "d", environment="production", secret_key="s" * 40,
                             admin_api_key="k" * 40)
    client = make_client(settings)
    browser = TestClient(client.app, raise_server_exceptions=False,
                         base_url="https://testserver")
    csrf = browser.post("/api/v1/auth/session", json={
        "email": OWNER_EMAIL, "password": OWNER_PASSWORD}).json()["csrf_token"]
    switched = browser.post("/workspace", data={"csrf_token": csrf, "workspace": "default"},
                            follow_redirects=False)
    assert switched.status_code == 303
    cookie = switched.headers["set-cookie"].lower()
    assert cookie.startswith("casework_workspace=") and "secure" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_authenticated_answers_are_not_stored_and_static_assets_may_be(client):
    collection = create_collection(client)
    document = upload(client, collection["id"], ("memo.txt", b"private memo"))[0]["document"]
    browser = TestClient(client.app, raise_server_exceptions=False)
    browser.post("/api/v1/auth/session", json={"email": OWNER_EMAIL,
                                               "password": OWNER_PASSWORD})
    for answer in (client.get("/api/v1/collections"),
                   client.get(f"/api/v1/documents/{document['id']}/original"),
                   client.get("/api/v1/auth/me"),
                   browser.get("/collections"), browser.get(f"/documents/{document['id']}"),
                   browser.get("/account")):
        assert answer.status_code == 200, answer.url
        assert answer.headers["cache-control"] == "no-store", answer.url
    assert "no-store" not in browser.get("/static/app.css").headers.get("cache-control", "")


def test_creating_a_workspace_never_tells_that_another_tenant_has_that_name(
        tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d", signup_mode="open"))
    assert client.post("/api/v1/workspaces", json={"name": "Acme Legal"}).status_code == 201
    stranger = TestClient(client.app, raise_server_exceptions=False)
    assert stranger.post("/api/v1/auth/signup", json={
        "email": "stranger@example.test", "password": "a-long-test-password"}
        ).status_code == 201
    stranger.headers["Authorization"] = "Bearer " + stranger.post("/api/v1/auth/login", json={
        "email": "stranger@example.test", "password": "a-long-test-password"}
        ).json()["tokens"]["access_token"]
    mine = stranger.post("/api/v1/workspaces", json={"name": "Acme Legal"})
    assert mine.status_code == 201
    assert mine.json()["name"] == "Acme Legal" and mine.json()["slug"] != "acme-legal"
    assert [w["slug"] for w in stranger.get("/api/v1/workspaces").json()] == [
        mine.json()["slug"]]


def test_an_invitation_for_one_address_does_not_reveal_other_accounts(client):
    token = client.post("/api/v1/workspaces/current/invitations", json={
        "role": "viewer", "email": "invitee@example.test"}).json()["token"]
    holder = TestClient(client.app, raise_server_exceptions=False)
    answers = [holder.post("/api/v1/auth/signup", json={
        "email": email, "password": "a-long-test-password", "invitation_token": token})
        for email in (OWNER_EMAIL, "nobody@example.test")]
    assert [(a.status_code, a.json()["error"]) for a in answers] == [
        (403, {"code": "forbidden", "message": "this invitation is for another e-mail address"})
    ] * 2
    assert holder.post("/api/v1/auth/signup", json={
        "email": "invitee@example.test", "password": "a-long-test-password",
        "invitation_token": token}).status_code == 201


def test_sign_up_attempts_are_limited_per_address(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d", signup_mode="open",
                                       signups_per_ip_per_hour=3))
    prober = _from(client, ATTACKER)
    codes = [prober.post("/api/v1/auth/signup", json={
        "email": f"probe{n}@example.test", "password": "a-long-test-password"}).status_code
        for n in range(4)]
    assert codes == [201, 201, 201, 429]
    assert _from(client, OWNER_DESK).post("/api/v1/auth/signup", json={
        "email": "someone@example.test", "password": "a-long-test-password"}
        ).status_code == 201


@pytest.fixture
def slow_smtp():
    """A real TCP server that greets nobody for 2 s: what a slow mail relay costs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            time.sleep(2)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_a_password_reset_answers_alike_and_as_fast_for_unknown_addresses(
        tmp_path, make_client, slow_smtp):
    client = make_client(test_settings(tmp_path / "d", smtp_host="127.0.0.1",
                                       smtp_port=slow_smtp, smtp_starttls=False))
    anon = TestClient(client.app, raise_server_exceptions=False)
    timings, bodies = [], []
    for email in (OWNER_EMAIL, "nobody@example.test"):
        started = time.monotonic()
        answer = anon.post("/api/v1/auth/password-reset", json={"email": email})
        timings.append(time.monotonic() - started)
        bodies.append((answer.status_code, answer.json()))
    assert bodies[0] == bodies[1] and bodies[0][0] == 202
    assert max(timings) < 1.0, timings  # the mail goes out after the answer


def test_web_sign_out_ends_the_cookie_session_for_pages_and_api(client):
    browser = _from(client, OWNER_DESK)
    signed_in = browser.post("/login", data={
        "email": OWNER_EMAIL, "password": OWNER_PASSWORD, "login_token": _sign_in_form(browser)},
        follow_redirects=False)
    assert signed_in.status_code == 303
    session_cookie = browser.cookies.get("casework_session")
    out = browser.post("/logout", data={"csrf_token": browser.cookies.get("casework_csrf")},
                       follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    replay = _from(client, ATTACKER)
    replay.cookies.set("casework_session", session_cookie)
    assert replay.get("/api/v1/collections").status_code == 401
    assert replay.get("/collections", headers={"Accept": "text/html"},
                      follow_redirects=False).status_code == 303
