"""Exports over HTTP, on SQLite and PostgreSQL: a collection (or a selection of it) becomes a
ZIP of byte-identical originals, texts, metadata and a signed manifest, built by a job,
downloaded by an expiring link without a session, audited, kept for the retention period."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import zipfile
from datetime import timedelta

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from PIL import Image

from casework.core.database import transaction, utcnow
from casework.exports.job_kinds import PRUNE_EXPORTS
from casework.exports.links import make_download_link
from casework.exports.models import Export
from casework.jobs import service as jobs_service
from casework.jobs.models import Job
from tests.conftest import create_collection, ingest, test_settings
from tests.exports.conftest import export_zip, start_export, wait_for_export
from tests.fixtures.files import make_pdf
from tests.fixtures.media import photo
from tests.fixtures.webhook_receiver import WebhookReceiver, verified
from tests.reports.conftest import wait_for_report

PDF = make_pdf(["Harbour fire: the watchman saw smoke at 23:10.", "Second page: the fire "
                "brigade arrived at 23:24."])
NOTE = b"Witness statement of Ann Lee, taken on 3 May."


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        return {info.filename: zipped.read(info) for info in zipped.infolist()}


def test_a_collection_becomes_a_signed_zip_of_originals_text_and_metadata(client):
    collection = create_collection(client, "Harbour fire", reference="HB-2024-17")
    docs = ingest(client, collection["id"], ("report.pdf", PDF), ("statement.txt", NOTE),
                  ("scene.jpg", photo(gps=(51.5, -0.12))), ("=SUM(A1).txt", b"formula"))
    tagged = client.put(f"/api/v1/documents/{docs[0]['id']}/tags", json={"tags": ["fire"]})
    assert tagged.status_code == 200
    again = client.post(f"/api/v1/collections/{collection['id']}/documents",
                        files=[("files", ("copy of statement.txt", NOTE, "text/plain"))],
                        data={"custodian": "J. Smith", "source_path": "usb/statement.txt"})
    assert again.status_code == 202 and again.json()["documents"][0]["duplicate"]

    export, data = export_zip(client, collection["id"])
    assert export["include"] == ["originals", "text", "metadata", "report"]
    assert export["progress"]["files_done"] == export["progress"]["files_total"] > 0
    assert export["progress"]["fraction"] == 1.0
    assert export["size_bytes"] == len(data)
    assert export["sha256"] == hashlib.sha256(data).hexdigest()
    members = _members(data)

    # Originals, byte for byte; text per document; the report is included only when one
    # exists, and none does.
    assert members["originals/report.pdf"] == PDF
    assert members["originals/statement.txt"] == NOTE
    assert hashlib.sha256(members["originals/scene.jpg"]).hexdigest() == docs[2]["sha256"]
    text = members["text/report.pdf.txt"].decode()
    assert "watchman saw smoke" in text and "\fSecond page" in text
    assert "Ann Lee" in members["text/statement.txt.txt"].decode()
    assert not any(name.startswith("report/") for name in members)

    metadata = json.loads(members["metadata.json"])
    assert metadata["collection"]["reference"] == "HB-2024-17"
    by_name = {d["filename"]: d for d in metadata["documents"]}
    assert by_name["report.pdf"]["tags"] == ["fire"]
    assert by_name["report.pdf"]["files"] == {"original": "originals/report.pdf",
                                              "text": "text/report.pdf.txt"}
    assert by_name["scene.jpg"]["metadata"]["gps"]["latitude"] == 51.5  # not stripped
    # The chain of custody: digests for other tools, and every arrival of the same bytes.
    custody = by_name["statement.txt"]["custody"]
    assert (custody["md5"], custody["sha1"]) == (hashlib.md5(NOTE).hexdigest(),
                                                 hashlib.sha1(NOTE).hexdigest())
    assert custody["custodians"] == ["J. Smith"]
    assert [(loc["filename"], loc["custodian"], loc["duplicate"])
            for loc in custody["locations"]] == [("statement.txt", None, False),
                                                 ("copy of statement.txt", "J. Smith", True)]
    rows = list(csv.DictReader(io.StringIO(members["metadata.csv"].decode())))
    statement = next(r for r in rows if r["filename"] == "statement.txt")
    assert (statement["md5"], statement["custodians"], statement["arrivals"]) == (
        hashlib.md5(NOTE).hexdigest(), "J. Smith", "2")
    # A spreadsheet opening the CSV must not run a file name as a formula.
    assert {r["filename"] for r in rows} == {"report.pdf", "statement.txt", "scene.jpg",
                                             "'=SUM(A1).txt"}

    # The manifest lists every member but itself and its signature, with the right hashes,
    # and is signed by the installation's key, which anyone may fetch.
    manifest = json.loads(members["manifest.json"])
    assert manifest["export_id"] == export["id"]
    assert manifest["collection"]["name"] == "Harbour fire"
    assert manifest["report"] is None
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(members) - {"manifest.json", "manifest.sig"}
    for path, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(members[path]).hexdigest(), path
        assert entry["size"] == len(members[path])
    assert listed["originals/report.pdf"]["identical_to_original"] is True
    published = client.get("/api/v1/exports/public-key", headers={"Authorization": ""})
    assert published.status_code == 200
    key = published.json()
    assert key["fingerprint"] == manifest["signing"]["key_fingerprint"] == \
        export["key_fingerprint"]
    assert members["public-key.pem"].decode() == key["public_key_pem"]
    load_pem_public_key(key["public_key_pem"].encode()).verify(
        members["manifest.sig"], members["manifest.json"])  # raises if it does not hold
    pem = client.get("/api/v1/exports/public-key.pem", headers={"Authorization": ""})
    assert pem.text == key["public_key_pem"]

    # Both the request and the download are in the audit log.
    events = client.get("/api/v1/audit", params={"target_id": export["id"]}).json()["items"]
    assert {e["action"] for e in events} == {"export.create", "export.download"}


def test_the_parts_asked_for_and_nothing_else(client):
    collection = create_collection(client)
    ingest(client, collection["id"], ("statement.txt", NOTE))
    _, data = export_zip(client, collection["id"], include=["metadata"])
    members = set(_members(data))
    assert members == {"metadata.json", "metadata.csv", "README.txt", "checksums.sha256",
                       "public-key.pem", "manifest.json", "manifest.sig"}


def test_invalid_requests_are_refused_with_reasons(client):
    collection = create_collection(client)
    other = create_collection(client, "Other case")
    doc = ingest(client, other["id"], ("x.txt", b"elsewhere"))[0]
    url = f"/api/v1/collections/{collection['id']}/exports"
    for body, code in (({"include": []}, 422), ({"include": ["everything"]}, 422),
                       ({"include": ["text", "text"]}, 422), ({"document_ids": []}, 422),
                       ({"document_ids": ["x" * 65]}, 422),
                       ({"document_ids": [doc["id"]]}, 404)):
        response = client.post(url, json=body)
        assert response.status_code == code, (body, response.text)
        assert response.json()["error"]["code"] in ("invalid_input", "not_found")
    assert client.post("/api/v1/collections/nope/exports", json={}).status_code == 404
    assert client.get("/api/v1/exports/nope").status_code == 404


def test_strip_gps_blanks_the_position_and_says_the_file_changed(client):
    collection = create_collection(client, "Summer fair", kind="event")
    located = photo(gps=(48.8584, 2.2945), seed=1)
    plain = photo(seed=2)
    png = photo(fmt="PNG", gps=(40.0, -3.7), seed=3, width=64, height=48)
    docs = ingest(client, collection["id"], ("tower.jpg", located), ("plain.jpg", plain),
                  ("map.png", png))
    assert docs[0]["metadata"]["gps"] and docs[2]["metadata"]["gps"]

    export, data = export_zip(client, collection["id"], strip_gps=True)
    members = _members(data)
    cleaned = members["originals/tower.jpg"]
    assert len(cleaned) == len(located) and cleaned != located
    image = Image.open(io.BytesIO(cleaned))
    assert not image.getexif().get_ifd(0x8825)  # no position left
    assert image.getexif()[0x010F] == "Canon"  # the rest of the EXIF is kept
    assert image.tobytes() == Image.open(io.BytesIO(located)).tobytes()  # not re-encoded
    assert members["originals/plain.jpg"] == plain  # nothing to remove: identical

    manifest = json.loads(members["manifest.json"])
    entry = next(f for f in manifest["files"] if f["path"] == "originals/tower.jpg")
    assert entry["identical_to_original"] is False
    assert entry["changes"] == ["gps_removed"]
    assert entry["original_sha256"] == docs[0]["sha256"]
    assert entry["sha256"] == hashlib.sha256(cleaned).hexdigest()
    # A PNG's position cannot be removed here: it is left out, and both say why.
    assert "originals/map.png" not in members
    assert manifest["omitted"] == [{"document_id": docs[2]["id"], "reason": (
        "its position could not be removed from a image/png file (strip_gps)")}]
    assert export["warnings"] == manifest["omitted"]
    metadata = json.loads(members["metadata.json"])
    assert all("gps" not in d["metadata"] for d in metadata["documents"])
    assert next(d for d in metadata["documents"] if d["filename"] == "map.png")["omitted"]


def test_a_gallery_selection_exports_only_the_selected_photos(client):
    collection = create_collection(client, "Wedding", kind="event")
    docs = ingest(client, collection["id"], *[(f"p{i}.jpg", photo(seed=i, width=96,
                                                                  height=64))
                                             for i in range(4)])
    chosen = [docs[1]["id"], docs[3]["id"]]
    export, data = export_zip(client, collection["id"], document_ids=chosen,
                              include=["originals"])
    assert export["selection"] == 2
    originals = sorted(n for n in _members(data) if n.startswith("originals/"))
    assert originals == ["originals/p1.jpg", "originals/p3.jpg"]
    manifest = json.loads(_members(data)["manifest.json"])
    assert manifest["selection"] == {"documents": 2}
    listed = client.get(f"/api/v1/collections/{collection['id']}/exports").json()
    assert [e["id"] for e in listed["items"]] == [export["id"]]


def test_download_links_expire_and_cannot_be_edited(client, settings):
    collection = create_collection(client)
    ingest(client, collection["id"], ("statement.txt", NOTE))
    export, _ = export_zip(client, collection["id"])
    anonymous = {"Authorization": ""}
    url = export["download_url"]
    assert client.get(url, headers=anonymous).status_code == 200
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    assert client.get(tampered, headers=anonymous).status_code == 404
    longer = url.replace("expires=", "expires=9")
    assert client.get(longer, headers=anonymous).status_code == 404
    workspace = url.split("ws=")[1].split("&")[0]
    expired = make_download_link(settings=settings, workspace_id=workspace,
                                 export_id=export["id"], actor="user:x",
                                 now=utcnow() - timedelta(hours=2))
    refused = client.get(expired.url, headers=anonymous)
    assert refused.status_code == 410
    assert refused.json()["error"]["code"] == "link_expired"
    # A range resumes a download; the link's use is audited once, not per range.
    part = client.get(url, headers={**anonymous, "Range": "bytes=10-19"})
    assert part.status_code == 206 and len(part.content) == 10
    downloads = client.get("/api/v1/audit", params={"action": "export.download"}).json()
    assert downloads["total"] == 1


def test_another_workspace_sees_nothing_and_cannot_export(client):
    collection = create_collection(client)
    ingest(client, collection["id"], ("statement.txt", NOTE))
    export, _ = export_zip(client, collection["id"])
    created = client.post("/api/v1/workspaces", json={"name": "Other Team"}).json()
    other = {"X-Workspace": created["slug"]}
    assert client.get(f"/api/v1/exports/{export['id']}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/exports/{export['id']}", headers=other).status_code == 404
    assert client.post(f"/api/v1/collections/{collection['id']}/exports", json={},
                       headers=other).status_code == 404
    assert client.get(f"/api/v1/collections/{collection['id']}/exports",
                      headers=other).status_code == 404
    moved = export["download_url"].replace(export["download_url"].split("ws=")[1]
                                           .split("&")[0], created["id"])
    assert client.get(moved, headers={"Authorization": ""}).status_code == 404


def _run_job(client, kind: str) -> None:
    """What the scheduler does once an hour, now."""
    runtime = client.app.state.runtime
    with transaction(runtime.sessions) as session:
        job_id = jobs_service.enqueue(session=session, kind=kind, payload={},
                                      workspace_id=None, notify=runtime.notify_jobs).id
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with transaction(runtime.read_sessions) as session:
            if session.get(Job, job_id).status == "succeeded":
                return
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def test_retention_removes_exports_older_than_the_setting(client, settings):
    collection = create_collection(client)
    ingest(client, collection["id"], ("statement.txt", NOTE))
    old, _ = export_zip(client, collection["id"])
    fresh, _ = export_zip(client, collection["id"], include=["metadata"])
    runtime = client.app.state.runtime
    with transaction(runtime.sessions) as session:  # eight days pass for the first one
        session.get(Export, old["id"]).created_at = utcnow() - timedelta(days=8)
    archive = settings.blob_dir / old["download_url"].split("ws=")[1].split("&")[0] / \
        "exports" / f"{old['id']}.zip"
    assert archive.is_file()
    _run_job(client, PRUNE_EXPORTS)
    assert client.get(f"/api/v1/exports/{old['id']}").status_code == 404
    assert not archive.exists()
    assert client.get(old["download_url"], headers={"Authorization": ""}).status_code == 404
    assert client.get(f"/api/v1/exports/{fresh['id']}").json()["status"] == "succeeded"


def test_deleting_an_export_or_its_collection_removes_the_archive(client):
    collection = create_collection(client)
    ingest(client, collection["id"], ("statement.txt", NOTE))
    first, _ = export_zip(client, collection["id"])
    second, _ = export_zip(client, collection["id"], include=["metadata"])
    anonymous = {"Authorization": ""}
    assert client.delete(f"/api/v1/exports/{first['id']}").status_code == 204
    assert client.get(first["download_url"], headers=anonymous).status_code == 404
    assert client.delete(f"/api/v1/collections/{collection['id']}").status_code == 204
    assert client.get(second["download_url"], headers=anonymous).status_code == 404


def test_a_failed_export_says_why(client, settings):
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("statement.txt", NOTE))[0]
    blob = settings.blob_dir / doc["id"]  # placeholder, replaced below
    for path in settings.blob_dir.rglob(doc["sha256"]):
        blob = path
    blob.write_bytes(b"tampered on disk")  # the stored original no longer matches
    export = wait_for_export(client, start_export(client, collection["id"])["id"])
    assert export["status"] == "failed"
    assert "no longer matches the SHA-256" in export["error"]
    assert export["download_url"] is None


def test_pending_exports_are_limited_and_deleting_one_cancels_its_job(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "data", worker_threads=0,
                                       export_max_pending=2))  # nothing runs the jobs
    collection = create_collection(client)
    first = start_export(client, collection["id"])
    start_export(client, collection["id"])
    refused = client.post(f"/api/v1/collections/{collection['id']}/exports", json={})
    assert refused.status_code == 429
    assert "limit is 2" in refused.json()["error"]["message"]
    assert client.delete(f"/api/v1/exports/{first['id']}").status_code == 204
    jobs = client.get("/api/v1/jobs", params={"limit": 50}).json()
    cancelled = [j for j in jobs if j["payload"].get("export_id") == first["id"]]
    assert [j["status"] for j in cancelled] == ["cancelled"]
    assert start_export(client, collection["id"])["status"] == "queued"  # room again


def test_a_finished_export_is_announced_to_webhooks(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "data", webhook_allow_private=True))
    collection = create_collection(client)
    ingest(client, collection["id"], ("statement.txt", NOTE))
    with WebhookReceiver() as receiver:
        hook = client.post("/api/v1/webhooks", json={"url": receiver.url,
                                                     "events": ["export.ready"]}).json()
        export, _ = export_zip(client, collection["id"])
        (delivery,) = receiver.wait_for(1, event="export.ready")
    assert verified(delivery, hook["secret"])
    sent = delivery.json["data"]
    assert sent["export_id"] == export["id"] and sent["sha256"] == export["sha256"]
    assert sent["url"] == f"/api/v1/exports/{export['id']}"
    assert "download" not in json.dumps(sent)  # links are per holder: never broadcast


def test_the_collections_latest_case_report_travels_with_the_export(client):
    collection = create_collection(client, "Harbour fire")
    ingest(client, collection["id"], ("report.pdf", PDF))
    reports = []
    for _ in range(2):  # an older report and the latest: the latest goes in
        asked = client.post(f"/api/v1/collections/{collection['id']}/reports")
        assert asked.status_code == 202, asked.text
        reports.append(wait_for_report(client, asked.json()["id"]))
    latest = reports[-1]
    assert latest["status"] == "ready" and latest["id"] != reports[0]["id"]
    _, data = export_zip(client, collection["id"], include=["report"])
    members = _members(data)
    manifest = json.loads(members["manifest.json"])
    assert manifest["report"]["report_id"] == latest["id"]
    recorded = {f["format"]: f["sha256"] for f in latest["files"]}
    names = {"pdf": "report/report.pdf", "html": "report/report.html",
             "csv": "report/inventory.csv"}
    for fmt, path in names.items():
        assert hashlib.sha256(members[path]).hexdigest() == recorded[fmt], path
    assert manifest["report"]["files"] == list(names.values())
    assert members["report/report.pdf"].startswith(b"%PDF")
