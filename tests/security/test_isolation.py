"""Isolation, proven from the app's own route table: an owner of workspace A, aimed at the
objects of workspace B through EVERY route, gets 404 - never 403, never B's data - and no
list ever shows B's rows. A new route is covered automatically: a path parameter the test
does not know, or a body it cannot build, fails the test until it is taught here."""

import json
import time

import pytest

from casework.core.database import transaction
from casework.learning.models import TagSuggestion
from tests.conftest import create_collection, ingest, test_settings
from tests.exports.conftest import wait_for_export
from tests.fixtures.accounts import add_member, api_routes, user_id
from tests.fixtures.files import make_pdf

MARKER = "zebracornsecret"  # in every name and text of workspace B
SKIP_PREFIXES = ("/api/v1/auth/", "/api/v1/operator/")  # account-level and operator routes


@pytest.fixture
def client(tmp_path, database_url, shape_overrides, make_client):
    """With entity extraction on, so B has entities and every entity route is walked; with
    webhooks allowed to loopback, so B can have one (it is never sent anything)."""
    return make_client(test_settings(tmp_path / "data", database_url, entity_extraction=True,
                                     webhook_allow_private=True, **shape_overrides))


def _entity_of(owner):
    """B's entity: its document's e-mail address, once the bulk entity job has run."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        items = owner.get("/api/v1/entities", params={"kind": "email"}).json()["items"]
        if items:
            return items[0]["id"]
        time.sleep(0.05)
    raise AssertionError("workspace B's entity job did not run")


def _report_of(owner, collection_id):
    """B's report, once written (a report being written answers downloads with 409)."""
    report = owner.post(f"/api/v1/collections/{collection_id}/reports").json()
    deadline = time.monotonic() + 120
    while report["status"] != "ready":
        assert time.monotonic() < deadline and report["status"] != "failed", report
        time.sleep(0.05)
        report = owner.get(f"/api/v1/reports/{report['id']}").json()
    return report


def _suggestion_for(owner, workspace_id: str, document_id: str) -> str:
    """A pending tag suggestion on B's document, stored as a nightly run leaves one (training
    a model needs twenty tagged documents; the walk only needs the row)."""
    with transaction(owner.app.state.runtime.sessions) as session:
        suggestion = TagSuggestion(workspace_id=workspace_id, document_id=document_id,
                                   tag=f"tag-{MARKER}", confidence=0.9)
        session.add(suggestion)
        session.flush()
        return suggestion.id


def _build_b(owner):
    """Workspace B, with one object of every kind, made by its own owner."""
    b = owner.post("/api/v1/workspaces", json={"name": f"B {MARKER}"}).json()
    hb = {"X-Workspace": b["slug"]}
    owner.headers.update(hb)
    collection = create_collection(owner, f"coll {MARKER}")
    document = ingest(owner, collection["id"], (
        f"{MARKER}.txt", f"text {MARKER}, write to {MARKER}@example.test".encode()))[0]
    ingest(owner, collection["id"], (f"{MARKER}.eml", (
        f"From: {MARKER}@example.test\nTo: b@example.test\nSubject: thread {MARKER}\n"
        f"Date: Mon, 03 Mar 2025 09:00:00 +0000\nMessage-ID: <{MARKER}@example.test>\n\n"
        f"body {MARKER}\n").encode()))
    thread = owner.get("/api/v1/threads").json()["items"][0]
    note = owner.post("/api/v1/notes", json={"title": f"note {MARKER}",
                                             "body": f"body {MARKER}"}).json()
    key = owner.post("/api/v1/api-keys", json={"name": f"key {MARKER}"}).json()
    invitation = owner.post("/api/v1/workspaces/current/invitations",
                            json={"role": "viewer"}).json()
    share = owner.post("/api/v1/shares", json={"target_type": "collection",
                                               "target_id": collection["id"]}).json()
    bob = add_member(owner, "viewer", f"bob-{MARKER}@example.test", workspace=b["slug"])
    # Finished before the webhook exists, so its export.ready reaches nobody.
    export = wait_for_export(owner, owner.post(
        f"/api/v1/collections/{collection['id']}/exports", json={"include": ["metadata"]}
    ).json()["id"])
    webhook = owner.post("/api/v1/webhooks", json={
        "url": "http://127.0.0.1:9/hook", "events": ["export.ready"],
        "description": f"hook {MARKER}"}).json()
    entity_id = _entity_of(owner)
    question = owner.post(f"/api/v1/collections/{collection['id']}/saved-questions",
                          json={"question": f"who wrote {MARKER}?"}).json()
    report = _report_of(owner, collection["id"])
    suggestion = _suggestion_for(owner, b["id"], document["id"])
    hold = owner.post("/api/v1/holds", json={
        "name": f"hold {MARKER}", "matter": f"matter {MARKER}",
        "collection_id": collection["id"]}).json()
    batch = owner.post("/api/v1/search/batches", files=[
        ("file", (f"{MARKER}.csv", f"{MARKER},label {MARKER}\n".encode(), "text/csv"))]).json()
    saved_search = owner.post("/api/v1/saved-searches", json={
        "name": f"saved {MARKER}", "query": MARKER, "alert_webhook": True}).json()
    pdf = ingest(owner, collection["id"], (f"{MARKER}.pdf", make_pdf([f"{MARKER} memo"])))[0]
    redaction = owner.post(f"/api/v1/documents/{pdf['id']}/redactions",
                           json=BODIES["RedactionsIn"]).json()[0]
    reason = owner.post("/api/v1/redaction-reasons", json={"label": f"why {MARKER}"}).json()
    production = owner.post("/api/v1/productions", json={
        "name": f"production {MARKER}", "bates_prefix": "ABC",
        "document_ids": [pdf["id"]]}).json()
    issue = owner.post("/api/v1/review/issues", json={"name": f"issue {MARKER}"}).json()
    owner.patch(f"/api/v1/review/documents/{document['id']}",
                json={"issues": [issue["name"]], "note": f"note {MARKER}"})
    jobs = owner.get("/api/v1/jobs").json()
    ingest_batches = owner.get(
        f"/api/v1/collections/{collection['id']}/ingest-batches").json()
    del owner.headers["X-Workspace"]
    return b, {
        "collection_id": collection["id"], "document_id": document["id"], "note_id": note["id"],
        "key_id": key["id"], "invitation_id": invitation["id"], "user_id": user_id(bob),
        "job_id": str(jobs[0]["id"]) if jobs else "1",
        "number": "1",  # a page of B's document
        "entity_id": entity_id, "share_id": share["id"],
        "webhook_id": webhook["id"], "export_id": export["id"],
        "question_id": question["id"], "report_id": report["id"],
        "suggestion_id": suggestion, "thread_id": thread["id"], "hold_id": hold["id"],
        "batch_id": batch["id"], "saved_search_id": saved_search["id"],
        "redaction_id": redaction["id"], "reason_id": reason["id"],
        "ingest_batch_id": ingest_batches["items"][0]["id"],
        "issue_id": issue["id"], "production_id": production["id"],
    }


# Valid bodies, so a request reaches the lookup instead of stopping at validation.
BODIES = {
    "CollectionUpdate": {"name": "renamed"},
    "NoteUpdate": {"title": "renamed"},
    "TagsUpdate": {"tags": ["x"]},
    "RoleUpdate": {"role": "viewer"},
    "EntityMerge": {"into": "0" * 32},
    "WebhookCreate": {"url": "http://127.0.0.1:9/a", "events": ["export.ready"]},
    "WebhookUpdate": {"active": False},
    "SavedQuestionIn": {"question": "who?"},
    "ExportCreate": {"include": ["metadata"]},
    "HoldCreate": {"name": "n", "matter": "m", "custodian": "x"},
    "HoldRelease": {"reason": "released by someone else"},
    "SavedSearchCreate": {"name": "n", "query": "crane"},
    "SavedSearchUpdate": {"alert_webhook": False},
    "RedactionsIn": {"redactions": [{"page": 1, "x0": 0.1, "y0": 0.1, "x1": 0.2, "y1": 0.2,
                                     "reason": "Privacy"}]},
    "RedactionSearchIn": {"presets": ["email"]},
    "ReasonIn": {"label": "another reason"},
    "CodingUpdate": {"hot": True},
    "IssueIn": {"name": "renamed"},
    "ProductionCreate": {"name": "x", "bates_prefix": "ABC", "collection_id": "0" * 32},
}
MULTIPART = {"files": ("x.txt", b"intrusion", "text/plain")}
# Searching for B's words: neither B's passages nor B's collections (found by name) come back.
QUERIES = {"/api/v1/search": {"q": MARKER, "mode": "keyword"},
           "/api/v1/collections": {"q": MARKER},
           # A download link alice could only forge: B's export must stay out of reach.
           "/api/v1/exports/{export_id}/download": {
               "ws": "0" * 32, "expires": 2**40, "by": "user:alice", "signature": "0" * 64}}
# Public whoever asks, in any workspace: the export-signing public key (no workspace data).
NOT_WORKSPACE_DATA = ("/api/v1/workspaces", "/api/v1/exports/public-key",
                      "/api/v1/exports/public-key.pem")


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
            if route.path in NOT_WORKSPACE_DATA:
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
    shares = owner.get("/api/v1/shares", headers=hb).json()["items"]
    assert [s["state"] for s in shares] == ["active"]
    members = owner.get("/api/v1/workspaces/current/members", headers=hb).json()
    assert {m["role"] for m in members if m["user_id"] == ids["user_id"]} == {"viewer"}
    export = owner.get(f"/api/v1/exports/{ids['export_id']}", headers=hb)
    assert export.status_code == 200  # alice's DELETE did not reach it
    hooks = owner.get("/api/v1/webhooks", headers=hb).json()
    assert [(h["id"], h["active"]) for h in hooks] == [(ids["webhook_id"], True)]
    deliveries = owner.get(f"/api/v1/webhooks/{ids['webhook_id']}/deliveries", headers=hb)
    assert deliveries.json()["total"] == 0  # no ping or rotation reached it
    holds = owner.get("/api/v1/holds", headers=hb).json()
    assert [(h["id"], h["active"]) for h in holds] == [(ids["hold_id"], True)]
    saved = owner.get("/api/v1/saved-searches", headers=hb).json()
    assert [(s["id"], s["alert_webhook"]) for s in saved] == [(ids["saved_search_id"], True)]


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
