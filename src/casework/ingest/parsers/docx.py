"""DOCX: paragraphs and table cells, in document order, as one page."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError

from casework.ingest.archives import UnsafeArchive, check_office_file
from casework.ingest.parsers.base import ExtractedPage, ParsedDocument, ParseError


class DocxParser:
    media_types = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",)

    def parse(self, path: Path) -> ParsedDocument:
        try:
            check_office_file(path, name=path.name)
        except UnsafeArchive as exc:
            raise ParseError(exc.message) from None
        except zipfile.BadZipFile as exc:
            raise ParseError(f"not a readable DOCX file: {exc}") from None
        try:
            document = docx.Document(str(path))
        except (PackageNotFoundError, KeyError, ValueError) as exc:
            raise ParseError(f"not a readable DOCX file: {exc}") from None
        parts: list[str] = [p.text for p in document.paragraphs if p.text.strip()]
        for table in document.tables:
            for row in table.rows:
                cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
                if cells:
                    parts.append(" | ".join(cells))
        text = "\n".join(parts)
        props = document.core_properties
        metadata = {
            k: v
            for k, v in {
                "author": props.author,
                "created": props.created.isoformat() if props.created else None,
                "modified": props.modified.isoformat() if props.modified else None,
            }.items()
            if v
        }

        def pages() -> Iterator[ExtractedPage]:
            yield ExtractedPage(1, text)

        return ParsedDocument(
            pages=pages(), page_count=1, title=(props.title or None), metadata=metadata
        )
