"""The audit log's hash chain: an edited row or a deleted one is named by `casework audit
verify` and `GET /audit/verify`; concurrent appends keep one chain; the log exports with
its links. SQLite and PostgreSQL."""

import csv
import io
import json
import threading

from typer.testing import CliRunner

from casework.audit import service as audit
from casework.cli.main import app as cli
from casework.core.database import transaction
from casework.core.origin import RequestOrigin
from tests.audit.tampering import tamper
from tests.fixtures.accounts import add_member


def _some_events(client):
    for name in ("one", "two", "three"):
        key = client.post("/api/v1/api-keys", json={"name": name}).json()
    client.delete(f"/api/v1/api-keys/{key['id']}")
    return client.get("/api/v1/audit", params={"limit": 200}).json()["items"]


def _cli(settings, monkeypatch, *args):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("DATABASE_URL", settings.database_url or "")
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner().invoke(cli, list(args))


def test_an_untouched_chain_verifies(client, settings, monkeypatch):
    events = _some_events(client)
    assert sorted(e["seq"] for e in events) == list(range(1, len(events) + 1))
    by_seq = {e["seq"]: e for e in events}
    assert all(by_seq[s]["prev_hash"] == by_seq[s - 1]["hash"] for s in range(2, len(events)))
    report = client.get("/api/v1/audit/verify").json()
    assert report["ok"] is True and report["first_broken_seq"] is None
    assert report["events"] == len(events) and report["head_hash"] == by_seq[len(events)]["hash"]

    result = _cli(settings, monkeypatch, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "BROKEN" not in result.output
    head = _cli(settings, monkeypatch, "audit", "head", "--workspace", "default")
    assert head.exit_code == 0 and report["head_hash"] in head.output


def test_an_edited_row_is_named_by_its_seq(client, settings, monkeypatch):
    events = _some_events(client)
    workspace_id = events[0]["workspace_id"]
    tamper(settings, "UPDATE audit_event SET actor_label = 'someone else' "
            "WHERE workspace_id = :w AND seq = 3", w=workspace_id)

    report = client.get("/api/v1/audit/verify").json()
    assert report["ok"] is False
    assert report["edited"] == [3] and report["first_broken_seq"] == 3
    assert report["gaps"] == [] and report["broken_links"] == []

    result = _cli(settings, monkeypatch, "audit", "verify", "--workspace", "default")
    assert result.exit_code == 1
    assert "first broken seq 3" in result.output and "seq 3: edited" in result.output


def test_a_rehashed_edit_breaks_the_next_link(client, settings):
    events = _some_events(client)
    tamper(settings, "UPDATE audit_event SET action = 'x', hash = :h "
            "WHERE workspace_id = :w AND seq = 2", h="f" * 64, w=events[0]["workspace_id"])
    report = client.get("/api/v1/audit/verify").json()
    assert report["edited"] == [2] and report["broken_links"] == [3]


def test_a_deleted_row_is_a_gap(client, settings, monkeypatch):
    events = _some_events(client)
    last = max(e["seq"] for e in events)
    tamper(settings, "DELETE FROM audit_event WHERE workspace_id = :w AND seq IN (2, :last)",
            w=events[0]["workspace_id"], last=last)

    report = client.get("/api/v1/audit/verify").json()
    assert report["ok"] is False and report["first_broken_seq"] == 2
    assert report["gaps"] == [{"from_seq": 2, "to_seq": 2},
                              {"from_seq": last, "to_seq": last}]
    assert report["edited"] == []
    result = _cli(settings, monkeypatch, "audit", "verify")
    assert result.exit_code == 1
    assert "seq 2: missing" in result.output and f"seq {last}: missing" in result.output


def test_concurrent_appends_keep_one_chain(client):
    """Threads appending to one workspace at once (one transaction each): never two rows
    with one seq, never a fork, no gap."""
    runtime = client.app.state.runtime
    workspace_id = _some_events(client)[0]["workspace_id"]
    errors: list[Exception] = []

    def append(worker: int) -> None:
        try:
            for n in range(15):
                with transaction(runtime.sessions) as session:
                    audit.record(session=session, action="test.append",
                                 origin=RequestOrigin.cli(), workspace_id=workspace_id,
                                 details={"worker": worker, "n": n})
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = client.get("/api/v1/audit/verify").json()
    assert report["ok"] is True, report
    appended = client.get("/api/v1/audit", params={"action": "test.append",
                                                   "limit": 200}).json()
    assert appended["total"] == 90


def test_the_log_exports_with_its_links_and_the_export_is_audited(client):
    events = _some_events(client)
    exported = client.get("/api/v1/audit/export", params={"format": "json"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/json")
    rows = json.loads(exported.text)
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(rows[i]["prev_hash"] == rows[i - 1]["hash"] for i in range(1, len(rows)))
    assert len(rows) == len(events) + 1 and rows[-1]["action"] == "audit.export"

    as_csv = client.get("/api/v1/audit/export", params={"format": "csv"})
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["hash"] for r in table[:len(rows)]] == [r["hash"] for r in rows]
    assert table[-1]["action"] == "audit.export" and table[-1]["details"] == '{"format": "csv"}'

    assert client.get("/api/v1/audit/export", params={"format": "xml"}).status_code == 422
    viewer = add_member(client, "viewer", "viewer@example.test")
    assert viewer.get("/api/v1/audit/export").status_code == 403
    assert viewer.get("/api/v1/audit/verify").status_code == 403


def test_a_search_is_audited_once_per_window_by_its_keyed_hash(client):
    for q in ("Harbour crane", "harbour   CRANE", "harbour crane"):
        assert client.get("/api/v1/search", params={"q": q, "mode": "keyword"}
                          ).status_code == 200
    client.get("/api/v1/search", params={"q": "salamander", "mode": "keyword"})
    events = client.get("/api/v1/audit", params={"action": "search"}).json()["items"]
    assert len(events) == 2  # the same search, folded, is one event in its window
    text = str(events).casefold()
    assert "harbour" not in text and "salamander" not in text
    assert all(len(e["target_id"]) == 64 and e["details"]["mode"] == "keyword"
               for e in events)
