"""Video (MP4, MOV, MKV, WebM, AVI): duration, resolution, codecs, creation time, device.

The poster frame and contact sheet are derived later by the media stage; the searchable
text of a video is its title and description tags, if any.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from casework.ingest.parsers.base import ExtractedPage, ParsedDocument, ParseError
from casework.media.probe import ProbeError, probe


def tags_text(tags: dict[str, str]) -> str:
    return "\n".join(f"{name.replace('_', ' ').capitalize()}: {value}"
                     for name, value in tags.items() if name != "encoder")


class VideoParser:
    media_types = ("video/mp4", "video/quicktime", "video/x-matroska", "video/webm",
                   "video/x-msvideo")

    def parse(self, path: Path) -> ParsedDocument:
        try:
            facts = probe(path)
        except ProbeError as exc:
            raise ParseError(str(exc)) from None
        text = tags_text(facts.tags)

        def pages() -> Iterator[ExtractedPage]:
            yield ExtractedPage(1, text)

        return ParsedDocument(pages=pages(), page_count=1, title=facts.tags.get("title"),
                              metadata=facts.metadata, captured_at=facts.created_at,
                              width=facts.width, height=facts.height,
                              duration_seconds=facts.duration_seconds)
