"""The pipeline's "derive previews" stage: thumbnails, posters, contact sheets, page images.

Each artefact is made from the original and handed to a `PreviewSink` by name. The
pipeline runs this inside the parser sandbox (ingest/sandbox.py), where the sink is a
folder the server then copies into the blob store under keys derived from the original's
SHA-256, so a rerun (or a duplicate upload) finds it done. The table at the bottom says
which media types get which artefacts, so the pipeline never branches on file types.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from casework.core.redaction import data_roots, redact_paths
from casework.core.settings import Settings
from casework.media import pdf_previews, thumbnails, video
from casework.media.images import ImageRejected

log = logging.getLogger(__name__)

POSTER = "poster.webp"
CONTACT_SHEET = "contact-sheet.webp"


class DeriveError(Exception):
    """The original cannot be turned into previews (e.g. an undecodable image)."""


class PreviewSink(Protocol):
    """Where derived artefacts go, by name; `has` lets a rerun skip what is already made."""

    def put(self, name: str, data: bytes) -> None: ...

    def has(self, name: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class DeriveContext:
    sink: PreviewSink
    settings: Settings
    path: Path
    duration_seconds: float | None

    def store(self, name: str, data: bytes) -> None:
        self.sink.put(name, data)

    def have(self, *names: str) -> bool:
        return all(self.sink.has(name) for name in names)


# What a photo gets (see thumbnails): a rerun that finds these stored makes nothing.
_PHOTO_TYPES = {thumbnails.GRID: thumbnails.WEBP, thumbnails.PREVIEW: thumbnails.JPEG}
_DRAWN_TYPES = {size: thumbnails.WEBP for size in thumbnails.SIZES}


def _names(types: dict[int, str]) -> tuple[str, ...]:
    return tuple(thumbnails.thumbnail_name(size, kind) for size, kind in types.items())


def _thumbnail_facts(types: dict[int, str]) -> dict[str, Any]:
    """Metadata saying which sizes exist and the type each was stored as (for serving)."""
    return {"thumbnails": sorted(types),
            "thumbnail_types": {str(size): types[size] for size in sorted(types)}}


def _store_thumbnails(ctx: DeriveContext, made: dict[int, thumbnails.Thumbnail]
                      ) -> dict[str, Any]:
    for size, thumb in made.items():
        ctx.store(thumbnails.thumbnail_name(size, thumb.media_type), thumb.data)
    return _thumbnail_facts({size: thumb.media_type for size, thumb in made.items()})


def _derive_image(ctx: DeriveContext) -> dict[str, Any]:
    if ctx.have(*_names(_PHOTO_TYPES)):
        return _thumbnail_facts(_PHOTO_TYPES)
    try:
        made = thumbnails.make_thumbnails(ctx.path, max_pixels=ctx.settings.max_image_pixels)
    except ImageRejected as exc:
        raise DeriveError(str(exc)) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise DeriveError(f"the image could not be decoded: {exc}") from None
    return _store_thumbnails(ctx, made)


def _derive_video(ctx: DeriveContext) -> dict[str, Any]:
    out: dict[str, Any] = {}
    settings = ctx.settings
    try:
        if not ctx.have(POSTER, *_names(_DRAWN_TYPES)):
            poster = video.poster_frame(ctx.path, duration=ctx.duration_seconds)
            ctx.store(POSTER, thumbnails.encode_webp(poster))
            _store_thumbnails(ctx, thumbnails.thumbnails_from(poster))
        out.update(poster=True, **_thumbnail_facts(_DRAWN_TYPES))
        sheet = video.contact_sheet(
            ctx.path, duration=ctx.duration_seconds or 0.0,
            interval=settings.contact_sheet_interval_seconds,
            max_frames=settings.contact_sheet_max_frames)
        ctx.store(CONTACT_SHEET, sheet.image)
        out["contact_sheet"] = {"times": sheet.times, "interval": sheet.interval,
                                "columns": sheet.columns, "tile_width": sheet.tile_width,
                                "tile_height": sheet.tile_height}
    except video.VideoError as exc:
        # Metadata and the original still serve; say why there is no picture.
        out["preview_error"] = redact_paths(str(exc), roots=data_roots(ctx.settings.data_dir))
    return out


def _derive_pdf(ctx: DeriveContext) -> dict[str, Any]:
    wanted = ctx.settings.pdf_preview_pages
    try:
        with pdf_previews.open_pdf(ctx.path) as pdf:
            count = min(wanted, len(pdf))
            for number in range(1, count + 1):
                name = pdf_previews.page_preview_name(number)
                if ctx.have(name):
                    continue
                page = pdf_previews.render_page(pdf, number)
                ctx.store(name, thumbnails.encode_webp(page))
                if number == 1:
                    _store_thumbnails(ctx, thumbnails.thumbnails_from(page))
    except pdf_previews.PreviewError as exc:
        return {"preview_error": redact_paths(str(exc),
                                              roots=data_roots(ctx.settings.data_dir))}
    return {**_thumbnail_facts(_DRAWN_TYPES), "page_previews": count} if count else {}


_DERIVERS: tuple[tuple[str, Callable[[DeriveContext], dict[str, Any]]], ...] = (
    ("image/", _derive_image),
    ("video/", _derive_video),
    ("application/pdf", _derive_pdf),
)


def has_previews(media_type: str) -> bool:
    """Whether this media type gets any artefact (the pipeline queues a job only then)."""
    return any(media_type.startswith(prefix) for prefix, _ in _DERIVERS)


def derive_previews(*, sink: PreviewSink, settings: Settings, media_type: str, path: Path,
                    duration_seconds: float | None = None) -> dict[str, Any]:
    """Make the artefacts this media type gets into `sink`; return what to add to metadata."""
    for prefix, derive in _DERIVERS:
        if media_type.startswith(prefix):
            ctx = DeriveContext(sink=sink, settings=settings, path=path,
                                duration_seconds=duration_seconds)
            return derive(ctx)
    return {}
