"""The near-duplicate backfill at upgrade size: how long queueing a signature job for each
of 100,000 unsigned documents takes (SQLite, the embedded default), how long a second run
takes when every one already has its job waiting, and what the start-up pass costs once
every document is signed (every start pays that). Then how fast the workers sign a
backlog (--sign documents, the default two worker threads): when the groups are there.

    flock /tmp/casework-bench.lock nice -n 5 env PYTHONPATH=src:bench \
        .venv/bin/python bench/neardup_backfill.py --sign 10000
    flock /tmp/casework-bench.lock nice -n 5 env PYTHONPATH=src:bench \
        .venv/bin/python bench/neardup_backfill.py --documents 10000 --name neardup_backfill_10k

The documents go straight into the tables (a row and one page of prose each, no signature:
as an installation from before near-duplicates has them); for the queueing, workers are
off, so the jobs only queue. For the signing, each document's page is its own prose (a
tenth of them a near-copy of the one before, with a few words changed), in a runtime of
its own whose workers run the jobs. Results: bench/results/<name>.json
(docs/near-duplicates.md, "Upgrading").
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from typing import Any

from sqlalchemy import func, insert, select, update

import corpus
from casework.bootstrap import start_workers
from casework.core.database import transaction, utcnow
from casework.core.ids import new_id
from casework.documents.models import Document, DocumentPage
from casework.jobs.models import Job, JobStatus
from casework.neardup import backfill
from casework.neardup.job_kinds import FIND_NEAR_DUPLICATES
from casework.neardup.models import DocumentSignature
from casework.search.chunking import CHUNKER_VERSION
from harness import temporary_runtime, write_results

ROWS_PER_TRANSACTION = 5000


def _texts(documents: int, unique: bool) -> list[str]:
    """Unique prose (a tenth near-copies) for signing; for queueing, 200 paragraphs over
    and over (only that a page exists counts there)."""
    writer = corpus.ProseWriter(11)
    if not unique:
        paragraphs = [writer.paragraph() for _ in range(200)]
        return [paragraphs[n % 200] for n in range(documents)]
    rng = random.Random(11)
    texts: list[str] = []
    for n in range(documents):
        if n and rng.random() < 0.1:
            words = texts[-1].split()
            for _ in range(max(1, len(words) // 60)):
                words[rng.randrange(len(words))] = rng.choice(["invoice", "meeting"])
            texts.append(" ".join(words))
        else:
            texts.append(f"{writer.paragraph()}\n\n{writer.paragraph()}")
    return texts


def populate(bench: Any, documents: int, *, unique: bool = False) -> None:
    texts = _texts(documents, unique)
    ws, coll = bench.workspace_id, bench.collection_id
    now = utcnow()
    for start in range(0, documents, ROWS_PER_TRANSACTION):
        docs, pages = [], []
        for n in range(start, min(start + ROWS_PER_TRANSACTION, documents)):
            doc_id = new_id()
            docs.append({
                "id": doc_id, "workspace_id": ws, "collection_id": coll,
                "filename": f"letter-{n:06d}.txt", "media_type": "text/plain",
                "size_bytes": 2000, "sha256": hashlib.sha256(f"bf-{n}".encode()).hexdigest(),
                "status": "ready", "embedding_status": "skipped", "preview_status": "none",
                "chunker_version": CHUNKER_VERSION, "page_count": 1, "metadata": {},
                "processed_at": now, "created_at": now, "updated_at": now})
            pages.append({"workspace_id": ws, "document_id": doc_id, "number": 1,
                          "text": texts[n]})
        with transaction(bench.runtime.sessions) as session:
            session.execute(insert(Document), docs)
            session.execute(insert(DocumentPage), pages)


def sign_everything(bench: Any) -> None:
    """As if every queued job had run: its signature row (no group), the job succeeded."""
    ws = bench.workspace_id
    with transaction(bench.runtime.sessions) as session:
        ids = list(session.scalars(select(Document.id).where(Document.workspace_id == ws)))
        for start in range(0, len(ids), ROWS_PER_TRANSACTION):
            session.execute(insert(DocumentSignature), [
                {"document_id": i, "workspace_id": ws, "words": 100, "signature": None,
                 "group_id": None, "computed_at": utcnow()}
                for i in ids[start:start + ROWS_PER_TRANSACTION]])
        session.execute(update(Job).where(Job.kind == FIND_NEAR_DUPLICATES)
                        .values(status=JobStatus.succeeded))


def timed(bench: Any) -> tuple[int, float]:
    started = time.perf_counter()
    queued = backfill.queue_unsigned_documents(runtime=bench.runtime,
                                               workspace_id=bench.workspace_id)
    return queued, round(time.perf_counter() - started, 3)


def signing(documents: int) -> dict[str, Any]:
    """Queue `documents` unsigned documents, then let the workers sign them all."""
    with temporary_runtime(semantic_search=False) as bench:
        populate(bench, documents, unique=True)
        queued, queue_s = timed(bench)
        started = time.perf_counter()
        start_workers(bench.runtime)
        while True:
            with bench.runtime.read_sessions() as session:
                waiting = session.scalar(select(func.count()).select_from(Job).where(
                    Job.kind == FIND_NEAR_DUPLICATES,
                    Job.status.in_([JobStatus.queued, JobStatus.running])))
            if not waiting:
                break
            time.sleep(0.2)
        seconds = round(time.perf_counter() - started, 1)
        with bench.runtime.read_sessions() as session:
            failed = session.scalar(select(func.count()).select_from(Job).where(
                Job.kind == FIND_NEAR_DUPLICATES, Job.status != JobStatus.succeeded))
            grouped = session.scalar(select(func.count()).select_from(
                DocumentSignature).where(DocumentSignature.group_id.is_not(None)))
    return {"documents": documents, "queued": queued, "queue_seconds": queue_s,
            "worker_threads": 2, "signing_seconds": seconds,
            "documents_per_second": round(queued / seconds, 1) if seconds else None,
            "jobs_not_succeeded": failed, "documents_grouped": grouped}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--sign", type=int, default=5000,
                        help="Documents the workers sign in the second part (0: skip it).")
    parser.add_argument("--name", default="neardup_backfill")
    args = parser.parse_args()
    with temporary_runtime(worker_threads=0, semantic_search=False,
                           near_duplicate_backfill_batch=args.batch) as bench:
        started = time.perf_counter()
        populate(bench, args.documents)
        populated = round(time.perf_counter() - started, 1)
        first, first_s = timed(bench)
        again, again_s = timed(bench)
        sign_everything(bench)
        signed, signed_s = timed(bench)
        with bench.runtime.read_sessions() as session:
            jobs = session.scalar(select(func.count()).select_from(Job).where(
                Job.kind == FIND_NEAR_DUPLICATES))
    results = {
        "command": "bench/neardup_backfill.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()),
        "database": "sqlite", "documents": args.documents, "batch": args.batch,
        "populate_seconds": populated,
        "first_run": {"queued": first, "seconds": first_s,
                      "documents_per_second": round(first / first_s) if first_s else None},
        "second_run_all_waiting": {"queued": again, "seconds": again_s},
        "start_up_pass_all_signed": {"queued": signed, "seconds": signed_s},
        "jobs_in_table": jobs,
    }
    if args.sign:
        results["signing"] = signing(args.sign)
    print(results)
    print(write_results(args.name, results))


if __name__ == "__main__":
    main()
