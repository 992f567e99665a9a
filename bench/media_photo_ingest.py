"""A photographer's folder through the whole pipeline: 12-megapixel photos stored as
`casework ingest` stores them, then processed by the job workers (facts, OCR policy,
thumbnails, index) until every one is ready.

Usage: python bench/media_photo_ingest.py [--photos 24] [--ocr-images auto] [--label auto]
Adds a run under `--label` to bench/results/media_photo_ingest.json (runs with other labels
are kept, so a run of an older checkout, PYTHONPATH=<its src>, sits beside the current
one). The photos are bench/media_ocr_policy.py's: one notice, the rest scenes without text.
WORKER_THREADS is 2, the default; CPU counts this process and its Tesseract processes.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from casework.bootstrap import start_workers
from harness import RESULTS_DIR, machine, store_file, temporary_runtime, wait_for_documents
from media_ocr_policy import cpu_seconds, photos


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--ocr-images", default=None,
                        help="auto, always or never; unset: the checkout's default")
    parser.add_argument("--label", default="current")
    args = parser.parse_args()
    files = [path for path, _ in photos(args.photos)]
    overrides: dict[str, Any] = {"worker_threads": 2, "semantic_search": False}
    if args.ocr_images:
        overrides["ocr_images"] = args.ocr_images
    load = os.getloadavg()[0]
    with temporary_runtime(**overrides) as bench:
        cpu0, started = cpu_seconds(), time.perf_counter()
        ids = [store_file(bench, path)[0] for path in files]
        start_workers(bench.runtime)
        progress = wait_for_documents(bench, ids, started=started, timeout=3600)
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu0
        bench.runtime.workers.stop()  # type: ignore[union-attr]
        bench.runtime.workers = None
    run = {"photos": len(files), "ocr_images": args.ocr_images or "default",
           "failed": len(progress.failed or []),
           "load_average_1min_at_start": round(load, 2),
           "load_average_1min_at_end": round(os.getloadavg()[0], 2),
           "wall_seconds": round(wall, 1), "photos_per_second": round(len(files) / wall, 2),
           "cpu_seconds_per_photo": round(cpu / len(files), 2)}
    print(args.label, run, flush=True)
    path = RESULTS_DIR / "media_photo_ingest.json"
    document = json.loads(path.read_text()) if path.exists() else {
        "benchmark": "media_photo_ingest", "runs": {}}
    document["machine"] = machine()
    document["runs"][args.label] = run
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
