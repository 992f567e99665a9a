"""The daily run from the outside: `casework worker daily-run` trains on tagged notes,
suggestions appear on the untagged ones, accept adds the tag, reject is remembered."""

from __future__ import annotations

import pytest

from casework.learning.artefacts import POINTER
from tests.conftest import test_settings
from tests.learning.conftest import cli_environment, run_cli, tagged_workspace

LEARNING = {"learning_min_documents": 12, "learning_min_tag_examples": 4}


def test_a_daily_run_learns_tags_and_suggests_them(tmp_path, database_url, make_client):
    data_dir = tmp_path / "data"
    client = make_client(test_settings(data_dir, database_url, semantic_search=True,
                                       **LEARNING))
    ids = tagged_workspace(client, per_topic=5)
    env = cli_environment(data_dir, database_url, LEARNING_MIN_DOCUMENTS="12",
                          LEARNING_MIN_TAG_EXAMPLES="4", MODEL_KEEP="1")

    code, output = run_cli(env, "worker", "daily-run", "--horizon", "90")
    assert code == 0, output
    assert "succeeded: 15 examples" in output, output

    runs = client.get("/api/v1/learning/runs").json()
    assert len(runs) == 1
    run = runs[0]
    assert run["status"] == "succeeded" and run["reason"] is None
    assert run["examples"] == 15 and run["tags"] == ["finance", "shipping", "weather"]
    assert 0 < run["held_out"] < 15
    assert 0.0 <= run["accuracy"] <= 1.0 and 0.0 <= run["macro_f1"] <= 1.0
    assert run["duration_seconds"] > 0 and run["suggestions"] >= 2

    # The model is a versioned artefact with its pointer under DATA_DIR/models.
    workspace = (data_dir / "models").iterdir().__next__()
    assert (workspace / POINTER).is_file()
    metrics = client.get("/metrics").text  # Prometheus reads the newest run per workspace
    assert f'daily_run_examples{{workspace="{workspace.name}"}} 15.0' in metrics
    assert [p.name for p in workspace.glob("*.model")] == [run["model_version"] + ".model"]

    storm = client.get(f"/api/v1/documents/{ids['storm-report.txt']}/suggestions").json()
    assert storm[0]["tag"] == "weather" and storm[0]["status"] == "pending"
    assert storm[0]["confidence"] >= 0.5
    cargo = client.get(f"/api/v1/documents/{ids['cargo-note.txt']}/suggestions").json()
    assert cargo[0]["tag"] == "shipping"
    # Tagged documents get no suggestions.
    assert client.get(f"/api/v1/documents/{ids['finance-0.txt']}/suggestions").json() == []

    accepted = client.post(f"/api/v1/documents/{ids['storm-report.txt']}/suggestions/"
                           f"{storm[0]['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    document = client.get(f"/api/v1/documents/{ids['storm-report.txt']}").json()
    assert document["tags"] == ["weather"]
    again = client.post(f"/api/v1/documents/{ids['storm-report.txt']}/suggestions/"
                        f"{storm[0]['id']}/accept")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"

    rejected = client.post(f"/api/v1/documents/{ids['cargo-note.txt']}/suggestions/"
                           f"{cargo[0]['id']}/reject")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert client.get(f"/api/v1/documents/{ids['cargo-note.txt']}").json()["tags"] == []
    audit = client.get("/api/v1/audit", params={"limit": 50}).json()["items"]
    actions = {event["action"] for event in audit}
    assert {"tag_suggestion.accept", "tag_suggestion.reject"} <= actions

    # The next run learns from the accepted tag and never proposes the rejected pair again.
    code, output = run_cli(env, "worker", "daily-run", "--horizon", "90")
    assert code == 0 and "succeeded: 16 examples" in output, output
    cargo = client.get(f"/api/v1/documents/{ids['cargo-note.txt']}/suggestions").json()
    assert "shipping" not in [s["tag"] for s in cargo]
    # MODEL_KEEP=1: only the newest version is kept.
    newest = client.get("/api/v1/learning/runs").json()[0]["model_version"]
    assert [p.name for p in workspace.glob("*.model")] == [newest + ".model"]


def test_a_workspace_with_too_few_examples_is_skipped_with_a_reason(tmp_path, client):
    ids = tagged_workspace(client, per_topic=2)
    env = cli_environment(tmp_path / "data", str(client.app.state.runtime.settings
                                                 .database_url or ""), SEMANTIC_SEARCH="false")
    code, output = run_cli(env, "worker", "daily-run", "--horizon", "30")
    assert code == 0, output
    assert "skipped: 6 tagged documents in the horizon; at least 20 are needed" in output
    run = client.get("/api/v1/learning/runs").json()[0]
    assert run["status"] == "skipped" and run["examples"] == 6 and run["horizon_days"] == 30
    assert "at least 20" in run["reason"] and run["model_version"] is None
    assert client.get(f"/api/v1/documents/{ids['storm-report.txt']}/suggestions").json() == []


def test_suggestions_are_scoped_and_need_write(client):
    missing = client.get("/api/v1/documents/nope/suggestions")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    response = client.post("/api/v1/documents/nope/suggestions/nope/accept")
    assert response.status_code == 404


@pytest.mark.parametrize("args", [["worker", "--help"]])
def test_worker_alone_is_still_the_celery_worker(tmp_path, args):
    env = cli_environment(tmp_path / "data", None)
    code, output = run_cli(env, *args)
    assert code == 0 and "daily-run" in output and "--concurrency" in output
    # Without a subcommand it is the Celery worker, which needs Redis.
    code, output = run_cli({**env, "REDIS_URL": ""}, "worker", "--concurrency", "1")
    assert code == 2 and "REDIS_URL is not set" in output
