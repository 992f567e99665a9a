"""Daily-run time and memory for 10,000 documents: `casework worker daily-run --horizon 90`.

    flock /tmp/casework-bench.lock nice -n 10 .venv/bin/python bench/daily_run.py
    .venv/bin/python bench/daily_run.py --documents 2000 --name smoke

The workspace is synthesized straight into the SQLite database of a fresh DATA_DIR (migrated
by the same code as `casework serve`), not uploaded: ingesting 10,000 documents through the
parsers and the embedding model takes hours and is measured elsewhere, while the daily run
only reads what ingest leaves behind. So each document is a `ready` row with two chunks of
case-file prose (bench/corpus.py) salted with words of its topic, and each chunk has a
stored 384-dimension vector under the default model's name (its topic's direction plus
noise), as semantic search leaves them. One topic tag per document (one in ten gets a second
tag): `--in-horizon` documents tagged in the last 80 days (the run's examples), `--stale`
tagged 200-365 days ago (neither examples nor untagged), the rest untagged (they get
suggestions). Pages, previews and the keyword index are not written: the run reads none.

Then the real command runs in a subprocess (SQLite, SEMANTIC_SEARCH=true, default learning
settings); a sampler adds up the RSS of it and its children every 50 ms; wall time is the
subprocess's whole life (interpreter start, imports, runtime, the run), CPU time its
user+system (getrusage of the waited children). The run row gives the in-process duration
and the model's figures. Results: bench/results/daily_run.json.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert

from casework.core.database import utcnow
from casework.core.ids import new_id
from casework.documents.models import Document
from casework.search.models import Chunk, Embedding
from casework.tags.models import DocumentTag, Tag
from corpus import ProseWriter
from harness import REPO_DIR, mib, temporary_runtime, write_results
from ingest_memory import TreeSampler

MODEL = "all-MiniLM-L6-v2"  # the default EMBEDDING_MODEL: the run reads vectors under it
DIMENSIONS = 384
TOPICS = {
    "fraud": "invoice ledger forged transfer account laundering shell company auditor "
             "embezzlement cheque",
    "assault": "injury bruising punch ambulance paramedic wound attacker victim hospital "
               "fracture",
    "burglary": "break-in crowbar window forced entry stolen jewellery alarm footprints "
                "safe",
    "traffic": "collision speed junction skid mark dashcam driver lorry roundabout "
               "breathalyser",
    "drugs": "cannabis cocaine dealer wraps scales cash courier county-lines seizure "
             "supply",
    "employment": "dismissal tribunal contract grievance overtime payslip redundancy "
                  "manager disciplinary",
    "housing": "tenancy landlord eviction rent arrears damp repairs deposit notice "
               "council",
    "cyber": "phishing malware password server breach ransomware login encryption "
             "firewall",
}


def _words(topic: str) -> list[str]:
    return TOPICS[topic].split()


def synthesize(data_dir: Path, *, documents: int, in_horizon: int, stale: int,
               seed: int = 11) -> dict[str, Any]:
    """The workspace the run learns from, written with bulk inserts (see the docstring)."""
    rng = random.Random(seed)
    vectors = np.random.default_rng(seed)
    topics = list(TOPICS)
    directions = vectors.standard_normal((len(topics), DIMENSIONS)).astype(np.float32)
    writer = ProseWriter(seed)
    now = utcnow()
    started = time.perf_counter()
    with temporary_runtime(keep_in=data_dir) as bench:
        engine, workspace_id = bench.runtime.engine, bench.workspace_id
        tag_ids = {name: new_id() for name in topics}
        order = list(range(documents))
        rng.shuffle(order)
        tagged_recent, tagged_stale = set(order[:in_horizon]), set(
            order[in_horizon:in_horizon + stale])
        with engine.begin() as con:
            con.execute(insert(Tag), [{"id": tag_ids[n], "workspace_id": workspace_id,
                                       "name": n, "created_at": now, "updated_at": now}
                                      for n in topics])
        chunks_written = 0
        for start in range(0, documents, 1000):
            docs, chunks, embeddings, links = [], [], [], []
            for index in range(start, min(start + 1000, documents)):
                topic = rng.randrange(len(topics))
                document_id = new_id()
                created = now - timedelta(days=rng.uniform(0, 365))
                for ordinal in range(2):
                    salt = rng.sample(_words(topics[topic]), 5) + rng.sample(
                        _words(rng.choice(topics)), 2)
                    text = f"{writer.paragraph((3, 6))} {' '.join(salt)}."
                    digest = hashlib.sha256(f"{document_id}:{ordinal}:{text}".encode()
                                            ).hexdigest()
                    chunks.append({"workspace_id": workspace_id, "document_id": document_id,
                                   "page": 1, "ordinal": ordinal, "start_char": 0,
                                   "end_char": len(text), "text": text,
                                   "content_hash": digest})
                    vector = directions[topic] + 1.5 * vectors.standard_normal(DIMENSIONS)
                    vector /= np.linalg.norm(vector)
                    embeddings.append({"workspace_id": workspace_id, "model": MODEL,
                                       "content_hash": digest, "dimensions": DIMENSIONS,
                                       "vector": vector.astype(np.float32).tobytes()})
                docs.append({"id": document_id, "workspace_id": workspace_id,
                             "collection_id": bench.collection_id,
                             "filename": f"doc-{index:05d}.txt", "media_type": "text/plain",
                             "size_bytes": 2000, "sha256": hashlib.sha256(
                                 document_id.encode()).hexdigest(),
                             "status": "ready", "embedding_status": "ready",
                             "preview_status": "none", "page_count": 1, "metadata_json": {},
                             "processed_at": created, "created_at": created,
                             "updated_at": created})
                if index in tagged_recent or index in tagged_stale:
                    days = rng.uniform(0, 80) if index in tagged_recent else rng.uniform(
                        200, 365)
                    names = [topics[topic]]
                    if rng.random() < 0.1:
                        names.append(rng.choice([t for t in topics if t != topics[topic]]))
                    links += [{"workspace_id": workspace_id, "document_id": document_id,
                               "tag_id": tag_ids[name], "tagged_at": now - timedelta(days=days)}
                              for name in names]
            with engine.begin() as con:
                con.execute(insert(Document), docs)
                con.execute(insert(Chunk), chunks)
                con.execute(insert(Embedding), embeddings)
                if links:
                    con.execute(insert(DocumentTag), links)
            chunks_written += len(chunks)
    return {"documents": documents, "tagged_in_horizon": in_horizon, "tagged_stale": stale,
            "untagged": documents - in_horizon - stale, "chunks": chunks_written,
            "tags": topics, "seconds_to_synthesize": round(time.perf_counter() - started, 1),
            "database_mib": mib((data_dir / "casework.db").stat().st_size)}


def run_daily(data_dir: Path, horizon: int, timeout: float) -> dict[str, Any]:
    """The real command in a subprocess, its tree's RSS sampled, its CPU from getrusage."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CASEWORK_", "DATABASE_URL", "REDIS_URL", "S3_"))}
    env.update({"PYTHONPATH": str(REPO_DIR / "src"), "DATA_DIR": str(data_dir),
                "SEMANTIC_SEARCH": "true", "ENTITY_EXTRACTION": "false"})
    command = [sys.executable, "-m", "casework.cli.main", "worker", "daily-run",
               "--horizon", str(horizon)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid, interval=0.05)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    finally:
        sampler.stop()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"command": " ".join(command[1:]), "exit_code": process.returncode,
            "output": stdout.strip()[-800:], "stderr_tail": stderr[-800:],
            "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
            "peak_rss_mib": mib(sampler.peak),
            # ru_maxrss: the largest single child's peak (KiB on Linux), a cross-check.
            "max_child_rss_mib": round(after.ru_maxrss / 1024, 1),
            "rss_timeline_mib": [(t, mib(rss)) for t, rss in sampler.timeline],
            "load_average_before_1_5_15": [round(x, 2) for x in load],
            "load_average_after_1_5_15": [round(x, 2) for x in os.getloadavg()]}


def run_row(data_dir: Path) -> dict[str, Any]:
    """What the run recorded about itself, and the suggestions it left."""
    with sqlite3.connect(f"file:{data_dir / 'casework.db'}?mode=ro", uri=True) as con:
        con.row_factory = sqlite3.Row
        row = con.execute("SELECT status, reason, examples, held_out, tags, accuracy, "
                          "macro_f1, suggestions, duration_seconds, model_version "
                          "FROM learning_run ORDER BY started_at DESC LIMIT 1").fetchone()
        pending = con.execute("SELECT count(*), count(DISTINCT document_id) FROM "
                              "tag_suggestion WHERE status = 'pending'").fetchone()
    run = dict(row) if row else {}
    models = list((data_dir / "models").rglob("*.model"))
    run.update(pending_suggestions=pending[0], documents_with_suggestions=pending[1],
               model_mib=mib(models[0].stat().st_size) if models else None)
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--in-horizon", type=int, default=400,
                        help="documents tagged in the last 80 days: the examples")
    parser.add_argument("--stale", type=int, default=600,
                        help="documents tagged 200-365 days ago: outside the horizon")
    parser.add_argument("--horizon", type=int, default=90)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--name", default="daily_run", help="results file name")
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="casework-bench-daily-"))
    try:
        corpus = synthesize(data_dir, documents=args.documents, in_horizon=args.in_horizon,
                            stale=args.stale)
        print(f"synthesized: {corpus}", flush=True)
        measured = run_daily(data_dir, args.horizon, args.timeout)
        print({k: v for k, v in measured.items() if k != "rss_timeline_mib"}, flush=True)
        run = run_row(data_dir)
        print(f"run: {run}", flush=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    out = write_results(args.name, {"method": (__doc__ or "").split("\n\n")[2].strip(),
                                    "corpus": corpus, "daily_run": measured, "run": run})
    print(f"results: {out}", flush=True)
    return 0 if measured["exit_code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
