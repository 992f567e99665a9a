"""POST /api/v1/ask: extractive answers quoted verbatim with page offsets, "not found" when
the material does not answer, scoped to a collection or documents and to the workspace,
cached until the workspace changes, and logged as a hash."""

import hashlib
import hmac
import json

from sqlalchemy import select

from casework.ask.models import QuestionLog
from casework.core.database import transaction
from tests.ask.conftest import CASE_REPORT, UNRELATED_QUESTION, page_text
from tests.conftest import create_collection, ingest
from tests.fixtures.accounts import add_member


def _case(client, name="Harbour Road"):
    collection = create_collection(client, name)
    document = ingest(client, collection["id"], ("report.txt", CASE_REPORT.encode()),
                      vectors=True)[0]
    return collection, document


def _log_rows(client):
    runtime = client.app.state.runtime
    with transaction(runtime.read_sessions) as session:
        return [(r.query_hash, r.mode, r.found, r.cached, r.citations, r.latency_ms)
                for r in session.scalars(select(QuestionLog).order_by(QuestionLog.id))]


def test_an_answer_quotes_the_page_verbatim_with_its_offsets(semantic_client):
    client = semantic_client
    _, document = _case(client)
    response = client.post("/api/v1/ask", json={"question": "Was the CCTV working?"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["found"] is True and answer["mode"] == "extractive"
    assert "switched off on 12 March" in answer["answer"]
    assert 0 < answer["confidence"] <= 1
    text = page_text(client, document["id"])
    for citation in answer["citations"]:
        assert citation["document_id"] == document["id"]
        assert citation["title"] == "report.txt" and citation["page"] == 1
        assert text[citation["start"]:citation["end"]] == citation["text"]
    assert any("CCTV" in c["text"] for c in answer["citations"])


def test_a_question_the_material_does_not_answer_is_not_found_never_a_guess(semantic_client):
    client = semantic_client
    _case(client)
    for question in (UNRELATED_QUESTION, "Who won the 1998 football World Cup?"):
        answer = client.post("/api/v1/ask", json={"question": question}).json()
        assert answer["found"] is False, answer
        assert answer["answer"] == "Not found in the material."
        assert answer["citations"] == []


def test_keyword_only_installations_answer_from_the_words(client):
    """SEMANTIC_SEARCH off: no model; sentences are chosen by the question's words."""
    collection = create_collection(client, "Harbour Road")
    ingest(client, collection["id"], ("report.txt", CASE_REPORT.encode()))
    answer = client.post("/api/v1/ask", json={
        "question": "What did the witness Grace Okafor see leave the car park?"}).json()
    assert answer["found"] is True, answer
    assert "silver hatchback" in answer["answer"]
    assert client.post("/api/v1/ask", json={"question": UNRELATED_QUESTION}
                       ).json()["found"] is False


def test_a_question_is_asked_of_one_collection_or_of_chosen_documents(semantic_client):
    client = semantic_client
    case_collection, case_document = _case(client)
    other = create_collection(client, "Other matter")
    other_document = ingest(client, other["id"], ("lease.txt", (
        b"The tenancy agreement for the flat on Mill Lane was signed on 3 May. The monthly "
        b"rent is 950 pounds, payable on the first day of each month.")),
        vectors=True)[0]
    question = {"question": "How much is the monthly rent for the flat?"}
    everywhere = client.post("/api/v1/ask", json=question).json()
    assert everywhere["found"] and "950 pounds" in everywhere["answer"]
    in_case = client.post("/api/v1/ask", json={**question,
                                               "collection_id": case_collection["id"]}).json()
    assert all(c["document_id"] == case_document["id"] for c in in_case["citations"])
    assert "950" not in in_case["answer"]
    chosen = client.post("/api/v1/ask", json={
        **question, "document_ids": [other_document["id"]]}).json()
    assert {c["document_id"] for c in chosen["citations"]} == {other_document["id"]}
    unknown = client.post("/api/v1/ask", json={**question, "document_ids": ["0" * 32]})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert client.post("/api/v1/ask", json={**question, "collection_id": "0" * 32}
                       ).status_code == 404
    assert client.post("/api/v1/ask", json={"question": " "}).status_code == 422
    generated = client.post("/api/v1/ask", json={**question, "mode": "generated"})
    assert generated.status_code == 422 and "LLM_BASE_URL" in generated.text


def test_another_workspace_material_is_never_cited_nor_reachable(semantic_client):
    owner = semantic_client
    marker = "zebracornsecret"
    b = owner.post("/api/v1/workspaces", json={"name": "B"}).json()
    owner.headers["X-Workspace"] = b["slug"]
    b_collection = create_collection(owner, "B case")
    b_document = ingest(owner, b_collection["id"], ("b.txt", (
        f"The {marker} vault code is 4471 and it opens the north door.").encode()),
        vectors=True)[0]
    del owner.headers["X-Workspace"]
    alice = add_member(owner, "owner", "alice@example.test")  # in A only
    question = {"question": f"What is the {marker} vault code?"}
    answer = alice.post("/api/v1/ask", json=question, headers={"X-Workspace": "default"})
    assert answer.status_code == 200
    assert answer.json()["found"] is False
    assert b_document["id"] not in answer.text and "4471" not in answer.text
    for scoped in ({"collection_id": b_collection["id"]}, {"document_ids": [b_document["id"]]}):
        refused = alice.post("/api/v1/ask", json={**question, **scoped})
        assert refused.status_code == 404 and "4471" not in refused.text
    assert alice.post("/api/v1/ask", json=question, headers={"X-Workspace": b["slug"]}
                      ).status_code == 404
    # The owner of B finds it there, so the refusals above were isolation, not a miss.
    found = owner.post("/api/v1/ask", json=question, headers={"X-Workspace": b["slug"]})
    assert "4471" in found.json()["answer"]


def test_answers_are_cached_until_the_workspace_changes_and_logged_as_a_hash(semantic_client):
    client = semantic_client
    collection, _ = _case(client)
    question = "Was the CCTV working?"
    first = client.post("/api/v1/ask", json={"question": question}).json()
    again = client.post("/api/v1/ask", json={"question": "  was the CCTV WORKING? "}).json()
    assert (first["cached"], again["cached"]) == (False, True)
    assert again["answer"] == first["answer"] and again["citations"] == first["citations"]

    ingest(client, collection["id"], ("addendum.txt", (
        b"Addendum: the CCTV recorder in the back office was in fact working and kept "
        b"footage of the loading bay.")), vectors=True)
    after = client.post("/api/v1/ask", json={"question": question}).json()
    assert after["cached"] is False  # the index changed: the old answer is retired

    rows = _log_rows(client)
    assert len(rows) == 3
    secret = client.app.state.runtime.settings.secret_key.get_secret_value()
    digest = hmac.new(secret.encode(), question.lower().encode(), hashlib.sha256).hexdigest()
    assert digest != hashlib.sha256(question.lower().encode()).hexdigest()
    assert [r[0] for r in rows] == [digest, digest, digest]
    assert [r[3] for r in rows] == [False, True, False]
    assert {r[1] for r in rows} == {"extractive"} and all(r[2] for r in rows)
    assert rows[0][4] == [{k: c[k] if k != "start" else c["start"] for k in
                           ("document_id", "note_id", "page", "start", "end")}
                          for c in first["citations"]]
    assert all(r[5] > 0 for r in rows)
    assert "CCTV" not in json.dumps([r[4] for r in rows])  # no question or answer text


def test_the_stream_endpoint_sends_the_answer_as_a_server_sent_event(semantic_client):
    client = semantic_client
    _case(client)
    with client.stream("POST", "/api/v1/ask/stream",
                       json={"question": "What car did the witness see?"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())
    events = [block.split("\n") for block in body.strip().split("\n\n")]
    assert [lines[0] for lines in events] == ["event: answer"]
    answer = json.loads(events[0][1].removeprefix("data: "))
    assert answer["found"] and "silver hatchback" in answer["answer"]


def test_a_viewer_and_a_read_only_key_may_ask(client):
    collection = create_collection(client, "Harbour Road")
    ingest(client, collection["id"], ("report.txt", CASE_REPORT.encode()))
    question = {"question": "What did the witness Grace Okafor see leave the car park?"}
    viewer = add_member(client, "viewer", "reader@example.test")
    assert "silver hatchback" in viewer.post("/api/v1/ask", json=question).json()["answer"]
    key = client.post("/api/v1/api-keys", json={"name": "r", "scopes": ["read"]}).json()["key"]
    reader = client.__class__(client.app)
    answered = reader.post("/api/v1/ask", json=question, headers={"X-API-Key": key})
    assert answered.status_code == 200 and answered.json()["found"] is True
    assert reader.post("/api/v1/ask", json=question).status_code == 401
