"""XLSX: one page per worksheet, rows as ` | `-joined cells (openpyxl read-only, streamed)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from casework.ingest.archives import UnsafeArchive, check_office_file
from casework.ingest.parsers.base import ExtractedPage, ParsedDocument, ParseError


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class XlsxParser:
    media_types = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)

    def parse(self, path: Path) -> ParsedDocument:
        try:
            check_office_file(path, name=path.name)
        except UnsafeArchive as exc:
            raise ParseError(exc.message) from None
        except zipfile.BadZipFile as exc:
            raise ParseError(f"not a readable XLSX file: {exc}") from None
        # A file object, not the path: openpyxl judges paths by their extension, and blobs
        # have none. Read-only mode streams rows from it until the workbook is closed.
        source = open(path, "rb")  # noqa: SIM115 - closed with the workbook, below
        try:
            workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError,
                OSError) as exc:
            source.close()
            raise ParseError(f"not a readable XLSX file: {exc}") from None
        names = list(workbook.sheetnames)
        props = workbook.properties
        metadata = {k: v for k, v in {
            "sheets": names, "author": props.creator,
            "created": props.created.isoformat() if props.created else None,
            "modified": props.modified.isoformat() if props.modified else None,
        }.items() if v}

        def pages() -> Iterator[ExtractedPage]:
            try:
                for number, name in enumerate(names, start=1):
                    lines = [f"Sheet: {name}"]
                    sheet = workbook[name]
                    # The declared dimension is the writer's claim: A1:XFD1048576 made
                    # openpyxl pad 17 billion cells. Without it, rows hold what is there.
                    sheet.reset_dimensions()
                    for row in sheet.iter_rows(values_only=True):
                        cells = [text for text in map(_cell, row) if text]
                        if cells:
                            lines.append(" | ".join(cells))
                    yield ExtractedPage(number, "\n".join(lines))
            finally:
                workbook.close()
                source.close()

        return ParsedDocument(pages=pages(), page_count=len(names),
                              title=props.title or None, metadata=metadata)
