"""Two-factor authentication: enrol, log in with a code, recovery codes, disable,
and workspaces that require it."""

import pyotp

from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.fixtures.accounts import PASSWORD, add_member, anonymous


def _enrol(client):
    setup = client.post("/api/v1/auth/2fa/setup").json()
    assert setup["otpauth_uri"].startswith("otpauth://totp/")
    assert setup["qr_svg"].startswith("<svg")
    totp = pyotp.TOTP(setup["secret"])
    assert client.post("/api/v1/auth/2fa/enable", json={"code": "000000"}).status_code == 422
    enabled = client.post("/api/v1/auth/2fa/enable", json={"code": totp.now()})
    assert enabled.status_code == 200
    return totp, enabled.json()["recovery_codes"]


def test_login_needs_the_code_once_2fa_is_on(client):
    _totp, codes = _enrol(client)
    assert len(codes) == 10
    anon = anonymous(client)
    first = anon.post("/api/v1/auth/login", json={"email": OWNER_EMAIL,
                                                  "password": OWNER_PASSWORD}).json()
    assert first["two_factor_required"] is True and first["tokens"] is None
    pending = first["pending_token"]
    # The pending token is not an access token.
    assert anon.get("/api/v1/collections",
                    headers={"Authorization": f"Bearer {pending}"}).status_code == 401
    assert anon.post("/api/v1/auth/2fa/verify", json={"pending_token": pending,
                                                      "code": "123456"}).status_code == 401
    # The code used at enrolment cannot be replayed; a recovery code works, once.
    ok = anon.post("/api/v1/auth/2fa/verify", json={"pending_token": pending, "code": codes[0]})
    assert ok.status_code == 200 and ok.json()["access_token"]
    again = anon.post("/api/v1/auth/2fa/verify", json={"pending_token": pending,
                                                       "code": codes[0]})
    assert again.status_code == 401
    cookie = anon.post("/api/v1/auth/session", json={"email": OWNER_EMAIL,
                                                     "password": OWNER_PASSWORD})
    assert cookie.status_code == 401
    assert cookie.json()["error"]["code"] == "second_factor_needed"


def test_disable_needs_password_and_code(client):
    _totp, codes = _enrol(client)
    wrong = client.post("/api/v1/auth/2fa/disable", json={"password": "wrong-password",
                                                          "code": codes[1]})
    assert wrong.status_code == 403
    ok = client.post("/api/v1/auth/2fa/disable", json={"password": OWNER_PASSWORD,
                                                       "code": codes[2]})
    assert ok.status_code == 204
    assert client.get("/api/v1/auth/me").json()["two_factor_enabled"] is False


def test_a_workspace_can_require_2fa(client):
    member = add_member(client, "editor", "e2@example.test")
    assert member.get("/api/v1/collections").status_code == 200
    assert member.patch("/api/v1/workspaces/current",
                        json={"require_2fa": True}).status_code == 403
    assert client.patch("/api/v1/workspaces/current",
                        json={"require_2fa": True}).json()["require_2fa"] is True
    refused = member.get("/api/v1/collections")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "two_factor_required"
    _enrol(member)
    assert member.get("/api/v1/collections").status_code == 200
    assert PASSWORD
