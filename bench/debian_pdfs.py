"""A corpus of real PDFs: the LaTeX package manuals Debian ships in its -doc packages.

    from debian_pdfs import pdf_corpus
    folder, facts = pdf_corpus(min_files=250, min_pages=8000)

The machine holds only two real PDFs of any size, so the benchmarks that need hundreds
fetch three Debian packages (`apt-get download`, no install; ~220 MB once, cached) and
unpack them: 752 manuals typeset by pdfTeX/LuaTeX, 1 to 1,611 pages each, 20,149 pages in
all - prose, code listings, tables, formulas and figures, in English with some German,
French and Italian. The selection is deterministic: files ordered by the SHA-256 of their
path inside the package, taken until both minimums are met, so every run and every machine
ingests the same files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from harness import CACHE_DIR, unpacked_debian_packages

PACKAGES = ("texlive-latex-base-doc", "texlive-latex-recommended-doc", "texlive-science-doc")
ROOT = CACHE_DIR / "debian-pdfs"


def unpacked() -> Path:
    """The packages' files under ROOT/root (downloaded and unpacked on first use)."""
    return unpacked_debian_packages(ROOT, PACKAGES)


def _page_count(path: Path) -> int | None:
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except Exception:  # a broken file is not part of the corpus
        return None
    try:
        return len(pdf)
    finally:
        pdf.close()


def pdf_corpus(*, min_files: int, min_pages: int) -> tuple[Path, dict[str, Any]]:
    """A folder with the chosen PDFs (copies), and facts about them for the results file."""
    folder = ROOT / f"corpus-{min_files}-{min_pages}"
    manifest = folder / ".manifest.json"
    if not manifest.exists():
        root = unpacked()
        candidates = sorted(root.rglob("*.pdf"),
                            key=lambda p: hashlib.sha256(
                                str(p.relative_to(root)).encode()).hexdigest())
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        chosen: list[dict[str, Any]] = []
        pages = 0
        for path in candidates:
            if len(chosen) >= min_files and pages >= min_pages:
                break
            count = _page_count(path)
            if not count:
                continue
            name = f"{len(chosen):03d}-{path.name}"
            shutil.copyfile(path, folder / name)
            chosen.append({"file": name, "source": str(path.relative_to(root)),
                           "pages": count, "bytes": path.stat().st_size})
            pages += count
        manifest.write_text(json.dumps(chosen, indent=1))
    chosen = json.loads(manifest.read_text())
    return folder, {
        "source": f"Debian packages {', '.join(PACKAGES)} (LaTeX package manuals)",
        "pdfs": len(chosen), "pages": sum(item["pages"] for item in chosen),
        "bytes": sum(item["bytes"] for item in chosen),
        "largest_pages": max(item["pages"] for item in chosen),
    }
