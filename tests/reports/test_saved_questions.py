"""Saved questions as API clients use them: answered and kept when saved, listed oldest
first, deleted, audited, and kept to their collection and workspace."""

from tests.conftest import create_collection, ingest
from tests.reports.conftest import FILES


def test_a_saved_question_keeps_its_answer_and_citations_until_deleted(client):
    collection = create_collection(client, "Harbour v Northgate")
    ingest(client, collection["id"], *FILES)
    # Answered from this collection's material only: another's similar text is not cited.
    elsewhere = create_collection(client, "Elsewhere")
    ingest(client, elsewhere["id"], ("other.txt", b"Peter Grant chaired the meeting in Leeds."))
    path = f"/api/v1/collections/{collection['id']}/saved-questions"
    saved = client.post(path, json={"question": "  Who chaired the meeting in Leeds? "})
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert body["question"] == "Who chaired the meeting in Leeds?"
    assert body["found"] and body["mode"] == "extractive" and body["created_by"]
    cited = body["citations"][0]
    assert cited["title"] == "Minutes of 12 May" and cited["page"] == 1
    pages = client.get(f"/api/v1/documents/{cited['document_id']}/pages").json()
    assert pages[0]["text"][cited["start"]:cited["end"]] == cited["text"]  # verbatim
    unknown = client.post(path, json={"question": "What colour is the harbour master's cat?"})
    assert unknown.status_code == 201 and unknown.json()["found"] is False
    assert unknown.json()["answer"] == "Not found in the material."

    listed = client.get(path).json()
    assert [q["id"] for q in listed] == [body["id"], unknown.json()["id"]]
    assert client.delete(f"{path}/{body['id']}").status_code == 204
    assert [q["id"] for q in client.get(path).json()] == [unknown.json()["id"]]
    assert client.delete(f"{path}/{body['id']}").status_code == 404
    actions = [e["action"] for e in client.get(
        "/api/v1/audit", params={"action": "question."}).json()["items"]]
    assert actions == ["question.delete", "question.save", "question.save"]


def test_questions_are_checked_and_kept_to_their_collection(client):
    first, second = create_collection(client, "First"), create_collection(client, "Second")
    path = f"/api/v1/collections/{first['id']}/saved-questions"
    assert client.post(path, json={"question": ""}).status_code == 422
    assert client.post(path, json={"question": "x" * 1001}).status_code == 422
    assert client.post(path, json={"question": "Who?", "mode": "generated"}).status_code == 422
    missing = client.post("/api/v1/collections/nope/saved-questions", json={"question": "Who?"})
    assert missing.status_code == 404
    saved = client.post(path, json={"question": "Who signed?"}).json()
    # Another collection's path does not reach it.
    other = f"/api/v1/collections/{second['id']}/saved-questions/{saved['id']}"
    assert client.delete(other).status_code == 404
    assert client.get(f"/api/v1/collections/{second['id']}/saved-questions").json() == []
