"""Outgoing webhooks end to end over HTTP: a real receiver on loopback gets signed
deliveries when documents become ready or failed; a receiver that answers 500 is tried
again with backoff until it answers 200, every attempt in the log; private addresses are
refused unless allowed; a workspace's hooks are its admins' alone."""

from __future__ import annotations

import time

import pytest

from casework.core.database import transaction
from casework.webhooks import service as webhooks_service
from casework.webhooks.events import WebhookEvent
from casework.webhooks.targets import TargetRefused, resolve
from tests.conftest import create_collection, ingest, test_settings, upload, wait_for_documents
from tests.fixtures.accounts import add_member
from tests.fixtures.webhook_receiver import WebhookReceiver, verified

FAST_RETRIES = {"webhook_allow_private": True, "webhook_retry_base_seconds": 0.05,
                "webhook_retry_max_seconds": 0.2}


@pytest.fixture
def hooks_client(tmp_path, database_url, shape_overrides, make_client):
    return make_client(test_settings(tmp_path / "data", database_url, **FAST_RETRIES,
                                     **shape_overrides))


def _create(client, url, events=("document.ready", "document.failed"), **extra) -> dict:
    response = client.post("/api/v1/webhooks", json={"url": url, "events": list(events),
                                                     **extra})
    assert response.status_code == 201, response.text
    return response.json()


def _log(client, webhook_id, *, settled=True, timeout=30.0) -> list[dict]:
    """The delivery log, waiting until no delivery is pending."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries")
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        if not settled or all(d["status"] != "pending" for d in items):
            return items
        assert time.monotonic() < deadline, items
        time.sleep(0.05)


def test_documents_ready_and_failed_reach_the_receiver_signed(hooks_client):
    client = hooks_client
    with WebhookReceiver() as receiver:
        hook = _create(client, receiver.url, description="case system")
        secret = hook["secret"]
        assert secret.startswith("whsec_") and hook["secret_prefix"] == secret[:12]
        listed = client.get("/api/v1/webhooks").json()
        assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]

        collection = create_collection(client)
        ready = ingest(client, collection["id"], ("report.txt", b"Smoke at warehouse seven."))[0]
        broken = upload(client, collection["id"], ("x.pdf", b"%PDF-1.4 broken"))[0]
        assert wait_for_documents(client, [broken["document"]["id"]])[0]["status"] == "failed"

        (got_ready,) = receiver.wait_for(1, event="document.ready")
        (got_failed,) = receiver.wait_for(1, event="document.failed")
    for received in (got_ready, got_failed):
        assert verified(received, secret)
        assert not verified(received, "whsec_not-the-secret")
        assert received.path == "/hooks"
        assert received.headers["Content-Type"] == "application/json"
        assert received.headers["X-Casework-Delivery"] == received.json["id"]
    body = got_ready.json
    assert body["event"] == "document.ready" and body["workspace_id"]
    assert body["data"]["document_id"] == ready["id"]
    assert body["data"]["filename"] == "report.txt" and body["data"]["status"] == "ready"
    failed = got_failed.json["data"]
    assert failed["document_id"] == broken["document"]["id"] and failed["error"]

    log = _log(client, hook["id"])
    assert {d["event"] for d in log} == {"document.ready", "document.failed"}
    for delivery in log:
        assert delivery["status"] == "succeeded" and delivery["attempts"] == 1
        (attempt,) = delivery["log"]
        assert attempt["status_code"] == 200 and attempt["latency_ms"] > 0
        assert attempt["error"] is None
        assert len(attempt["response_prefix"]) == 256  # the receiver wrote 2 KB


def test_a_receiver_answering_500_is_tried_again_until_it_answers_200(hooks_client):
    client = hooks_client
    with WebhookReceiver(answers=[500, 503]) as receiver:
        hook = _create(client, receiver.url)
        ping = client.post(f"/api/v1/webhooks/{hook['id']}/ping")
        assert ping.status_code == 202 and ping.json()["status"] == "pending"
        tries = receiver.wait_for(3)
    assert len({t.json["id"] for t in tries}) == 1  # one delivery, sent three times
    assert len({t.body for t in tries}) == 1
    assert all(verified(t, hook["secret"]) for t in tries)
    (delivery,) = _log(client, hook["id"])
    assert (delivery["status"], delivery["attempts"], delivery["event"]) == (
        "succeeded", 3, "ping")
    assert [(a["number"], a["status_code"]) for a in delivery["log"]] == [
        (1, 500), (2, 503), (3, 200)]
    assert delivery["log"][0]["error"] == "the receiver answered 500"
    assert delivery["log"][0]["attempted_at"] < delivery["log"][1]["attempted_at"]


def test_a_receiver_that_keeps_failing_is_given_up_after_the_last_attempt(
        tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "data", webhook_max_attempts=3,
                                       **FAST_RETRIES))
    with WebhookReceiver(answers=[500] * 10) as receiver:
        hook = _create(client, receiver.url)
        client.post(f"/api/v1/webhooks/{hook['id']}/ping")
        (delivery,) = _log(client, hook["id"])
        assert len(receiver.received) == 3
    assert delivery["status"] == "failed" and delivery["attempts"] == 3
    assert [a["status_code"] for a in delivery["log"]] == [500, 500, 500]
    assert "answered 500" in delivery["last_error"]


def test_private_and_odd_urls_are_refused_unless_allowed(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "data"))  # WEBHOOK_ALLOW_PRIVATE off
    for url in ("http://127.0.0.1:9/hooks", "http://localhost/hooks", "http://10.1.2.3/",
                "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://169.254.169.254/x",
                "http://192.168.1.10/", "ftp://example.org/", "http://user:pw@example.org/",
                "https:///no-host"):
        response = client.post("/api/v1/webhooks", json={"url": url,
                                                         "events": ["document.ready"]})
        assert response.status_code == 422, (url, response.text)
        assert response.json()["error"]["code"] == "invalid_input"
    assert client.get("/api/v1/webhooks").json() == []
    with pytest.raises(TargetRefused):  # each attempt checks again, before connecting
        resolve("http://localhost:8000/", allow_private=False)
    assert resolve("http://localhost:8000/", allow_private=True).address in (
        "127.0.0.1", "::1")
    no_events = client.post("/api/v1/webhooks", json={"url": "https://example.org/",
                                                      "events": []})
    assert no_events.status_code == 422
    unknown = client.post("/api/v1/webhooks", json={"url": "https://example.org/",
                                                    "events": ["document.deleted"]})
    assert unknown.status_code == 422


def test_hooks_belong_to_their_workspace_and_its_admins(hooks_client):
    client = hooks_client
    with WebhookReceiver() as receiver:
        hook = _create(client, receiver.url)
        other = client.post("/api/v1/workspaces", json={"name": "Other"}).json()
        elsewhere = {"X-Workspace": other["slug"]}
        assert client.get("/api/v1/webhooks", headers=elsewhere).json() == []
        for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""),
                             ("POST", "/ping"), ("POST", "/rotate-secret"),
                             ("GET", "/deliveries")):
            response = client.request(method, f"/api/v1/webhooks/{hook['id']}{path}",
                                      headers=elsewhere,
                                      json={"active": False} if method == "PATCH" else None)
            assert response.status_code == 404, (method, path, response.text)
        # The other workspace's documents are not announced to this one's hook.
        collection = create_collection(client.__class__(client.app, headers={
            **client.headers, **elsewhere}), "Theirs")
        theirs = client.post(f"/api/v1/collections/{collection['id']}/documents",
                             headers=elsewhere, files=[("files", ("t.txt", b"theirs"))])
        assert theirs.status_code == 202
        wait_for_documents(client.__class__(client.app, headers={**client.headers,
                                                                 **elsewhere}),
                           [theirs.json()["documents"][0]["document"]["id"]])
        editor = add_member(client, "editor", "editor@example.test")
        assert editor.get("/api/v1/webhooks").status_code == 403
        assert editor.post("/api/v1/webhooks", json={
            "url": receiver.url, "events": ["document.ready"]}).status_code == 403
        assert editor.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 403
        client.post(f"/api/v1/webhooks/{hook['id']}/ping")
        receiver.wait_for(1)
    assert [r.headers["X-Casework-Event"] for r in receiver.received] == ["ping"]
    assert client.get(f"/api/v1/webhooks/{hook['id']}").status_code == 200


def test_switched_off_hooks_hear_nothing_and_a_new_secret_signs_at_once(hooks_client):
    client = hooks_client
    with WebhookReceiver() as receiver:
        hook = _create(client, receiver.url, events=["document.ready"])
        off = client.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": False})
        assert off.status_code == 200 and off.json()["active"] is False
        collection = create_collection(client)
        ingest(client, collection["id"], ("a.txt", b"first file"))
        rotated = client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret").json()
        assert rotated["secret"] != hook["secret"]
        assert "secret" not in client.get(f"/api/v1/webhooks/{hook['id']}").json()
        client.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": True})
        ingest(client, collection["id"], ("b.txt", b"second file"))
        (received,) = receiver.wait_for(1)
    assert received.json["data"]["filename"] == "b.txt"  # a.txt came while it was off
    assert verified(received, rotated["secret"]) and not verified(received, hook["secret"])
    assert client.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    assert client.get(f"/api/v1/webhooks/{hook['id']}").status_code == 404


def test_other_domains_announce_their_events_with_emit(hooks_client):
    """The contract for exports and the daily run: `emit` in their transaction."""
    client = hooks_client
    runtime = client.app.state.runtime
    with WebhookReceiver() as receiver:
        hook = _create(client, receiver.url, events=["export.ready", "daily_run.finished"])
        workspace_id = client.get("/api/v1/workspaces/current").json()["id"]
        with transaction(runtime.sessions) as session:
            sent = webhooks_service.emit(session=session, workspace_id=workspace_id,
                                         event=WebhookEvent.export_ready,
                                         payload={"export_id": "e1"},
                                         notify=runtime.notify_jobs)
            assert len(sent) == 1
            assert webhooks_service.emit(session=session, workspace_id=workspace_id,
                                         event="document.ready", payload={}) == []
        with pytest.raises(ValueError), transaction(runtime.sessions) as session:
            webhooks_service.emit(session=session, workspace_id=workspace_id,
                                  event="daily_run.finished", payload={"x": "y" * 70_000})
        (received,) = receiver.wait_for(1)
    assert received.json["event"] == "export.ready"
    assert received.json["data"] == {"export_id": "e1"}
    assert verified(received, hook["secret"])
    assert [d["event"] for d in _log(client, hook["id"])] == ["export.ready"]
