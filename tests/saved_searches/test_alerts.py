"""Saved searches over HTTP: save, list, change, delete; and their alerts, a webhook to a
real loopback receiver and an e-mail to a real loopback SMTP server, once per new matching
document (never for documents that were there before, never twice)."""

import time

from tests.conftest import create_collection, ingest, test_settings
from tests.fixtures.accounts import add_member
from tests.fixtures.mail_sink import MailSink
from tests.fixtures.webhook_receiver import WebhookReceiver, verified


def _settle(client, seconds=1.0):
    """Let the queued alert checks run (the in-process workers poll every few ms)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        jobs = client.get("/api/v1/jobs").json()
        if not any(j["kind"] == "check_saved_searches" and j["status"] in ("queued", "running")
                   for j in jobs):
            time.sleep(seconds)
            return
        time.sleep(0.05)
    raise AssertionError("alert checks did not finish")


def test_a_new_matching_document_alerts_once_by_webhook_and_email(tmp_path, make_client,
                                                                  database_url):
    with WebhookReceiver() as receiver, MailSink() as sink:
        client = make_client(test_settings(
            tmp_path / "data", database_url, webhook_allow_private=True,
            smtp_host="127.0.0.1", smtp_port=sink.port, smtp_starttls=False,
            public_url="https://casework.example"))
        collection = create_collection(client, "Harbour")
        ingest(client, collection["id"], ("old.txt", b"crane hose, before the search"))
        hook = client.post("/api/v1/webhooks", json={
            "url": receiver.url, "events": ["saved_search.match"]}).json()
        saved = client.post("/api/v1/saved-searches", json={
            "name": "Crane near hose", "query": '"crane hose"~3',
            "alert_webhook": True, "alert_email": True})
        assert saved.status_code == 201, saved.text
        saved = saved.json()

        new, other = ingest(client, collection["id"],
                            ("new.txt", b"The crane and its old hose were sold."),
                            ("other.txt", b"Lunch menu: soup, bread."))
        (delivery,) = receiver.wait_for(1, event="saved_search.match")
        assert verified(delivery, hook["secret"])
        data = delivery.json["data"]
        assert (data["saved_search_id"], data["document_id"], data["filename"]) == (
            saved["id"], new["id"], "new.txt")
        (mail,) = sink.wait_for(1)
        assert mail["To"] == "owner@example.test" or "@" in mail["To"]
        assert "Crane near hose" in mail["Subject"]
        assert f"https://casework.example/documents/{new['id']}" in mail.get_payload()

        # The same bytes again (one document) and a later matching one: one more alert.
        ingest(client, collection["id"], ("new-again.txt", b"The crane and its old hose "
                                                           b"were sold."))
        later = ingest(client, collection["id"], ("later.txt", b"hose for the crane"))[0]
        receiver.wait_for(2, event="saved_search.match")
        _settle(client)
        alerted = [r.json["data"]["document_id"] for r in receiver.received
                   if r.headers.get("X-Casework-Event") == "saved_search.match"]
        assert sorted(alerted) == sorted([new["id"], later["id"]])
        assert len(sink.messages) == 2
        matches = client.get(f"/api/v1/saved-searches/{saved['id']}/matches").json()
        assert sorted(m["document_id"] for m in matches) == sorted([new["id"], later["id"]])
        assert other["id"] not in alerted

        # Alerts off: saved, not told.
        off = client.patch(f"/api/v1/saved-searches/{saved['id']}",
                           json={"alert_webhook": False, "alert_email": False})
        assert off.status_code == 200 and off.json()["alert_webhook"] is False
        ingest(client, collection["id"], ("quiet.txt", b"crane hose once more"))
        _settle(client)
        assert len([r for r in receiver.received
                    if r.headers.get("X-Casework-Event") == "saved_search.match"]) == 2
        assert len(sink.messages) == 2


def test_saved_searches_are_validated_audited_and_the_workspaces_own(client):
    collection = create_collection(client, "Harbour")
    for body, status in [({"name": "x", "query": "***"}, 422),
                         ({"name": "x", "query": '"a b c"~2'}, 422),
                         ({"name": "x", "query": "crane", "collection_id": "nope"}, 404),
                         ({"name": "", "query": "crane"}, 422)]:
        assert client.post("/api/v1/saved-searches", json=body).status_code == status, body
    saved = client.post("/api/v1/saved-searches", json={
        "name": "Cranes", "query": "crane", "collection_id": collection["id"]}).json()
    assert [s["id"] for s in client.get("/api/v1/saved-searches").json()] == [saved["id"]]
    key = client.post("/api/v1/api-keys", json={"name": "k", "scopes": ["read", "write"]}
                      ).json()["key"]
    by_key = client.post("/api/v1/saved-searches", headers={"X-API-Key": key,
                                                            "Authorization": ""},
                         json={"name": "k", "query": "crane", "alert_email": True})
    assert by_key.status_code == 422 and "API key" in by_key.json()["error"]["message"]

    stranger = add_member(client, "owner", "stranger@example.test")
    elsewhere = stranger.post("/api/v1/workspaces", json={"name": "Elsewhere"})
    stranger.headers["X-Workspace"] = elsewhere.json()["slug"]
    assert stranger.get("/api/v1/saved-searches").json() == []
    for method in ("GET", "PATCH", "DELETE"):
        response = stranger.request(method, f"/api/v1/saved-searches/{saved['id']}",
                                    json={"alert_webhook": True} if method == "PATCH" else None)
        assert response.status_code == 404, method
    viewer = add_member(client, "viewer", "viewer@example.test")
    assert viewer.post("/api/v1/saved-searches", json={"name": "v", "query": "crane"}
                       ).status_code == 403
    assert client.delete(f"/api/v1/saved-searches/{saved['id']}").status_code == 204
    actions = {e["action"] for e in client.get("/api/v1/audit", params={
        "target_id": saved["id"]}).json()["items"]}
    assert actions == {"saved_search.create", "saved_search.delete"}
