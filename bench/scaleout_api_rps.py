# ruff: noqa: I001, RUF100 - import order depends on which sibling bench modules exist
"""Search requests per second through the HTTP API with 1 and 2 API processes.

    apt-get install -y wrk
    .venv/bin/python bench/scaleout_api_rps.py

A corpus of --chunks chunks is built in PostgreSQL 16 + pgvector (pgserver wheel) the way
bench/search_latency.py builds it. Then N (1, 2) independent `casework serve` processes,
each on its own port, run against that database and the machine's Redis, and one `wrk`
per server (C, one thread, separate processes; the --connections split evenly, as a load
balancer would) sends authenticated GET /api/v1/search requests cycling through the
benchmark's queries, keyword and hybrid mode in turn, for --duration seconds each after a
warm-up. (`casework serve --workers N` on one port was tried first: the kernel handed all
keep-alive connections of a run to one process as often as not, so it measured luck.)
Each setting runs with the Redis search cache off (SEARCH_CACHE_SECONDS=0) and on;
with it on, every query was asked once before timing, so the timed requests are cache hits
(repeated queries: the best case the cache is for). CPU seconds of the server processes
and of the whole machine are read around each run. Results: bench/results/scaleout_api_rps.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

import corpus
from harness import write_results
from latency_corpus import DIMENSIONS, grow_corpus, load_pages, make_queries, natural_questions
from scaleout_common import (
    REDIS_URL,
    CaseworkProcess,
    bench_runtime,
    new_namespace,
    pgvector_server,
    postgres_database,
    process_env,
    stop_cleanly_on_sigterm,
)
from scaleout_search_latency import build_hnsw_index, drop_hnsw_index, vacuum_analyze

ADMIN_EMAIL = "bench@example.com"
MODES = ("keyword", "hybrid")

WRK_SCRIPT = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
wrk.headers["Authorization"] = "Bearer %(token)s"
local n = 0

request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end

done = function(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "errors": {"connect": %%d, "read": %%d, ' ..
    '"write": %%d, "status": %%d, "timeout": %%d}, "p50_us": %%d, "p90_us": %%d, ' ..
    '"p95_us": %%d, "p99_us": %%d, "max_us": %%d, "mean_us": %%.1f}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
"""


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle, from /proc/stat."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run_wrk(urls: list[str], script: Path, *, connections: int, seconds: float
            ) -> list[dict[str, Any]]:
    """One wrk per server, all at once, the connections split between them (a load
    balancer's even share); each wrk's figures, and the machine's busy cores meanwhile."""
    started_busy = machine_busy_seconds()
    share = max(1, connections // len(urls))
    runs = [subprocess.Popen(
        ["wrk", "-t1", f"-c{share}", f"-d{seconds:g}s", "--timeout", "30s",
         "-s", str(script), url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for url in urls]
    outputs = [run.communicate(timeout=seconds + 120) for run in runs]
    busy = machine_busy_seconds() - started_busy
    figures = []
    for run, (stdout, stderr) in zip(runs, outputs, strict=True):
        line = next((x for x in stdout.splitlines() if x.startswith("WRKJSON ")), None)
        if run.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed: {stdout}{stderr}")
        figures.append(json.loads(line.removeprefix("WRKJSON ")))
    for each in figures:
        each["machine_busy_cores"] = round(busy / seconds, 2)
    return figures


def _rps(figures: list[dict[str, Any]]) -> float:
    return sum(f["requests"] / (f["duration_us"] / 1e6) for f in figures)


def warm_up(urls: list[str], script: Path, *, connections: int, seconds: float) -> None:
    """Load until throughput settles: every server process loads the model on its first
    semantic query (seconds), and pools fill; none of that is what is measured."""
    previous = 0.0
    for _round in range(6):
        rps = _rps(run_wrk(urls, script, connections=connections, seconds=seconds))
        if previous and abs(rps - previous) <= 0.2 * max(rps, previous):
            return
        previous = rps


def summarise(figures: list[dict[str, Any]], server_cpu: float, seconds: float
              ) -> dict[str, Any]:
    """Throughput summed over the wrk runs; latency percentiles averaged over them by
    request count (an approximation: wrk keeps no raw samples), the worst one kept too."""
    requests = sum(f["requests"] for f in figures)
    weights = [f["requests"] / max(requests, 1) for f in figures]
    errors = {kind: sum(f["errors"][kind] for f in figures) for kind in figures[0]["errors"]}
    return {
        "requests": requests, "rps": round(_rps(figures), 1),
        "errors": sum(errors.values()), "error_kinds": errors,  # status: not 2xx/3xx
        "latency_ms": {p: round(sum(w * f[f"{p}_us"] for w, f in zip(weights, figures,
                                                                       strict=True)) / 1000, 1)
                       for p in ("p50", "p90", "p95", "p99", "mean")},
        "latency_ms_worst_server": {p: round(max(f[f"{p}_us"] for f in figures) / 1000, 1)
                                    for p in ("p50", "p99", "max")},
        "rps_per_server": [round(f["requests"] / (f["duration_us"] / 1e6), 1)
                           for f in figures],
        "server_cpu_seconds": round(server_cpu, 1),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(requests, 1), 2),
        "server_cores_busy": round(server_cpu / seconds, 2),
        "machine_cores_busy": figures[0]["machine_busy_cores"],
    }


def start_servers(*, count: int, cache_seconds: int, database_url: str, password: str,
                  secret: str, work_dir: Path) -> tuple[list[CaseworkProcess], list[str], str]:
    """`count` independent `casework serve` processes on their own ports, one Redis
    namespace (so they share the search cache, as they would behind a load balancer)."""
    from tests.fixtures.scaleout import free_port  # on sys.path via scaleout_common

    namespace = new_namespace()
    servers, urls = [], []
    for index in range(count):
        port = free_port()
        name = f"serve{index + 1}-of-{count}-cache{cache_seconds}"
        env = process_env(
            work_dir / name, database_url=database_url, redis_url=REDIS_URL,
            redis_namespace=namespace, search_cache_seconds=cache_seconds,
            admin_email=ADMIN_EMAIL, admin_password=password, secret_key=secret,
            rate_limit_requests=1_000_000_000, log_level="INFO", host="127.0.0.1", port=port)
        servers.append(CaseworkProcess(name, ["serve"], env, work_dir))
        urls.append(f"http://127.0.0.1:{port}")
    for server, url in zip(servers, urls, strict=True):
        server.wait_healthy(url)
    response = httpx.post(f"{urls[0]}/api/v1/auth/login", timeout=30,
                          json={"email": ADMIN_EMAIL, "password": password})
    response.raise_for_status()
    return servers, urls, response.json()["tokens"]["access_token"]


def measure(*, processes: int, cache_seconds: int, queries: list[str], database_url: str,
            password: str, secret: str, work_dir: Path, connections: int, seconds: float,
            warmup: float) -> dict[str, Any]:
    servers, urls, token = start_servers(count=processes, cache_seconds=cache_seconds,
                                         database_url=database_url, password=password,
                                         secret=secret, work_dir=work_dir)
    results: dict[str, Any] = {}
    try:
        for mode in MODES:
            paths = work_dir / f"paths-{mode}.txt"
            paths.write_text("".join(f"/api/v1/search?q={quote(q)}&mode={mode}&limit=10\n"
                                     for q in queries))
            script = work_dir / f"wrk-{mode}.lua"
            script.write_text(WRK_SCRIPT % {"paths": paths, "token": token})
            if cache_seconds:
                # Every query once, so the timed requests are all cache hits.
                with httpx.Client(base_url=urls[0], timeout=60,
                                  headers={"Authorization": f"Bearer {token}"}) as client:
                    for path in paths.read_text().splitlines():
                        client.get(path).raise_for_status()
            warm_up(urls, script, connections=connections, seconds=warmup)
            cpu_before = sum(server.cpu_seconds() for server in servers)
            figures = run_wrk(urls, script, connections=connections, seconds=seconds)
            for server in servers:
                server.check_alive()
            cpu = sum(server.cpu_seconds() for server in servers) - cpu_before
            results[mode] = summarise(figures, cpu, seconds)
            results[mode]["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
            r = results[mode]
            print(f"  {processes} process(es), cache {'on ' if cache_seconds else 'off'} "
                  f"{mode:<8} {r['rps']:7.1f} req/s {r['rps_per_server']}  p50 "
                  f"{r['latency_ms']['p50']:7.1f} ms  p99 {r['latency_ms']['p99']:7.1f} ms  "
                  f"server CPU {r['server_cpu_ms_per_request']:.2f} ms/req, "
                  f"{r['server_cores_busy']} cores; machine {r['machine_cores_busy']} cores; "
                  f"errors {r['errors']}", flush=True)
    finally:
        for server in servers:
            server.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=10_000, help="corpus size")
    parser.add_argument("--queries", type=int, default=100, help="distinct queries cycled")
    parser.add_argument("--processes", default="1,2", help="API process counts")
    parser.add_argument("--cache", default="off,on", help="search cache settings to run")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--duration", type=float, default=20, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up load")
    parser.add_argument("--name", default="scaleout_api_rps", help="results file name")
    args = parser.parse_args(argv)
    stop_cleanly_on_sigterm()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    counts = [int(p) for p in args.processes.split(",") if p.strip()]

    pages, source = load_pages()
    sentences = [sentence for page in pages for sentence in page]
    questions = natural_questions()
    keyword_style = make_queries(sentences, args.queries - min(len(questions), args.queries // 4))
    queries = keyword_style + questions[:args.queries - len(keyword_style)]
    random.Random(5).shuffle(queries)

    password = secrets.token_urlsafe(18)
    secret = secrets.token_urlsafe(48)
    runs: list[dict[str, Any]] = []
    with pgvector_server() as admin_url, postgres_database(admin_url) as url, \
            tempfile.TemporaryDirectory(prefix="casework-bench-rps-") as tmp:
        work_dir = Path(tmp)
        with bench_runtime(url, worker_threads=0, semantic_search=True,
                           admin_email=ADMIN_EMAIL, admin_password=password) as bench:
            print(f"building {args.chunks} chunks …", flush=True)
            drop_hnsw_index(bench)
            build = grow_corpus(bench, target=args.chunks,
                                passages=corpus.iter_passages(pages, seed=17),
                                vectors=corpus.StandInVectors(23, dimensions=DIMENSIONS),
                                known={}, model=bench.runtime.embedder.name)
            build["hnsw_index_build"] = build_hnsw_index(bench)
            build["vacuum_analyze"] = vacuum_analyze(url)
        caches = [{"off": 0, "on": 300}[c.strip()] for c in args.cache.split(",")]
        for cache_seconds in caches:
            for processes in counts:
                print(f"\n== {processes} API process(es), search cache "
                      f"{'on' if cache_seconds else 'off'}", flush=True)
                results = measure(processes=processes, cache_seconds=cache_seconds,
                                  queries=queries, database_url=url, password=password,
                                  secret=secret, work_dir=work_dir,
                                  connections=args.connections, seconds=args.duration,
                                  warmup=args.warmup)
                runs.append({"api_processes": processes, "search_cache": bool(cache_seconds),
                             "modes": results})
            time.sleep(1)
    out = write_results(args.name, {
        "method": "N independent `casework serve` processes (own ports, one Redis "
                  "namespace) against PostgreSQL 16 + pgvector (pgserver wheel) and Redis on "
                  "this machine; load from one wrk per server (1 thread, keep-alive, the "
                  "connections split evenly) in separate processes on the same 2 cores; "
                  "GET /api/v1/search?q=…&mode=…&limit=10 as the bench owner (bearer "
                  "token), queries cycled; INFO logs, metrics and Redis rate limiting on, "
                  "as in production",
        "corpus": {"chunks": args.chunks, "text_source": source, "build_seconds": build},
        "queries": len(queries), "connections": args.connections,
        "duration_seconds": args.duration, "runs": runs,
    })
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
