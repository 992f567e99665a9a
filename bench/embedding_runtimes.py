"""The two embedding runtimes side by side: speed, memory and agreement on real chunks.

    .venv/bin/python bench/embedding_runtimes.py             # 192 chunks, 1 and 2 threads

The passages are 1,000-character chunks of the Python 3.11 library manual (Debian
python3.11-doc). Each runtime and thread count runs in a fresh process (so its peak RSS
and load time are its own): load, embed the chunks in calls of 40 as the ingest jobs do,
and report passages per wall second and per CPU second - on a shared machine the CPU
figure is the steadier one. The vectors of both runtimes are compared (cosine per
passage). Results: bench/results/embedding_runtimes.json.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from harness import write_results

DOCS_ROOT = Path("/usr/share/doc/python3.11/html/library")


def real_chunks(count: int) -> list[str]:
    from selectolax.lexbor import LexborHTMLParser

    chunks: list[str] = []
    for page in sorted(DOCS_ROOT.glob("*.html")):
        body = LexborHTMLParser(page.read_text(encoding="utf-8")).body
        text = " ".join(body.text(separator=" ").split()) if body else ""
        chunks += [text[i:i + 1000] for i in range(0, min(len(text), 6000), 1000)]
    random.Random(1).shuffle(chunks)
    return chunks[:count]


def measure(runtime: str, threads: int, texts: list[str]) -> dict[str, Any]:
    from casework.core.settings import load_settings
    from casework.search.embedder_runtime import build_embedder

    embedder = build_embedder(load_settings(_env_file=None, embedding_runtime=runtime,
                                            embedding_threads=threads))
    started = time.perf_counter()
    embedder.embed(["warm-up"])
    load_seconds = time.perf_counter() - started
    loaded_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    vectors = []
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(texts), 40):
        vectors.append(embedder.embed(texts[start:start + 40]))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    single = []
    for text in texts[:20]:
        t = time.perf_counter()
        embedder.embed([text[:60]])
        single.append((time.perf_counter() - t) * 1000)
    return {"runtime": runtime, "threads": threads, "load_seconds": round(load_seconds, 2),
            "rss_after_load_mib": round(loaded_rss / 1024, 1),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "passages_per_s": round(len(texts) / wall, 1),
            "passages_per_cpu_s": round(len(texts) / cpu, 1),
            "short_query_p50_ms": round(float(np.median(single)), 1),
            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
            "vectors": np.concatenate(vectors)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=192)
    parser.add_argument("--name", default="embedding_runtimes")
    args = parser.parse_args(argv)
    texts = real_chunks(args.passages)
    runs = []
    for runtime in ("onnx", "torch"):
        for threads in (1, 2):
            with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
                result = pool.submit(measure, runtime, threads, texts).result()
            runs.append(result)
            print({k: v for k, v in result.items() if k != "vectors"}, flush=True)
    onnx, torch = runs[0]["vectors"], runs[2]["vectors"]
    cosines = (onnx * torch).sum(axis=1)
    agreement = {"mean_cosine": round(float(cosines.mean()), 5),
                 "min_cosine": round(float(cosines.min()), 5)}
    print(agreement)
    out = write_results(args.name, {
        "method": __doc__.split("\n\n")[2].strip() if __doc__ else "",
        "passages": len(texts), "mean_chars": round(sum(map(len, texts)) / len(texts)),
        "agreement_onnx_vs_torch": agreement,
        "runs": [{k: v for k, v in r.items() if k != "vectors"} for r in runs]})
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
