"""Media services: upload checks, serving derived artefacts, rendering pages on demand,
and the gallery (keyset-paginated by capture or upload time)."""

from __future__ import annotations

import base64
import binascii
import json
import tempfile
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import bindparam, or_, tuple_
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.collections.models import Collection
from casework.core.errors import InvalidInput, NotFound, ServiceUnavailable
from casework.core.scoping import get_scoped, scoped
from casework.core.settings import Settings
from casework.documents import service as documents_service
from casework.documents.models import Document, DocumentStatus
from casework.ingest.sandbox import SandboxFailure, SandboxUnavailable
from casework.media import pdf_previews, thumbnails
from casework.media.derive import CONTACT_SHEET, POSTER
from casework.media.images import ImageRejected, check_image
from casework.runtime import Runtime
from casework.storage.blobstore import BlobNotFound, derived_key, local_copy, original_key

GALLERY_TYPES = ("image/", "video/")


def check_upload(*, path: Path, media_type: str, settings: Settings) -> None:
    """Refuse at upload what the header already shows is unacceptable (a pixel bomb)."""
    if media_type.startswith("image/"):
        try:
            check_image(path, max_pixels=settings.max_image_pixels)
        except ImageRejected as exc:
            # Not every refusal is a pixel bomb: an unreadable file is said to be one.
            reason = "image_too_large" if exc.too_large else "unreadable_image"
            raise InvalidInput(str(exc), details={"limit_pixels": settings.max_image_pixels,
                                                  "reason": reason}) from None


@dataclass(frozen=True, slots=True)
class Artefact:
    """A derived file ready to serve: its bytes and a content-addressed ETag."""

    data: bytes
    media_type: str
    etag: str


class ArtefactKind(StrEnum):
    poster = "poster"
    contact_sheet = "contact-sheet"


_ARTEFACT_NAMES = {ArtefactKind.poster: POSTER, ArtefactKind.contact_sheet: CONTACT_SHEET}


def _read(runtime: Runtime, key: str) -> bytes | None:
    try:
        return b"".join(runtime.blobs.open_chunks(key))
    except BlobNotFound:
        return None


def _artefact(runtime: Runtime, document: Document, name: str, noun: str,
              media_type: str = thumbnails.MEDIA_TYPE) -> Artefact:
    data = _read(runtime, derived_key(document.workspace_id, document.sha256, name))
    if data is None:
        raise NotFound(f"this document has no {noun}"
                       + (" yet" if document.status != DocumentStatus.ready else ""))
    return Artefact(data=data, media_type=media_type, etag=f'"{document.sha256}-{name}"')


def _check_size(size: int) -> None:
    if size not in thumbnails.SIZES:
        raise InvalidInput(f"thumbnail size must be one of {', '.join(map(str, thumbnails.SIZES))}")


def thumbnail_name(document: Document, size: int) -> tuple[str, str]:
    """The name (under the original's derived files) of a document's thumbnail of `size`,
    and its media type: a photo's preview is a JPEG, the rest WebP (documents thumbnailed
    before `thumbnail_types` was recorded are all WebP)."""
    types = (document.metadata_json or {}).get("thumbnail_types") or {}
    media_type = types.get(str(size), thumbnails.WEBP)
    return thumbnails.thumbnail_name(size, media_type), media_type


def thumbnail_of(*, runtime: Runtime, document: Document, size: int) -> Artefact:
    """A document's thumbnail, for a caller that has already decided it may be seen and
    audits the seeing itself (the API's route below, or a share link)."""
    _check_size(size)
    name, media_type = thumbnail_name(document, size)
    return _artefact(runtime, document, name, "thumbnail", media_type)


def get_thumbnail(*, session: Session, runtime: Runtime, principal: Principal,
                  document_id: str, size: int) -> Artefact:
    """A thumbnail of a document of the principal's workspace (see `thumbnail_of`)."""
    _check_size(size)
    document = get_scoped(session, Document, principal.workspace_id, document_id,
                          noun="document")
    artefact = thumbnail_of(runtime=runtime, document=document, size=size)
    if size != thumbnails.GRID:
        # The viewer's 1280 px preview is the photo itself, to the eye: a view. The grid's
        # thumbnails are not (a gallery shows hundreds).
        documents_service.record_view(runtime=runtime, principal=principal, document=document)
    return artefact


def get_artefact(*, session: Session, runtime: Runtime, workspace_id: str, document_id: str,
                 kind: ArtefactKind) -> Artefact:
    document = get_scoped(session, Document, workspace_id, document_id, noun="document")
    return _artefact(runtime, document, _ARTEFACT_NAMES[kind], kind.value.replace("-", " "))


def get_page_preview(*, session: Session, runtime: Runtime, principal: Principal,
                     document_id: str, number: int) -> Artefact:
    """A PDF page image of the principal's workspace (see `page_preview_of`). Its content:
    audited as a view."""
    document = get_scoped(session, Document, principal.workspace_id, document_id,
                          noun="document")
    artefact = page_preview_of(runtime=runtime, document=document, number=number)
    documents_service.record_view(runtime=runtime, principal=principal, document=document)
    return artefact


def page_preview_of(*, runtime: Runtime, document: Document, number: int) -> Artefact:
    """A PDF page image: rendered at ingest for the first pages, on first view for the rest,
    then kept in the blob store like the others. Not audited: the caller does that."""
    workspace_id = document.workspace_id
    if document.media_type != "application/pdf":
        raise NotFound("page previews exist for PDF documents only")
    if document.page_count is not None and not 1 <= number <= document.page_count:
        raise NotFound(f"the document has no page {number}")
    name = pdf_previews.page_preview_name(number)
    key = derived_key(workspace_id, document.sha256, name)
    data = _read(runtime, key)
    if data is None:
        source, tmp_dir = original_key(workspace_id, document.sha256), runtime.settings.tmp_dir
        # Rendered in a parser process: a page can be a bomb that the ingest never drew.
        with local_copy(runtime.blobs, source, tmp_dir) as path, \
                tempfile.TemporaryDirectory(dir=tmp_dir, prefix="preview-") as folder:
            target = Path(folder) / name
            try:
                runtime.sandbox.render_page(path=path, number=number, out=target)
            except SandboxFailure as exc:
                raise NotFound(str(exc)) from None
            except SandboxUnavailable as exc:
                raise ServiceUnavailable(str(exc)) from None
            data = target.read_bytes()
        runtime.blobs.put_bytes(key, data)
    return Artefact(data=data, media_type=thumbnails.MEDIA_TYPE,
                    etag=f'"{document.sha256}-{name}"')


# --- gallery --------------------------------------------------------------------------

class GallerySort(StrEnum):
    captured_at = "captured_at"
    uploaded_at = "uploaded_at"


@dataclass(frozen=True, slots=True)
class GalleryPage:
    items: list[Document]
    next_cursor: str | None


def _encode_cursor(value: datetime | None, document_id: str) -> str:
    raw = json.dumps([value.isoformat() if value else None, document_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime | None, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, document_id = json.loads(raw)
        moment = datetime.fromisoformat(value) if value is not None else None
        if not isinstance(document_id, str) or (moment is not None and moment.tzinfo is None):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise InvalidInput("cursor is not valid: pass next_cursor from a previous page") \
            from None
    return moment, document_id


def list_gallery(*, session: Session, workspace_id: str, collection_id: str,
                 sort: GallerySort, descending: bool, limit: int,
                 cursor: str | None = None) -> GalleryPage:
    """A collection's images and videos, `limit` at a time, in a stable order.

    Keyset pagination on (sort column, id) walks the (workspace, collection, column, id)
    index, so page 100 costs what page 1 costs. Media without a capture time come after
    those with one, in either direction.
    """
    get_scoped(session, Collection, workspace_id, collection_id, noun="collection")
    column = Document.captured_at if sort == GallerySort.captured_at else Document.created_at
    base = scoped(Document, workspace_id).where(
        Document.collection_id == collection_id,
        or_(*(Document.media_type.startswith(prefix) for prefix in GALLERY_TYPES)))
    after_value, after_id = _decode_cursor(cursor) if cursor else (None, None)
    items: list[Document] = []
    # Segment 1: rows with a value in the column; segment 2: rows without (ordered by id).
    if after_id is None or after_value is not None:
        query = base.where(column.is_not(None))
        if after_id is not None:
            # Typed binds: the value must be stored-format-compatible (SQLite compares text).
            key = tuple_(column, Document.id)
            bound = tuple_(bindparam("after_value", after_value, type_=column.type),
                           bindparam("after_id", after_id, type_=Document.id.type))
            query = query.where(key < bound if descending else key > bound)
        order = (column.desc(), Document.id.desc()) if descending else (column, Document.id)
        items = list(session.scalars(query.order_by(*order).limit(limit + 1)))
    if len(items) <= limit and sort == GallerySort.captured_at:
        query = base.where(column.is_(None))
        if after_value is None and after_id is not None:
            query = query.where(Document.id < after_id if descending else Document.id > after_id)
        order_id = Document.id.desc() if descending else Document.id
        items += list(session.scalars(query.order_by(order_id).limit(limit + 1 - len(items))))
    if len(items) <= limit:
        return GalleryPage(items=items, next_cursor=None)
    last = items[limit - 1]
    value = last.captured_at if sort == GallerySort.captured_at else last.created_at
    return GalleryPage(items=items[:limit], next_cursor=_encode_cursor(value, last.id))
