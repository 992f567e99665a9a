"""PDFs the production draws itself with fpdf2: a text document's pages, the slip sheets
that stand for a withheld document or a native, and the privilege log. Fixed dates, so the same
inputs give the same bytes. Bates numbers go on afterwards, as on every other PDF."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fpdf import FPDF

from casework.productions.stamping import FIXED_DATE

FONT = Path(__file__).resolve().parent.parent / "reports" / "fonts" / "DejaVuSans.ttf"
MAX_TEXT_CHARS = 2_000_000  # a text rendered past this is cut, and says so


def _pdf(*, needs_unicode: bool, landscape: bool = False) -> tuple[FPDF, str]:
    """A page-ready FPDF and its font: Helvetica when the text is Latin-1 (fast, nothing to
    embed), DejaVu otherwise."""
    pdf = FPDF(orientation="L" if landscape else "P", unit="pt", format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_margins(54, 54, 54)
    pdf.set_auto_page_break(True, margin=60)  # room for the stamp
    if needs_unicode:
        pdf.add_font("dejavu", fname=str(FONT))
        return pdf, "dejavu"
    return pdf, "helvetica"


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def text_pdf(*, pages: Iterable[str], title: str, out: Path) -> None:
    """A document without pages of its own (e-mail, office file, text) as PDF: each
    extracted page starts a new page, long ones flow onto more."""
    kept: list[str] = []
    total = 0
    for text in pages:
        if total + len(text) > MAX_TEXT_CHARS:
            kept.append(text[:max(0, MAX_TEXT_CHARS - total)]
                        + "\n[text cut: the rest of this document is not rendered]")
            break
        kept.append(text)
        total += len(text)
    pdf, font = _pdf(needs_unicode=not all(_latin1(t) for t in [*kept, title]))
    for text in kept or [""]:
        pdf.add_page()
        pdf.set_font(font, size=10)
        clean = text.replace("\r\n", "\n").replace("\f", "\n").replace("\x00", "")
        pdf.multi_cell(0, 13, clean or " ", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(out))


def slip_sheet(*, basis: str | None, out: Path) -> None:
    """One page standing for a withheld document: no word of the document on it."""
    reason = f"Withheld: privileged ({basis})" if basis else "Withheld: privileged"
    _slip(reason, None, out)


def native_slip_sheet(*, native_path: str, out: Path) -> None:
    """One page standing for a document produced natively, naming the file that is."""
    _slip("Document produced in native format", native_path, out)


def _slip(heading: str, detail: str | None, out: Path) -> None:
    pdf, font = _pdf(needs_unicode=not _latin1(heading + (detail or "")))
    pdf.add_page()
    pdf.set_font(font, size=20)
    pdf.set_y(300)
    pdf.multi_cell(0, 28, heading, align="C", new_x="LMARGIN", new_y="NEXT")
    if detail:
        pdf.set_font(font, size=12)
        pdf.multi_cell(0, 18, detail, align="C")
    pdf.output(str(out))


LOG_HEADINGS = ("Bates range", "Date", "Author / from", "Recipients", "Type", "Basis",
                "Description")
LOG_WIDTHS = (110, 70, 110, 150, 70, 110, 114)


def privilege_log_pdf(*, rows: Iterable[list[str]], title: str, out: Path) -> None:
    """The privilege log as a landscape table (the CSV beside it holds the same rows)."""
    # The CSV's BEGBATES and ENDBATES columns become one "Bates range" cell.
    materialised = [[row[0] if row[0] == row[1] else f"{row[0]} - {row[1]}", *row[2:]]
                    for row in rows]
    pdf, font = _pdf(needs_unicode=not all(_latin1(c) for r in materialised for c in r),
                     landscape=True)
    pdf.set_margins(36, 36, 36)
    pdf.add_page()
    pdf.set_font(font, size=14)
    pdf.cell(0, 20, f"Privilege log: {title}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, size=8)
    with pdf.table(col_widths=LOG_WIDTHS, text_align="LEFT", first_row_as_headings=True,
                   line_height=10) as table:
        table.row(list(LOG_HEADINGS))
        for row in materialised:
            table.row([cell or "" for cell in row])
        if not materialised:
            table.row(["(no document withheld)"] + [""] * (len(LOG_HEADINGS) - 1))
    pdf.output(str(out))
