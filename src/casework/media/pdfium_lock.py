"""One lock for every call into PDFium, which is not thread-safe.

pypdfium2's documentation is explicit: PDFium may not be called from two threads at once,
not even on different documents. casework runs PDFs in several job threads (and renders
previews in API threads), and two PDFs processed at the same moment crashed the process
with a native fault (seen in bench/ingest.py with two worker threads). Every pypdfium2
call - open, page, text, render, bitmap, close - goes through this lock; it is held per
page, not per document, so threads still take turns page by page. A process-wide lock is
global state on purpose: it guards a process-wide C library.
"""

from __future__ import annotations

import threading

PDFIUM = threading.RLock()
