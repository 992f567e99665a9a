# ruff: noqa: I001, RUF100 - import order depends on which sibling bench modules exist
"""Soak of tantivy beside PostgreSQL (KEYWORD_ENGINE=tantivy) in a several-process deployment.

    .venv/bin/python bench/scaleout_keyword_soak.py --minutes 10

Why: each process keeps its own tantivy index and follows PostgreSQL's change log
(search/tantivy_postgres.py). Before it can be the default on PostgreSQL it must give the
same answers as the database on every process, at once, while documents arrive and go,
and while processes die and come back. The tests check each rule once; this runs them
together for minutes.

Three `casework serve` processes and one `casework worker` share one PostgreSQL database
(made for the run), Redis and S3 (SeaweedFS). serve1 and serve2 share a DATA_DIR (one
machine: one writes the index, the other reads it); serve3 has its own (another machine).
The search cache is off, so every search reaches the engine. A base corpus (sentences of the
Python manuals, or generated prose) is uploaded first; then, until the time is up:

- **fresh**: small documents, each with a word of its own, are uploaded; as soon as the API
  says one is `ready`, its word is searched on every live server and must find it (a miss
  is counted, then retried every 0.25 s to measure the lag);
- **deleted**: every fifth round an earlier one is deleted, and its word must find
  nothing on any server once DELETE has answered;
- **agree**: a query of everyday words goes to every live server; their top 10 passages
  must be the same, and are compared with exact BM25 computed in PostgreSQL;
- **chaos**: at a third of the run the writer (serve1) is killed with SIGKILL and started
  again 20 s later (serve2 takes the writer lock meanwhile); at two thirds serve3 is stopped
  and started again on its DATA_DIR.

Results: bench/results/scaleout_keyword_soak.json (counts, lags, agreement, latency per
server, index size and RSS at the end, errors in the servers' logs).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import string
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from harness import mib, percentile, write_results
from latency_corpus import load_pages, make_queries
from scaleout_common import (
    REDIS_URL,
    CaseworkProcess,
    new_namespace,
    postgres_database,
    process_env,
    run_cli,
    s3_server,
    s3_settings,
    stop_cleanly_on_sigterm,
    wait_until,
)

ADMIN_EMAIL = "bench@example.com"
SERVERS = ("serve1", "serve2", "serve3")
MACHINE = {"serve1": "machine1", "serve2": "machine1", "serve3": "machine2"}


def rounded_percentile(values: list[float], at: float) -> float | None:
    return round(percentile(values, at), 1) if values else None


def own_word(rng: random.Random) -> str:
    """A word no other passage holds (letters only: one token for both engines)."""
    return "soak" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


class Cluster:
    """The servers and the worker, started and restarted with their own DATA_DIRs."""

    def __init__(self, work: Path, settings: dict[str, Any]) -> None:
        from tests.fixtures.scaleout import free_port  # on sys.path via scaleout_common

        self.work = work
        self.settings = settings
        self.ports = {name: free_port() for name in SERVERS}
        self.processes: dict[str, CaseworkProcess] = {}
        self.token = ""

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def env(self, name: str) -> dict[str, str]:
        data_dir = self.work / MACHINE.get(name, name)
        where = {"host": "127.0.0.1", "port": self.ports[name]} if name in self.ports else {}
        return process_env(data_dir, **self.settings, **where)

    def start(self, name: str) -> None:
        args = ["worker", "--concurrency", "2"] if name == "worker" else ["serve"]
        self.processes[name] = CaseworkProcess(name, args, self.env(name), self.work)
        if name != "worker":
            self.processes[name].wait_healthy(self.url(name))

    def kill(self, name: str) -> None:
        self.processes.pop(name).kill()

    def stop(self, name: str) -> None:
        self.processes.pop(name).stop()

    def live(self) -> list[str]:
        return [name for name in SERVERS if name in self.processes]

    def client(self, name: str) -> httpx.Client:
        return httpx.Client(base_url=self.url(name), timeout=60,
                            headers={"Authorization": f"Bearer {self.token}"})

    def rss_mib(self) -> dict[str, float]:
        return {name: mib(process.rss_bytes()) for name, process in self.processes.items()}


class Soak:
    """The rounds, and what they saw."""

    def __init__(self, cluster: Cluster, database_url: str, queries: list[str],
                 seed: int = 5) -> None:
        self.cluster = cluster
        self.engine = create_engine(database_url)
        self.queries = queries
        self.rng = random.Random(seed)
        self.collection = ""
        self.workspace = ""
        self.kept: list[tuple[str, str]] = []  # (document id, its own word), still there
        self.counts: dict[str, int] = {
            "uploaded": 0, "fresh_checks": 0, "fresh_missed": 0, "deleted": 0,
            "deleted_checks": 0, "deleted_found": 0, "agree_checks": 0,
            "agree_same_on_every_server": 0, "agree_same_passages_other_order": 0,
            "server_errors": 0}
        self.disagreements: list[dict[str, Any]] = []
        self.fresh_lag_s: list[float] = []
        self.exact_overlap: list[float] = []
        self.latency_ms: dict[str, list[float]] = {name: [] for name in SERVERS}
        self.events: list[dict[str, Any]] = []

    def search(self, name: str, query: str) -> list[tuple[str, int, int]] | None:
        started = time.perf_counter()
        try:
            with self.cluster.client(name) as client:
                response = client.get("/api/v1/search", params={
                    "q": query, "mode": "keyword", "limit": 10})
        except httpx.HTTPError:
            self.counts["server_errors"] += 1
            return None
        self.latency_ms[name].append(1000 * (time.perf_counter() - started))
        if response.status_code != 200:
            self.counts["server_errors"] += 1
            return None
        return [(h["document_id"], h["page"], h["start_char"])
                for h in response.json()["hits"]]

    def upload(self, words: list[str]) -> list[str]:
        with self.cluster.client(self.rng.choice(self.cluster.live())) as client:
            files = [("files", (f"{word}.txt", f"Memo about {word}. " .encode()
                                + self.rng.choice(self.queries).encode(), "text/plain"))
                     for word in words]
            response = client.post(f"/api/v1/collections/{self.collection}/documents",
                                   files=files)
            response.raise_for_status()
            self.counts["uploaded"] += len(words)
            return [item["document"]["id"] for item in response.json()["documents"]]

    def wait_ready(self, ids: list[str]) -> None:
        with self.engine.connect() as conn:
            def ready() -> bool:
                states = conn.execute(text(
                    "SELECT count(*) FROM document WHERE id = ANY(:ids) "
                    "AND status = 'ready'"), {"ids": ids}).scalar()
                conn.rollback()
                return states == len(ids)

            wait_until(ready, timeout=120, what="uploaded documents not ready", poll=0.05)

    def check_fresh(self, document_id: str, word: str) -> None:
        for name in self.cluster.live():
            self.counts["fresh_checks"] += 1
            started = time.monotonic()
            hits = self.search(name, word)
            if hits is not None and [h[0] for h in hits] == [document_id]:
                continue
            self.counts["fresh_missed"] += 1
            while time.monotonic() - started < 30:
                time.sleep(0.25)
                hits = self.search(name, word)
                if hits is not None and [h[0] for h in hits] == [document_id]:
                    break
            self.fresh_lag_s.append(round(time.monotonic() - started, 2))

    def delete_one(self) -> None:
        if len(self.kept) < 10:
            return
        document_id, word = self.kept.pop(self.rng.randrange(len(self.kept)))
        with self.cluster.client(self.rng.choice(self.cluster.live())) as client:
            client.delete(f"/api/v1/documents/{document_id}").raise_for_status()
        self.counts["deleted"] += 1
        for name in self.cluster.live():
            self.counts["deleted_checks"] += 1
            hits = self.search(name, word)
            if hits:
                self.counts["deleted_found"] += 1

    def check_agreement(self, with_exact: bool) -> None:
        query = self.rng.choice(self.queries)
        answers = {name: self.search(name, query) for name in self.cluster.live()}
        seen = [tuple(hits) for hits in answers.values() if hits is not None]
        if not seen:
            return
        self.counts["agree_checks"] += 1
        if len(set(seen)) == 1:
            self.counts["agree_same_on_every_server"] += 1
        elif len({frozenset(hits) for hits in seen}) == 1:
            self.counts["agree_same_passages_other_order"] += 1
        if len(set(seen)) > 1 and len(self.disagreements) < 20:
            self.disagreements.append({"query": query, "events_so_far": len(self.events),
                                       "answers": answers})
        if with_exact:
            exact = self.exact(query)
            if exact:
                self.exact_overlap.append(len(set(seen[0]) & exact) / len(exact))

    def exact(self, query: str) -> set[tuple[str, int, int]]:
        """Exact BM25's top 10 over every matching passage, in PostgreSQL."""
        from sqlalchemy.orm import Session

        from casework.search.filters import SearchFilters
        from casework.search.keyword_index import PostgresKeywordIndex
        from casework.search.postgres_bm25 import rank_exact
        from casework.search.query import parse_query

        statistics = PostgresKeywordIndex().planner.statistics
        with Session(self.engine) as session:
            n, avgdl = statistics.workspace(session, self.workspace)
            ids = [cid for cid, _ in rank_exact(
                session, workspace_id=self.workspace, query=parse_query(query),
                filters=SearchFilters(), limit=10, n=n, avgdl=avgdl)]
            rows = session.execute(text(
                "SELECT document_id, page, start_char FROM chunk WHERE id = ANY(:ids)"),
                {"ids": ids}).all()
        return {(d, p, s) for d, p, s in rows}

    def round(self, number: int) -> None:
        words = [own_word(self.rng) for _ in range(3)]
        ids = self.upload(words)
        self.wait_ready(ids)
        for document_id, word in zip(ids, words, strict=True):
            self.check_fresh(document_id, word)
            self.kept.append((document_id, word))
        if number % 5 == 4:
            self.delete_one()
        self.check_agreement(with_exact=number % 5 == 0)


def base_corpus(soak: Soak, pages: list[list[str]], documents: int) -> float:
    """Upload `documents` texts of about 100 passages each; seconds until all are ready."""
    started = time.monotonic()
    ids: list[str] = []
    batch: list[tuple[str, tuple[str, bytes, str]]] = []
    with soak.cluster.client("serve1") as client:
        for number in range(documents):
            text_ = "\n\n".join(" ".join(page) for page in soak.rng.sample(pages, 8))
            batch.append(("files", (f"base{number}.txt", text_.encode()[:100_000],
                                    "text/plain")))
            if len(batch) == 20 or number == documents - 1:
                response = client.post(
                    f"/api/v1/collections/{soak.collection}/documents", files=batch)
                response.raise_for_status()
                ids += [item["document"]["id"] for item in response.json()["documents"]]
                batch = []
    with soak.engine.connect() as conn:
        def ready() -> bool:
            count = conn.execute(text("SELECT count(*) FROM document WHERE id = ANY(:ids) "
                                      "AND status IN ('ready', 'failed')"),
                                 {"ids": ids}).scalar()
            conn.rollback()
            return count == len(ids)

        wait_until(ready, timeout=3600, what="the base corpus was not ready", poll=1)
    return round(time.monotonic() - started, 1)


def log_errors(work: Path) -> dict[str, int]:
    counts = {}
    for log in work.glob("*.log"):
        lines = log.read_text(errors="replace").splitlines()
        counts[log.stem] = sum('"level": "error"' in line or "Traceback" in line
                               for line in lines)
    return counts


def run(*, minutes: float, base_documents: int, work: Path) -> dict[str, Any]:
    pages, source = load_pages()
    queries = make_queries([s for page in pages for s in page], 300)
    password = secrets.token_urlsafe(18)
    with postgres_database() as database_url, s3_server() as s3:
        settings = {"database_url": database_url, "redis_url": REDIS_URL,
                    "redis_namespace": new_namespace(), "keyword_engine": "tantivy",
                    "semantic_search": "false", "search_cache_seconds": 0,
                    "admin_email": ADMIN_EMAIL, "admin_password": password,
                    "secret_key": secrets.token_urlsafe(32),
                    "rate_limit_requests": 1_000_000_000,
                    "upload_rate_limit_per_hour": 1_000_000, "log_level": "INFO",
                    **s3_settings(s3, f"soak{secrets.token_hex(4)}")}
        cluster = Cluster(work, settings)
        run_cli(["migrate"], cluster.env("migrate"))
        cluster.start("worker")
        for name in SERVERS:
            cluster.start(name)
        response = httpx.post(f"{cluster.url('serve1')}/api/v1/auth/login", timeout=30,
                              json={"email": ADMIN_EMAIL, "password": password})
        response.raise_for_status()
        cluster.token = response.json()["tokens"]["access_token"]
        soak = Soak(cluster, database_url, queries)
        try:
            with cluster.client("serve1") as client:
                collection = client.post("/api/v1/collections", json={"name": "Soak"})
                collection.raise_for_status()
                soak.collection = collection.json()["id"]
            with soak.engine.connect() as conn:
                soak.workspace = conn.execute(text(
                    "SELECT workspace_id FROM collection WHERE id = :id"),
                    {"id": soak.collection}).scalar_one()
            base_seconds = base_corpus(soak, pages, base_documents)
            with soak.engine.connect() as conn:
                chunks = conn.execute(text("SELECT count(*) FROM chunk")).scalar()
            print(f"base corpus: {base_documents} documents, {chunks} passages, "
                  f"{base_seconds} s", flush=True)
            started = time.monotonic()
            end = started + 60 * minutes
            killed = stopped = False
            number = 0
            while time.monotonic() < end:
                elapsed = time.monotonic() - started
                if not killed and elapsed > 60 * minutes / 3:
                    cluster.kill("serve1")
                    soak.events.append({"at_s": round(elapsed), "event": "serve1 SIGKILL"})
                    killed = True
                    restart_at = time.monotonic() + 20
                if killed and "serve1" not in cluster.processes and \
                        time.monotonic() > restart_at:
                    cluster.start("serve1")
                    soak.events.append({"at_s": round(time.monotonic() - started),
                                        "event": "serve1 started again"})
                if not stopped and elapsed > 2 * 60 * minutes / 3:
                    cluster.stop("serve3")
                    soak.events.append({"at_s": round(elapsed), "event": "serve3 stopped"})
                    cluster.start("serve3")
                    soak.events.append({"at_s": round(time.monotonic() - started),
                                        "event": "serve3 started again"})
                    stopped = True
                soak.round(number)
                number += 1
                if number % 50 == 0:
                    print(f"  {round(elapsed)} s: {soak.counts}", flush=True)
            with soak.engine.connect() as conn:
                chunks_after = conn.execute(text("SELECT count(*) FROM chunk")).scalar()
            index_mib = {machine: round(sum(f.stat().st_size for f in
                                            (work / machine / "index").rglob("*")
                                            if f.is_file()) / 2**20, 1)
                         for machine in ("machine1", "machine2")}
            rss = cluster.rss_mib()
        finally:
            for name in list(cluster.processes):
                cluster.stop(name)
            soak.engine.dispose()
    return {
        "corpus": source, "minutes": minutes, "rounds": number,
        "base": {"documents": base_documents, "passages": chunks,
                 "seconds_to_ready": base_seconds},
        "passages_at_end": chunks_after, "counts": soak.counts, "events": soak.events,
        "fresh_lag_s": soak.fresh_lag_s, "disagreements": soak.disagreements,
        "exact_bm25_top10_overlap": {
            "queries": len(soak.exact_overlap),
            "mean": round(sum(soak.exact_overlap) / len(soak.exact_overlap), 3)
            if soak.exact_overlap else None},
        "latency_ms": {name: {"searches": len(values), "p50": rounded_percentile(values, 50),
                              "p95": rounded_percentile(values, 95)}
                       for name, values in soak.latency_ms.items()},
        "index_mib_per_machine": index_mib, "rss_mib_at_end": rss,
        "log_errors": log_errors(work),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--base-documents", type=int, default=200,
                        help="documents of ~100 passages uploaded first (default 200)")
    parser.add_argument("--name", default="scaleout_keyword_soak")
    args = parser.parse_args(argv)
    stop_cleanly_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="casework-soak-") as tmp:
        results = run(minutes=args.minutes, base_documents=args.base_documents,
                      work=Path(tmp))
        c = results["counts"]
        print(f"fresh missed {c['fresh_missed']}/{c['fresh_checks']}, deleted found "
              f"{c['deleted_found']}/{c['deleted_checks']}, servers agreed "
              f"{c['agree_same_on_every_server']}/{c['agree_checks']}, errors "
              f"{c['server_errors']}; exact overlap {results['exact_bm25_top10_overlap']}",
              flush=True)
        print(f"results: {write_results(args.name, results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
