"""Access and refresh tokens from the outside: forged, expired and reused ones are refused."""

import base64
import json
import stat
from datetime import UTC, datetime, timedelta

import jwt

from casework.core.secret_key import DEV_SECRET_KEY, SECRET_KEY_FILE
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, login, test_settings
from tests.fixtures.accounts import anonymous


def _get(client, token):
    return anonymous(client).get("/api/v1/collections",
                                 headers={"Authorization": f"Bearer {token}"})


def _server_key(client) -> str:
    return client.app.state.runtime.settings.secret_key.get_secret_value()


def test_requests_without_credentials_are_refused(client):
    response = anonymous(client).get("/api/v1/collections")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_valid_token_works_and_tampered_ones_do_not(client):
    token = login(client, OWNER_EMAIL, OWNER_PASSWORD)["access_token"]
    assert _get(client, token).status_code == 200
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert _get(client, f"{header}.{forged}.{signature}").status_code == 401
    assert _get(client, token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
                ).status_code == 401


def _valid_claims(client) -> dict:
    """The claims of a live access token of the client's login (its own `sid`)."""
    me = client.get("/api/v1/auth/me").json()
    now = datetime.now(UTC)
    own = jwt.decode(client.headers["Authorization"].split()[1],
                     options={"verify_signature": False})
    return {"sub": me["id"], "typ": "access", "ver": 0, "sid": own["sid"], "iat": now,
            "exp": now + timedelta(minutes=5)}


def test_alg_none_and_other_keys_are_refused(client):
    claims = _valid_claims(client)
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    assert _get(client, unsigned).status_code == 401
    other_key = jwt.encode(claims, "not-the-server-key-at-all-0123456789", algorithm="HS256")
    assert _get(client, other_key).status_code == 401
    # The same claims signed with the real key pass: the refusals above are about the alg.
    assert _get(client, jwt.encode(claims, _server_key(client), algorithm="HS256")
                ).status_code == 200


def test_expired_tokens_are_refused(client):
    me = client.get("/api/v1/auth/me").json()
    past = datetime.now(UTC) - timedelta(hours=1)
    expired = jwt.encode({"sub": me["id"], "typ": "access", "ver": 0, "iat": past,
                          "exp": past + timedelta(minutes=15)}, _server_key(client),
                         algorithm="HS256")
    response = _get(client, expired)
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_refresh_tokens_are_not_access_tokens(client):
    tokens = login(client, OWNER_EMAIL, OWNER_PASSWORD)
    assert _get(client, tokens["refresh_token"]).status_code == 401


def test_refresh_rotates_and_reuse_revokes_the_whole_family(client):
    anon = anonymous(client)
    first = login(client, OWNER_EMAIL, OWNER_PASSWORD)
    second = anon.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert _get(client, second["access_token"]).status_code == 200
    # The first token is used again (stolen): refused, and the newest one dies with it.
    reuse = anon.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    assert "already used" in reuse.json()["error"]["message"]
    after = anon.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401
    # Another login (another family) is untouched.
    other = login(client, OWNER_EMAIL, OWNER_PASSWORD)
    assert anon.post("/api/v1/auth/refresh",
                     json={"refresh_token": other["refresh_token"]}).status_code == 200


def test_logout_revokes_the_refresh_token(client):
    anon = anonymous(client)
    tokens = login(client, OWNER_EMAIL, OWNER_PASSWORD)
    assert anon.post("/api/v1/auth/logout",
                     json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert anon.post("/api/v1/auth/refresh",
                     json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_password_change_ends_every_token_and_session(client):
    anon = anonymous(client)
    tokens = login(client, OWNER_EMAIL, OWNER_PASSWORD)
    wrong = client.post("/api/v1/auth/password", json={
        "current_password": "nope-nope-nope", "new_password": "another-long-password"})
    assert wrong.status_code == 403
    changed = client.post("/api/v1/auth/password", json={
        "current_password": OWNER_PASSWORD, "new_password": "another-long-password"})
    assert changed.status_code == 204
    assert _get(client, tokens["access_token"]).status_code == 401
    assert client.get("/api/v1/collections").status_code == 401
    assert anon.post("/api/v1/auth/refresh",
                     json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert anon.post("/api/v1/auth/login", json={
        "email": OWNER_EMAIL, "password": OWNER_PASSWORD}).status_code == 401
    login(client, OWNER_EMAIL, "another-long-password")


def test_logout_ends_the_access_tokens_of_that_login_at_once(client):
    anon = anonymous(client)
    tokens = login(client, OWNER_EMAIL, OWNER_PASSWORD)
    other_device = login(client, OWNER_EMAIL, OWNER_PASSWORD)
    rotated = anon.post("/api/v1/auth/refresh",
                        json={"refresh_token": tokens["refresh_token"]}).json()
    assert _get(client, tokens["access_token"]).status_code == 200
    assert anon.post("/api/v1/auth/logout",
                     json={"refresh_token": rotated["refresh_token"]}).status_code == 204
    # Both access tokens of that login (before and after the rotation) die with it ...
    for access in (tokens["access_token"], rotated["access_token"]):
        refused = _get(client, access)
        assert refused.status_code == 401 and "logged out" in refused.json()["error"]["message"]
    # ... and another login of the same account is left alone.
    assert _get(client, other_device["access_token"]).status_code == 200

def test_a_token_signed_with_the_key_in_the_source_is_refused(client):
    """Without SECRET_KEY a development server signs with a key of its own, not the
    public default anyone can read in casework's source."""
    claims = _valid_claims(client)
    response = _get(client, jwt.encode(claims, DEV_SECRET_KEY, algorithm="HS256"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    # The same claims signed with the install's own key pass: the refusal is about the key.
    assert _get(client, jwt.encode(claims, _server_key(client), algorithm="HS256")
                ).status_code == 200


def test_the_install_key_is_private_and_survives_a_restart(tmp_path, make_client):
    data_dir = tmp_path / "data"
    first = make_client(test_settings(data_dir))
    token = login(first, OWNER_EMAIL, OWNER_PASSWORD)["access_token"]
    key_file = data_dir / SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) >= 32
    restarted = make_client(test_settings(data_dir), authenticate=False)
    assert _get(restarted, token).status_code == 200  # sessions outlive a restart
    other_install = make_client(test_settings(tmp_path / "other"), authenticate=False)
    assert _get(other_install, token).status_code == 401
