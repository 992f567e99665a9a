"""The report as a PDF (fpdf2: pure Python, no system libraries), A4, fonts embedded.

Byte-for-byte reproducible: fpdf2 writes no clock and no random value once the creation
date is set, and the document ID is a hash of the file's content. The creation date is the
content's `as_of` (the newest change of the collection), the fonts are the DejaVu Sans
files shipped beside this module, so the same content and generation time give the same
bytes on any machine with the same casework and fpdf2 versions. The generation time is
printed once, in the closing footer on the last page; every page's foot carries the
collection, the inventory's SHA-256 and the page number, which the content decides.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from fpdf import FPDF, FontFace

from casework.reports.content import INVENTORY_COLUMNS, ReportContent, human_size, stamp

FONTS_DIR = Path(__file__).parent / "fonts"
FONT = "DejaVuSans"
MONO = "Courier"  # a standard PDF font: hashes are ASCII, nothing to embed
DASH = "\u2013"
GREY = (95, 102, 117)
HEADING_FILL = (236, 239, 244)
# Control characters (other than line feeds) have no glyph and break fpdf2's layout.
NEXT_LINE = {"new_x": "LMARGIN", "new_y": "NEXT"}  # multi_cell stays on the line else
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _clean(text: str, *, one_line: bool = False) -> str:
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split()) if one_line else text


class _ReportPDF(FPDF):
    def __init__(self, foot: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.foot = foot

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"{self.foot} · page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0)


def _heading(pdf: FPDF, text: str, *, size: float = 13) -> None:
    if pdf.will_page_break(25):
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, size * 0.5, _clean(text, one_line=True), **NEXT_LINE)
    pdf.ln(1.5)
    pdf.set_font(FONT, size=9)


def _paragraph(pdf: FPDF, text: str, *, size: float = 9, grey: bool = False) -> None:
    pdf.set_font(FONT, size=size)
    if grey:
        pdf.set_text_color(*GREY)
    pdf.multi_cell(0, size * 0.48, _clean(text), **NEXT_LINE)
    pdf.set_text_color(0)
    pdf.ln(1)


def _table(pdf: FPDF, widths: tuple[int, ...], headings: tuple[str, ...] | None,
           rows: list[tuple[str, ...]], *, size: float = 8) -> None:
    pdf.set_font(FONT, size=size)
    with pdf.table(col_widths=widths, width=sum(widths), align="LEFT", text_align="LEFT",
                   line_height=size * 0.5, borders_layout="HORIZONTAL_LINES",
                   first_row_as_headings=headings is not None,
                   headings_style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL),
                   padding=(0.8, 1)) as table:
        if headings is not None:
            table.row(list(headings))
        for row in rows:
            table.row([_clean(cell, one_line=True) for cell in row])
    pdf.ln(2)


def _summary(pdf: FPDF, content: ReportContent) -> None:
    s = content.summary
    _heading(pdf, "Summary")

    def counts(pairs: tuple[tuple[str, int], ...]) -> str:
        return "; ".join(f"{name}: {n}" for name, n in pairs) or DASH

    timeline = str(s.timeline_events) + (
        f" (the first {len(content.timeline)} listed)"
        if s.timeline_events > len(content.timeline) else "")
    _table(pdf, (40, 140), None, [
        ("Documents", str(s.documents)), ("Pages", str(s.pages)),
        ("Size", f"{human_size(s.size_bytes)} ({s.size_bytes} bytes)"),
        ("By type", counts(s.by_type)), ("By status", counts(s.by_status)),
        ("Entities", str(s.entities)), ("Timeline events", timeline),
        ("Saved questions", str(s.saved_questions))], size=9)


def _inventory(pdf: FPDF, content: ReportContent) -> None:
    _heading(pdf, "Inventory")
    if not content.inventory:
        _paragraph(pdf, "No documents.")
        return
    pdf.set_font(FONT, size=7.5)
    hash_style = FontFace(family=MONO, size_pt=7, color=GREY)
    widths = (8, 48, 30, 11, 15, 33, 35)
    with pdf.table(col_widths=widths, width=sum(widths), align="LEFT", text_align="LEFT",
                   line_height=3.6, borders_layout="NONE", padding=(0.6, 1),
                   headings_style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL)) as table:
        table.row(["#", "Name", "Type", "Pages", "Size", "Received (UTC)", "Uploader"])
        for d in content.inventory:
            table.row([str(d.number), _clean(d.name, one_line=True), d.media_type,
                       DASH if d.pages is None else str(d.pages), human_size(d.size_bytes),
                       d.received, _clean(d.uploader, one_line=True)])
            row = table.row()
            row.cell("")
            row.cell(f"SHA-256 {d.sha256}", style=hash_style, colspan=6)
    pdf.ln(2)


def _custody(pdf: FPDF, content: ReportContent) -> None:
    """Each document's MD5 and SHA-1 (for other tools) and every arrival of its bytes."""
    if not content.custody:
        return
    _heading(pdf, "Chain of custody")
    hash_style = FontFace(family=MONO, size_pt=7, color=GREY)
    pdf.set_font(FONT, size=7.5)
    with pdf.table(col_widths=(8, 172), width=180, align="LEFT", text_align="LEFT",
                   line_height=3.6, borders_layout="NONE", padding=(0.6, 1),
                   first_row_as_headings=False) as table:
        for line in content.custody:
            table.row([str(line.number), _clean(line.name, one_line=True)])
            row = table.row()
            row.cell("")
            row.cell(f"MD5 {line.md5 or DASH} · SHA-1 {line.sha1 or DASH}", style=hash_style)
            for arrival in line.arrivals or ("no arrival recorded",):
                row = table.row()
                row.cell("")
                row.cell(_clean(arrival, one_line=True))
    pdf.ln(2)


def _timeline(pdf: FPDF, content: ReportContent) -> None:
    _heading(pdf, "Timeline")
    if not content.timeline:
        _paragraph(pdf, "No dated events found.")
        return
    _table(pdf, (22, 106, 40, 12), ("Date", "Event", "Document", "Page"),
           [(e.date, e.sentence, e.document, str(e.page)) for e in content.timeline])
    if content.summary.timeline_events > len(content.timeline):
        _paragraph(pdf, f"More events than these {len(content.timeline)}: the timeline page "
                   "of the collection lists them all.", grey=True)


def _entities(pdf: FPDF, content: ReportContent) -> None:
    _heading(pdf, "Key entities")
    if not content.entities:
        _paragraph(pdf, "No entities found.")
    for group in content.entities:
        _heading(pdf, f"{group.label} ({group.total})", size=10)
        _table(pdf, (120, 30, 30), ("Name", "Mentions", "Documents"),
               [(e.name, str(e.mentions), str(e.documents)) for e in group.top])


def _questions(pdf: FPDF, content: ReportContent) -> None:
    _heading(pdf, "Saved questions")
    if not content.questions:
        _paragraph(pdf, "No saved questions.")
    for number, q in enumerate(content.questions, start=1):
        _heading(pdf, f"{number}. {q.question}", size=10)
        pdf.set_font(FONT, "" if q.found else "B", 9)
        pdf.multi_cell(0, 4.4, _clean(q.answer), **NEXT_LINE)
        pdf.ln(1)
        _paragraph(pdf, f"{q.mode} answer · confidence {q.confidence:.2f} · saved {q.saved}",
                   size=8, grey=True)
        for index, p in enumerate(q.citations, start=1):
            _paragraph(pdf, f"[{index}] {p.document}, page {p.page} (characters "
                       f"{p.start}{DASH}{p.end}): “{_clean(p.text, one_line=True)}”", size=8)


def _closing(pdf: FPDF, content: ReportContent, generated_at: datetime) -> None:
    _heading(pdf, "About this report", size=10)
    pdf.set_font(FONT, size=8)
    pdf.multi_cell(0, 4, "Inventory SHA-256, the SHA-256 of the inventory above as CSV (UTF-8, "
                   "one header line and one line per document, columns "
                   f"{', '.join(INVENTORY_COLUMNS)}), which is downloadable beside this "
                   "report:", **NEXT_LINE)
    pdf.set_font(MONO, size=8)
    pdf.cell(0, 5, content.inventory_sha256, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=8)
    pdf.multi_cell(0, 4, f"Generated {stamp(generated_at)} by casework.", **NEXT_LINE)


def render_pdf(content: ReportContent, *, generated_at: datetime) -> bytes:
    name = _clean(content.name, one_line=True)
    foot = (f"Case report: {name[:60]}{'…' if len(name) > 60 else ''} · inventory SHA-256 "
            f"{content.inventory_sha256[:16]}…")
    pdf = _ReportPDF(foot)
    pdf.add_font(FONT, "", str(FONTS_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_creation_date(content.as_of)
    pdf.set_title(f"Case report: {name}")
    pdf.set_creator("casework")
    pdf.set_lang("en")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(0, 9, f"Case report: {name}", **NEXT_LINE)
    reference = f" · reference {content.reference}" if content.reference else ""
    _paragraph(pdf, f"{content.kind}{reference}", grey=True)
    if content.description:
        _paragraph(pdf, content.description)
    _summary(pdf, content)
    _inventory(pdf, content)
    _custody(pdf, content)
    _timeline(pdf, content)
    _entities(pdf, content)
    _questions(pdf, content)
    _closing(pdf, content, generated_at)
    return bytes(pdf.output())
