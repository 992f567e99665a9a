"""How much of a page's text the embedding model reads, and how many tokens it embeds.

For each corpus of real files on this machine, pages are extracted by casework's own
parsers and normalised as ingest does, then cut by the character chunker casework used
before (1,000 characters, 120 overlap; copied below for the comparison) and by the token
chunker. Reported per corpus and chunker:

- coverage: share of the page's word pieces that fall in the first 254 word pieces of
  some passage (what all-MiniLM-L6-v2 reads; [CLS]/[SEP] take the other two of 256);
- overlap: word pieces embedded beyond the page's own count, as a share of it;
- chunks over the window, and chunking speed (pages and characters per CPU second);
- embedded tokens: word pieces of every passage, then those sent to the model once
  identical texts are embedded once (content hash), then with running heads and feet
  left out (search/boilerplate.py).

    PYTHONPATH=src python bench/chunk_coverage.py [--limit-files N]
"""

from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from casework.ingest.parsers import parser_for
from casework.search.boilerplate import repeated_lines
from casework.search.chunking import Passage, load_chunker, normalize_page_text
from casework.search.model_tokenizer import MODEL_WINDOW_TOKENS, load_tokenizer
from harness import write_results

MODEL = "all-MiniLM-L6-v2"
READ = MODEL_WINDOW_TOKENS - 2  # word pieces the model reads besides [CLS] and [SEP]
PYDOC = Path("/usr/share/doc/python3.11-doc/html/_sources")


# --- the character chunker casework used before (chunker_version 1), for comparison ----

_SENTENCE_END = re.compile(r"[.!?][\"')\]]?\s")


def _old_cut_point(text: str, start: int, limit: int) -> int:
    if limit >= len(text):
        return len(text)
    floor = start + (limit - start) // 2
    window = text[floor:limit]
    for finder in (lambda w: w.rfind("\n\n"), _old_last_sentence_end, lambda w: w.rfind("\n"),
                   lambda w: w.rfind(" ")):
        pos = finder(window)
        if pos > 0:
            return floor + pos + 1
    return limit


def _old_last_sentence_end(window: str) -> int:
    last = -1
    for match in _SENTENCE_END.finditer(window):
        last = match.end() - 1
    return last


def character_chunks(text: str, *, page: int, size: int = 1000, overlap: int = 120
                     ) -> list[Passage]:
    passages: list[Passage] = []
    length, start = len(text), 0
    while start < length:
        while start < length and text[start].isspace():
            start += 1
        if start >= length:
            break
        end = _old_cut_point(text, start, start + size)
        body = text[start:end].rstrip()
        if body:
            passages.append(Passage(page, len(passages), start, start + len(body), body))
        if end >= length:
            break
        start = max(end - overlap, start + 1)
        if start > 0 and not text[start - 1].isspace():
            space = text.find(" ", start, end)
            start = space + 1 if space != -1 else start
    return passages


# --- corpora ---------------------------------------------------------------------------

@dataclass
class Document:
    name: str
    pages: list[str]


def _parsed(path: Path, media_type: str) -> Document:
    parser = parser_for(media_type)
    assert parser is not None
    pages = [normalize_page_text(p.text) for p in parser.parse(path).pages]
    return Document(path.name, [p for p in pages if p])


def pdfs() -> Iterator[Document]:
    found = subprocess.run(["find", "/usr/share/doc", "-name", "*.pdf"], capture_output=True,
                           text=True).stdout.split()
    for name in sorted(found):
        yield _parsed(Path(name), "application/pdf")


def pydoc(folders: tuple[str, ...], limit: int) -> Iterator[Document]:
    files = sorted(f for folder in folders for f in (PYDOC / folder).glob("*.rst.txt"))
    for path in files[:limit]:
        yield _parsed(path, "text/plain")


def man_pages(limit: int, tmp: Path) -> Iterator[Document]:
    """man(1) pages rendered to plain text as `man` shows them (80 columns)."""
    sources = sorted(Path("/usr/share/man/man1").glob("*.1.gz"))
    step = max(1, len(sources) // limit)
    for source in sources[::step][:limit]:
        try:
            roff = gzip.decompress(source.read_bytes())
        except OSError:
            continue
        rendered = subprocess.run(
            ["groff", "-man", "-Tutf8", "-P-cbou", "-rLL=80n"], input=roff,
            capture_output=True, timeout=30).stdout.decode("utf-8", "replace")
        path = tmp / (source.name.removesuffix(".gz") + ".txt")
        path.write_text(rendered)
        if rendered.strip():
            yield _parsed(path, "text/plain")


def printed_man_pages(limit: int) -> Iterator[Document]:
    """man(1) pages as printed: 66-line pages, each with the running head ("LS(1) User
    Commands LS(1)") and foot (package, date, page number) that a paged manual has."""
    sources = sorted(Path("/usr/share/man/man1").glob("*.1.gz"))
    step = max(1, len(sources) // limit)
    for source in sources[::step][:limit]:
        try:
            roff = gzip.decompress(source.read_bytes())
        except OSError:
            continue
        lines = subprocess.run(
            ["groff", "-man", "-Tutf8", "-P-cbou", "-rLL=80n", "-rcR=0"], input=roff,
            capture_output=True, timeout=30).stdout.decode("utf-8", "replace").split("\n")
        pages = [normalize_page_text("\n".join(lines[i:i + 66]))
                 for i in range(0, len(lines), 66)]
        if any(pages):
            yield Document(source.name, [p for p in pages if p])


# --- measuring ---------------------------------------------------------------------------

def _read_spans(passages: list[Passage], tokenizer: Any) -> list[tuple[int, int]]:
    """Page character ranges the model reads: each passage's first READ word pieces."""
    spans = []
    for passage, encoding in zip(passages, tokenizer.encode_batch(
            [p.text for p in passages], add_special_tokens=False), strict=True):
        offsets = encoding.offsets
        if offsets:
            last = offsets[min(len(offsets), READ) - 1][1]
            spans.append((passage.start_char + offsets[0][0], passage.start_char + last))
    return spans


def measure(name: str, documents: list[Document],
            chunkers: dict[str, Callable[[str, int, frozenset[str]], list[Passage]]]
            ) -> dict[str, Any]:
    tokenizer = load_tokenizer(MODEL)
    page_count = sum(len(d.pages) for d in documents)
    page_offsets = [[e.offsets for e in tokenizer.encode_batch(d.pages,
                                                                add_special_tokens=False)]
                    for d in documents]
    page_tokens = sum(len(o) for pages in page_offsets for o in pages)
    result: dict[str, Any] = {"documents": len(documents), "pages": page_count,
                              "characters": sum(len(p) for d in documents for p in d.pages),
                              "page_tokens": page_tokens}
    for label, chunk in chunkers.items():
        started = time.process_time()  # CPU time: the machine is shared, wall time is not
        cut = []
        for document in documents:
            repeated = repeated_lines(document.pages)
            cut.append([chunk(text, number, repeated)
                        for number, text in enumerate(document.pages, 1)])
        seconds = time.process_time() - started
        covered = passages = over_window = read_tokens = 0  # read: before de-duplication
        embedded_all: dict[str, int] = {}
        embedded_model: dict[str, int] = {}
        for document, offsets_of, pages in zip(documents, page_offsets, cut, strict=True):
            for text, offsets, page_passages in zip(document.pages, offsets_of, pages,
                                                    strict=True):
                passages += len(page_passages)
                mask = np.zeros(len(text) + 1, dtype=bool)
                for start, end in _read_spans(page_passages, tokenizer):
                    mask[start:end] = True
                covered += sum(1 for s, e in offsets if mask[s] and mask[e - 1])
                for passage in page_passages:
                    full = len(tokenizer.encode(passage.text, add_special_tokens=False).ids)
                    over_window += full > READ
                    read_tokens += min(full, READ)
                    embedded_all.setdefault(passage.text, min(full, READ))
                    if passage.model_text and passage.model_text not in embedded_model:
                        model_full = len(tokenizer.encode(
                            passage.model_text, add_special_tokens=False).ids)
                        embedded_model[passage.model_text] = min(model_full, READ)
        all_tokens = sum(embedded_all.values())
        model_tokens = sum(embedded_model.values())
        result[label] = {
            "passages": passages,
            "coverage_pct": round(100 * covered / max(page_tokens, 1), 2),
            "overlap_pct": round(100 * (read_tokens - covered) / max(page_tokens, 1), 2),
            "passages_over_window_pct": round(100 * over_window / max(passages, 1), 1),
            "chunk_pages_per_s": round(page_count / seconds, 1),
            "chunk_mb_per_s": round(result["characters"] / seconds / 1e6, 2),
            "read_tokens_all_passages": read_tokens,
            "embedded_tokens_distinct_texts": all_tokens,
            "embedded_tokens_without_running_heads": model_tokens,
            "running_heads_saving_pct": round(100 * (1 - model_tokens / max(all_tokens, 1)), 2),
        }
        row = result[label]
        print(f"{name:>10} {label:>10}: {passages:6d} passages, coverage "
              f"{row['coverage_pct']:6.2f} %, overlap {row['overlap_pct']:5.2f} %, "
              f"over window {row['passages_over_window_pct']:5.1f} %, "
              f"{row['chunk_pages_per_s']:8.1f} pages/s ({row['chunk_mb_per_s']} M chars/s), "
              f"embedded {all_tokens} -> {model_tokens} tokens without running heads "
              f"(-{row['running_heads_saving_pct']} %)")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit-files", type=int, default=60,
                        help="files per text corpus (Python docs, man pages)")
    args = parser.parse_args()
    tokens = load_chunker(MODEL, MODEL_WINDOW_TOKENS, 16)
    chunkers = {
        "by_characters": lambda text, page, repeated: character_chunks(text, page=page),
        "by_tokens": lambda text, page, repeated: tokens.chunk_page(text, page=page,
                                                                 repeated=repeated),
    }
    with tempfile.TemporaryDirectory() as tmp:
        corpora = {
            "pdf": list(pdfs()),
            "prose": list(pydoc(("tutorial", "howto", "faq"), args.limit_files)),
            "reference": list(pydoc(("library", "c-api"), args.limit_files)),
            "man": list(man_pages(args.limit_files, Path(tmp))),
            "man_printed": list(printed_man_pages(args.limit_files)),
        }
        results = {name: measure(name, documents, chunkers)
                   for name, documents in corpora.items()}
    results["settings"] = {"model": MODEL, "chunk_tokens": MODEL_WINDOW_TOKENS,
                           "chunk_overlap_tokens": 16, "old_chunk_chars": 1000,
                           "old_overlap_chars": 120, "limit_files": args.limit_files}
    print(write_results("chunk_coverage", results))


if __name__ == "__main__":
    main()
