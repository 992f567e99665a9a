"""Readers for a production's load files, written from the published formats (not from
casework's writer), so the tests check what a review platform would read.

Concordance DAT: the first line holds the field names; each value is enclosed in the
text qualifier þ (U+00FE); values are separated by the field delimiter DC4 (ASCII 20,
0x14); records end with CR LF; a newline inside a value is stored as ® (U+00AE). The
file may start with a UTF-8 byte-order mark.

Opticon OPT: one record per page image, seven comma-separated fields:
ImageKey (the page's Bates number), VolumeLabel, ImageFilePath, DocumentBreak ("Y" on a
document's first page), FolderBreak, BoxBreak, PageCount (on the first page).
"""

from __future__ import annotations

from dataclasses import dataclass

QUOTE = "\u00fe"
DELIMITER = "\x14"


def parse_dat(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    assert text.endswith("\r\n"), "a DAT record ends with CR LF"
    records = []
    for line in text[:-2].split("\r\n"):
        cells = line.split(DELIMITER)
        for cell in cells:
            assert len(cell) >= 2 and cell[0] == QUOTE and cell[-1] == QUOTE, repr(cell)
            assert QUOTE not in cell[1:-1]
        records.append([cell[1:-1].replace("\u00ae", "\n") for cell in cells])
    header, rows = records[0], records[1:]
    assert len(set(header)) == len(header)
    for row in rows:
        assert len(row) == len(header), "every record has every field"
    return [dict(zip(header, row, strict=True)) for row in rows]


@dataclass(frozen=True)
class OptPage:
    key: str
    volume: str
    path: str
    document_break: bool
    folder_break: str
    box_break: str
    page_count: int | None


def parse_opt(data: bytes) -> list[OptPage]:
    text = data.decode("ascii")
    assert text.endswith("\r\n")
    pages = []
    for line in text[:-2].split("\r\n"):
        fields = line.split(",")
        assert len(fields) == 7, line
        key, volume, path, doc_break, folder, box, count = fields
        assert doc_break in ("Y", ""), line
        pages.append(OptPage(key, volume, path, doc_break == "Y", folder, box,
                             int(count) if count else None))
    return pages


def documents_of(pages: list[OptPage]) -> list[list[OptPage]]:
    """Pages grouped by document (each group starts at a document break)."""
    groups: list[list[OptPage]] = []
    for page in pages:
        if page.document_break:
            groups.append([])
        assert groups, "the first page starts a document"
        groups[-1].append(page)
    return groups
