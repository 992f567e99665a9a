"""A memo with e-mail addresses, a phone number and names, and how to read a PDF back the
way a recipient could: its text layer (pypdfium2) and Tesseract on its page pictures."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from fpdf import FPDF

SECRETS = ("alice@example.com", "Bob Smith", "Carol Jones", "555 123 4567")
# Where page 2's "Carol Jones" is, as a box a person would draw on the preview (fractions
# of the page, origin top left): "Witness:" to its left stays readable.
CAROL_REGION = {"page": 2, "x0": 0.181, "y0": 0.325, "x1": 0.40, "y1": 0.37}
RED_MARK = (0.786, 0.093)  # the centre of page 2's red rectangle, in the same fractions


def memo_pdf() -> bytes:
    """Three pages; the secrets also sit in its metadata, a link annotation and an
    attachment, none of which may reach the redacted copy."""
    pdf = FPDF()
    pdf.set_title("Memo about Bob Smith")
    pdf.set_author("alice@example.com")
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.set_xy(20, 30)
    pdf.cell(0, 8, "Contact alice@example.com or Bob Smith on +1 555 123 4567.")
    pdf.set_xy(20, 45)
    pdf.cell(0, 8, "The quarterly figures are attached.")
    pdf.add_page()
    pdf.set_fill_color(200, 30, 30)  # a red mark: a redacted page keeps its colours
    pdf.rect(150, 20, 30, 15, style="F")
    pdf.set_xy(20, 30)
    pdf.cell(0, 8, "Minutes of the harbour meeting.")
    pdf.set_xy(20, 100)
    pdf.cell(0, 8, "Witness: Carol Jones")
    pdf.add_page()
    pdf.set_xy(20, 30)
    pdf.cell(0, 8, "Nothing to hide on this page, only bananas.")
    pdf.link(20, 30, 50, 8, "mailto:alice@example.com")  # on a page left as it is
    pdf.embed_file(bytes=b"attached: Bob Smith, alice@example.com", basename="note.txt")
    return bytes(pdf.output())


def pixel(data: bytes, page: int, at: tuple[float, float]) -> tuple[int, int, int]:
    """The colour a reader renders at `at` (fractions of the page) on page `page`."""
    pdf = pdfium.PdfDocument(data)
    try:
        image = pdf[page - 1].render(scale=1).to_pil().convert("RGB")
    finally:
        pdf.close()
    return image.getpixel((int(at[0] * image.width), int(at[1] * image.height)))


def read_back(data: bytes) -> dict:
    """Text layer and OCR of every page, metadata, attachments and annotations."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "copy.pdf"
        path.write_bytes(data)
        pdf = pdfium.PdfDocument(str(path))
        texts, ocr, annotations = [], [], 0
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            annotations += pdfium_c.FPDFPage_GetAnnotCount(page.raw)
            image = page.render(scale=300 / 72, grayscale=True).to_pil()
            picture = Path(folder) / f"page-{index}.png"
            image.save(picture)
            ocr.append(subprocess.run(["tesseract", str(picture), "stdout", "--dpi", "300"],
                                      capture_output=True, text=True, check=True).stdout)
            page.close()
        found = {"text": texts, "ocr": ocr, "annotations": annotations,
                 "metadata": pdf.get_metadata_dict(skip_empty=True),
                 "attachments": pdf.count_attachments()}
        pdf.close()
        return found
