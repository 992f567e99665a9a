"""Photos: EXIF facts in metadata and columns, orientation, thumbnails served with strong
caching, every image format sniffed from its bytes, decompression bombs refused."""

import pytest

from tests.conftest import create_collection, ingest, test_settings, upload, wait_for_documents
from tests.fixtures.media import photo, png_bomb
from tests.media.conftest import fetch_image


def test_jpeg_exif_capture_time_camera_gps_and_orientation(client):
    collection = create_collection(client)
    data = photo(640, 480, orientation=6, gps=(52.3731, -4.8922))
    doc = ingest(client, collection["id"], ("IMG_0001.jpg", data))[0]
    assert doc["media_type"] == "image/jpeg"
    # Orientation 6 (rotate 90°): displayed portrait, so width and height swap.
    assert (doc["width"], doc["height"]) == (480, 640)
    meta = doc["metadata"]
    assert meta["orientation"] == 6
    assert (meta["camera_make"], meta["camera_model"]) == ("Canon", "EOS R5")
    # 14:30 at +02:00 is 12:30 UTC.
    assert doc["captured_at"].startswith("2024-05-17T12:30:00")
    assert meta["gps"]["latitude"] == pytest.approx(52.3731, abs=1e-4)
    assert meta["gps"]["longitude"] == pytest.approx(-4.8922, abs=1e-4)


def test_thumbnails_in_two_sizes_oriented_and_cached(client):
    collection = create_collection(client)
    doc = ingest(client, collection["id"],
                 ("portrait.jpg", photo(2000, 1500, orientation=6, captured=None)))[0]
    grid = fetch_image(client, f"/api/v1/documents/{doc['id']}/thumbnail?size=320")
    # A photo's preview is a JPEG (5x cheaper to encode than WebP); the grid stays WebP.
    preview = fetch_image(client, f"/api/v1/documents/{doc['id']}/thumbnail?size=1280",
                          "image/jpeg")
    assert grid.size == (240, 320)  # portrait once orientation is applied
    # 2000x1500 decodes at 1/2 straight to the preview (no resize; tests/media/test_thumbnails.py).
    assert preview.size == (750, 1000)
    first = client.get(f"/api/v1/documents/{doc['id']}/thumbnail")
    etag = first.headers["etag"]
    assert doc["sha256"] in etag
    again = client.get(f"/api/v1/documents/{doc['id']}/thumbnail",
                       headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    # Made once at ingest, kept under a key derived from the original's digest.
    assert doc["metadata"]["thumbnails"] == [320, 1280]
    assert client.get(f"/api/v1/documents/{doc['id']}/thumbnail?size=999").status_code == 422


def test_an_image_with_transparency_keeps_a_webp_preview(client):
    from PIL import Image

    from tests.fixtures.media import png_of

    collection = create_collection(client)
    logo = Image.new("RGBA", (1600, 800), (200, 30, 30, 0))
    logo.paste((200, 30, 30, 255), (400, 200, 1200, 600))
    doc = ingest(client, collection["id"], ("logo.png", png_of(logo)))[0]
    preview = fetch_image(client, f"/api/v1/documents/{doc['id']}/thumbnail?size=1280")
    assert preview.size == (1280, 640)
    assert preview.mode == "RGBA" and preview.getpixel((5, 5))[3] == 0  # still transparent


def test_no_exif_means_no_capture_time(client):
    collection = create_collection(client)
    doc = ingest(client, collection["id"],
                 ("plain.png", photo(fmt="PNG", captured=None, camera=None)))[0]
    assert doc["captured_at"] is None
    assert (doc["width"], doc["height"]) == (640, 480)


@pytest.mark.parametrize(("name", "fmt", "media_type"), [
    ("a.png", "PNG", "image/png"), ("b.webp", "WEBP", "image/webp"),
    ("c.tif", "TIFF", "image/tiff"), ("d.gif", "GIF", "image/gif"),
    ("e.heic", "HEIF", "image/heic")])
def test_every_image_format_is_sniffed_ingested_and_thumbnailed(client, name, fmt, media_type):
    collection = create_collection(client)
    # The client's name says nothing: the type comes from the bytes.
    doc = ingest(client, collection["id"], (name + ".bin", photo(fmt=fmt, seed=len(name))))[0]
    assert doc["media_type"] == media_type
    assert (doc["width"], doc["height"]) == (640, 480)
    assert fetch_image(client, f"/api/v1/documents/{doc['id']}/thumbnail").size == (320, 240)


def test_a_decompression_bomb_is_refused_at_upload(client):
    collection = create_collection(client)
    response = client.post(f"/api/v1/collections/{collection['id']}/documents",
                           files=[("files", ("huge.png", png_bomb(), "image/png"))])
    assert response.status_code == 422
    error = response.json()["error"]
    assert "huge.png" in error["message"]
    assert "MAX_IMAGE_PIXELS" in error["message"]
    assert error["details"]["reason"] == "image_too_large"
    assert client.get("/api/v1/documents").json()["total"] == 0


def test_the_pixel_limit_is_a_setting(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "data", max_image_pixels=100_000))
    collection = create_collection(client)
    response = client.post(f"/api/v1/collections/{collection['id']}/documents",
                           files=[("files", ("big.jpg", photo(640, 480), "image/jpeg"))])
    assert response.status_code == 422
    small = upload(client, collection["id"], ("small.jpg", photo(200, 150)))[0]
    assert wait_for_documents(client, [small["document"]["id"]])[0]["status"] == "ready"


def test_thumbnails_are_workspace_data(client):
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("a.jpg", photo()))[0]
    client.delete(f"/api/v1/documents/{doc['id']}")
    assert client.get(f"/api/v1/documents/{doc['id']}/thumbnail").status_code == 404
    assert client.get("/api/v1/documents/nope/thumbnail").status_code == 404


def test_a_bomb_the_header_hides_fails_the_document_with_a_reason(tmp_path, make_client,
                                                                 tesseract):
    """A multi-page TIFF whose second page is huge: found when that page is decoded."""
    import io

    from PIL import Image

    client = make_client(test_settings(tmp_path / "data", max_image_pixels=1_000_000))
    collection = create_collection(client)
    buffer = io.BytesIO()
    small, huge = Image.new("L", (100, 100), 255), Image.new("L", (1500, 1500), 255)
    small.save(buffer, "TIFF", save_all=True, append_images=[huge], compression="tiff_deflate")
    uploaded = upload(client, collection["id"], ("scan.tif", buffer.getvalue()))[0]
    doc = wait_for_documents(client, [uploaded["document"]["id"]])[0]
    assert doc["status"] == "failed"
    assert "page 2" in doc["error"]
    assert "MAX_IMAGE_PIXELS" in doc["error"]
