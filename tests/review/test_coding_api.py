"""Review coding over HTTP: a document's coding fields, issues managed per workspace, the
history and audit events of every change, batch coding from ids and from a search, and the
search filters a production selects with ("responsive and not privileged")."""

from tests.conftest import create_collection, ingest
from tests.fixtures.accounts import add_member

FILES = [
    ("contract.txt", b"The harbour contract for crane maintenance, signed in March."),
    ("advice.txt", b"Counsel's advice on the harbour contract: do not sign yet."),
    ("lunch.txt", b"Lunch menu for Friday: soup and bread."),
    ("invoice.txt", b"Invoice for harbour crane maintenance, paid in cash."),
]


def _documents(client):
    collection = create_collection(client, "Harbour")
    docs = ingest(client, collection["id"], *FILES)
    return collection, {d["filename"]: d["id"] for d in docs}


def _search_ids(client, **params):
    hits = client.get("/api/v1/search", params={"mode": "keyword", "limit": 100,
                                                **params}).json()["hits"]
    return {h["document_id"] for h in hits}


def test_coding_a_document_keeps_history_and_audit(client):
    _, ids = _documents(client)
    doc = ids["advice.txt"]
    assert client.get(f"/api/v1/documents/{doc}").json()["coding"] == {
        "responsiveness": None, "privileged": False, "privilege_basis": None, "hot": False,
        "issues": [], "note": None, "updated_at": None, "updated_by": None}
    assert client.post("/api/v1/review/issues", json={"name": "Harbour fraud"}).status_code == 201
    coded = client.patch(f"/api/v1/review/documents/{doc}", json={
        "responsiveness": "responsive", "privileged": True,
        "privilege_basis": "attorney-client", "issues": ["harbour fraud"],
        "note": "Advice from outside counsel."})
    assert coded.status_code == 200, coded.text
    body = coded.json()
    assert (body["responsiveness"], body["privileged"], body["privilege_basis"],
            body["issues"], body["updated_by"]) == (
        "responsive", True, "attorney-client", ["Harbour fraud"], "owner@example.test")
    # Only the fields sent change; sending the same value again records nothing.
    again = client.patch(f"/api/v1/review/documents/{doc}",
                         json={"hot": True, "responsiveness": "responsive"}).json()
    assert again["hot"] is True and again["privileged"] is True
    cleared = client.patch(f"/api/v1/review/documents/{doc}",
                           json={"responsiveness": None}).json()
    assert cleared["responsiveness"] is None
    assert client.get(f"/api/v1/documents/{doc}").json()["coding"]["hot"] is True

    history = client.get(f"/api/v1/review/documents/{doc}/history").json()
    me = client.get("/api/v1/auth/me").json()["id"]
    assert [(h["field"], h["old_value"], h["new_value"]) for h in history["items"]] == [
        ("responsiveness", "responsive", None),
        ("hot", "false", "true"),
        ("note", None, "Advice from outside counsel."),
        ("issues", "[]", '["Harbour fraud"]'),
        ("privilege_basis", None, "attorney-client"),
        ("privileged", "false", "true"),
        ("responsiveness", None, "responsive"),
    ]
    assert {h["actor_user_id"] for h in history["items"]} == {me}
    events = client.get("/api/v1/audit", params={"action": "document.code"}).json()["items"]
    assert len(events) == 3 and {e["target_id"] for e in events} == {doc}
    assert events[-1]["details"]["changes"]["privileged"] == {"old": False, "new": True}
    # The note's words stay out of the log: only its length.
    assert events[-1]["details"]["changes"]["note"] == {"old": 0, "new": 28}
    assert client.get("/api/v1/audit/verify").json()["ok"] is True


def test_coding_is_validated(client):
    _, ids = _documents(client)
    doc = ids["lunch.txt"]
    for body, code in (({"responsiveness": "maybe"}, 422), ({"issues": ["nope"]}, 422),
                       ({"privilege_basis": "x" * 501}, 422), ({"colour": "red"}, 422),
                       ({"hot": None}, 422)):
        response = client.patch(f"/api/v1/review/documents/{doc}", json=body)
        assert response.status_code == code, (body, response.text)
    assert client.get(f"/api/v1/review/documents/{doc}/history").json()["total"] == 0
    assert client.patch("/api/v1/review/documents/" + "0" * 32,
                        json={"hot": True}).status_code == 404


def test_issues_are_created_renamed_and_deleted(client):
    _, ids = _documents(client)
    issue = client.post("/api/v1/review/issues", json={"name": "  Cash   payments "}).json()
    assert issue["name"] == "Cash payments"
    dup = client.post("/api/v1/review/issues", json={"name": "cash payments"})
    assert dup.status_code == 409
    client.patch(f"/api/v1/review/documents/{ids['invoice.txt']}",
                 json={"add_issues": ["Cash payments"]})
    renamed = client.patch(f"/api/v1/review/issues/{issue['id']}", json={"name": "Cash"})
    assert renamed.json() == {**issue, "name": "Cash", "documents": 1}
    assert client.get(f"/api/v1/documents/{ids['invoice.txt']}").json()["coding"][
        "issues"] == ["Cash"]
    assert client.delete(f"/api/v1/review/issues/{issue['id']}").status_code == 204
    assert client.get("/api/v1/review/issues").json() == []
    history = client.get(f"/api/v1/review/documents/{ids['invoice.txt']}/history").json()
    assert [(h["field"], h["old_value"], h["new_value"]) for h in history["items"]] == [
        ("issues", '["Cash"]', "[]"), ("issues", "[]", '["Cash payments"]')]
    actions = [e["action"] for e in client.get(
        "/api/v1/audit", params={"action": "review."}).json()["items"]]
    assert actions == ["review.issue_delete", "review.issue_rename", "review.issue_create"]


def test_batch_coding_from_a_search_and_the_coding_filters(client):
    collection, ids = _documents(client)
    client.post("/api/v1/review/issues", json={"name": "Maintenance"})
    batch = client.post("/api/v1/review/batch", json={
        "search": {"q": "harbour", "collection_id": collection["id"]},
        "coding": {"responsiveness": "responsive", "add_issues": ["Maintenance"]}})
    assert batch.status_code == 200, batch.text
    harbour = {ids["contract.txt"], ids["advice.txt"], ids["invoice.txt"]}
    assert (batch.json()["matched"], batch.json()["changed"]) == (3, 3)
    client.patch(f"/api/v1/review/documents/{ids['advice.txt']}",
                 json={"privileged": True, "privilege_basis": "work product"})
    by_ids = client.post("/api/v1/review/batch", json={
        "document_ids": [ids["lunch.txt"]], "coding": {"responsiveness": "not_responsive"}})
    assert by_ids.json()["matched"] == 1

    # What a production selects: responsive and not privileged.
    assert _search_ids(client, q="harbour OR lunch", responsiveness="responsive",
                       privileged="false") == {ids["contract.txt"], ids["invoice.txt"]}
    assert _search_ids(client, q="harbour OR lunch", privileged="true") == {ids["advice.txt"]}
    assert _search_ids(client, q="harbour OR lunch",
                       responsiveness="not_responsive") == {ids["lunch.txt"]}
    assert _search_ids(client, q="harbour OR lunch", issue="maintenance") == harbour
    assert _search_ids(client, q="harbour", responsiveness="uncoded") == set()

    # The history rows of the batch carry its id, which its one audit event names.
    batch_id = batch.json()["batch_id"]
    history = client.get(f"/api/v1/review/documents/{ids['contract.txt']}/history").json()
    assert {h["batch_id"] for h in history["items"]} == {batch_id}
    event = client.get("/api/v1/audit", params={"action": "review.batch_code",
                                                "target_id": batch_id}).json()["items"]
    assert event[0]["details"]["matched"] == 3
    assert event[0]["details"]["coding"] == {"add_issues": ["Maintenance"],
                                             "responsiveness": "responsive"}
    assert "harbour" not in str(event[0]["details"])  # the words are kept as a keyed hash
    assert client.get("/api/v1/audit/verify").json()["ok"] is True


def test_a_batch_is_all_or_nothing_and_bounded(make_client, settings):
    client = make_client(settings.model_copy(update={"review_batch_max": 2}))
    _, ids = _documents(client)
    too_many = client.post("/api/v1/review/batch", json={
        "search": {"q": "harbour"}, "coding": {"hot": True}})
    assert too_many.status_code == 422 and "narrow" in too_many.json()["error"]["message"]
    unknown = client.post("/api/v1/review/batch", json={
        "document_ids": [ids["lunch.txt"], "0" * 32], "coding": {"hot": True}})
    assert unknown.status_code == 404
    everything = client.post("/api/v1/review/batch", json={
        "search": {}, "coding": {"hot": True}})
    assert everything.status_code == 422
    assert _search_ids(client, q="harbour OR lunch", hot="true") == set()
    assert client.post("/api/v1/review/batch", json={
        "document_ids": [ids["lunch.txt"]], "search": {"q": "x"},
        "coding": {"hot": True}}).status_code == 422


def test_coding_is_workspace_scoped_and_needs_write(client):
    _, ids = _documents(client)
    doc = ids["contract.txt"]
    client.post("/api/v1/review/issues", json={"name": "Secret issue"})
    client.patch(f"/api/v1/review/documents/{doc}", json={"hot": True})
    other = client.post("/api/v1/workspaces", json={"name": "Other"}).json()
    theirs = {"X-Workspace": other["slug"]}
    assert client.get(f"/api/v1/review/documents/{doc}", headers=theirs).status_code == 404
    assert client.patch(f"/api/v1/review/documents/{doc}", json={"hot": False},
                        headers=theirs).status_code == 404
    assert client.get("/api/v1/review/issues", headers=theirs).json() == []
    batch = client.post("/api/v1/review/batch", headers=theirs, json={
        "document_ids": [doc], "coding": {"hot": False}})
    assert batch.status_code == 404
    searched = client.post("/api/v1/review/batch", headers=theirs, json={
        "search": {"q": "harbour"}, "coding": {"hot": False}})
    assert searched.json()["matched"] == 0
    assert client.get(f"/api/v1/review/documents/{doc}").json()["hot"] is True

    viewer = add_member(client, "viewer", "viewer@example.test")
    assert viewer.get(f"/api/v1/review/documents/{doc}").status_code == 200
    refused = viewer.patch(f"/api/v1/review/documents/{doc}", json={"hot": False})
    assert refused.status_code == 403
