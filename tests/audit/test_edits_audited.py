"""Every edit of a case's material is in the hash-chained log: collections created, renamed
and deleted, tags changed, failed documents retried (from the API and the web pages alike,
since the services record them), and the chain still verifies after them."""

import json

from tests.conftest import create_collection, ingest, upload, wait_for_documents
from tests.fixtures.accounts import signed_in


def _events(client, action):
    response = client.get("/api/v1/audit", params={"action": action, "limit": 200})
    assert response.status_code == 200, response.text
    return [{**e, "details": json.loads(e["details"]) if isinstance(e["details"], str)
             else e["details"]} for e in response.json()["items"]]


def test_collection_create_rename_delete_are_audited_with_their_values(client):
    collection = create_collection(client, "Harbour inquiry")
    [created] = _events(client, "collection.create")
    assert created["target_id"] == collection["id"]
    assert created["details"]["name"] == "Harbour inquiry"

    renamed = client.patch(f"/api/v1/collections/{collection['id']}",
                           json={"name": "Harbour inquiry 2024", "reference": "HB-17"})
    assert renamed.status_code == 200, renamed.text
    same = client.patch(f"/api/v1/collections/{collection['id']}",
                        json={"name": "Harbour inquiry 2024"})
    assert same.status_code == 200
    [update] = _events(client, "collection.update")  # the no-op edit wrote nothing
    assert update["details"]["name"] == {"old": "Harbour inquiry",
                                         "new": "Harbour inquiry 2024"}
    assert update["details"]["reference"] == {"old": None, "new": "HB-17"}

    ingest(client, collection["id"], ("memo.txt", b"the memo about the barge"))
    assert client.delete(f"/api/v1/collections/{collection['id']}").status_code == 204
    [deleted] = _events(client, "collection.delete")
    assert deleted["target_id"] == collection["id"]
    assert deleted["details"] == {"name": "Harbour inquiry 2024", "documents": 1}
    assert client.get("/api/v1/audit/verify").json()["ok"] is True


def test_a_refused_rename_writes_nothing(client):
    create_collection(client, "One")
    two = create_collection(client, "Two")
    clash = client.patch(f"/api/v1/collections/{two['id']}", json={"name": "One"})
    assert clash.status_code == 409
    assert _events(client, "collection.update") == []


def test_tag_changes_are_audited_with_before_and_after(client):
    collection = create_collection(client)
    [doc] = ingest(client, collection["id"], ("memo.txt", b"the memo about the barge"))
    url = f"/api/v1/documents/{doc['id']}/tags"
    assert client.put(url, json={"tags": ["Urgent", "barge"]}).status_code == 200
    assert client.put(url, json={"tags": ["barge", "urgent"]}).status_code == 200  # the same
    assert client.put(url, json={"tags": ["barge"]}).status_code == 200
    events = _events(client, "document.tags")
    assert [e["details"] for e in reversed(events)] == [
        {"old": [], "new": ["barge", "urgent"]}, {"old": ["barge", "urgent"], "new": ["barge"]}]
    assert {e["target_id"] for e in events} == {doc["id"]}


def test_a_retry_is_audited_with_the_error_it_replaced(client):
    collection = create_collection(client)
    [uploaded] = upload(client, collection["id"], ("broken.pdf", b"%PDF-1.7\n not a pdf\n%%EOF"))
    [doc] = wait_for_documents(client, [uploaded["document"]["id"]])
    assert doc["status"] == "failed"
    retried = client.post(f"/api/v1/documents/{doc['id']}/retry")
    assert retried.status_code == 202, retried.text
    [event] = _events(client, "document.retry")
    assert event["target_id"] == doc["id"] and event["details"]["error"] == doc["error"]


def test_web_edits_are_audited_as_the_signed_in_user(client):
    browser, csrf = signed_in(client)
    created = browser.post("/collections", data={"name": "Web case", "kind": "case",
                                                 "csrf_token": csrf},
                           follow_redirects=False)
    assert created.status_code == 303, created.text
    [event] = _events(client, "collection.create")
    assert event["details"]["name"] == "Web case" and event["actor_user_id"]
