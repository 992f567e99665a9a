"""What the parser sandbox costs: pages/s of real PDFs extracted in-process and in a child.

Both sides run the same function (ingest.extraction.extract_document: open, text of every
page, previews of the first pages) on the same files; the sandbox side adds the pipe
round trip, the JSON reply and the limits, on a warm pool (a child's start, ~0.8 s, is
reported apart: it is paid once per SANDBOX_DOCUMENTS_PER_PROCESS documents). Rounds
alternate the two sides so the shared machine's load falls on both alike.

    PYTHONPATH=src python bench/sandbox_overhead.py [--rounds 15] [PDF ...]

Default files: the real PDFs under /usr/share/doc. Writes bench/results/sandbox_overhead.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from casework.core.settings import load_settings
from casework.ingest.extraction import extract_document
from casework.ingest.sandbox import SandboxPool
from casework.media.images import apply_pixel_limit

RESULTS = Path(__file__).parent / "results" / "sandbox_overhead.json"


def _in_process(settings, path: Path, work: Path) -> int:
    with tempfile.TemporaryDirectory(dir=work) as out:
        result = extract_document(path=path, media_type="application/pdf", settings=settings,
                                  spool_path=Path(out) / "pages.jsonl", out_dir=Path(out),
                                  progress=lambda _stage, _page: None)
    return int(result["pages"])


def _sandboxed(pool: SandboxPool, path: Path, work: Path) -> int:
    with tempfile.TemporaryDirectory(dir=work) as out:
        result = pool.extract(path=path, media_type="application/pdf",
                              spool=Path(out) / "pages.jsonl", out_dir=Path(out))
    return result.pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    pdfs = args.pdfs or sorted(Path("/usr/share/doc").rglob("*.pdf"))
    with tempfile.TemporaryDirectory(prefix="casework-sandbox-bench-") as folder:
        settings = load_settings(_env_file=None, data_dir=Path(folder) / "data",
                                 semantic_search=False, sandbox_processes=1)
        settings.tmp_dir.mkdir(parents=True)
        apply_pixel_limit(settings.max_image_pixels)
        pool = SandboxPool(settings)
        started = time.perf_counter()
        _sandboxed(pool, pdfs[0], settings.tmp_dir)  # the child starts here
        first_call = time.perf_counter() - started
        rows = []
        for path in pdfs:
            inside: list[float] = []
            outside: list[float] = []
            pages = 0
            sides = (("in", _in_process), ("sandbox", _sandboxed))
            for round_number in range(args.rounds):
                # ABBA: whichever runs second in a round does not always get the warm cache.
                for side, run in sides if round_number % 2 == 0 else sides[::-1]:
                    target = settings if side == "in" else pool
                    started = time.perf_counter()
                    pages = run(target, path, settings.tmp_dir)  # type: ignore[arg-type]
                    (inside if side == "in" else outside).append(
                        time.perf_counter() - started)
            in_rate = pages / statistics.median(inside)
            box_rate = pages / statistics.median(outside)
            rows.append({"file": str(path), "pages": pages, "rounds": args.rounds,
                         "in_process_pages_per_s": round(in_rate, 1),
                         "sandbox_pages_per_s": round(box_rate, 1),
                         "overhead_percent": round((in_rate / box_rate - 1) * 100, 1),
                         "in_process_median_s": round(statistics.median(inside), 4),
                         "sandbox_median_s": round(statistics.median(outside), 4),
                         "child_max_rss_mb": pool.last_usage.get("max_rss_mb")})
            print(json.dumps(rows[-1]))
        pool.close()
    total_in = sum(r["pages"] / r["in_process_median_s"] for r in rows) / len(rows)
    total_box = sum(r["pages"] / r["sandbox_median_s"] for r in rows) / len(rows)
    summary = {"first_call_with_child_start_s": round(first_call, 3),
               "mean_overhead_percent": round((total_in / total_box - 1) * 100, 1),
               "parent_rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
               "files": rows}
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "files"}))


if __name__ == "__main__":
    main()
