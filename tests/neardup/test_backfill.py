"""Documents stored before near-duplicates existed have no signature and were never grouped:
the backfill queues their job (admins, over HTTP, the CLI and the page; and every start),
once, in the caller's workspace only.

"Stored before the feature" is made by deleting the documents' signature rows, which is
what such an installation's tables look like after the migration.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from typer.testing import CliRunner

from casework.app import create_app
from casework.cli.main import app as cli
from casework.core.database import transaction
from casework.neardup.models import DocumentSignature, SignatureBand
from tests.conftest import create_collection, ingest, login, test_settings
from tests.fixtures.accounts import add_member, signed_in
from tests.neardup.test_api import ORIGINAL, UNRELATED, wait_for_near_duplicate_jobs

KIND = "find_near_duplicates"
FILES = (("memo.txt", ORIGINAL.encode()),
         ("memo-draft.txt", ("DRAFT\n\n" + ORIGINAL).encode()),
         ("menu.txt", UNRELATED.encode()))


def _forget_signatures(client: TestClient) -> None:
    """Every workspace's documents as an installation from before near-duplicates has them."""
    with transaction(client.app.state.runtime.sessions) as session:
        session.execute(delete(SignatureBand))
        session.execute(delete(DocumentSignature))


def _jobs(client: TestClient, **headers: str) -> list[dict]:
    jobs = client.get("/api/v1/jobs", params={"limit": 200}, headers=headers).json()
    return [j for j in jobs if j["kind"] == KIND]


def _members(client: TestClient, **headers: str) -> list[set[str]]:
    groups = client.get("/api/v1/near-duplicates", headers=headers).json()["groups"]
    return [{m["filename"] for m in g["members"]} for g in groups]


def _backfill_events(client: TestClient, **headers: str) -> list[tuple[str, int]]:
    items = client.get("/api/v1/audit", params={"action": "neardup.backfill"},
                       headers=headers).json()["items"]
    return [(e["actor_label"], e["details"]["queued"]) for e in reversed(items)]


@pytest.fixture
def small_batches(tmp_path, database_url, shape_overrides, make_client) -> TestClient:
    """Two documents a batch: three documents take two batches, and a last empty read."""
    return make_client(test_settings(tmp_path / "data", database_url,
                                     near_duplicate_backfill_batch=2, **shape_overrides))


def test_the_backfill_groups_old_documents_once_and_only_in_its_workspace(small_batches):
    client = small_batches
    ours = create_collection(client, "Harbour")
    ingest(client, ours["id"], *FILES)
    other = client.post("/api/v1/workspaces", json={"name": "Other"}).json()
    b = {"X-Workspace": other["slug"]}
    theirs = client.post("/api/v1/collections", json={"name": "Theirs"}, headers=b).json()
    upload = client.post(f"/api/v1/collections/{theirs['id']}/documents", headers=b, files=[
        ("files", (name, data, "text/plain")) for name, data in FILES[:2]])
    assert upload.status_code == 202, upload.text
    wait_for_near_duplicate_jobs(client, 3)
    client.headers.update(b)
    wait_for_near_duplicate_jobs(client, 2)
    del client.headers["X-Workspace"]
    assert _members(client) == [{"memo.txt", "memo-draft.txt"}]
    _forget_signatures(client)
    assert _members(client) == [] and _members(client, **b) == []

    editor = add_member(client, "editor", "editor@example.test")
    refused = editor.post("/api/v1/near-duplicates/backfill")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert len(_jobs(client)) == 3

    response = client.post("/api/v1/near-duplicates/backfill")
    assert response.status_code == 202, response.text
    assert response.json() == {"queued": 3}
    wait_for_near_duplicate_jobs(client, 6)
    assert _members(client) == [{"memo.txt", "memo-draft.txt"}]
    admin = add_member(client, "admin", "admin@example.test")  # admins may, not only owners
    again = admin.post("/api/v1/near-duplicates/backfill")
    assert (again.status_code, again.json()) == (202, {"queued": 0})
    assert len(_jobs(client)) == 6

    # Workspace B was never touched: no job, still no group, until its own backfill.
    assert len(_jobs(client, **b)) == 2 and _members(client, **b) == []
    assert client.post("/api/v1/near-duplicates/backfill", headers=b).json() == {"queued": 2}
    client.headers.update(b)
    wait_for_near_duplicate_jobs(client, 4)
    del client.headers["X-Workspace"]
    assert _members(client, **b) == [{"memo.txt", "memo-draft.txt"}]
    assert _backfill_events(client) == [("owner@example.test", 3), ("admin@example.test", 0)]
    assert _backfill_events(client, **b) == [("owner@example.test", 2)]


def test_the_page_offers_the_backfill_to_admins_only(client):
    collection = create_collection(client, "Harbour")
    ingest(client, collection["id"], *FILES)
    wait_for_near_duplicate_jobs(client, 3)
    _forget_signatures(client)
    page = f"/collections/{collection['id']}/near-duplicates"
    browser, csrf = signed_in(client)
    assert "Documents stored before near-duplicates existed" in browser.get(page).text
    done = browser.post(f"{page}/backfill", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{page}?queued=3"
    assert "Queued 3 documents" in browser.get(done.headers["location"]).text

    add_member(client, "editor", "editor@example.test")
    editor, editor_csrf = signed_in(client, "editor@example.test", "a-long-test-password")
    assert "Documents stored before near-duplicates existed" not in editor.get(page).text
    refused = editor.post(f"{page}/backfill", data={"csrf_token": editor_csrf},
                          follow_redirects=False)
    assert refused.status_code == 403
    wait_for_near_duplicate_jobs(client, 6)
    assert _members(client) == [{"memo.txt", "memo-draft.txt"}]


def _start(settings) -> TestClient:
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    client.__enter__()
    token = login(client, settings.admin_email,
                  settings.admin_password.get_secret_value())["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_a_start_after_the_upgrade_queues_the_unsigned_documents(tmp_path, database_url):
    """An upgraded installation needs no step: its first start queues them (as re-chunking
    is queued), a backfill meanwhile adds nothing, and the next start adds nothing."""
    first = _start(test_settings(tmp_path / "data", database_url,
                                 near_duplicate_backfill_batch=1))
    try:
        collection = create_collection(first, "Harbour")
        ingest(first, collection["id"], *FILES)
        wait_for_near_duplicate_jobs(first, 3)
        _forget_signatures(first)
    finally:
        first.__exit__(None, None, None)

    idle = _start(test_settings(tmp_path / "data", database_url, worker_threads=0,
                                near_duplicate_backfill_batch=1))
    try:
        waiting = [j for j in _jobs(idle) if j["status"] == "queued"]
        assert len(waiting) == 3
        assert idle.post("/api/v1/near-duplicates/backfill").json() == {"queued": 0}
    finally:
        idle.__exit__(None, None, None)

    working = _start(test_settings(tmp_path / "data", database_url))
    try:
        wait_for_near_duplicate_jobs(working, 6)
        assert _members(working) == [{"memo.txt", "memo-draft.txt"}]
        assert len(_jobs(working)) == 6
        assert _backfill_events(working) == [("casework start-up", 3),
                                             ("owner@example.test", 0)]
    finally:
        working.__exit__(None, None, None)


def test_casework_neardup_backfill(tmp_path, make_client, monkeypatch):
    data_dir = tmp_path / "data"
    for name, value in {"DATA_DIR": str(data_dir), "ENVIRONMENT": "test",
                        "SEMANTIC_SEARCH": "false", "DATABASE_URL": ""}.items():
        monkeypatch.setenv(name, value)
    client = make_client(test_settings(data_dir))
    collection = create_collection(client, "Harbour")
    ingest(client, collection["id"], *FILES)
    wait_for_near_duplicate_jobs(client, 3)
    _forget_signatures(client)

    run = CliRunner().invoke(cli, ["neardup", "backfill", "--workspace", "default"])
    assert run.exit_code == 0, run.output
    assert "queued 3 documents for near-duplicate signing" in run.output
    wait_for_near_duplicate_jobs(client, 6)
    assert _members(client) == [{"memo.txt", "memo-draft.txt"}]
    again = CliRunner().invoke(cli, ["neardup", "backfill", "--batch", "1"])
    assert again.exit_code == 0 and "queued 0 documents" in again.output
    missing = CliRunner().invoke(cli, ["neardup", "backfill", "-w", "nowhere"])
    assert missing.exit_code == 1
    # The command's own start queued them (every start does); both runs are audited.
    labels = [label for label, _ in _backfill_events(client)]
    assert labels[0] == "casework start-up" and len(labels) == 3
    assert all(label.startswith("casework neardup backfill") for label in labels[1:])
