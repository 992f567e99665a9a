"""The gallery: a collection's photos and videos with thumbnails, capture time and size,
sorted by capture or upload time, paged by cursor."""

from tests.conftest import create_collection, ingest
from tests.fixtures.files import make_pdf
from tests.fixtures.media import photo


def _all_pages(client, collection_id, **params):
    names, cursor, pages = [], None, 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(f"/api/v1/collections/{collection_id}/gallery", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        names += [item["filename"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return names, pages


def test_gallery_sorts_by_capture_time_and_pages_with_a_cursor(client):
    collection = create_collection(client, "Wedding", kind="event")
    files = [(f"p{day}.jpg", photo(64, 48, captured=f"2024:06:{day:02d} 10:00:00", seed=day))
             for day in (3, 1, 5, 2, 4)]
    files.append(("undated.jpg", photo(64, 48, captured=None, seed=99)))
    files.append(("minutes.pdf", make_pdf(["not a photo"])))
    ingest(client, collection["id"], *files)
    newest_first, pages = _all_pages(client, collection["id"], limit=2)
    assert newest_first == ["p5.jpg", "p4.jpg", "p3.jpg", "p2.jpg", "p1.jpg", "undated.jpg"]
    assert pages == 3
    oldest_first, _ = _all_pages(client, collection["id"], limit=4, order="asc")
    assert oldest_first == ["p1.jpg", "p2.jpg", "p3.jpg", "p4.jpg", "p5.jpg", "undated.jpg"]
    item = client.get(f"/api/v1/collections/{collection['id']}/gallery",
                      params={"limit": 1}).json()["items"][0]
    assert item["captured_at"].startswith("2024-06-05T08:00:00")  # 10:00 at +02:00
    assert (item["width"], item["height"]) == (64, 48)
    assert item["thumbnail_url"].endswith("/thumbnail?size=320")
    assert client.get(item["thumbnail_url"]).status_code == 200
    assert client.get(item["preview_url"]).status_code == 200


def test_gallery_by_upload_time_and_bad_cursors(client):
    collection = create_collection(client)
    for index in range(3):
        ingest(client, collection["id"], (f"u{index}.jpg", photo(32, 32, seed=index)))
    names, _ = _all_pages(client, collection["id"], sort="uploaded_at", order="asc", limit=2)
    assert names == ["u0.jpg", "u1.jpg", "u2.jpg"]
    bad = client.get(f"/api/v1/collections/{collection['id']}/gallery",
                     params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert client.get("/api/v1/collections/nope/gallery").status_code == 404
