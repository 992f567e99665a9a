"""Isolation, proven from the app's own route table: an owner of workspace A, aimed at the
objects of workspace B through EVERY route, gets 404 - never 403, never B's data - and no
list ever shows B's rows. A new route is covered automatically: a path parameter the test
does not know, or a body it cannot build, fails the test until it is taught here."""

import json
import time

import pytest

from tests.conftest import create_collection, ingest, test_settings
from tests.fixtures.accounts import add_member, api_routes, user_id

MARKER = "zebracornsecret"  # in every name and text of workspace B
SKIP_PREFIXES = ("/api/v1/auth/", "/api/v1/operator/")  # account-level and operator routes


@pytest.fixture
def client(tmp_path, database_url, shape_overrides, make_client):
    """With entity extraction on, so B has entities and every entity route is walked."""
    return make_client(test_settings(tmp_path / "data", database_url, entity_extraction=True,
                                     **shape_overrides))


def _entity_of(owner):
    """B's entity: its document's e-mail address, once the bulk entity job has run."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        items = owner.get("/api/v1/entities", params={"kind": "email"}).json()["items"]
        if items:
            return items[0]["id"]
        time.sleep(0.05)
    raise AssertionError("workspace B's entity job did not run")


def _build_b(owner):
    """Workspace B, with one object of every kind, made by its own owner."""
    b = owner.post("/api/v1/workspaces", json={"name": f"B {MARKER}"}).json()
    hb = {"X-Workspace": b["slug"]}
    owner.headers.update(hb)
    collection = create_collection(owner, f"coll {MARKER}")
    document = ingest(owner, collection["id"], (
        f"{MARKER}.txt", f"text {MARKER}, write to {MARKER}@example.test".encode()))[0]
    note = owner.post("/api/v1/notes", json={"title": f"note {MARKER}",
                                             "body": f"body {MARKER}"}).json()
    key = owner.post("/api/v1/api-keys", json={"name": f"key {MARKER}"}).json()
    invitation = owner.post("/api/v1/workspaces/current/invitations",
                            json={"role": "viewer"}).json()
    bob = add_member(owner, "viewer", f"bob-{MARKER}@example.test", workspace=b["slug"])
    entity_id = _entity_of(owner)
    jobs = owner.get("/api/v1/jobs").json()
    del owner.headers["X-Workspace"]
    return b, {
        "collection_id": collection["id"], "document_id": document["id"], "note_id": note["id"],
        "key_id": key["id"], "invitation_id": invitation["id"], "user_id": user_id(bob),
        "job_id": str(jobs[0]["id"]) if jobs else "1",
        "number": "1",  # a page of B's document
        "entity_id": entity_id,
    }


# Valid bodies, so a request reaches the lookup instead of stopping at validation.
BODIES = {
    "CollectionUpdate": {"name": "renamed"},
    "NoteUpdate": {"title": "renamed"},
    "TagsUpdate": {"tags": ["x"]},
    "RoleUpdate": {"role": "viewer"},
    "EntityMerge": {"into": "0" * 32},
}
MULTIPART = {"files": ("x.txt", b"intrusion", "text/plain")}
# Searching for B's words: neither B's passages nor B's collections (found by name) come back.
QUERIES = {"/api/v1/search": {"q": MARKER, "mode": "keyword"},
           "/api/v1/collections": {"q": MARKER}}


def _routes(app):
    for route in api_routes(app):
        if route.path.startswith("/api/v1") and not route.path.startswith(SKIP_PREFIXES):
            for method in sorted(route.methods):
                yield method, route


def _request(client, method, route, ids, headers):
    path = route.path
    for name in route.param_convertors:
        if name not in ids:
            pytest.fail(f"{method} {route.path}: unknown path parameter {name!r}; add a "
                        "workspace-B object for it to the isolation test")
        path = path.replace("{" + name + "}", ids[name])
    kwargs = {"headers": headers, "params": QUERIES.get(route.path)}
    body = route.body_field
    if body is not None and method in ("POST", "PUT", "PATCH"):
        model = getattr(body.field_info.annotation, "__name__", str(body.field_info.annotation))
        if model in BODIES:
            kwargs["json"] = BODIES[model]
        elif "multipart" in str(body.field_info) or "files" in body.name:
            kwargs["files"] = MULTIPART
        else:
            pytest.fail(f"{method} {route.path}: add a valid {model} body to BODIES")
    elif method == "POST" and route.path.endswith("/documents"):
        kwargs["files"] = MULTIPART
    return client.request(method, path, **kwargs)


def test_every_route_hides_workspace_b_from_a_member_of_a(client):
    owner = client
    b, ids = _build_b(owner)
    alice = add_member(owner, "owner", "alice@example.test")  # owner of A, not in B
    a_headers = {"X-Workspace": "default"}
    checked = 0
    for method, route in _routes(client.app):
        if route.param_convertors:
            response = _request(alice, method, route, ids, a_headers)
            assert response.status_code == 404, (method, route.path, response.status_code,
                                                  response.text[:300])
            assert MARKER not in response.text, (method, route.path)
            checked += 1
        elif method == "GET":
            response = _request(alice, method, route, ids, a_headers)
            assert response.status_code == 200, (method, route.path, response.text[:300])
            # (search echoes the query it was given: that is not B's data)
            assert MARKER not in response.text.replace(f'"query":"{MARKER}"', ""), route.path
            for object_id in (i for i in ids.values() if len(i) >= 16):
                assert object_id not in response.text, (method, route.path, object_id)
            checked += 1
        # Naming workspace B itself: it does not exist for alice, on every route.
        if method == "GET" or route.param_convertors:
            response = _request(alice, method, route, ids, {"X-Workspace": b["slug"]})
            if route.path in ("/api/v1/workspaces",):
                assert MARKER not in response.text
                continue
            assert response.status_code == 404, (method, route.path, response.status_code)
            assert MARKER not in response.text
    assert checked > 20
    # Nothing of B was changed by any of it.
    hb = {"X-Workspace": b["slug"]}
    for path in (f"/api/v1/collections/{ids['collection_id']}",
                 f"/api/v1/documents/{ids['document_id']}", f"/api/v1/notes/{ids['note_id']}"):
        response = owner.get(path, headers=hb)
        assert response.status_code == 200 and MARKER in json.dumps(response.json())
    keys = owner.get("/api/v1/api-keys", headers=hb).json()
    assert [k["revoked_at"] for k in keys] == [None]
    members = owner.get("/api/v1/workspaces/current/members", headers=hb).json()
    assert {m["role"] for m in members if m["user_id"] == ids["user_id"]} == {"viewer"}


def test_an_api_key_of_a_cannot_reach_b(client):
    b, ids = _build_b(client)
    key = client.post("/api/v1/api-keys", json={"name": "a", "scopes": ["read", "write"]}
                      ).json()["key"]
    headers = {"X-API-Key": key}
    anon = client.__class__(client.app)
    assert anon.get(f"/api/v1/documents/{ids['document_id']}", headers=headers
                    ).status_code == 404
    assert anon.get("/api/v1/documents", headers={**headers, "X-Workspace": b["slug"]}
                    ).status_code == 404
    assert MARKER not in anon.get("/api/v1/documents", headers=headers).text
