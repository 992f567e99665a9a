"""Video and audio: facts from the container, poster and contact sheet, seeking downloads."""

import pytest

from tests.conftest import create_collection, ingest, test_settings
from tests.fixtures.media import audio, video
from tests.media.conftest import fetch_image


@pytest.fixture
def video_client(tmp_path, database_url, make_client):
    return make_client(test_settings(tmp_path / "data", database_url,
                                     contact_sheet_interval_seconds=1.0))


def test_mp4_metadata_poster_and_contact_sheet(video_client):
    client = video_client
    collection = create_collection(client)
    data = video(seconds=4, metadata={"creation_time": "2024-05-17T08:00:00.000000Z",
                                      "title": "Harbour patrol", "make": "Axon",
                                      "model": "Body 4"})
    doc = ingest(client, collection["id"], ("bwc.mp4", data))[0]
    assert doc["media_type"] == "video/mp4"
    assert doc["duration_seconds"] == pytest.approx(4.0, abs=0.1)
    assert (doc["width"], doc["height"]) == (320, 240)
    assert doc["captured_at"].startswith("2024-05-17T08:00:00")
    meta = doc["metadata"]
    assert meta["video"]["codec"] == "h264"
    assert meta["video"]["frame_rate"] == pytest.approx(25.0)
    assert meta["poster"] is True
    sheet = meta["contact_sheet"]
    assert len(sheet["times"]) >= 4  # key frames every ~0.5 s, sampled each second
    assert sheet["times"] == sorted(sheet["times"])
    poster = fetch_image(client, f"/api/v1/documents/{doc['id']}/poster")
    assert poster.size == (320, 240)
    strip = fetch_image(client, f"/api/v1/documents/{doc['id']}/contact-sheet")
    assert strip.width == sheet["columns"] * sheet["tile_width"]
    assert fetch_image(client, f"/api/v1/documents/{doc['id']}/thumbnail").width == 320
    # The title tag is searchable text.
    hits = client.get("/api/v1/search", params={"q": "patrol", "mode": "keyword"}).json()
    assert hits["hits"][0]["document_id"] == doc["id"]


@pytest.mark.parametrize(("name", "container", "codec", "media_type"), [
    ("clip.mov", "mov", "libx264", "video/quicktime"),
    ("clip.mkv", "matroska", "libx264", "video/x-matroska"),
    ("clip.webm", "webm", "libvpx", "video/webm"),
    ("clip.avi", "avi", "mpeg4", "video/x-msvideo")])
def test_other_containers(video_client, name, container, codec, media_type):
    collection = create_collection(video_client)
    doc = ingest(video_client, collection["id"],
                 (name, video(seconds=2, container=container, codec=codec)))[0]
    assert doc["media_type"] == media_type
    assert doc["duration_seconds"] == pytest.approx(2.0, abs=0.2)
    assert doc["metadata"]["poster"] is True


def test_range_requests_let_a_player_seek(client):
    collection = create_collection(client)
    data = video(seconds=3)
    doc = ingest(client, collection["id"], ("seek.mp4", data))[0]
    url = f"/api/v1/documents/{doc['id']}/original"
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.content == data
    part = client.get(url, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{len(data)}"
    assert part.headers["content-length"] == "1000"
    assert part.content == data[100:1100]
    tail = client.get(url, headers={"Range": "bytes=-500"})
    assert tail.status_code == 206
    assert tail.content == data[-500:]
    rest = client.get(url, headers={"Range": f"bytes={len(data) - 10}-"})
    assert rest.content == data[-10:]
    beyond = client.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"
    stale = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200
    assert stale.content == data


@pytest.mark.parametrize(("name", "container", "codec", "rate", "media_type"), [
    ("tone.wav", "wav", "pcm_s16le", 44100, "audio/wav"),
    ("tone.mp3", "mp3", "libmp3lame", 44100, "audio/mpeg"),
    ("tone.m4a", "ipod", "aac", 44100, "audio/mp4"),
    ("tone.ogg", "ogg", "libopus", 48000, "audio/ogg")])
def test_audio_duration_and_tags(client, name, container, codec, rate, media_type):
    collection = create_collection(client)
    tags = {"title": "Interview with the keeper", "artist": "Casework Radio"}
    data = audio(seconds=2, container=container, codec=codec, rate=rate, tags=tags)
    doc = ingest(client, collection["id"], (name, data))[0]
    assert doc["media_type"] == media_type
    assert doc["duration_seconds"] == pytest.approx(2.0, abs=0.1)
    assert doc["metadata"]["audio"]["sample_rate"] == rate
    if container != "ogg":  # Opus-in-Ogg keeps tags on the stream, not the container
        assert doc["title"] == "Interview with the keeper"
        assert doc["metadata"]["tags"]["artist"] == "Casework Radio"
