"""Legal holds over HTTP: while a hold on a collection or a custodian is active, every way
of deleting a held document is refused with 409 `legal_hold`; after release it works.
Placing and releasing are in the hash-chained audit log; holds are the workspace's own."""

from tests.conftest import create_collection, ingest, wait_for_documents
from tests.fixtures.accounts import add_member
from tests.fixtures.media import email_with_attachment


def _upload_as(client, collection_id, name, data, custodian=None):
    response = client.post(f"/api/v1/collections/{collection_id}/documents",
                           files=[("files", (name, data, "text/plain"))],
                           data={"custodian": custodian} if custodian else {})
    assert response.status_code == 202, response.text
    (doc,) = wait_for_documents(client, [response.json()["documents"][0]["document"]["id"]])
    return doc


def _place(client, **body):
    response = client.post("/api/v1/holds", json={"name": "Harbour litigation",
                                                  "matter": "Smith v. Port Authority",
                                                  **body})
    assert response.status_code == 201, response.text
    return response.json()


def _release(client, hold_id, reason="Matter settled"):
    response = client.post(f"/api/v1/holds/{hold_id}/release", json={"reason": reason})
    assert response.status_code == 200, response.text
    return response.json()


def _refused(response, hold_name="Harbour litigation"):
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "legal_hold"
    assert hold_name in error["message"]
    return error


def test_a_collection_hold_refuses_document_collection_and_workspace_deletion(client):
    held = create_collection(client, "Harbour")
    free = create_collection(client, "Unrelated")
    doc = ingest(client, held["id"], ("memo.txt", b"crane hose invoice"))[0]
    other = ingest(client, free["id"], ("other.txt", b"lunch menu"))[0]
    hold = _place(client, collection_id=held["id"])
    assert hold["scope"] == "collection" and hold["target_label"] == "Harbour"
    assert hold["active"] is True and hold["released_at"] is None

    error = _refused(client.delete(f"/api/v1/documents/{doc['id']}"))
    assert error["details"]["holds"][0]["id"] == hold["id"]
    _refused(client.delete(f"/api/v1/collections/{held['id']}"))
    _refused(client.delete("/api/v1/workspaces/current"))
    assert client.get(f"/api/v1/documents/{doc['id']}").status_code == 200
    assert client.get(f"/api/v1/collections/{held['id']}").status_code == 200
    assert client.get(f"/api/v1/documents/{doc['id']}/original").status_code == 200
    # What the hold does not cover is deleted as before.
    assert client.delete(f"/api/v1/documents/{other['id']}").status_code == 204
    assert client.delete(f"/api/v1/collections/{free['id']}").status_code == 204

    released = _release(client, hold["id"])
    assert released["active"] is False and released["release_reason"] == "Matter settled"
    again = client.post(f"/api/v1/holds/{hold['id']}/release", json={"reason": "twice"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert client.delete(f"/api/v1/documents/{doc['id']}").status_code == 204
    assert client.delete(f"/api/v1/collections/{held['id']}").status_code == 204
    # The released hold outlives its collection, in the list and in the audit log.
    (kept,) = client.get("/api/v1/holds").json()
    assert kept["id"] == hold["id"] and kept["collection_id"] is None
    assert client.delete("/api/v1/workspaces/current").status_code == 204


def test_an_empty_held_collection_is_kept_too(client):
    collection = create_collection(client, "Not yet collected")
    _place(client, collection_id=collection["id"])
    _refused(client.delete(f"/api/v1/collections/{collection['id']}"))


def test_a_custodian_hold_covers_their_documents_wherever_they_are(client):
    first = create_collection(client, "Harbour")
    second = create_collection(client, "Customs")
    smith = _upload_as(client, first["id"], "smith.txt", b"smith's notes", "J. Smith")
    jones = _upload_as(client, first["id"], "jones.txt", b"jones's notes", "A. Jones")
    # The same bytes again from Smith, into another collection: one document, held.
    shared = _upload_as(client, second["id"], "shared.txt", b"shared annex", "A. Jones")
    _upload_as(client, first["id"], "shared-copy.txt", b"shared annex", "J. Smith")
    hold = _place(client, custodian="j. smith")  # custodians compare case-insensitively

    _refused(client.delete(f"/api/v1/documents/{smith['id']}"))
    _refused(client.delete(f"/api/v1/documents/{shared['id']}"))
    _refused(client.delete(f"/api/v1/collections/{first['id']}"))
    _refused(client.delete(f"/api/v1/collections/{second['id']}"))
    assert client.delete(f"/api/v1/documents/{jones['id']}").status_code == 204

    _release(client, hold["id"])
    assert client.delete(f"/api/v1/collections/{second['id']}").status_code == 204
    assert client.delete(f"/api/v1/collections/{first['id']}").status_code == 204


def test_attachments_of_a_held_document_are_held(client):
    collection = create_collection(client, "Mail")
    message = email_with_attachment(
        subject="Annex", body="see the annex",
        attachments=[("annex.txt", b"annex about the crane", "text/plain")])
    response = client.post(f"/api/v1/collections/{collection['id']}/documents",
                           files=[("files", ("mail.eml", message, "message/rfc822"))],
                           data={"custodian": "R. Roe"})
    mail = wait_for_documents(client, [response.json()["documents"][0]["document"]["id"]])[0]
    (attached,) = mail["metadata"]["attachments"]
    child = wait_for_documents(client, [attached["document_id"]])[0]
    hold = _place(client, custodian="R. Roe")
    _refused(client.delete(f"/api/v1/documents/{child['id']}"))
    _release(client, hold["id"])
    assert client.delete(f"/api/v1/documents/{child['id']}").status_code == 204


def test_placing_and_releasing_are_audited_and_validated(client):
    collection = create_collection(client, "Harbour")
    for body in [{"collection_id": collection["id"], "custodian": "X"},
                 {},
                 {"custodian": "line\nforged"},
                 {"custodian": "x" * 201}]:
        response = client.post("/api/v1/holds", json={"name": "n", "matter": "m", **body})
        assert response.status_code == 422, (body, response.text)
    assert client.post("/api/v1/holds", json={"name": "n", "matter": "m",
                                              "collection_id": "nope"}).status_code == 404
    hold = _place(client, collection_id=collection["id"])
    assert client.post(f"/api/v1/holds/{hold['id']}/release",
                       json={"reason": ""}).status_code == 422
    _release(client, hold["id"], reason="Court order lifted")

    events = client.get("/api/v1/audit", params={"target_id": hold["id"]}).json()["items"]
    by_action = {e["action"]: e for e in events}
    assert set(by_action) == {"hold.place", "hold.release"}
    assert by_action["hold.place"]["details"]["matter"] == "Smith v. Port Authority"
    assert by_action["hold.place"]["details"]["collection_id"] == collection["id"]
    assert by_action["hold.release"]["details"]["reason"] == "Court order lifted"
    assert client.get("/api/v1/audit/verify").json()["ok"] is True
    assert [h["id"] for h in client.get("/api/v1/holds", params={"active": False}).json()] \
        == [hold["id"]]
    assert client.get("/api/v1/holds", params={"active": True}).json() == []


def test_holds_are_the_workspaces_own_and_need_manage_holds(client):
    collection = create_collection(client, "Harbour")
    doc = ingest(client, collection["id"], ("memo.txt", b"crane hose invoice"))[0]
    hold = _place(client, collection_id=collection["id"])
    editor = add_member(client, "editor", "editor@example.test")
    assert [h["id"] for h in editor.get("/api/v1/holds").json()] == [hold["id"]]
    refused = editor.post(f"/api/v1/holds/{hold['id']}/release", json={"reason": "mine"})
    assert refused.status_code == 403
    assert editor.post("/api/v1/holds", json={"name": "n", "matter": "m",
                                              "custodian": "X"}).status_code == 403
    _refused(editor.delete(f"/api/v1/documents/{doc['id']}"))

    stranger = add_member(client, "owner", "stranger@example.test")
    elsewhere = stranger.post("/api/v1/workspaces", json={"name": "Elsewhere"})
    stranger.headers["X-Workspace"] = elsewhere.json()["slug"]
    assert stranger.get("/api/v1/holds").json() == []
    assert stranger.get(f"/api/v1/holds/{hold['id']}").status_code == 404
    assert stranger.post(f"/api/v1/holds/{hold['id']}/release",
                         json={"reason": "x"}).status_code == 404
    assert stranger.post("/api/v1/holds", json={
        "name": "n", "matter": "m", "collection_id": collection["id"]}).status_code == 404
    # A hold elsewhere does not keep this workspace's documents.
    theirs = create_collection(stranger, "Theirs")
    stranger_doc = ingest(stranger, theirs["id"], ("t.txt", b"crane hose invoice"))[0]
    assert stranger.delete(f"/api/v1/documents/{stranger_doc['id']}").status_code == 204
