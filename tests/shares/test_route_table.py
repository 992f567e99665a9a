"""A share link opens its own public pages and nothing else, proven from the app's route
table (as tests/security/test_isolation.py proves tenant isolation): every route of the
app, called by someone holding only a link's token (as no credential, as a bearer token,
as an API key, as a session cookie), answers 2xx only if it is that link's page or one
of the few pages anyone may open (health, the sign-in page). And every public route that
takes a document id refuses each document the link does not share. A route added later
is walked automatically; a path parameter the walk does not know fails it until taught.
"""

import pytest
from fastapi.testclient import TestClient

from tests.conftest import create_collection, ingest
from tests.fixtures.accounts import api_routes
from tests.shares.conftest import SECRET, Event, share, visitor

SHARE_PREFIX = "/s/{token}"
# Open to anyone, no workspace data: health and metrics (outside production), the
# sign-in page.
OPEN_TO_ANYONE = {("GET", "/health"), ("GET", "/healthz"), ("GET", "/readyz"),
                  ("GET", "/health/ready"), ("GET", "/metrics"), ("GET", "/login"),
                  # The installation's export-signing public key: no secret, no data.
                  ("GET", "/api/v1/exports/public-key"),
                  ("GET", "/api/v1/exports/public-key.pem")}


@pytest.fixture
def client(tmp_path, make_embedded):
    """One database is enough: the walk is about routes, not storage."""
    del tmp_path
    return make_embedded()


@pytest.fixture
def world(client, event: Event) -> dict:
    """The event (shared), and around it what no link of it may reach: another collection
    of the workspace, a note, another workspace's document. Each holds SECRET."""
    elsewhere = create_collection(client, f"private {SECRET}")
    private = ingest(client, elsewhere["id"], (f"{SECRET}.txt", f"{SECRET} plans".encode()))[0]
    note = client.post("/api/v1/notes", json={"title": SECRET, "body": SECRET}).json()
    other = client.post("/api/v1/workspaces", json={"name": f"B {SECRET}"}).json()
    client.headers["X-Workspace"] = other["slug"]
    theirs_collection = create_collection(client, f"theirs {SECRET}")
    theirs = ingest(client, theirs_collection["id"],
                    (f"theirs-{SECRET}.txt", f"{SECRET} of B".encode()))[0]
    del client.headers["X-Workspace"]
    gallery = share(client, "gallery", event.collection_id)
    return {"gallery": gallery, "private_collection": elsewhere["id"],
            "private_document": private["id"], "note": note["id"],
            "other_workspace_document": theirs["id"], "other_collection": theirs_collection["id"]}


def _walk(app):
    for route in api_routes(app):
        for method in sorted(route.methods - {"HEAD"}):
            yield method, route


def _fill(route, values: dict[str, str]) -> str:
    path = route.path
    for name in route.param_convertors:
        if name not in values:
            pytest.fail(f"{route.path}: unknown path parameter {name!r}; teach the share "
                        "walk which object to name there")
        path = path.replace("{" + name + "}", values[name])
    return path


def test_a_link_token_opens_its_own_public_pages_and_nothing_else(client, event, world):
    token = world["gallery"]["token"]
    # Every id the walk may need: the link's own objects, and the workspace's others.
    values = {"token": token, "document_id": event.photo_ids[0],
              "collection_id": event.collection_id, "share_id": world["gallery"]["id"],
              "note_id": world["note"], "key_id": "0" * 32, "invitation_id": "0" * 32,
              "user_id": "0" * 32, "job_id": "1", "number": "1", "entity_id": "0" * 32,
              "webhook_id": "0" * 32, "report_id": "0" * 32, "question_id": "0" * 32,
              "suggestion_id": "0" * 32, "export_id": "0" * 32, "thread_id": "0" * 32,
              "hold_id": "0" * 32, "batch_id": "0" * 32, "saved_search_id": "0" * 32,
              "redaction_id": "0" * 32, "reason_id": "0" * 32,
              "ingest_batch_id": "0" * 32, "issue_id": "0" * 32,
              "production_id": "0" * 32}
    holders = {
        "no credential": {},
        "token as bearer": {"Authorization": f"Bearer {token}"},
        "token as API key": {"X-API-Key": token},
        "token as session cookie": {"Cookie": f"casework_session={token}"},
    }
    opened, walked = set(), 0
    for method, route in _walk(client.app):
        path = _fill(route, values)
        for who, headers in holders.items():
            caller = TestClient(client.app, raise_server_exceptions=False,
                                client=("198.51.100.7", 40000))
            response = caller.request(method, path, headers=headers, follow_redirects=False)
            assert SECRET not in response.text, (who, method, route.path)
            if 200 <= response.status_code < 300:
                assert route.path.startswith(SHARE_PREFIX) or \
                    (method, route.path) in OPEN_TO_ANYONE, (who, method, route.path,
                                                             response.status_code)
                opened.add((method, route.path))
        walked += 1
    assert walked > 100
    # The link's own pages do open (the walk is not vacuous).
    assert {("GET", "/s/{token}"), ("GET", "/s/{token}/og.png"),
            ("GET", "/s/{token}/d/{document_id}"),
            ("GET", "/s/{token}/d/{document_id}/thumbnail")} <= opened


def test_every_public_route_refuses_what_its_link_does_not_share(client, event, world):
    links = {
        "gallery": (world["gallery"], event.photo_ids[0],
                    [event.memo_id, world["private_document"],
                     world["other_workspace_document"], "0" * 32]),
        "collection": (share(client, "collection", event.collection_id), event.memo_id,
                       [world["private_document"], world["other_workspace_document"]]),
        "document": (share(client, "document", event.photo_ids[1]), event.photo_ids[1],
                     [event.photo_ids[0], event.memo_id, world["private_document"],
                      world["other_workspace_document"]]),
    }
    guest = visitor(client)
    routes = [(m, r) for m, r in _walk(client.app) if r.path.startswith(SHARE_PREFIX)]
    with_documents = [(m, r) for m, r in routes if "document_id" in r.param_convertors]
    assert len(with_documents) >= 4
    for _, route in routes:
        unknown = set(route.param_convertors) - {"token", "document_id", "number"}
        assert not unknown, f"{route.path}: teach this test what {unknown} may name"
    for kind, (link, shared, refused) in links.items():
        for method, route in with_documents:
            values = {"token": link["token"], "number": "1"}
            # The shared document passes the share check (whatever the route then says).
            ok = guest.request(method, _fill(route, {**values, "document_id": shared}))
            assert ok.status_code != 404 or "does not share" not in ok.text, (kind, route.path)
            for document_id in refused:
                response = guest.request(method, _fill(route, {**values,
                                                               "document_id": document_id}))
                assert response.status_code == 404, (kind, method, route.path, document_id,
                                                      response.status_code)
                assert SECRET not in response.text


def test_every_public_route_of_a_revoked_or_expired_link_is_gone(client, event, world):
    gone = world["gallery"]
    assert client.delete(f"/api/v1/shares/{gone['id']}").status_code == 204
    guest = visitor(client)
    walked = 0
    for method, route in _walk(client.app):
        if not route.path.startswith(SHARE_PREFIX):
            continue
        path = _fill(route, {"token": gone["token"], "document_id": event.photo_ids[0],
                             "number": "1"})
        response = guest.request(method, path)
        assert response.status_code == 410, (method, route.path, response.status_code)
        assert response.json()["error"]["code"] == "share_revoked"
        walked += 1
    assert walked >= 6
