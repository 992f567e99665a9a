"""Text in UTF-16 and UTF-32 (with a byte-order mark) is text: sniffed as such, decoded,
searchable. Its little-endian marks (FF FE, FF FE 00 00) used to pass for an MP3 frame."""

from __future__ import annotations

import codecs

import pytest

from casework.ingest.sniff import sniff_media_type
from tests.conftest import create_collection, ingest

TEXT = "Zeugenaussage: Müller sah den Wagen um 21:40 Uhr. 目撃者 — café 🚗\nZweite Zeile.\n"
ENCODINGS = {
    "utf-32-le": codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"),
    "utf-32-be": codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"),
    "utf-16-le": codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
    "utf-16-be": codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_wide_unicode_text_is_sniffed_as_text(tmp_path, encoding):
    path = tmp_path / "upload"
    path.write_bytes(ENCODINGS[encoding])
    assert sniff_media_type(path, "statement.txt") == "text/plain"
    assert sniff_media_type(path, "statement.md") == "text/markdown"
    path.write_bytes(ENCODINGS[encoding][:8191])  # a sample cut mid-character still is
    assert sniff_media_type(path, "statement.txt") == "text/plain"


def test_an_mp3_frame_is_still_audio(tmp_path):
    path = tmp_path / "upload"
    path.write_bytes(b"\xff\xfb\x90\x64" + bytes(range(256)) * 4)
    assert sniff_media_type(path, "a.txt") == "audio/mpeg"
    path.write_bytes(b"\xff\xfe\x00\x00" + bytes(range(255, -1, -1)) * 4)  # not UTF-32
    assert sniff_media_type(path, "a.txt") != "text/plain"


def test_wide_unicode_text_is_extracted_decoded_and_searchable(client):
    collection = create_collection(client)
    docs = ingest(client, collection["id"],
                  *((f"{name}.txt", data) for name, data in sorted(ENCODINGS.items())))
    for doc in docs:
        assert doc["media_type"] == "text/plain", doc
        pages = client.get(f"/api/v1/documents/{doc['id']}/pages").json()
        assert "".join(p["text"] for p in pages).strip() == TEXT.strip(), doc["filename"]
    found = client.get("/api/v1/search", params={"q": "Zeugenaussage", "mode": "keyword"})
    assert found.status_code == 200
    assert {h["document_id"] for h in found.json()["hits"]} == {d["id"] for d in docs}
