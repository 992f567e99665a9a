"""What a link's preview says (title, collection, a line of detail, a picture) and its
1200x630 card, drawn once per content and kept in the blob store.

A password-protected link says nothing of its content to someone without the password,
and a link preview is fetched by the chat or mail service's crawler, which has none: its
card and tags name only the kind of thing shared.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from casework.collections.models import Collection
from casework.documents.models import Document
from casework.media import service as media_service
from casework.media import thumbnails
from casework.runtime import Runtime
from casework.shares import access
from casework.shares.models import ShareLink, ShareTarget
from casework.shares.og_image import CardText, draw_card
from casework.storage.blobstore import BlobNotFound, derived_key

# Bump when the drawing changes: cached cards are keyed by it.
CARD_VERSION = 1
# Documents looked at for a picture when a collection or gallery is shared.
PICTURE_CANDIDATES = 20
_NOUNS = {ShareTarget.document: "document", ShareTarget.collection: "collection",
          ShareTarget.gallery: "photo gallery"}


@dataclass(frozen=True, slots=True)
class Summary:
    text: CardText
    description: str  # og:description
    picture: Document | None  # whose preview thumbnail the card shows
    document: Document | None = None  # a document link's document


@dataclass(frozen=True, slots=True)
class Card:
    data: bytes
    etag: str


def _kind_of(document: Document) -> str:
    if document.media_type.startswith("image/"):
        return "Photo"
    if document.media_type.startswith("video/"):
        return "Video"
    if document.media_type == "application/pdf":
        return "PDF"
    return "Document"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _has_picture(document: Document) -> bool:
    return bool((document.metadata_json or {}).get("thumbnails"))


def _collection_line(collection: Collection) -> str:
    kind = collection.kind.capitalize()
    return f"{kind} {collection.reference}" if collection.reference else kind


def summarise(*, session: Session, link: ShareLink, reveal: bool) -> Summary:
    """What the page's tags and the card say about the link's content. `reveal` is False
    for a protected link seen without its password (its form, its card): then only the
    kind of thing shared is named."""
    noun = _NOUNS[link.target_type]
    if link.password_hash is not None and not reveal:
        return Summary(text=CardText(title="A password-protected link", subtitle="",
                                     detail=f"A shared {noun} \u00b7 password required"),
                       description=f"A {noun} shared from casework. Enter the password to "
                       "open it.", picture=None)
    collection = access.shared_collection(session=session, link=link)
    if link.target_type == ShareTarget.document:
        document = access.root_document(session=session, link=link)
        pages = document.page_count or 0
        detail = _kind_of(document) + (f" \u00b7 {_plural(pages, 'page')}" if pages > 1 else "")
        title = document.title or document.filename
        return Summary(text=CardText(title=title, subtitle=collection.name, detail=detail),
                       description=f"{detail} from {collection.name}, shared from casework.",
                       picture=document if _has_picture(document) else None,
                       document=document)
    if link.target_type == ShareTarget.gallery:
        photos, videos = access.count_gallery(session=session, link=link)
        items = access.list_gallery(session=session, link=link, limit=PICTURE_CANDIDATES,
                                    cursor=None).items
        counts = [_plural(photos, "photo")] + ([_plural(videos, "video")] if videos else [])
        detail = " \u00b7 ".join(counts)
    else:
        items, count = access.list_documents(session=session, link=link,
                                             limit=PICTURE_CANDIDATES, offset=0)
        detail = _plural(count, "document")
    subtitle = _collection_line(collection)
    return Summary(text=CardText(title=collection.name, subtitle=subtitle, detail=detail),
                   description=f"{subtitle} \u00b7 {detail}, shared from casework.",
                   picture=next((d for d in items if _has_picture(d)), None))


def _picture_key(document: Document) -> str:
    sizes = (document.metadata_json or {}).get("thumbnails") or []
    size = thumbnails.PREVIEW if thumbnails.PREVIEW in sizes else thumbnails.GRID
    name, _ = media_service.thumbnail_name(document, size)
    return derived_key(document.workspace_id, document.sha256, name)


def _read(runtime: Runtime, key: str) -> bytes | None:
    try:
        return b"".join(runtime.blobs.open_chunks(key))
    except BlobNotFound:
        return None


def preview_card(*, session: Session, runtime: Runtime, link: ShareLink) -> Card:
    """The card, from the blob store when this content was drawn before.

    It is kept beside the previews of the document it shows (the picture's, or a document
    link's own), under a digest of everything drawn: two links of one gallery share a
    card, a renamed collection or a new first photo draws a new one, and deleting the
    document removes its cards with its other previews. A card with nothing to hang on (a
    protected link's, an empty collection's) is drawn each time, in a few milliseconds.
    """
    # Crawlers fetch it without the password: a protected link's card reveals nothing.
    summary = summarise(session=session, link=link, reveal=link.password_hash is None)
    picture_key = _picture_key(summary.picture) if summary.picture is not None else None
    text = summary.text
    fingerprint = hashlib.sha256(json.dumps(
        [CARD_VERSION, text.title, text.subtitle, text.detail, picture_key]).encode()
    ).hexdigest()[:24]
    anchor = summary.picture or summary.document
    key = (derived_key(anchor.workspace_id, anchor.sha256, f"og-{fingerprint}.png")
           if anchor is not None else None)
    data = _read(runtime, key) if key else None
    if data is None:
        picture = _read(runtime, picture_key) if picture_key else None
        data = draw_card(text, picture)
        if key:
            runtime.blobs.put_bytes(key, data)
    return Card(data=data, etag=f'"{fingerprint}"')
