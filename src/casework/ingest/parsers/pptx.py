"""PPTX: one page per slide (text frames, tables, speaker notes), with python-pptx."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pptx
from pptx.exc import PackageNotFoundError

from casework.ingest.archives import UnsafeArchive, check_office_file
from casework.ingest.parsers.base import ExtractedPage, ParsedDocument, ParseError


def _shape_lines(shape: object) -> Iterator[str]:
    if getattr(shape, "has_text_frame", False):
        text = shape.text_frame.text.strip()  # type: ignore[attr-defined]
        if text:
            yield text
    if getattr(shape, "has_table", False):
        for row in shape.table.rows:  # type: ignore[attr-defined]
            cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
            if cells:
                yield " | ".join(cells)
    for child in getattr(shape, "shapes", ()):  # group shapes
        yield from _shape_lines(child)


class PptxParser:
    media_types = ("application/vnd.openxmlformats-officedocument.presentationml.presentation",)

    def parse(self, path: Path) -> ParsedDocument:
        try:
            check_office_file(path, name=path.name)
        except UnsafeArchive as exc:
            raise ParseError(exc.message) from None
        except zipfile.BadZipFile as exc:
            raise ParseError(f"not a readable PPTX file: {exc}") from None
        try:
            deck = pptx.Presentation(str(path))
        except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise ParseError(f"not a readable PPTX file: {exc}") from None
        slides = list(deck.slides)
        props = deck.core_properties
        metadata = {k: v for k, v in {
            "slides": len(slides), "author": props.author,
            "created": props.created.isoformat() if props.created else None,
        }.items() if v}

        def pages() -> Iterator[ExtractedPage]:
            for number, slide in enumerate(slides, start=1):
                lines = [line for shape in slide.shapes for line in _shape_lines(shape)]
                if slide.has_notes_slide:
                    notes = slide.notes_slide.notes_text_frame.text.strip()
                    if notes:
                        lines.append(f"Notes: {notes}")
                yield ExtractedPage(number, "\n".join(lines))

        return ParsedDocument(pages=pages(), page_count=len(slides),
                              title=props.title or None, metadata=metadata)
