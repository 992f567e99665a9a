"""Audio and video facts with PyAV (its wheels bundle FFmpeg): container headers only.

Opening a container reads its header and index, never the whole file, so probing a
multi-gigabyte video costs the same as a small one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av

# Tag names differ by container and device; the first one present wins.
_MAKE_TAGS = ("com.apple.quicktime.make", "make", "com.android.manufacturer")
_MODEL_TAGS = ("com.apple.quicktime.model", "model", "com.android.model")
_LOCATION_TAGS = ("com.apple.quicktime.location.iso6709", "location", "location-eng")
_TEXT_TAGS = ("title", "artist", "album_artist", "album", "date", "genre", "comment",
              "composer", "track", "encoder")


class ProbeError(Exception):
    """The file is not a readable audio or video container."""


@dataclass(slots=True)
class AvFacts:
    duration_seconds: float | None
    has_video: bool
    width: int | None = None
    height: int | None = None
    created_at: datetime | None = None
    tags: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment.year < 1971:  # a zeroed creation_time box (1904/1970 epochs) means "unknown"
        return None
    return moment.astimezone(UTC)


def _first(tags: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if tags.get(name):
            return tags[name].strip()
    return None


def _rate(value: Any) -> float | None:
    try:
        return round(float(value), 3) if value else None
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def probe(path: Path) -> AvFacts:
    """Duration, streams, codecs, creation time and device tags of an audio/video file."""
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise ProbeError(f"not a readable audio or video file: {exc}") from None
    with container:
        tags = {k.lower(): str(v) for k, v in (container.metadata or {}).items()}
        duration = container.duration / av.time_base if container.duration else None
        meta: dict[str, Any] = {"container": container.format.name}
        if container.bit_rate:
            meta["bit_rate"] = container.bit_rate
        video = next(iter(container.streams.video), None)
        audio = next(iter(container.streams.audio), None)
        facts = AvFacts(duration_seconds=round(duration, 3) if duration else None,
                        has_video=video is not None)
        if video is not None:
            ctx = video.codec_context
            facts.width, facts.height = ctx.width or None, ctx.height or None
            meta["video"] = {k: v for k, v in {
                "codec": ctx.name, "width": ctx.width, "height": ctx.height,
                "frame_rate": _rate(video.average_rate or video.guessed_rate),
                "pixel_format": ctx.format.name if ctx.format else None,
                "frames": video.frames or None,
            }.items() if v}
            tags = {**{k.lower(): str(v) for k, v in (video.metadata or {}).items()
                       if k.lower() not in ("handler_name", "vendor_id", "language")},
                    **tags}
        if audio is not None:
            actx = audio.codec_context
            meta["audio"] = {k: v for k, v in {
                "codec": actx.name, "sample_rate": actx.sample_rate,
                "channels": actx.channels, "bit_rate": actx.bit_rate or audio.bit_rate,
            }.items() if v}
    facts.created_at = _parse_time(tags.get("creation_time") or tags.get("date"))
    if facts.created_at is not None:
        meta["created_at"] = facts.created_at.isoformat()
    device = {k: v for k, v in {"make": _first(tags, _MAKE_TAGS),
                                "model": _first(tags, _MODEL_TAGS)}.items() if v}
    if device:
        meta["device"] = device
    location = _first(tags, _LOCATION_TAGS)
    if location:
        meta["location"] = location
    facts.tags = {name: tags[name].strip() for name in _TEXT_TAGS if tags.get(name, "").strip()}
    if facts.tags:
        meta["tags"] = facts.tags
    if facts.duration_seconds is not None:
        meta["duration_seconds"] = facts.duration_seconds
    facts.metadata = meta
    return facts
