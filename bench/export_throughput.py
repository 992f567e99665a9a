"""Export throughput and peak memory: a 2 GB collection to a signed ZIP in the blob store.

    flock /tmp/casework-bench.lock .venv/bin/python bench/export_throughput.py
    .venv/bin/python bench/export_throughput.py --gigabytes 0.2 --name smoke

The collection: `--large` files of 128 MiB (video-sized) and photo-sized files of 2.5 MiB
filling the rest of `--gigabytes`, each a WAV header over random bytes (incompressible, like
media). They are stored through the ingest service (`accept_uploads`: sniff, dedupe, blob,
document row) but never processed: parsing 2 GB of noise would measure the parsers, not the
export, so the documents stay `queued` and the export holds originals and metadata (no
text, as for any document not yet processed).

Then, in a fresh process, the build_export job runs once, as a worker would run it; its
wall time, CPU time and peak RSS are recorded, with the RSS the process had before the
export began. The peak is the process's high-water mark reset just before the job
(/proc/self/clear_refs): opening the runtime (migrations, imports) peaks higher than the
export does, and ru_maxrss would report that. Beside it: a plain copy of the same
originals into one blob through the blob store (read, write, publish: the store's ceiling
for the same bytes, no ZIP, no hashing) and `casework verify-export` on the result.
On local disk everything is read from the page cache the generation filled (the machine
has far more RAM than 2 GB), so the figures are CPU and write bound. `--s3` puts the blobs
in a SeaweedFS started for the run (loopback): originals are read by streamed GETs, the
archive is written as a multipart upload. Results: bench/results/export_throughput.json
(export_throughput_s3.json with --s3, or --name).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from harness import REPO_DIR, write_results

MiB = 1024 * 1024


def wav_header(payload: int) -> bytes:
    """A RIFF/WAVE header (PCM, 16-bit mono 44.1 kHz) for `payload` bytes of samples."""
    fmt = (b"fmt " + (16).to_bytes(4, "little") + (1).to_bytes(2, "little")
           + (1).to_bytes(2, "little") + (44100).to_bytes(4, "little")
           + (88200).to_bytes(4, "little") + (2).to_bytes(2, "little")
           + (16).to_bytes(2, "little"))
    data = b"data" + payload.to_bytes(4, "little")
    return b"RIFF" + (4 + len(fmt) + len(data) + payload).to_bytes(4, "little") + b"WAVE" + \
        fmt + data


def sizes_for(total: int, large: int) -> list[int]:
    sizes = [128 * MiB] * large
    rest = total - sum(sizes)
    small = int(2.5 * MiB)
    sizes += [small] * max(rest // small, 0)
    return sizes


def bench_settings(data_dir: Path, store: dict[str, str]) -> Any:
    from casework.core.settings import load_settings

    return load_settings(_env_file=None, data_dir=data_dir, database_url=None,
                         worker_threads=0, semantic_search=False, max_upload_bytes=256 * MiB,
                         admin_email="bench@example.com",
                         admin_password="bench-password-0123456789", **store)


def generate(data_dir: Path, *, gigabytes: float, large: int, store: dict[str, str]) -> dict:
    """Store the collection through the ingest service; returns what was stored."""
    from casework.accounts.principal import Principal
    from casework.bootstrap import build_runtime, prepare
    from casework.collections import service as collections_service
    from casework.collections.models import CollectionKind
    from casework.core.database import transaction
    from casework.ingest import service as ingest_service
    from casework.ingest.upload import SpooledFile
    from casework.workspaces import service as workspaces_service

    settings = bench_settings(data_dir, store)
    runtime = build_runtime(settings)
    prepare(runtime)
    rng = np.random.default_rng(2026)
    sizes = sizes_for(int(gigabytes * 1024 * MiB), large)
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with transaction(runtime.sessions) as session:
        workspace = workspaces_service.ensure_default_workspace(session=session, name="Default")
        collection = collections_service.create_collection(
            session=session, principal=Principal.command(workspace.id, "bench"),
            name="Export bench",
            kind=CollectionKind.event)
        ids = workspace.id, collection.id
    for number, size in enumerate(sizes):
        path = settings.tmp_dir / f"bench-{number}"
        digest = hashlib.sha256()
        with open(path, "wb") as out:
            header = wav_header(size - 44)
            out.write(header)
            digest.update(header)
            left = size - len(header)
            while left:
                block = rng.bytes(min(8 * MiB, left))
                out.write(block)
                digest.update(block)
                left -= len(block)
        name = f"recording-{number:03d}.wav" if size > 100 * MiB else f"photo-{number:04d}.wav"
        with transaction(runtime.sessions) as session:
            ingest_service.accept_uploads(
                session=session, runtime=runtime, workspace_id=ids[0], collection_id=ids[1],
                files=[SpooledFile("files", name, path, size, digest.hexdigest())])
    runtime.close()
    return {"files": len(sizes), "bytes": sum(sizes), "large_files": large,
            "generate_seconds": round(time.perf_counter() - started, 1),
            "workspace_id": ids[0], "collection_id": ids[1]}


def plain_copy(data_dir: Path, workspace_id: str, store: dict[str, str]) -> dict:
    """The same originals read from the blob store and written once into one blob (local:
    a partial file fsynced and renamed; S3: a multipart upload), no ZIP and no hashing:
    what the store itself allows for these bytes."""
    from casework.bootstrap import build_runtime
    from casework.core.database import transaction
    from casework.documents.models import Document
    from casework.storage.blobstore import original_key

    runtime = build_runtime(bench_settings(data_dir, store))
    with transaction(runtime.read_sessions) as session:
        digests = [d.sha256 for d in session.query(Document).filter(
            Document.workspace_id == workspace_id).order_by(Document.created_at)]
    key = f"{workspace_id}/bench/plain-copy.bin"
    started = time.perf_counter()
    writer = runtime.blobs.open_writer(key)
    for sha256 in digests:
        for block in runtime.blobs.open_chunks(original_key(workspace_id, sha256)):
            writer.write(block)
    copied = writer.commit()
    seconds = time.perf_counter() - started
    runtime.blobs.delete(key)
    runtime.close()
    return {"bytes": copied, "seconds": round(seconds, 2),
            "mb_per_s": round(copied / MiB / seconds, 1)}


def measure(data_dir: Path, workspace_id: str, collection_id: str,
            store: dict[str, str]) -> dict:
    """In a fresh process: one build_export job, as a worker runs it."""
    from casework.accounts.permissions import Permission
    from casework.accounts.principal import Principal
    from casework.bootstrap import build_runtime
    from casework.core.database import transaction
    from casework.exports import service as exports_service
    from casework.exports.build import build_export
    from casework.exports.job_kinds import BUILD_EXPORT
    from casework.exports.models import Export, ExportPart
    from casework.jobs import claims as job_claims
    from casework.jobs.handlers import JobContext

    def status_mb(field: str) -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        return 0.0

    settings = bench_settings(data_dir, store)
    runtime = build_runtime(settings)
    principal = Principal(workspace_id=workspace_id, user_id=None, role=None,
                          permissions=frozenset(Permission), label="bench")
    with transaction(runtime.sessions) as session:
        export = exports_service.create_export(
            session=session, runtime=runtime, principal=principal,
            collection_id=collection_id, include=list(ExportPart), strip_gps=False)
        export_id = export.id
    with transaction(runtime.sessions) as session:
        job = job_claims.claim_next(session=session, worker_id="bench", lease_seconds=3600,
                                      kinds=[BUILD_EXPORT])
        assert job is not None
        ctx = JobContext(runtime, job.id, job.kind, dict(job.payload), job.workspace_id,
                         job.attempts, job.max_attempts)
    baseline = status_mb("VmRSS")
    process_peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Reset the high-water mark (Linux >= 4.0): start-up (migrations, imports) peaked higher
    # than the export itself, and ru_maxrss would report that instead.
    Path("/proc/self/clear_refs").write_text("5")
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    build_export(ctx)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    with transaction(runtime.read_sessions) as session:
        done = session.get(Export, export_id)
        result = {"status": str(done.status), "error": done.error,
                  "archive_bytes": done.size_bytes, "originals_bytes": done.bytes_total,
                  "members": done.files_total, "blob_key": done.blob_key}
    runtime.close()
    return {**result, "seconds": round(seconds, 2),
            "cpu_seconds": round(after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime,
                                 2),
            "baseline_rss_mb": round(baseline, 1), "peak_rss_mb": round(status_mb("VmHWM"), 1),
            "process_peak_before_export_mb": round(process_peak_before, 1)}


def verify(data_dir: Path, blob_key: str, store: dict[str, str]) -> dict:
    """`casework verify-export` on the archive, as its recipient would run it (an S3
    archive is downloaded first; the download is not timed)."""
    archive = data_dir / "blobs" / blob_key
    if store:
        from casework.bootstrap import build_runtime

        runtime = build_runtime(bench_settings(data_dir, store))
        archive = data_dir / "downloaded.zip"
        with open(archive, "wb") as out:
            for block in runtime.blobs.open_chunks(blob_key):
                out.write(block)
        runtime.close()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "casework.cli.main", "verify-export",
                           str(archive)], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    return {"exit_code": done.returncode, "seconds": round(seconds, 2),
            "mb_per_s": round(archive.stat().st_size / MiB / seconds, 1),
            "output": done.stdout.strip().splitlines()[-1:]}


def run(args: argparse.Namespace, store: dict[str, str]) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="casework-bench-export-"))
    try:
        stored = generate(data_dir, gigabytes=args.gigabytes, large=args.large, store=store)
        print(f"stored {stored['files']} files, {stored['bytes'] / MiB:.0f} MiB", flush=True)
        copy = plain_copy(data_dir, stored["workspace_id"], store)
        print(f"plain copy: {copy['mb_per_s']} MB/s", flush=True)
        env = {**os.environ, "PYTHONPATH": str(REPO_DIR / "src")}
        done = subprocess.run([sys.executable, __file__, "--measure", str(data_dir),
                               stored["workspace_id"], stored["collection_id"],
                               json.dumps(store)], capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        measured = json.loads(done.stdout.strip().splitlines()[-1])
        checked = verify(data_dir, measured.pop("blob_key"), store)
        return {
            "store": "s3 (SeaweedFS on loopback)" if store else "local disk",
            "collection": {k: v for k, v in stored.items() if not k.endswith("_id")},
            "export": {**measured,
                       "originals_mb_per_s": round(measured["originals_bytes"] / MiB
                                                   / measured["seconds"], 1),
                       "archive_mb_per_s": round(measured["archive_bytes"] / MiB
                                                 / measured["seconds"], 1),
                       "peak_over_baseline_mb": round(measured["peak_rss_mb"]
                                                      - measured["baseline_rss_mb"], 1)},
            "plain_copy": copy,
            "verify_export": checked,
        }
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--large", type=int, default=8, help="128 MiB files among them")
    parser.add_argument("--s3", action="store_true",
                        help="blobs in S3 (a SeaweedFS started for the run) instead of disk")
    parser.add_argument("--name", default=None)
    parser.add_argument("--measure", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        data_dir, workspace_id, collection_id, store = args.measure
        print(json.dumps(measure(Path(data_dir), workspace_id, collection_id,
                                 json.loads(store))))
        return
    load_at_start = os.getloadavg()
    if args.s3:
        from scaleout_common import s3_server, s3_settings

        with s3_server() as server:
            result = run(args, s3_settings(server, f"bench-{os.getpid()}"))
    else:
        result = run(args, {})
    result = {"load_average_at_start": load_at_start,
              "load_average_at_end": os.getloadavg(), **result}
    write_results(args.name or ("export_throughput_s3" if args.s3 else "export_throughput"),
                  result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
