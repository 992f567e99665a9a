"""Audio (MP3, WAV, M4A, OGG): duration, codec and tags; the tags are its searchable text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from casework.ingest.parsers.base import ExtractedPage, ParsedDocument, ParseError
from casework.ingest.parsers.video import tags_text
from casework.media.probe import ProbeError, probe


class AudioParser:
    media_types = ("audio/mpeg", "audio/wav", "audio/mp4", "audio/ogg")

    def parse(self, path: Path) -> ParsedDocument:
        try:
            facts = probe(path)
        except ProbeError as exc:
            raise ParseError(str(exc)) from None
        if "audio" not in facts.metadata:
            raise ParseError("the file has no audio stream")
        text = tags_text(facts.tags)

        def pages() -> Iterator[ExtractedPage]:
            yield ExtractedPage(1, text)

        return ParsedDocument(pages=pages(), page_count=1, title=facts.tags.get("title"),
                              metadata=facts.metadata, captured_at=facts.created_at,
                              duration_seconds=facts.duration_seconds)
