"""The optional generator: casework streams from a real OpenAI-compatible HTTP server on
loopback (tests/fixtures/llm_server.py), relays the tokens as server-sent events, and checks
every citation against the passages it sent before showing it."""

import json

import pytest

from casework.core.settings import SettingsError
from tests.ask.conftest import CASE_REPORT, page_text
from tests.conftest import create_collection, ingest, test_settings
from tests.fixtures.llm_server import MODEL, LlmServer, passages_in

API_KEY = "sk-local-test-key-123"


def _passage_with(request, words):
    return next(n for n, text in passages_in(request).items() if words in text)


def cites_well_and_badly(request):
    """One claim quoting passage n, one citing a passage never given, one misquoting."""
    n = _passage_with(request, "CCTV")
    return (f'The CCTV was not working: it "had been switched off on 12 March for '
            f'maintenance" [{n}]. The burglars were caught in Dover [{n + 40}]. '
            f'The guard said "the cameras were recording all night" [{n}].')


def cites_without_quoting(request):
    n = _passage_with(request, "hatchback")
    return f"The witness saw a silver hatchback leaving the car park at speed [{n}]."


def _client(tmp_path, make_client, reply, **overrides):
    llm = LlmServer(reply).start()
    settings = test_settings(tmp_path / "data", llm_base_url=llm.base_url, llm_model=MODEL,
                             llm_api_key=API_KEY, **overrides)
    client = make_client(settings)
    collection = create_collection(client, "Harbour Road")
    document = ingest(client, collection["id"], ("report.txt", CASE_REPORT.encode()))[0]
    return client, llm, document


@pytest.fixture
def llm_servers():
    started = []
    yield started
    for server in started:
        server.stop()


def _events(body: str) -> list[tuple[str, dict]]:
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_a_generated_answer_streams_and_only_validated_citations_are_shown(
        tmp_path, make_client, llm_servers):
    client, llm, document = _client(tmp_path, make_client, cites_well_and_badly)
    llm_servers.append(llm)
    question = {"question": "Was the CCTV recording on the night of the burglary?"}
    with client.stream("POST", "/api/v1/ask/stream", json=question) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events("".join(response.iter_text()))
    tokens = [data["text"] for name, data in events if name == "token"]
    assert len(tokens) > 5  # streamed as it was written, not in one piece
    name, answer = events[-1]
    assert name == "answer" and [n for n, _ in events].count("answer") == 1
    assert "".join(tokens).strip() == answer["answer"]
    assert answer["mode"] == "generated" and answer["found"] is True

    good, invented, misquoted = answer["claims"]
    assert good["supported"] is True and len(good["citations"]) == 1
    cited = answer["citations"][good["citations"][0]]
    assert cited["text"] == "had been switched off on 12 March for maintenance"
    assert page_text(client, document["id"])[cited["start"]:cited["end"]] == cited["text"]
    assert invented == {"text": invented["text"], "supported": False, "citations": []}
    assert misquoted["supported"] is False and misquoted["citations"] == []
    assert len(answer["citations"]) == 1  # nothing unverified reaches the reader
    assert answer["confidence"] == pytest.approx(1 / 3, abs=1e-3)
    assert any("2 of 3 statements" in w for w in answer["warnings"])

    # What the endpoint received: the model, the key, the workspace's passages, streaming.
    sent = llm.requests[-1]
    assert sent["model"] == MODEL and sent["stream"] is True
    assert llm.headers[-1]["Authorization"] == f"Bearer {API_KEY}"
    assert any("switched off" in text for text in passages_in(sent).values())
    assert "only" in sent["messages"][0]["content"].lower()


def test_the_json_answer_uses_the_generator_and_points_each_claim_at_its_sentence(
        tmp_path, make_client, llm_servers):
    client, llm, document = _client(tmp_path, make_client, cites_without_quoting)
    llm_servers.append(llm)
    answer = client.post("/api/v1/ask", json={"question": "What car did the witness see?"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["mode"] == "generated" and body["claims"][0]["supported"] is True
    [cited] = body["citations"]
    assert "silver hatchback" in cited["text"]  # the passage's sentence, not the whole chunk
    assert page_text(client, document["id"])[cited["start"]:cited["end"]] == cited["text"]
    extractive = client.post("/api/v1/ask", json={"question": "What car did the witness see?",
                                                  "mode": "extractive"}).json()
    assert extractive["mode"] == "extractive" and extractive["claims"] == []
    assert len(llm.requests) == 1


def test_a_model_that_finds_nothing_says_not_found(tmp_path, make_client, llm_servers):
    client, llm, _ = _client(tmp_path, make_client, lambda request: "NOT FOUND")
    llm_servers.append(llm)
    body = client.post("/api/v1/ask", json={"question": "Who owns the warehouse?"}).json()
    assert body["found"] is False and body["answer"] == "Not found in the material."
    assert body["citations"] == []


def test_readiness_reports_the_generator_and_stays_ready_without_it(
        tmp_path, make_client, llm_servers):
    client, llm, _ = _client(tmp_path, make_client, cites_without_quoting)
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["generator"] == {
        "status": "ok", "latency_ms": ready.json()["checks"]["generator"]["latency_ms"],
        "detail": f"model {MODEL}"}
    llm.stop()  # the generator goes away

    ready = client.get("/health/ready")
    assert ready.status_code == 200  # extractive answers still work: not out of rotation
    generator = ready.json()["checks"]["generator"]
    assert generator["status"] == "degraded" and "fall back" in generator["detail"]
    body = client.post("/api/v1/ask", json={"question": "What car did the witness see?"})
    assert body.status_code == 200
    answer = body.json()
    assert answer["mode"] == "extractive" and "silver hatchback" in answer["answer"]
    assert any("extractive answer is shown instead" in w for w in answer["warnings"])


def test_without_a_generator_readiness_skips_it(client):
    check = client.get("/health/ready").json()["checks"]["generator"]
    assert check["status"] == "skipped"


def test_the_generator_settings_are_checked_at_start(tmp_path):
    production = {"environment": "production", "secret_key": "s" * 40,
                  "admin_api_key": "k" * 40}
    with pytest.raises(SettingsError, match="LLM_MODEL is required"):
        test_settings(tmp_path / "a", llm_base_url="http://127.0.0.1:11434/v1")
    with pytest.raises(SettingsError, match="LLM_API_KEY: LLM_BASE_URL is plain http"):
        test_settings(tmp_path / "b", llm_base_url="http://gpu-box.internal:8000/v1",
                      llm_model=MODEL, llm_api_key="a-real-looking-key", **production)
    with pytest.raises(SettingsError, match="LLM_API_KEY: still the example value"):
        test_settings(tmp_path / "c", llm_base_url="https://llm.example.test/v1",
                      llm_model=MODEL, llm_api_key="CHANGE-ME", **production)
    # A local Ollama over plain http, or a remote endpoint over https, may start.
    for url in ("http://127.0.0.1:11434/v1", "https://llm.example.test/v1"):
        settings = test_settings(tmp_path / "d", llm_base_url=url + "/", llm_model=MODEL,
                                 llm_api_key="a-real-looking-key", **production)
        assert settings.llm_base_url == url and settings.generator_configured
