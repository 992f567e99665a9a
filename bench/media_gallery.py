"""Gallery page time at 10,000 photos: one collection, keyset pages of 100, both sorts.

Usage: python bench/media_gallery.py [--photos 10000] [--database-url postgresql+psycopg://...]
Writes bench/results/media_gallery[_postgresql].json. Rows are inserted directly (this
measures reading, not ingest); the timed part is what the route does: the scoped keyset
query and building the response models, serialised to JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from casework.accounts.principal import Principal
from casework.bootstrap import build_runtime, prepare
from casework.collections import service as collections_service
from casework.collections.models import CollectionKind
from casework.core.database import transaction
from casework.core.settings import load_settings
from casework.documents.models import Document, DocumentStatus
from casework.media import service as media_service
from casework.media.schemas import GalleryItem, GalleryPageOut
from casework.workspaces import service as workspaces_service

RESULTS = Path(__file__).resolve().parent / "results"


def seed(runtime, *, photos: int, others: int) -> tuple[str, str]:
    rng = random.Random(3)
    start = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
    with transaction(runtime.sessions) as session:
        workspace = workspaces_service.ensure_default_workspace(session=session, name="Default")
        collection = collections_service.create_collection(
            session=session, principal=Principal.command(workspace.id, "bench"),
            name="Event", kind=CollectionKind.event)
        other = collections_service.create_collection(
            session=session, principal=Principal.command(workspace.id, "bench"),
            name="Other", kind=CollectionKind.event)
        session.flush()
        rows = []
        for index in range(photos + others):
            in_gallery = index < photos
            rows.append(Document(
                workspace_id=workspace.id,
                collection_id=collection.id if index % 3 or not in_gallery else other.id,
                filename=f"IMG_{index:05d}.jpg" if in_gallery else f"doc-{index}.pdf",
                media_type="image/jpeg" if in_gallery else "application/pdf",
                size_bytes=4_000_000, sha256=f"{index:064x}", status=DocumentStatus.ready,
                captured_at=(start + timedelta(seconds=rng.randrange(0, 8 * 3600))
                             if in_gallery and index % 50 else None),
                width=4000, height=3000, metadata_json={"thumbnails": [320, 1280]},
                created_at=start + timedelta(days=30, milliseconds=index * 37)))
            if len(rows) == 2000:
                session.add_all(rows)
                session.flush()
                session.expunge_all()
                rows = []
        session.add_all(rows)
        return workspace.id, collection.id


def page_json(runtime, workspace_id, collection_id, sort, cursor, limit=100):
    with transaction(runtime.read_sessions) as session:
        page = media_service.list_gallery(
            session=session, workspace_id=workspace_id, collection_id=collection_id,
            sort=sort, descending=True, limit=limit, cursor=cursor)
        body = GalleryPageOut(items=[GalleryItem.build(d) for d in page.items],
                              next_cursor=page.next_cursor).model_dump_json()
    return body, page.next_cursor, len(page.items)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=15000,
                        help="photos in the workspace; two thirds land in the measured collection")
    parser.add_argument("--others", type=int, default=5000, help="non-media documents")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="casework-bench-gallery-"))
    database_url = throwaway_database(args.database_url) if args.database_url else None
    try:
        settings = load_settings(_env_file=None, data_dir=data_dir, worker_threads=0,
                                 semantic_search=False, database_url=database_url)
        runtime = build_runtime(settings)
        prepare(runtime)
        workspace_id, collection_id = seed(runtime, photos=args.photos, others=args.others)
        with transaction(runtime.read_sessions) as session:
            in_collection = session.query(Document).filter(
                Document.collection_id == collection_id).count()
        results = {}
        for sort in media_service.GallerySort:
            timings, cursor, pages, seen = [], None, 0, 0
            for _ in range(3):  # warm caches
                page_json(runtime, workspace_id, collection_id, sort, None)
            while True:
                started = time.perf_counter()
                _, cursor, count = page_json(runtime, workspace_id, collection_id, sort, cursor)
                timings.append((time.perf_counter() - started) * 1000)
                pages += 1
                seen += count
                if cursor is None:
                    break
            timings_sorted = sorted(timings)
            results[sort.value] = {
                "pages": pages, "items": seen,
                "first_page_ms": round(timings[0], 2),
                "p50_ms": round(statistics.median(timings), 2),
                "p95_ms": round(timings_sorted[int(len(timings) * 0.95) - 1], 2),
                "max_ms": round(timings_sorted[-1], 2),
                "last_page_ms": round(timings[-1], 2)}
        runtime.close()
        dialect = "postgresql" if args.database_url else "sqlite"
        result = {"benchmark": "media_gallery",
                  "when": datetime.now(UTC).isoformat(timespec="seconds"),
                  "machine": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg()},
                  "database": dialect, "documents_in_collection": in_collection,
                  "photos_in_collection": results["captured_at"]["items"],
                  "documents_in_workspace": args.photos + args.others, "page_size": 100,
                  "sorts": results, "target_ms": 50}
        RESULTS.mkdir(exist_ok=True)
        name = "media_gallery.json" if dialect == "sqlite" else f"media_gallery_{dialect}.json"
        (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if database_url:
            drop_database(args.database_url, database_url)


def throwaway_database(admin_url: str) -> str:
    """A fresh database beside the one named (which is only used to create and drop it)."""
    name = f"casework_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
