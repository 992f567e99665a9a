"""Chain of custody: every arrival of the same bytes is a file location of one document,
with MD5/SHA-1 beside SHA-256, through the API, the web page and `casework ingest`."""

import hashlib
import html

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from casework.cli.main import app as cli
from tests.conftest import create_collection, ingest, test_settings, upload
from tests.fixtures.accounts import add_member, signed_in

BODY = b"Invoice 2291: harbour crane hose, paid in cash.\n"


def _upload_with(client, collection_id, name, data, **fields):
    return client.post(f"/api/v1/collections/{collection_id}/documents",
                       files=[("files", (name, data, "text/plain"))], data=fields)


def test_the_same_bytes_twice_are_one_document_with_two_locations(client):
    first_case = create_collection(client, "Harbour")
    second_case = create_collection(client, "Customs")
    first = _upload_with(client, first_case["id"], "invoice.txt", BODY,
                         custodian="J. Smith", source_path="/mnt/laptop/Documents/invoice.txt")
    assert first.status_code == 202, first.text
    document_id = first.json()["documents"][0]["document"]["id"]
    second = _upload_with(client, second_case["id"], "copy of invoice.txt", BODY,
                          custodian="A. Jones", source_path="mail/export/att-1.txt")
    assert second.json()["documents"][0] == {**second.json()["documents"][0],
                                             "duplicate": True}
    assert second.json()["documents"][0]["document"]["id"] == document_id

    custody = client.get(f"/api/v1/documents/{document_id}/custody").json()
    assert custody["sha256"] == hashlib.sha256(BODY).hexdigest()
    assert custody["md5"] == hashlib.md5(BODY).hexdigest()
    assert custody["sha1"] == hashlib.sha1(BODY).hexdigest()
    assert custody["custodians"] == ["A. Jones", "J. Smith"]
    me = client.get("/api/v1/auth/me").json()
    assert [(loc["filename"], loc["source_path"], loc["custodian"], loc["collection_id"],
             loc["duplicate"], loc["via"], loc["uploaded_by_user_id"])
            for loc in custody["locations"]] == [
        ("invoice.txt", "/mnt/laptop/Documents/invoice.txt", "J. Smith", first_case["id"],
         False, "api", me["id"]),
        ("copy of invoice.txt", "mail/export/att-1.txt", "A. Jones", second_case["id"],
         True, "api", me["id"])]
    assert custody["first_received_at"] == custody["locations"][0]["received_at"]
    upload_events = client.get("/api/v1/audit", params={"action": "document.upload"}).json()
    assert {e["details"].get("custodian") for e in upload_events["items"]} == {
        "J. Smith", "A. Jones"}


def test_custody_fields_are_validated_and_scoped(client):
    collection = create_collection(client)
    too_long = _upload_with(client, collection["id"], "a.txt", b"a", custodian="x" * 201)
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "invalid_input"
    forged = _upload_with(client, collection["id"], "a.txt", b"a",
                          source_path="ok\nFORGED LINE")
    assert forged.status_code == 422 and "control characters" in forged.json()["error"]["message"]
    assert client.get("/api/v1/documents", params={"collection_id": collection["id"]}
                      ).json()["total"] == 0  # nothing stored
    plain = upload(client, collection["id"], ("b.txt", b"no custody fields"))[0]
    custody = client.get(f"/api/v1/documents/{plain['document']['id']}/custody").json()
    assert custody["locations"][0]["custodian"] is None
    assert client.get("/api/v1/documents/nope/custody").status_code == 404
    other = add_member(client, "owner", "other@example.test")
    elsewhere = other.post("/api/v1/workspaces", json={"name": "Elsewhere"})
    assert elsewhere.status_code == 201, elsewhere.text
    other.headers["X-Workspace"] = elsewhere.json()["slug"]
    assert other.get(f"/api/v1/documents/{plain['document']['id']}/custody").status_code == 404


def test_the_document_page_shows_the_custody_record(client):
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("memo.txt", BODY))[0]
    _upload_with(client, collection["id"], "memo-again.txt", BODY, custodian="R. <b>Roe</b>")
    browser, _csrf = signed_in(client)
    page = browser.get(f"/documents/{doc['id']}")
    assert page.status_code == 200
    assert "Chain of custody" in page.text and "Received 2 times" in page.text
    assert hashlib.md5(BODY).hexdigest() in page.text
    assert hashlib.sha1(BODY).hexdigest() in page.text
    assert html.escape("R. <b>Roe</b>") in page.text and "<b>Roe</b>" not in page.text


def test_cli_ingest_records_custodian_and_relative_paths_then_backfill(tmp_path, make_client,
                                                                       monkeypatch):
    folder = tmp_path / "seized"
    (folder / "desk").mkdir(parents=True)
    (folder / "desk" / "note.txt").write_bytes(BODY)
    (folder / "same.txt").write_bytes(BODY)
    data_dir = tmp_path / "data"
    for name, value in {"DATA_DIR": str(data_dir), "ENVIRONMENT": "test",
                        "SEMANTIC_SEARCH": "false", "DATABASE_URL": ""}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["ingest", str(folder), "--collection", "Seized",
                                      "--custodian", "Officer K"])
    assert result.exit_code == 0, result.output
    refused = CliRunner().invoke(cli, ["ingest", str(folder), "--collection", "Seized",
                                       "--custodian", "k" * 201])
    assert refused.exit_code == 2

    client = make_client(test_settings(data_dir))
    document_id = client.get("/api/v1/documents").json()["items"][0]["id"]
    custody = client.get(f"/api/v1/documents/{document_id}/custody").json()
    assert [(loc["source_path"], loc["custodian"], loc["via"], loc["duplicate"])
            for loc in custody["locations"]] == [
        ("same.txt", "Officer K", "cli", False), ("desk/note.txt", "Officer K", "cli", True)]
    assert custody["locations"][0]["uploaded_by_label"].startswith("casework ingest")

    # A document stored before MD5/SHA-1 were kept: the backfill reads its original.
    engine = create_engine(f"sqlite:///{data_dir / 'casework.db'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE document SET md5 = NULL, sha1 = NULL"))
    engine.dispose()
    assert client.get(f"/api/v1/documents/{document_id}/custody").json()["md5"] is None
    backfilled = CliRunner().invoke(cli, ["custody", "backfill"])
    assert backfilled.exit_code == 0, backfilled.output
    assert "1 documents given MD5 and SHA-1" in backfilled.output
    custody = client.get(f"/api/v1/documents/{document_id}/custody").json()
    assert (custody["md5"], custody["sha1"]) == (hashlib.md5(BODY).hexdigest(),
                                                 hashlib.sha1(BODY).hexdigest())
