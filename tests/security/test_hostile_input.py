"""Hostile uploads: zip bombs dressed as DOCX and malicious filenames."""

import io
import zipfile
from pathlib import Path

from tests.conftest import create_collection, ingest


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (300 * 1024 * 1024))
    return buffer.getvalue()


def _stored(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "blobs").rglob("*") if p.is_file()]


def test_a_docx_zip_bomb_is_refused_and_nothing_is_stored(client, settings):
    collection = create_collection(client)
    bomb = _bomb()
    assert len(bomb) < 1024 * 1024
    response = client.post(f"/api/v1/collections/{collection['id']}/documents",
                           files=[("files", ("bomb.docx", bomb, "application/octet-stream"))])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unsafe_archive" and "zip bomb" in error["message"]
    assert client.get("/api/v1/documents").json()["total"] == 0
    assert _stored(settings.data_dir) == []


def test_malicious_filenames_are_neutralised(client):
    collection = create_collection(client)
    docs = ingest(client, collection["id"], ("../../etc/passwd\x00.txt", b"path traversal"),
                  ("<script>alert(1)</script>.md", b"# xss"))
    names = [d["filename"] for d in docs]
    for name in names:
        assert "/" not in name and "\\" not in name and "\x00" not in name
        assert not name.startswith(".")
