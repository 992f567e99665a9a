"""API keys: secret shown once, hashed, scoped, listed with use, revoked at once."""

from tests.conftest import create_collection
from tests.fixtures.accounts import add_member, anonymous


def test_create_use_list_and_revoke_a_key(client):
    created = client.post("/api/v1/api-keys", json={"name": "ci", "scopes": ["read", "write"],
                                                    "expires_in_days": 30})
    assert created.status_code == 201
    key = created.json()
    secret = key["key"]
    assert secret.startswith("cwk_") and secret.startswith(key["prefix"])
    anon = anonymous(client)
    assert anon.get("/api/v1/collections", headers={"X-API-Key": secret}).status_code == 200
    made = anon.post("/api/v1/collections", json={"name": "by key"},
                     headers={"Authorization": f"Bearer {secret}"})
    assert made.status_code == 201
    listed = client.get("/api/v1/api-keys").json()
    assert [k["prefix"] for k in listed] == [key["prefix"]]
    assert "key" not in listed[0] and secret not in str(listed)
    assert listed[0]["last_used_at"] is not None and listed[0]["expires_at"] is not None
    assert listed[0]["scopes"] == ["read", "write"]
    assert client.delete(f"/api/v1/api-keys/{key['id']}").status_code == 204
    refused = anon.get("/api/v1/collections", headers={"X-API-Key": secret})
    assert refused.status_code == 401
    assert client.get("/api/v1/api-keys").json()[0]["revoked_at"] is not None


def test_scopes_limit_what_a_key_may_do(client):
    read_only = client.post("/api/v1/api-keys", json={"name": "ro"}).json()["key"]
    anon = anonymous(client)
    headers = {"X-API-Key": read_only}
    assert anon.get("/api/v1/collections", headers=headers).status_code == 200
    refused = anon.post("/api/v1/collections", json={"name": "x"}, headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert anon.get("/api/v1/api-keys", headers=headers).status_code == 403
    # Keys act for a workspace, never as a person.
    assert anon.get("/api/v1/auth/me", headers=headers).status_code == 403
    admin = client.post("/api/v1/api-keys", json={"name": "adm", "scopes": ["admin"]}
                        ).json()["key"]
    assert anon.get("/api/v1/api-keys", headers={"X-API-Key": admin}).status_code == 200
    assert anon.delete("/api/v1/workspaces/current",
                       headers={"X-API-Key": admin}).status_code == 403


def test_unknown_keys_are_refused(client):
    anon = anonymous(client)
    assert anon.get("/api/v1/collections", headers={"X-API-Key": "cwk_nope"}).status_code == 401


def test_only_admins_manage_keys(client):
    editor = add_member(client, "editor", "ed@example.test")
    assert editor.post("/api/v1/api-keys", json={"name": "x"}).status_code == 403
    assert editor.get("/api/v1/api-keys").status_code == 403
    create_collection(editor, "editors write content")
