"""Helpers for the export tests: ask for an export, wait for it as a client would, fetch
its ZIP by the link (without the session), and rewrite a ZIP to tamper with it."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import httpx
from fastapi.testclient import TestClient


def start_export(client: TestClient, collection_id: str, **body: object) -> dict:
    response = client.post(f"/api/v1/collections/{collection_id}/exports", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def wait_for_export(client: TestClient | httpx.Client, export_id: str, *,
                    timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        export = client.get(f"/api/v1/exports/{export_id}").json()
        if export["status"] in ("succeeded", "failed"):
            return export
        if time.monotonic() > deadline:
            raise AssertionError(f"export did not finish in {timeout}s: {export}")
        time.sleep(0.05)


def export_zip(client: TestClient, collection_id: str, **body: object) -> tuple[dict, bytes]:
    """A finished export and its ZIP, downloaded by its link with no credentials."""
    export = wait_for_export(client, start_export(client, collection_id, **body)["id"])
    assert export["status"] == "succeeded", export
    response = client.get(export["download_url"], headers={"Authorization": ""})
    assert response.status_code == 200, response.text
    return export, response.content


def rewrite_zip(data: bytes, *, drop: set[str] = frozenset(),
                replace: dict[str, bytes] | None = None,
                add: dict[str, bytes] | None = None) -> bytes:
    """The same ZIP rebuilt with members dropped, replaced (CRC recomputed: a careful
    forger) or added."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            target.writestr(info, replace.get(info.filename, source.read(info)))
        for name, content in add.items():
            target.writestr(name, content)
    return out.getvalue()


def flip_byte_in_member(data: bytes, name: str, *, at: int = 10) -> bytes:
    """One byte of `name`'s stored data changed in place, nothing else touched."""
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        info = zipped.getinfo(name)
    header = info.header_offset
    name_length = int.from_bytes(data[header + 26:header + 28], "little")
    extra_length = int.from_bytes(data[header + 28:header + 30], "little")
    where = header + 30 + name_length + extra_length + at
    changed = bytearray(data)
    changed[where] ^= 0x01
    return bytes(changed)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
