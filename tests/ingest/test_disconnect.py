"""A client that goes away mid-upload is routine: one log line, a 499-class answer, no
traceback, nothing half-stored. Driven over a real socket against `casework serve`."""

from __future__ import annotations

import socket
import time

import pytest

from tests.fixtures.server import ServerProcess

BOUNDARY = "casework-test-boundary"
FILE_BYTES = 2 * 1024 * 1024


@pytest.fixture
def server(tmp_path):
    server = ServerProcess(tmp_path / "data", ENVIRONMENT="development", LOG_FORMAT="console",
                           SEMANTIC_SEARCH="false", WORKER_THREADS="1")
    server.start()
    yield server
    server.stop()


def _multipart(data: bytes, *, closed: bool = True) -> bytes:
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; "
            f"filename=\"statement.txt\"\r\nContent-Type: text/plain\r\n\r\n").encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode() if closed else b""
    return head + data + tail


def _wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _upload_files(server: ServerProcess) -> list:
    return sorted((server.data_dir / "tmp").glob("upload-*"))


def test_a_disconnect_mid_upload_is_one_line_and_leaves_nothing(server):
    client = server.client()
    collection = client.post("/api/v1/collections", json={"name": "Case"}).json()
    body = _multipart(b"a line of a long statement\n" * (FILE_BYTES // 27))
    token = client.headers["Authorization"]
    request = (f"POST /api/v1/collections/{collection['id']}/documents HTTP/1.1\r\n"
               f"Host: 127.0.0.1:{server.port}\r\nAuthorization: {token}\r\n"
               f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request + body[: len(body) // 2])
        assert _wait_for(lambda: bool(_upload_files(server)), 10)  # it was being spooled
    # The socket is closed: the server sees the disconnect on its next read.
    assert _wait_for(lambda: "client disconnected" in server.log.read_text()), \
        server.log.read_text()[-3000:]
    log = server.log.read_text()
    lines = [line for line in log.splitlines() if "client disconnected" in line]
    assert len(lines) == 1 and "/documents" in lines[0]
    assert "Traceback" not in log and "unhandled error" not in log and "locals" not in log
    assert _wait_for(lambda: not _upload_files(server), 5), _upload_files(server)
    assert client.get("/api/v1/documents").json()["total"] == 0
    # The server is fine afterwards.
    assert client.get("/health").status_code == 200


def test_a_body_cut_before_its_closing_boundary_is_refused_and_not_stored(server):
    client = server.client()
    collection = client.post("/api/v1/collections", json={"name": "Case"}).json()
    response = client.post(
        f"/api/v1/collections/{collection['id']}/documents",
        content=_multipart(b"only half of the statement", closed=False),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    assert "cut short" in response.json()["error"]["message"]
    assert not _upload_files(server)
    assert client.get("/api/v1/documents").json()["total"] == 0
