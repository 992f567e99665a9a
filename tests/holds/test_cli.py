"""`casework hold place|list|release` on the embedded database: the same rules and audit
as the API, with "cli" as the actor."""

from typer.testing import CliRunner

from casework.cli.main import app as cli
from tests.conftest import create_collection, ingest, test_settings


def test_place_list_and_release_from_the_shell(tmp_path, make_client, monkeypatch):
    data_dir = tmp_path / "data"
    for name, value in {"DATA_DIR": str(data_dir), "ENVIRONMENT": "test",
                        "SEMANTIC_SEARCH": "false", "DATABASE_URL": ""}.items():
        monkeypatch.setenv(name, value)
    client = make_client(test_settings(data_dir))
    collection = create_collection(client, "Harbour")
    doc = ingest(client, collection["id"], ("memo.txt", b"crane hose"))[0]

    both = CliRunner().invoke(cli, ["hold", "place", "--name", "n", "--matter", "m",
                                    "--collection", collection["id"], "--custodian", "X"])
    assert both.exit_code == 1 and "exactly one" in both.output
    placed = CliRunner().invoke(cli, ["hold", "place", "--name", "Harbour litigation",
                                      "--matter", "Smith v. Port Authority",
                                      "--collection", collection["id"]])
    assert placed.exit_code == 0, placed.output
    (hold,) = client.get("/api/v1/holds").json()
    assert hold["created_by_label"] == "cli" and hold["active"] is True
    assert client.delete(f"/api/v1/documents/{doc['id']}").status_code == 409
    listed = CliRunner().invoke(cli, ["hold", "list", "--active"])
    assert listed.exit_code == 0 and hold["id"] in listed.output

    released = CliRunner().invoke(cli, ["hold", "release", hold["id"], "--reason", "Settled"])
    assert released.exit_code == 0, released.output
    again = CliRunner().invoke(cli, ["hold", "release", hold["id"], "--reason", "Settled"])
    assert again.exit_code == 1 and "already released" in again.output
    assert client.delete(f"/api/v1/documents/{doc['id']}").status_code == 204
    actions = [e["action"] for e in client.get(
        "/api/v1/audit", params={"target_id": hold["id"]}).json()["items"]]
    assert sorted(actions) == ["hold.place", "hold.release"]
