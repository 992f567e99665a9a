"""The production's load files, written line by line to files on disk (never held whole):
a Concordance DAT, an Opticon OPT and the privilege log's CSV.

Concordance DAT (as review platforms read it): the first line names the fields; every
value is wrapped in the text qualifier þ (U+00FE) and values are separated by ASCII 20
(DC4, 0x14); lines end with CR LF; a line break inside a value is written as ® (U+00AE),
Concordance's newline stand-in; encoded UTF-8 with a byte-order mark (so a reader can
tell it from the older ANSI files).

Opticon OPT: one line per page, `ImageKey,Volume,ImagePath,DocumentBreak,FolderBreak,
BoxBreak,PageCount`, the break `Y` and the page count on a document's first page only,
CR LF, ASCII. Each document is one multi-page PDF under IMAGES/ and every page's line
points at it (page N of the file is page N of the document).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

QUOTE = "\u00fe"
SEPARATOR = "\x14"
NEWLINE_IN_VALUE = "\u00ae"
DAT_FIELDS = ("BEGBATES", "ENDBATES", "BEGATTACH", "ENDATTACH", "PGCOUNT", "DOCID",
              "PARENTDOCID", "CUSTODIAN", "FILENAME", "DOCTYPE", "MD5HASH", "SHA256",
              "DATESENT", "FROM", "TO", "CC", "PRIVILEGE", "CONFIDENTIALITY", "REDACTED",
              "NATIVEPATH", "TEXTPATH")
PRIVILEGE_LOG_FIELDS = ("BEGBATES", "ENDBATES", "DATE", "AUTHOR", "RECIPIENTS", "TYPE",
                        "PRIVILEGE_BASIS", "DESCRIPTION")


def dat_value(value: object) -> str:
    """A value as the DAT may hold it: no qualifier or separator inside, line breaks as ®."""
    text = "" if value is None else str(value)
    text = text.replace(QUOTE, "").replace(SEPARATOR, " ")
    return text.replace("\r\n", NEWLINE_IN_VALUE).replace("\n", NEWLINE_IN_VALUE) \
        .replace("\r", NEWLINE_IN_VALUE)


def dat_line(values: list[object]) -> str:
    return SEPARATOR.join(f"{QUOTE}{dat_value(v)}{QUOTE}" for v in values) + "\r\n"


class LoadFiles:
    """The DAT, OPT and privilege-log CSV being written in a work folder (open for the
    whole build, closed by `close()`)."""

    def __init__(self, folder: Path, *, volume: str) -> None:
        self.volume = volume
        self.dat_path = folder / "loadfile.dat"
        self.opt_path = folder / "loadfile.opt"
        self.log_path = folder / "privilege-log.csv"
        self._dat: IO[str] = open(self.dat_path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self._opt: IO[str] = open(self.opt_path, "w", encoding="ascii", newline="")  # noqa: SIM115
        self._log: IO[str] = open(self.log_path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._log_csv = csv.writer(self._log, lineterminator="\r\n")
        self._dat.write(dat_line(list(DAT_FIELDS)))
        self._log_csv.writerow(PRIVILEGE_LOG_FIELDS)

    def document(self, record: dict[str, object]) -> None:
        self._dat.write(dat_line([record.get(name) for name in DAT_FIELDS]))

    def pages(self, *, labels: list[str], image_path: str) -> None:
        for index, label in enumerate(labels):
            first = index == 0
            self._opt.write(f"{label},{self.volume},{image_path},{'Y' if first else ''},,,"
                            f"{len(labels) if first else ''}\r\n")

    def privileged(self, row: list[str]) -> None:
        self._log_csv.writerow([spreadsheet_safe(cell) for cell in row])

    def close(self) -> None:
        for handle in (self._dat, self._opt, self._log):
            handle.close()


def spreadsheet_safe(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
