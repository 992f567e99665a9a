"""Workspaces are isolated: nothing of one is visible from another."""

from tests.conftest import create_collection, ingest


def test_a_second_workspace_sees_nothing_of_the_first(client):
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("secret.txt", b"classified walrus plan"))[0]
    created = client.post("/api/v1/workspaces", json={"name": "Other Team"})
    assert created.status_code == 201
    other = {"X-Workspace": created.json()["slug"]}
    assert client.get("/api/v1/documents", headers=other).json()["total"] == 0
    assert client.get("/api/v1/collections", headers=other).json()["total"] == 0
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=other).status_code == 404
    assert client.get(f"/api/v1/documents/{doc['id']}/original",
                      headers=other).status_code == 404
    assert client.get(f"/api/v1/collections/{collection['id']}",
                      headers=other).status_code == 404
    hits = client.get("/api/v1/search", params={"q": "walrus", "mode": "keyword"},
                      headers=other).json()["hits"]
    assert hits == []
    upload = client.post(f"/api/v1/collections/{collection['id']}/documents", headers=other,
                         files=[("files", ("x.txt", b"intrusion", "text/plain"))])
    assert upload.status_code == 404


def test_errors_are_json_without_internals(client):
    response = client.get("/api/v1/no-such-route")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    wrong_method = client.put("/api/v1/search")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
