"""Production scale: 10,000 small documents Bates-stamped into one production ZIP.

    flock /tmp/casework-bench.lock .venv/bin/python bench/production_scale.py
    .venv/bin/python bench/production_scale.py --documents 200 --name smoke

The collection: `--documents` one- to three-page PDFs made by fpdf2 (each unique), 1 in
100 coded privileged (withheld: a slip sheet and a privilege-log row). They are stored
through the ingest service (`accept_uploads`) and then marked ready without parsing:
parsing 10,000 PDFs would measure the ingest, not the production.

Then, in a fresh process, the build_production job runs once, as a worker would run it;
its wall time, CPU time (the server process; the stamping happens in the parser process)
and peak RSS are recorded, the RSS high-water mark reset just before the job
(/proc/self/clear_refs) so start-up does not count, and the parser process's own peak
beside it. The machine's load average before and after is kept with the results:
bench/results/production_scale.json (or --name).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import REPO_DIR, write_results


def bench_settings(data_dir: Path) -> Any:
    from casework.core.settings import load_settings

    return load_settings(_env_file=None, data_dir=data_dir, database_url=None,
                         worker_threads=0, semantic_search=False,
                         admin_email="bench@example.com",
                         admin_password="bench-password-0123456789")


def small_pdf(number: int) -> bytes:
    from datetime import UTC, datetime

    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(datetime(2020, 1, 1, tzinfo=UTC))
    pdf.set_font("helvetica", size=12)
    for page in range(1 + number % 3):
        pdf.add_page()
        pdf.cell(text=f"Document {number}, page {page + 1}: the harbour accounts.")
    return bytes(pdf.output())


def generate(data_dir: Path, *, documents: int) -> dict:
    from sqlalchemy import update

    from casework.bootstrap import build_runtime, prepare
    from casework.collections import service as collections_service
    from casework.collections.models import CollectionKind
    from casework.core.database import transaction
    from casework.documents.models import Document, DocumentStatus
    from casework.ingest import service as ingest_service
    from casework.ingest.upload import SpooledFile
    from casework.review.models import DocumentCoding
    from casework.workspaces import service as workspaces_service

    settings = bench_settings(data_dir)
    runtime = build_runtime(settings)
    prepare(runtime)
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with transaction(runtime.sessions) as session:
        workspace = workspaces_service.ensure_default_workspace(session=session, name="Default")
        collection = collections_service.create_collection(
            session=session, workspace_id=workspace.id, name="Production bench",
            kind=CollectionKind.event)
        ids = workspace.id, collection.id
    for start in range(0, documents, 100):
        files = []
        for number in range(start, min(start + 100, documents)):
            data = small_pdf(number)
            path = settings.tmp_dir / f"bench-{number}.pdf"
            path.write_bytes(data)
            files.append(SpooledFile("files", f"doc-{number:05d}.pdf", path, len(data),
                                     hashlib.sha256(data).hexdigest()))
        with transaction(runtime.sessions) as session:
            ingest_service.accept_uploads(session=session, runtime=runtime,
                                          workspace_id=ids[0], collection_id=ids[1],
                                          files=files)
    with transaction(runtime.sessions) as session:  # skip parsing: see the docstring
        session.execute(update(Document).where(Document.workspace_id == ids[0]).values(
            status=DocumentStatus.ready, page_count=1))
        for document_id, filename in session.query(Document.id, Document.filename).filter(
                Document.workspace_id == ids[0]):
            if int(filename[4:9]) % 100 == 7:
                session.add(DocumentCoding(document_id=document_id, workspace_id=ids[0],
                                           privileged=True, privilege_basis="work product"))
    runtime.close()
    return {"documents": documents, "generate_seconds": round(time.perf_counter() - started, 1),
            "workspace_id": ids[0], "collection_id": ids[1]}


def measure(data_dir: Path, workspace_id: str, collection_id: str) -> dict:
    from casework.accounts.permissions import Permission
    from casework.accounts.principal import Principal
    from casework.bootstrap import build_runtime
    from casework.core.database import transaction
    from casework.jobs import claims as job_claims
    from casework.jobs.handlers import JobContext
    from casework.productions import service
    from casework.productions.build import build_production
    from casework.productions.job_kinds import BUILD_PRODUCTION
    from casework.productions.models import Production

    def status_mb(field: str) -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        return 0.0

    runtime = build_runtime(bench_settings(data_dir))
    principal = Principal(workspace_id=workspace_id, user_id=None, role=None,
                          permissions=frozenset(Permission), label="bench")
    with transaction(runtime.sessions) as session:
        production = service.create_production(
            session=session, runtime=runtime, principal=principal, name="Bench",
            selection=service.Selection(collection_id=collection_id),
            numbering=service.Numbering(prefix="BENCH", start=1, digits=7,
                                        position="bottom-right", legend="CONFIDENTIAL",
                                        volume="VOL001"))
        production_id = production.id
    with transaction(runtime.sessions) as session:
        job = job_claims.claim_next(session=session, worker_id="bench", lease_seconds=7200,
                                      kinds=[BUILD_PRODUCTION])
        assert job is not None
        ctx = JobContext(runtime, job.id, job.kind, dict(job.payload), job.workspace_id,
                         job.attempts, job.max_attempts)
    baseline = status_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    build_production(ctx)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    with transaction(runtime.read_sessions) as session:
        done = session.get(Production, production_id)
        result = {"status": str(done.status), "error": done.error,
                  "documents": len(done.document_ids), "pages": done.page_count,
                  "withheld": done.withheld_count, "archive_bytes": done.size_bytes,
                  "first_bates": done.first_bates, "last_bates": done.last_bates}
    result.update({
        "seconds": round(seconds, 1),
        "documents_per_second": round(result["documents"] / seconds, 1),
        "server_cpu_seconds": round(after.ru_utime + after.ru_stime
                                    - cpu.ru_utime - cpu.ru_stime, 1),
        "rss_before_mb": round(baseline, 1),
        "peak_rss_during_mb": round(status_mb("VmHWM"), 1),
        "parser_process_peak_rss_mb": runtime.sandbox.last_usage.get("max_rss_mb"),
    })
    runtime.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--name", default="production_scale")
    parser.add_argument("--phase", choices=["all", "measure"], default="all")
    parser.add_argument("--data-dir")
    parser.add_argument("--ids", nargs=2)
    args = parser.parse_args()
    if args.phase == "measure":
        import json

        print(json.dumps(measure(Path(args.data_dir), *args.ids)))
        return
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="production-bench-") as folder:
        data_dir = Path(folder)
        made = generate(data_dir, documents=args.documents)
        env = {**os.environ, "PYTHONPATH": str(REPO_DIR / "src") + os.pathsep
               + str(REPO_DIR / "bench")}
        out = subprocess.run([sys.executable, __file__, "--phase", "measure", "--data-dir",
                              str(data_dir), "--ids", made["workspace_id"],
                              made["collection_id"]],
                             env=env, check=True, capture_output=True, text=True)
        import json

        measured = json.loads(out.stdout.strip().splitlines()[-1])
    write_results(args.name, {"generated": made, "production": measured,
                              "load_average_before": [round(x, 2) for x in load_before],
                              "load_average_after": [round(x, 2) for x in os.getloadavg()],
                              "cpus": os.cpu_count()})
    print(json.dumps(measured, indent=2))


if __name__ == "__main__":
    main()
