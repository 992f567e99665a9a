"""What someone holding a link sees: the page with its preview tags, the 1200x630 card,
the photos, the document's pages, the originals when allowed; and the limits per address."""

import io
import re
from html.parser import HTMLParser

from PIL import Image

from casework.shares.og_image import BACKGROUND
from tests.conftest import ingest
from tests.fixtures.files import make_pdf
from tests.shares.conftest import make_event, share, visitor

HTML = {"Accept": "text/html"}


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        name = values.get("property") or values.get("name")
        if tag == "meta" and name:
            self.tags[name] = values.get("content") or ""


def meta_tags(html: str) -> dict[str, str]:
    parser = _Meta()
    parser.feed(html)
    return parser.tags


def _path(created: dict) -> str:
    return f"/s/{created['token']}"


def test_an_events_gallery_link_shows_a_proper_preview_card_and_its_photos(make_embedded):
    client = make_embedded()
    event = make_event(client)
    created = share(client, "gallery", event.collection_id)
    guest = visitor(client)
    page = guest.get(_path(created), headers=HTML)
    assert page.status_code == 200
    assert page.headers["x-robots-tag"].startswith("noindex")
    assert page.headers["referrer-policy"] == "no-referrer"
    tags = meta_tags(page.text)
    assert tags["robots"].startswith("noindex")
    assert tags["og:title"] == tags["twitter:title"] == "Harbour gala"
    assert tags["og:description"].startswith("Event EV-7 \u00b7 2 photos")
    assert tags["og:url"] == created["url"]
    assert tags["og:image"] == tags["twitter:image"] == f"{created['url']}/og.png"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert tags["twitter:card"] == "summary_large_image"

    card = guest.get(f"{_path(created)}/og.png")
    assert card.status_code == 200 and card.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(card.content))
    assert image.format == "PNG" and image.size == (1200, 630)
    red, _, blue = image.convert("RGB").getpixel((1000, 315))
    assert red > blue + 40  # the newest photo (the red one) fills the right side
    assert image.convert("RGB").getpixel((300, 400)) == BACKGROUND  # the text side
    again = guest.get(f"{_path(created)}/og.png", headers={"If-None-Match": card.headers["etag"]})
    assert again.status_code == 304
    kept = client.app.state.runtime.settings.blob_dir
    assert len(list(kept.rglob("og-*.png"))) == 1  # drawn once, kept beside the photo's
    assert guest.get(f"{_path(created)}/og.png").content == card.content
    client.patch(f"/api/v1/collections/{event.collection_id}", json={"name": "Harbour ball"})
    renamed = guest.get(f"{_path(created)}/og.png")
    assert renamed.headers["etag"] != card.headers["etag"]  # a new name, a new card
    assert len(list(kept.rglob("og-*.png"))) == 2

    grid = re.findall(r'<img src="([^"]+)"', page.text)
    assert len(grid) == 2
    for src in grid:
        thumbnail = guest.get(src)
        assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/webp"
    newest = event.photo_ids[0]
    view = guest.get(f"{_path(created)}/d/{newest}", headers=HTML)
    assert view.status_code == 200 and 'id="shared-preview"' in view.text
    preview = guest.get(f"{_path(created)}/d/{newest}/thumbnail", params={"size": 1280})
    assert preview.headers["content-type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(preview.content)).getexif()  # no GPS, no camera
    original = guest.get(f"{_path(created)}/d/{newest}/original")
    assert original.status_code == 200 and original.content == event.photos[newest]
    assert original.headers["content-disposition"].startswith("attachment")
    assert Image.open(io.BytesIO(original.content)).getexif().get_ifd(0x8825)  # as uploaded


def test_a_document_link_shows_its_pages_and_a_collection_link_lists_every_document(
        make_embedded):
    client = make_embedded()
    event = make_event(client)
    report = ingest(client, event.collection_id, ("report.pdf", make_pdf([
        "Incident report, harbour district.", "Smoke was seen at warehouse seven."])))[0]
    guest = visitor(client)

    only_report = share(client, "document", report["id"], allow_download=False)
    page = guest.get(_path(only_report), headers=HTML)
    assert page.status_code == 200 and "Smoke was seen at warehouse seven." in page.text
    assert "Download original" not in page.text and "gala-1.jpg" not in page.text
    tags = meta_tags(page.text)
    assert tags["og:title"] == "report.pdf"
    assert tags["og:description"].startswith("PDF \u00b7 2 pages from Harbour gala")
    preview = guest.get(f"{_path(only_report)}/d/{report['id']}/pages/2/preview")
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/webp"
    refused = guest.get(f"{_path(only_report)}/d/{report['id']}/original")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    card = Image.open(io.BytesIO(guest.get(f"{_path(only_report)}/og.png").content))
    assert card.size == (1200, 630)
    assert sum(card.convert("RGB").getpixel((900, 200))) > 600  # the first page, white

    whole = share(client, "collection", event.collection_id)
    listing = guest.get(_path(whole), headers=HTML)
    for name in ("report.pdf", "gala-1.jpg", "gala-2.jpg", "memo.txt"):
        assert name in listing.text, name
    memo = guest.get(f"{_path(whole)}/d/{event.memo_id}", headers=HTML)
    assert memo.status_code == 200 and "budget notes" in memo.text
    original = f"{_path(whole)}/d/{event.memo_id}/original"
    assert guest.get(original).content.startswith(b"budget notes")
    part = guest.get(original, headers={"Range": "bytes=0-5"})
    assert part.status_code == 206 and part.content == b"budget"
    downloads = client.get("/api/v1/audit", params={"action": "share.download"}).json()
    assert [e["details"]["document_id"] for e in downloads["items"]] == [event.memo_id]


def _text_link(client, **body):
    collection = client.post("/api/v1/collections", json={"name": "Notes"}).json()
    doc = ingest(client, collection["id"], ("note.txt", b"a shared note"))[0]
    return share(client, "document", doc["id"], **body)


def test_public_pages_are_limited_per_address(make_embedded):
    client = make_embedded(share_requests_per_minute=3)
    created = _text_link(client)
    guest, neighbour = visitor(client), visitor(client, "203.0.113.50")
    for _ in range(3):
        assert guest.get(_path(created)).status_code == 200
    refused = guest.get(f"{_path(created)}/og.png")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    page = guest.get(_path(created), headers=HTML)
    assert page.status_code == 429 and "Slow down" in page.text
    assert guest.get("/s/" + "x" * 43).status_code == 429  # guessing tokens counts too
    assert neighbour.get(_path(created)).status_code == 200
    assert client.get("/api/v1/shares").status_code == 200  # members are not held to it


def test_wrong_passwords_are_limited_per_link_and_address(make_embedded):
    client = make_embedded(share_password_failures=2)
    created = _text_link(client, password="the right one")
    guest, neighbour = visitor(client), visitor(client, "203.0.113.50")

    def attempt(who, password):
        form = who.get(_path(created), headers=HTML).text
        token = form.split('name="form_token" value="')[1].split('"')[0]
        return who.post(f"{_path(created)}/unlock", headers=HTML, follow_redirects=False,
                        data={"password": password, "form_token": token})

    assert attempt(guest, "guess one").status_code == 403
    assert attempt(guest, "guess two").status_code == 403
    held = attempt(guest, "the right one")
    assert held.status_code == 429 and "wrong passwords" in held.text
    assert int(held.headers["retry-after"]) >= 1
    assert attempt(neighbour, "the right one").status_code == 303
