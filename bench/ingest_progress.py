"""Ingest progress at scale: how long the progress, failures and CSV queries take on a
collection of 100,000 documents (and on one batch of 10,000 of them).

    .venv/bin/python bench/ingest_progress.py                          # SQLite, 100,000
    .venv/bin/python bench/ingest_progress.py --documents 20000 --name quick
    .venv/bin/python bench/ingest_progress.py --database-url postgresql+psycopg://... \
        --name ingest_progress_postgres

Document rows are inserted directly (no files, no jobs): the figures measure the queries
the API runs per poll, not ingestion. The mix: 70% ready (OCR on a tenth of them, vectors
ready or pending), 20% queued, 5% processing, 5% failed; a third of the finished ones in
the last five minutes; one batch of 10,000. The planner's statistics are then taken as a real
database of that size has them: on SQLite the ANALYZE casework runs as its chunks grow
(core/planner_statistics.py; these rows have no chunks, so it would not run by itself),
on PostgreSQL a VACUUM ANALYZE as autovacuum does after a bulk load. Without statistics
both planners guess a handful of rows per collection and may walk the whole collection
where a small partial index would do. Each query runs --repeat times; the median and the
slowest are reported. Results: bench/results/<name>.json
(docs/ingest-progress.md).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from casework.accounts.principal import Principal
from casework.bootstrap import build_runtime, prepare
from casework.collections import service as collections_service
from casework.collections.models import CollectionKind
from casework.core.database import transaction, utcnow
from casework.core.ids import new_id
from casework.core.planner_statistics import analyze_without_keyword_tables
from casework.core.settings import load_settings
from casework.documents.models import Document
from casework.progress import failures, service
from casework.progress.models import IngestBatch, IngestBatchDocument
from casework.runtime import Runtime
from casework.workspaces import service as workspaces_service
from harness import write_results

ROWS_PER_INSERT = 5000


@contextmanager
def bench_runtime(database_url: str | None) -> Iterator[Runtime]:
    with tempfile.TemporaryDirectory(prefix="casework-bench-") as tmp:
        settings = load_settings(data_dir=Path(tmp), database_url=database_url,
                                 admin_email="bench@example.com",
                                 admin_password=secrets.token_urlsafe(18))
        runtime = build_runtime(settings)
        try:
            prepare(runtime)
            yield runtime
        finally:
            runtime.close()


def _row(n: int, workspace_id: str, collection_id: str, now: Any) -> dict[str, Any]:
    kind = n % 20
    status = ("ready" if kind < 14 else "queued" if kind < 18 else
              "processing" if kind == 18 else "failed")
    finished = now - timedelta(seconds=(n % 900) + 1)
    metadata: dict[str, Any] = {"chunks": 3}
    if status == "ready" and n % 10 == 0:
        metadata["ocr"] = {"status": "done" if n % 30 else "partial"}
    return {"id": new_id(), "workspace_id": workspace_id, "collection_id": collection_id,
            "filename": f"file-{n:06d}.pdf", "media_type": "application/pdf",
            "size_bytes": 1000 + n, "sha256": f"{n:064x}", "status": status,
            "embedding_status": "ready" if status == "ready" and n % 3 else "pending",
            "preview_status": "ready" if status == "ready" else "none",
            "error": "not a readable PDF" if status == "failed" else None,
            "chunker_version": 1, "metadata": metadata,
            "processed_at": finished if status == "ready" else None,
            "created_at": now - timedelta(seconds=3600 - n % 3000),
            "updated_at": finished}


def populate(runtime: Runtime, documents: int, batch_size: int) -> service.Scope:
    now = utcnow()
    with transaction(runtime.sessions) as session:
        workspace = workspaces_service.ensure_default_workspace(session=session, name="Bench")
        collection = collections_service.create_collection(
            session=session, principal=Principal.command(workspace.id, "bench"),
            name="progress", kind=CollectionKind.case)
        batch = IngestBatch(workspace_id=workspace.id, collection_id=collection.id, via="cli",
                            file_count=batch_size)
        session.add(batch)
        session.flush()
        ids = workspace.id, collection.id, batch.id
    for start in range(0, documents, ROWS_PER_INSERT):
        rows = [_row(n, ids[0], ids[1], now)
                for n in range(start, min(start + ROWS_PER_INSERT, documents))]
        with transaction(runtime.sessions) as session:
            session.execute(insert(Document.__table__), rows)
            linked = [r for r in rows if int(r["filename"][5:11]) >= documents - batch_size]
            if linked:
                session.execute(insert(IngestBatchDocument.__table__), [
                    {"batch_id": ids[2], "document_id": r["id"], "workspace_id": ids[0],
                     "duplicate": False} for r in linked])
    return service.Scope(workspace_id=ids[0], collection_id=ids[1], batch_id=ids[2])


def timed(runtime: Runtime, repeat: int, work: Callable[[Any], Any]) -> dict[str, float]:
    seconds = []
    for _ in range(repeat):
        with transaction(runtime.read_sessions) as session:
            started = time.perf_counter()
            work(session)
            seconds.append(time.perf_counter() - started)
    return {"median_ms": round(statistics.median(seconds) * 1000, 1),
            "max_ms": round(max(seconds) * 1000, 1)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--name", default="ingest_progress")
    args = parser.parse_args(argv)
    with bench_runtime(args.database_url) as runtime:
        started = time.perf_counter()
        scope = populate(runtime, args.documents, args.batch)
        populated = time.perf_counter() - started
        if runtime.engine.dialect.name == "postgresql":
            with runtime.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE document, ingest_batch_document"))
        else:
            with runtime.engine.begin() as conn:
                analyze_without_keyword_tables(conn)
        batch = service.Scope(scope.workspace_id, scope.collection_id, scope.batch_id)
        collection = service.Scope(scope.workspace_id, scope.collection_id)
        figures = {
            "collection_progress": timed(runtime, args.repeat, lambda s: service.measure(
                session=s, scope=collection, entity_extraction=True).as_dict()),
            "batch_progress": timed(runtime, args.repeat, lambda s: service.measure(
                session=s, scope=batch, entity_extraction=True).as_dict()),
            "collection_failures_page": timed(runtime, args.repeat, lambda s: (
                failures.list_failures(session=s, scope=collection, limit=50, offset=0))),
            "collection_failures_csv": timed(runtime, 1, lambda s: "".join(
                failures.failures_csv(session=s, scope=collection))),
        }
        with transaction(runtime.read_sessions) as session:
            sample = service.measure(session=session, scope=collection,
                                     entity_extraction=True).as_dict()
    results = {"documents": args.documents, "batch_documents": args.batch,
               "database": "postgresql" if args.database_url else "sqlite",
               "populate_seconds": round(populated, 1), "queries": figures,
               "sample": {"states": sample["states"], "ocr": sample["stages"]["ocr"],
                          "throughput": sample["throughput"],
                          "eta_seconds": sample["eta_seconds"]}}
    path = write_results(args.name, results)
    print(f"{path}: {figures}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
