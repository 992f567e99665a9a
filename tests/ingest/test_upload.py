"""Uploading: streamed, size-limited, sniffed, deduplicated, and nothing left behind."""

from pathlib import Path

import pytest

from tests.conftest import create_collection, ingest, test_settings, upload
from tests.fixtures.files import make_pdf


def _stored_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "blobs").rglob("*") if p.is_file()] + \
        [p for p in (data_dir / "tmp").rglob("*") if p.is_file()]


def test_upload_returns_queued_documents_at_once(client):
    collection = create_collection(client)
    uploaded = upload(client, collection["id"], ("a.txt", b"alpha text"),
                      ("b.md", b"# Beta\n\nbody"))
    assert [u["duplicate"] for u in uploaded] == [False, False]
    assert {u["document"]["status"] for u in uploaded} <= {"queued", "processing", "ready"}
    assert [u["document"]["media_type"] for u in uploaded] == ["text/plain", "text/markdown"]
    assert uploaded[0]["document"]["sha256"] != uploaded[1]["document"]["sha256"]


def test_same_bytes_are_one_document_flagged_duplicate(client):
    collection = create_collection(client)
    other = create_collection(client, "Case 2")
    first = upload(client, collection["id"], ("report.txt", b"same bytes"))[0]
    again = upload(client, other["id"], ("renamed.txt", b"same bytes"))[0]
    assert again["duplicate"] is True
    assert again["document"]["id"] == first["document"]["id"]
    listing = client.get("/api/v1/documents").json()
    assert listing["total"] == 1


def test_duplicate_inside_one_request_is_stored_once(client):
    collection = create_collection(client)
    uploaded = upload(client, collection["id"], ("a.txt", b"twice"), ("b.txt", b"twice"))
    assert [u["duplicate"] for u in uploaded] == [False, True]
    assert uploaded[0]["document"]["id"] == uploaded[1]["document"]["id"]


def test_file_over_the_limit_is_refused_and_nothing_is_kept(tmp_path, make_client):
    settings = test_settings(tmp_path / "data", max_upload_bytes=10_000)
    client = make_client(settings)
    collection = create_collection(client)
    response = client.post(
        f"/api/v1/collections/{collection['id']}/documents",
        files=[("files", ("small.txt", b"fits", "text/plain")),
               ("files", ("big.txt", b"x" * 50_000, "text/plain"))])
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert "big.txt" in error["message"]
    assert client.get("/api/v1/documents").json()["total"] == 0
    assert _stored_files(settings.data_dir) == []


def test_declared_length_past_the_limit_is_refused_before_reading(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "data", max_upload_bytes=1000,
                                       max_files_per_upload=1))
    collection = create_collection(client)
    response = client.post(f"/api/v1/collections/{collection['id']}/documents",
                           content=b"x" * 200_000,
                           headers={"content-type": "multipart/form-data; boundary=zz"})
    assert response.status_code == 413


def test_type_is_sniffed_from_bytes_not_the_name(client, settings):
    collection = create_collection(client)
    fake_pdf = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(range(256))
    response = client.post(f"/api/v1/collections/{collection['id']}/documents",
                           files=[("files", ("invoice.pdf", fake_pdf, "application/pdf"))])
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert "invoice.pdf" in response.json()["error"]["message"]
    assert _stored_files(settings.data_dir) == []

    real_pdf = make_pdf(["A real PDF named like text."])
    uploaded = upload(client, collection["id"], ("notes.txt", real_pdf))
    assert uploaded[0]["document"]["media_type"] == "application/pdf"


def test_one_unsupported_file_refuses_the_whole_request(client, settings):
    collection = create_collection(client)
    response = client.post(f"/api/v1/collections/{collection['id']}/documents", files=[
        ("files", ("ok.txt", b"fine", "text/plain")),
        ("files", ("bad.bin", b"\x00\x01\x02\x03" * 10, "application/octet-stream"))])
    assert response.status_code == 415
    assert client.get("/api/v1/documents").json()["total"] == 0
    assert _stored_files(settings.data_dir) == []


@pytest.mark.parametrize(("raw", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\me\\evil.txt", "evil.txt"),
    ("...", "unnamed"),
    ("cafe\u0301.txt", "caf\u00e9.txt"),
])
def test_filenames_are_sanitised(client, raw, expected):
    collection = create_collection(client)
    uploaded = upload(client, collection["id"], (raw, f"content {raw!r}".encode()))
    assert uploaded[0]["document"]["filename"] == expected


def test_control_characters_in_a_raw_filename_are_replaced(client):
    collection = create_collection(client)
    body = (b"--zz\r\nContent-Disposition: form-data; name=\"files\"; "
            b"filename=\"bad\x01name\x1f.txt\"\r\nContent-Type: text/plain\r\n\r\n"
            b"raw multipart body\r\n--zz--\r\n")
    response = client.post(f"/api/v1/collections/{collection['id']}/documents", content=body,
                           headers={"content-type": "multipart/form-data; boundary=zz"})
    assert response.status_code == 202, response.text
    assert response.json()["documents"][0]["document"]["filename"] == "bad_name_.txt"


def test_empty_file_and_missing_files_are_invalid(client):
    collection = create_collection(client)
    url = f"/api/v1/collections/{collection['id']}/documents"
    empty = client.post(url, files=[("files", ("empty.txt", b"", "text/plain"))])
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "invalid_input"
    nothing = client.post(url, files={"note": (None, "only a form field")})
    assert nothing.status_code == 422
    assert "no file" in nothing.json()["error"]["message"]


def test_upload_needs_multipart(client):
    collection = create_collection(client)
    response = client.post(f"/api/v1/collections/{collection['id']}/documents",
                           json={"file": "nope"})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_upload_to_unknown_collection_is_404_and_keeps_nothing(client, settings):
    response = client.post("/api/v1/collections/doesnotexist/documents",
                           files=[("files", ("a.txt", b"text", "text/plain"))])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert _stored_files(settings.data_dir) == []


def test_original_download_is_byte_identical(client):
    collection = create_collection(client)
    payload = make_pdf(["page one text", "page two text"])
    doc = ingest(client, collection["id"], ("evidence.pdf", payload))[0]
    response = client.get(f"/api/v1/documents/{doc['id']}/original")
    assert response.status_code == 200
    assert response.content == payload
    assert response.headers["content-type"] == "application/pdf"
    assert "evidence.pdf" in response.headers["content-disposition"]
