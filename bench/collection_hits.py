"""What naming collections adds to every search: `find_collections` over a workspace of
100, 1,000 and 10,000 collections (SQLite).

    PYTHONPATH=src .venv/bin/python bench/collection_hits.py

Each collection has a name of two or three words and, for two in three, a case number
(`CR-2024-0117`). 200 queries of five kinds are timed (a case number typed whole, a name
word, two name words, a word no collection holds, a six-word question), wall and CPU
milliseconds. The statement is `LIKE '%word%'` per word on the workspace's collections
(no index can serve a substring), so its cost grows with the workspace's collections, not
with its passages. Results: bench/results/collection_hits.json.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from typing import Any

from casework.collections import service as collections_service
from casework.collections.models import Collection, CollectionKind
from casework.core.database import transaction
from casework.search.query import collection_words
from harness import percentile, temporary_runtime, write_results

WORDS = ("harbour quay barge lease fire audit pension estate contract tenancy inquiry "
         "dispute claim review appeal merger licence permit tender salvage collision "
         "insurance probate custody warehouse pipeline quarry mill dredging ferry").split()
QUESTION = "who signed the {0} for the {1} last year"


class Stopwatch:
    """Wall and CPU milliseconds of each call (the machine is shared: CPU time is what the
    wall time would be on a quiet one)."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def time(self, fn: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        self.cpu.append((time.process_time() - cpu) * 1000)
        self.wall.append((time.perf_counter() - wall) * 1000)
        return result

    def summary(self) -> dict[str, float]:
        return {"p50_ms": round(percentile(self.wall, 50), 3),
                "p95_ms": round(percentile(self.wall, 95), 3),
                "max_ms": round(max(self.wall), 3),
                "cpu_p50_ms": round(percentile(self.cpu, 50), 3),
                "cpu_p95_ms": round(percentile(self.cpu, 95), 3)}


def build(session, workspace_id: str, count: int, rng: random.Random) -> list[Collection]:
    rows = []
    for n in range(count):
        name = " ".join(rng.sample(WORDS, rng.choice((2, 3)))).title() + f" {n}"
        reference = f"CR-{2000 + n % 25}-{n:05d}" if n % 3 else None
        rows.append(Collection(workspace_id=workspace_id, name=name, reference=reference,
                               kind=CollectionKind.case))
    session.add_all(rows)
    session.flush()
    return rows


def queries(rows: list[Collection], rng: random.Random, count: int) -> list[str]:
    references = [r.reference for r in rows if r.reference]
    made = []
    for n in range(count):
        kind = n % 5
        if kind == 0:
            made.append(rng.choice(references))
        elif kind == 1:
            made.append(rng.choice(WORDS))
        elif kind == 2:
            made.append(" ".join(rng.sample(WORDS, 2)))
        elif kind == 3:
            made.append("zeppelin")
        else:
            made.append(QUESTION.format(*rng.sample(WORDS, 2)))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    results: dict[str, object] = {"queries": args.queries, "sizes": {}}
    for size in (int(s) for s in args.sizes.split(",")):
        with temporary_runtime(semantic_search=False) as bench:
            runtime = bench.runtime
            with transaction(runtime.sessions) as session:
                rows = build(session, bench.workspace_id, size, rng)
                asked = queries(rows, rng, args.queries)
            stopwatch = Stopwatch()
            found = 0
            with transaction(runtime.read_sessions) as session:
                collections_service.find_collections(  # warm the page cache
                    session=session, workspace_id=bench.workspace_id, words=["x"], limit=5)
                for text in asked:
                    hits = stopwatch.time(lambda t=text: collections_service.find_collections(
                        session=session, workspace_id=bench.workspace_id,
                        words=collection_words(t), limit=5))
                    found += bool(hits)
            figures = {**stopwatch.summary(), "queries_naming_a_collection": found}
            results["sizes"][str(size)] = figures  # type: ignore[index]
            print(f"{size:>6} collections: p50 {figures['p50_ms']:.2f} ms, "
                  f"p95 {figures['p95_ms']:.2f} ms (CPU p95 {figures['cpu_p95_ms']:.2f} ms), "
                  f"{found}/{len(asked)} queries named one")
    print(write_results("collection_hits", results))


if __name__ == "__main__":
    main()
