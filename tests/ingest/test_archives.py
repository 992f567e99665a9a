"""ZIP, TAR and 7z archives: kept as documents listing their members; each regular member
a child document with its path inside; bombs, escaping names, links and encrypted members
refused or skipped with a reason, and nothing written outside the work folder."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.conftest import create_collection, ingest, test_settings, upload, wait_for_documents
from tests.fixtures.archives import (
    make_7z,
    make_tar,
    make_zip,
    nested_zips,
    ratio_bomb,
)
from tests.fixtures.files import make_pdf


def _children(client, document_id):
    response = client.get(f"/api/v1/documents/{document_id}/children")
    assert response.status_code == 200, response.text
    return response.json()


def _settled_children(client, document_id):
    listed = _children(client, document_id)
    docs = wait_for_documents(client, [m["document_id"] for m in listed["items"]])
    return listed, {m["path"]: d for m, d in zip(listed["items"], docs, strict=True)}


def _pages(client, document_id):
    return "\n".join(p["text"] for p in
                     client.get(f"/api/v1/documents/{document_id}/pages").json())


def _hits(client, query):
    response = client.get("/api/v1/search", params={"q": query, "mode": "keyword"})
    return {hit["document_id"] for hit in response.json()["hits"]}


def test_zip_members_become_searchable_children_and_hostile_ones_are_skipped(client,
                                                                              tmp_path):
    collection = create_collection(client)
    escape = f"casework-escape-{uuid.uuid4().hex}.txt"
    inner = make_zip({"deep/minutes.txt": b"The quartermaster signed the manifest."})
    archive = make_zip(
        {"reports/survey.pdf": make_pdf(["Corrosion found on the starboard hull."]),
         "notes/todo.txt": b"Call the harbour master about berth nine.",
         "inner.zip": inner, f"../../{escape}": b"out", f"/tmp/{escape}": b"out",
         "secret.txt": b"locked"},
        symlinks={"passwd-link": "/etc/passwd"}, encrypted=("secret.txt",))
    doc = ingest(client, collection["id"], ("evidence.zip", archive))[0]
    assert doc["media_type"] == "application/zip"
    assert doc["children_count"] == 3
    listing = _pages(client, doc["id"])
    assert "reports/survey.pdf" in listing and "inner.zip" in listing
    assert doc["id"] in _hits(client, "todo.txt")  # found by the names inside it

    listed, children = _settled_children(client, doc["id"])
    assert set(children) == {"reports/survey.pdf", "notes/todo.txt", "inner.zip"}
    survey = children["reports/survey.pdf"]
    assert survey["status"] == "ready" and survey["media_type"] == "application/pdf"
    assert survey["parent_document_id"] == doc["id"]
    assert survey["collection_id"] == collection["id"]
    assert survey["id"] in _hits(client, "starboard hull corrosion")
    custody = client.get(f"/api/v1/documents/{survey['id']}/custody").json()
    (arrival,) = custody["locations"]
    assert arrival["via"] == "archive"
    assert arrival["source_path"] == "evidence.zip!/reports/survey.pdf"
    assert arrival["parent_document_id"] == doc["id"]

    skipped = {s["code"]: s for s in listed["skipped"]}
    assert listed["skipped_count"] == 4
    assert set(skipped) == {"unsafe_path", "not_a_file", "encrypted"}
    assert "password" in skipped["encrypted"]["reason"]
    assert skipped["not_a_file"]["path"] == "passwd-link"
    assert "skipped: encrypted" in listing

    # The nested ZIP is an archive too: its member two levels down, with its whole path.
    _, grandchildren = _settled_children(client, children["inner.zip"]["id"])
    minutes = grandchildren["deep/minutes.txt"]
    assert minutes["id"] in _hits(client, "quartermaster manifest")
    custody = client.get(f"/api/v1/documents/{minutes['id']}/custody").json()
    assert custody["locations"][0]["source_path"] == \
        "evidence.zip!/inner.zip!/deep/minutes.txt"
    assert not list(tmp_path.rglob(escape)) and not Path("/tmp", escape).exists()
    assert not (tmp_path.parent / escape).exists()


def test_tar_gz_and_7z_members_with_links_skipped_and_known_bytes_deduplicated(client):
    collection = create_collection(client)
    known = make_pdf(["Pilot log for the night crossing."])
    first = ingest(client, collection["id"], ("pilot-log.pdf", known))[0]
    tarball = make_tar({"case/pilot-log.pdf": known,
                        "case/crew.txt": b"Crew list: bosun, cook, navigator."},
                       symlinks={"case/shadow": "/etc/shadow"},
                       hardlinks={"case/again.txt": "case/crew.txt"})
    sevenzip = make_7z({"letters/claim.txt": b"The insurer disputes the salvage claim."})
    locked = make_7z({"locked.txt": b"nothing to see"}, password="hunter2")
    tar_doc, seven_doc, locked_doc = ingest(
        client, collection["id"], ("crossing.tar.gz", tarball), ("letters.7z", sevenzip),
        ("locked.7z", locked))
    assert tar_doc["media_type"] == "application/gzip"
    assert seven_doc["media_type"] == "application/x-7z-compressed"

    listed, children = _settled_children(client, tar_doc["id"])
    assert children["case/pilot-log.pdf"]["id"] == first["id"]
    duplicate = next(m for m in listed["items"] if m["path"] == "case/pilot-log.pdf")
    assert duplicate["duplicate"] is True
    assert children["case/crew.txt"]["id"] in _hits(client, "bosun navigator")
    assert {(s["path"], s["code"]) for s in listed["skipped"]} == {
        ("case/shadow", "not_a_file"), ("case/again.txt", "not_a_file")}

    _, children = _settled_children(client, seven_doc["id"])
    assert children["letters/claim.txt"]["id"] in _hits(client, "salvage insurer")

    locked_listed = _children(client, locked_doc["id"])
    assert locked_listed["items"] == []
    assert [(s["path"], s["code"]) for s in locked_listed["skipped"]] == [
        ("locked.txt", "encrypted")]


def test_archive_bombs_are_refused_with_the_limit_named(tmp_path, database_url, make_client):
    client = make_client(test_settings(tmp_path / "data", database_url,
                                       container_max_members=20, container_max_bytes=2 ** 20,
                                       container_max_depth=2))
    collection = create_collection(client)
    many = make_zip({f"f{i}.txt": b"x" for i in range(30)})
    big = make_tar({"big.bin": bytes(3 * 2 ** 20)}, compression="xz")
    uploaded = upload(client, collection["id"], ("ratio.zip", ratio_bomb()),
                      ("many.zip", many), ("big.tar.xz", big))
    ratio, members, size = wait_for_documents(client, [u["document"]["id"] for u in uploaded])
    assert ratio["status"] == "failed" and "CONTAINER_MAX_RATIO" in ratio["error"]
    assert members["status"] == "failed" and "CONTAINER_MAX_MEMBERS" in members["error"]
    assert size["status"] == "failed" and "CONTAINER_MAX_BYTES" in size["error"]
    for doc in (ratio, members, size):
        assert _children(client, doc["id"])["items"] == []

    # Nesting: opened two levels deep, the third is kept and listed, its members not.
    top = ingest(client, collection["id"],
                 ("nest.zip", nested_zips(4, {"core.txt": b"bottom"})))[0]
    _, level2 = _settled_children(client, top["id"])
    _, level3 = _settled_children(client, level2["level-2.zip"]["id"])
    deepest = level3["level-3.zip"]
    assert deepest["status"] == "ready" and deepest["children_count"] == 0
    (skipped,) = _children(client, deepest["id"])["skipped"]
    assert skipped["path"] == "level-4.zip" and skipped["code"] == "too_deep"
    assert "CONTAINER_MAX_DEPTH" in skipped["reason"]


def test_a_zip_listing_too_many_files_is_refused_at_upload(client):
    collection = create_collection(client)
    response = client.post(
        f"/api/v1/collections/{collection['id']}/documents",
        files=[("files", ("flood.zip", make_zip({f"{i}": b"" for i in range(10_001)}),
                          "application/zip"))])
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "unsafe_archive"
    assert client.get("/api/v1/documents").json()["total"] == 0
