"""PDFs processed in several threads at once do not crash the process.

PDFium is not thread-safe; without casework's lock this very workload (four threads
extracting text and rendering pages of different PDFs) died with SIGSEGV or abort in
two runs out of two. It runs in a child process so that a crash fails this test instead
of killing the test session.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.fixtures.files import make_pdf

WORKLOAD = """
import sys, threading
from pathlib import Path
from casework.ingest.parsers.pdf import PdfParser
from casework.media import pdf_previews

def work(path):
    for _ in range(10):
        document = PdfParser().parse(path)
        assert sum(1 for _ in document.pages) == document.page_count
        with pdf_previews.open_pdf(path) as pdf:
            for number in range(1, 6):
                pdf_previews.render_page(pdf, number, width=600)

threads = [threading.Thread(target=work, args=(Path(p),)) for p in sys.argv[1:]]
for t in threads: t.start()
for t in threads: t.join()
print("all threads finished")
"""


def test_four_threads_extract_and_render_pdfs_at_once(tmp_path: Path) -> None:
    paths = []
    for number in range(4):
        path = tmp_path / f"{number}.pdf"
        path.write_bytes(make_pdf([f"page {n} of document {number} " * 40
                                   for n in range(12)]))
        paths.append(str(path))
    done = subprocess.run([sys.executable, "-c", WORKLOAD, *paths], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert "all threads finished" in done.stdout
