"""Batch search over HTTP: a CSV of terms (words, phrases, proximity, prefixes) gives each
term's document count and unique hits, in the API and as CSV downloads; bad files are
refused naming the row; batches are the workspace's own."""

import csv
import io
import time

from tests.conftest import create_collection, ingest, test_settings
from tests.fixtures.accounts import add_member

FILES = {
    "crane.txt": b"The harbour crane hose was paid in cash.",
    "report.txt": b"The salvage report was filed in March; the crane was idle.",
    "storm.txt": b"A storm delayed the salvage crew for a week.",
    "menu.txt": b"Lunch menu: soup, bread, cheese.",
}
TERMS = ('term,label\n'
         'crane,Crane\n'
         '"""salvage report""",Salvage report\n'
         '"""salvage crew""~2",Salvage crew nearby\n'
         'stor*,Storm prefix\n'
         '=HYPERLINK("x"),Formula\n'
         'nothingmatchesthis\n')


def _upload(client, data: bytes, name="terms.csv", **fields):
    return client.post("/api/v1/search/batches", files=[("file", (name, data, "text/csv"))],
                       data=fields)


def _wait(client, batch_id):
    deadline = time.monotonic() + 60
    while True:
        batch = client.get(f"/api/v1/search/batches/{batch_id}").json()
        if batch["status"] in ("ready", "failed"):
            return batch
        assert time.monotonic() < deadline, batch
        time.sleep(0.05)


def test_counts_unique_hits_and_csv_downloads(client):
    collection = create_collection(client, "Harbour")
    docs = {d["filename"]: d["id"] for d in ingest(client, collection["id"], *FILES.items())}
    response = _upload(client, TERMS.encode())
    assert response.status_code == 202, response.text
    batch = _wait(client, response.json()["id"])
    assert batch["status"] == "ready", batch
    got = {r["label"]: (r["documents"], r["unique"], sorted(r["document_ids"]))
           for r in batch["results"]}
    assert got == {
        "Crane": (2, 1, sorted([docs["crane.txt"], docs["report.txt"]])),
        "Salvage report": (1, 0, [docs["report.txt"]]),
        "Salvage crew nearby": (1, 0, [docs["storm.txt"]]),
        "Storm prefix": (1, 0, [docs["storm.txt"]]),
        "Formula": (0, 0, []),
        "nothingmatchesthis": (0, 0, []),
    }
    assert batch["documents_hit"] == 3

    summary = client.get(f"/api/v1/search/batches/{batch['id']}/results.csv")
    assert summary.status_code == 200 and summary.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(summary.text)))
    assert rows[0] == ["label", "term", "documents", "unique_documents"]
    assert rows[1] == ["Crane", "crane", "2", "1"]
    assert rows[5][1] == "'=HYPERLINK(\"x\")"  # never a formula in a spreadsheet
    hits = list(csv.reader(io.StringIO(
        client.get(f"/api/v1/search/batches/{batch['id']}/hits.csv").text)))
    assert ["Crane", "crane", docs["crane.txt"], "crane.txt", collection["id"]] in hits
    assert len(hits) == 1 + 2 + 1 + 1 + 1
    listed = client.get("/api/v1/search/batches").json()
    assert [b["id"] for b in listed] == [batch["id"]]
    events = client.get("/api/v1/audit", params={"action": "search.batch"}).json()["items"]
    assert events[0]["target_id"] == batch["id"] and events[0]["details"]["terms"] == 6


def test_a_batch_limited_to_one_collection(client):
    first = create_collection(client, "Harbour")
    second = create_collection(client, "Other")
    ingest(client, first["id"], ("a.txt", b"crane hose"))
    ingest(client, second["id"], ("b.txt", b"crane arm"))
    batch = _wait(client, _upload(client, b"crane\n",
                                  collection_id=second["id"]).json()["id"])
    assert [(r["term"], r["documents"]) for r in batch["results"]] == [("crane", 1)]


def test_bad_files_are_refused_naming_the_row(client):
    for data, status, says in [
        (b"", 422, "no terms"),
        (b"term,label\ncrane\n\"\"\"a b c\"\"~2\"\n", 422, "row 2"),
        (b"crane\n***\n", 422, "row 2"),
        (b"\xff\xfe\x00c", 422, "UTF-8"),
        (b"x\n" * 501, 422, "more than 500"),
        (b"x" * (300 * 1024), 413, "larger"),
        (b"crane,\x07bell\n", 422, "control characters"),
    ]:
        response = _upload(client, data)
        assert response.status_code == status, (data[:40], response.text)
        assert says in response.json()["error"]["message"], response.text
    not_ready = _upload(client, b"crane\n").json()
    # (it may already be ready on a fast machine; a missing batch is 404 either way)
    assert client.get("/api/v1/search/batches/nope/results.csv").status_code == 404
    assert not_ready["status"] in ("queued", "running", "ready")
    assert client.get("/api/v1/search/batches").json()[0]["id"] == not_ready["id"]


def test_batches_are_the_workspaces_own(client):
    collection = create_collection(client, "Harbour")
    ingest(client, collection["id"], ("a.txt", b"crane hose"))
    batch = _wait(client, _upload(client, b"crane\n").json()["id"])
    stranger = add_member(client, "owner", "stranger@example.test")
    elsewhere = stranger.post("/api/v1/workspaces", json={"name": "Elsewhere"})
    stranger.headers["X-Workspace"] = elsewhere.json()["slug"]
    assert stranger.get("/api/v1/search/batches").json() == []
    for path in ("", "/results.csv", "/hits.csv"):
        assert stranger.get(f"/api/v1/search/batches/{batch['id']}{path}").status_code == 404
    # Their own batch counts only their documents.
    theirs = _wait(stranger, _upload(stranger, b"crane\n").json()["id"])
    assert theirs["results"][0]["documents"] == 0
    viewer = add_member(client, "viewer", "viewer@example.test")
    assert _upload(viewer, b"crane\n").status_code == 403
    assert viewer.get(f"/api/v1/search/batches/{batch['id']}").status_code == 200


def test_counts_do_not_depend_on_the_ranking_engine(tmp_path, make_client):
    """With tantivy ranking searches, counts still come from the database's own index."""
    client = make_client(test_settings(tmp_path / "data", None, keyword_engine="tantivy"))
    collection = create_collection(client, "Harbour")
    ingest(client, collection["id"], *FILES.items())
    batch = _wait(client, _upload(client, TERMS.encode()).json()["id"])
    assert [(r["label"], r["documents"], r["unique"]) for r in batch["results"]] == [
        ("Crane", 2, 1), ("Salvage report", 1, 0), ("Salvage crew nearby", 1, 0),
        ("Storm prefix", 1, 0), ("Formula", 0, 0), ("nothingmatchesthis", 0, 0)]
