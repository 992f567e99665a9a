"""One permission table, enforced on every route: viewer reads, editor writes content,
admin manages members and keys, owner also deletes the workspace."""

from tests.conftest import create_collection
from tests.fixtures.accounts import add_member, anonymous, api_routes, invite, user_id

PUBLIC = {"/api/v1/auth/signup", "/api/v1/auth/login", "/api/v1/auth/2fa/verify",
          "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/auth/session",
          "/api/v1/auth/password-reset", "/api/v1/auth/password-reset/confirm",
          # The installation's export-signing public key (no secret, no workspace data),
          # and an export's download, which answers to its signed link (tests/exports).
          "/api/v1/exports/public-key", "/api/v1/exports/public-key.pem",
          "/api/v1/exports/{export_id}/download"}


def _depends_on(dependant, names):
    stack = [dependant]
    while stack:
        current = stack.pop()
        call = getattr(current, "call", None)
        if getattr(call, "__name__", type(call).__name__) in names:
            return True
        stack.extend(current.dependencies)
    return False


def test_every_api_route_is_authenticated_and_authorised(client):
    """A route is public (listed above), an operator route, a person's account route, or it
    asks the permission table (`Require`). Nothing else may exist."""
    for route in api_routes(client.app):
        if not route.path.startswith("/api/v1") or route.path in PUBLIC:
            continue
        assert _depends_on(route.dependant, {"Require", "require_operator",
                                             "get_current_user", "get_identity"}), route.path


def test_viewer_reads_but_cannot_write(client):
    collection = create_collection(client)
    viewer = add_member(client, "viewer", "v@example.test")
    assert viewer.get("/api/v1/collections").json()["total"] == 1
    assert viewer.get(f"/api/v1/collections/{collection['id']}").status_code == 200
    for response in (
        viewer.post("/api/v1/collections", json={"name": "nope"}),
        viewer.patch(f"/api/v1/collections/{collection['id']}", json={"name": "x"}),
        viewer.delete(f"/api/v1/collections/{collection['id']}"),
        viewer.post(f"/api/v1/collections/{collection['id']}/documents",
                    files=[("files", ("a.txt", b"text", "text/plain"))]),
        viewer.post("/api/v1/notes", json={"title": "n", "body": "b"}),
        viewer.post("/api/v1/workspaces/current/invitations", json={"role": "viewer"}),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"


def test_editor_writes_content_but_manages_nobody(client):
    editor = add_member(client, "editor", "e@example.test")
    collection = create_collection(editor, "Editor's")
    assert editor.delete(f"/api/v1/collections/{collection['id']}").status_code == 204
    assert editor.post("/api/v1/workspaces/current/invitations",
                       json={"role": "viewer"}).status_code == 403
    assert editor.patch("/api/v1/workspaces/current", json={"name": "x"}).status_code == 403
    assert editor.get("/api/v1/audit").status_code == 403


def test_admin_manages_members_but_not_owners_nor_deletion(client):
    admin = add_member(client, "admin", "a@example.test")
    viewer = add_member(client, "viewer", "vv@example.test")
    changed = admin.patch(f"/api/v1/workspaces/current/members/{user_id(viewer)}",
                          json={"role": "editor"})
    assert changed.status_code == 200 and changed.json()["role"] == "editor"
    assert admin.post("/api/v1/workspaces/current/invitations",
                      json={"role": "owner"}).status_code == 403
    assert admin.patch(f"/api/v1/workspaces/current/members/{user_id(client)}",
                       json={"role": "viewer"}).status_code == 403
    assert admin.delete("/api/v1/workspaces/current").status_code == 403
    assert admin.delete(f"/api/v1/workspaces/current/members/{user_id(viewer)}"
                        ).status_code == 204
    assert viewer.get("/api/v1/collections").status_code == 404  # no longer a member


def test_the_last_owner_stays(client):
    response = client.patch(f"/api/v1/workspaces/current/members/{user_id(client)}",
                            json={"role": "admin"})
    assert response.status_code == 409


def test_owner_deletes_a_workspace(client):
    team = client.post("/api/v1/workspaces", json={"name": "Temp"}).json()
    headers = {"X-Workspace": team["id"]}  # the id works as well as the slug
    create_collection(client.__class__(client.app, headers={**client.headers, **headers}))
    assert client.delete("/api/v1/workspaces/current", headers=headers).status_code == 204
    assert client.get("/api/v1/collections", headers=headers).status_code == 404
    assert [w["slug"] for w in client.get("/api/v1/workspaces").json()] == ["default"]


def test_invitations_expire_are_single_use_and_can_be_bound_to_an_address(client):
    anon = anonymous(client)
    token = invite(client, "viewer", "only@example.test")
    wrong = anon.post("/api/v1/auth/signup", json={
        "email": "other@example.test", "password": "a-long-test-password",
        "invitation_token": token})
    assert wrong.status_code == 403
    ok = anon.post("/api/v1/auth/signup", json={
        "email": "only@example.test", "password": "a-long-test-password",
        "invitation_token": token})
    assert ok.status_code == 201
    again = anon.post("/api/v1/auth/signup", json={
        "email": "third@example.test", "password": "a-long-test-password",
        "invitation_token": token})
    assert again.status_code == 401
    revoked = client.post("/api/v1/workspaces/current/invitations", json={"role": "viewer"})
    client.delete(f"/api/v1/workspaces/current/invitations/{revoked.json()['id']}")
    assert anon.post("/api/v1/auth/signup", json={
        "email": "fourth@example.test", "password": "a-long-test-password",
        "invitation_token": revoked.json()["token"]}).status_code == 401
