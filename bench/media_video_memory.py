"""Peak memory of ingesting a large video: upload spool → sniff → store → parse → poster →
contact sheet → index, in one fresh process, measured as the process's peak RSS.

Usage: python bench/media_video_memory.py [--megabytes 2048] [--width 1280 --height 720]
Writes bench/results/media_video_memory.json. The video (H.264, noisy frames so the
bitrate is high, a key frame every 10 s) is generated once and cached; generating 2 GB
takes a few minutes on two cores.
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
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
CACHE = Path(tempfile.gettempdir()) / "casework-bench-cache"


def generate(path: Path, *, megabytes: int, width: int, height: int, fps: int = 25) -> None:
    import av
    import numpy as np

    rng = np.random.default_rng(7)
    base = np.zeros((height, width, 3), dtype=np.uint8)
    noise = [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(5)]
    target = megabytes * 1024 * 1024
    tmp = path.with_suffix(".partial.mp4")
    with av.open(str(tmp), "w") as out:
        out.metadata["creation_time"] = "2024-05-17T08:00:00Z"
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = fps * 10
        stream.options = {"preset": "ultrafast", "crf": "18"}
        index = written = 0
        while written < target:
            base[:, :, 0] = index % 256
            frame_pixels = base // 2 + noise[index % len(noise)] // 2
            frame = av.VideoFrame.from_ndarray(frame_pixels, format="rgb24")
            for packet in stream.encode(frame):
                written += packet.size
                out.mux(packet)
            index += 1
        for packet in stream.encode():
            out.mux(packet)
    tmp.rename(path)


def measure(video: Path) -> dict:
    """Runs in a fresh process: everything an upload of `video` costs, end to end."""
    from casework.accounts.principal import Principal
    from casework.bootstrap import build_runtime, prepare
    from casework.collections import service as collections_service
    from casework.collections.models import CollectionKind
    from casework.core.database import transaction
    from casework.core.settings import load_settings
    from casework.documents.models import Document
    from casework.ingest import pipeline
    from casework.ingest import service as ingest_service
    from casework.ingest.job_kinds import PROCESS_DOCUMENT
    from casework.ingest.upload import SpooledFile
    from casework.jobs.handlers import JobContext
    from casework.workspaces import service as workspaces_service

    def rss_mb() -> float:
        """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def current_mb() -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    data_dir = Path(tempfile.mkdtemp(prefix="casework-bench-video-"))
    try:
        settings = load_settings(_env_file=None, data_dir=data_dir, worker_threads=0,
                                 semantic_search=False)
        runtime = build_runtime(settings)
        prepare(runtime)
        baseline = current_mb()  # imports and runtime: what any worker process holds
        # The upload spools to DATA_DIR/tmp and hashes as it goes; do the same here.
        spooled_path = settings.tmp_dir / "upload-bench"
        digest = hashlib.sha256()
        started = time.perf_counter()
        with open(video, "rb") as src, open(spooled_path, "wb") as out:
            while block := src.read(1024 * 1024):
                digest.update(block)
                out.write(block)
        spooled = SpooledFile("files", "bodycam.mp4", spooled_path, video.stat().st_size,
                              digest.hexdigest())
        with transaction(runtime.sessions) as session:
            workspace = workspaces_service.ensure_default_workspace(session=session,
                                                                    name="Default")
            collection = collections_service.create_collection(
                session=session, principal=Principal.command(workspace.id, "bench"),
                name="Bench",
                kind=CollectionKind.case)
            accepted = ingest_service.accept_uploads(
                session=session, runtime=runtime, workspace_id=workspace.id,
                collection_id=collection.id, files=[spooled])
            document_id, workspace_id = accepted[0].document.id, workspace.id
        upload_seconds = time.perf_counter() - started
        started = time.perf_counter()
        pipeline.process_document(JobContext(
            runtime=runtime, job_id=0, kind=PROCESS_DOCUMENT,
            payload={"document_id": document_id}, workspace_id=workspace_id, attempt=1,
            max_attempts=1))
        process_seconds = time.perf_counter() - started
        # Stream the whole original back, as a download would.
        started = time.perf_counter()
        with transaction(runtime.read_sessions) as session:
            document = session.get(Document, document_id)
            sent = sum(len(b) for b in runtime.blobs.open_chunks(
                f"{workspace_id}/originals/{document.sha256[:2]}/{document.sha256}"))
            facts = {"status": str(document.status), "error": document.error,
                     "duration_seconds": document.duration_seconds,
                     "width": document.width, "height": document.height,
                     "contact_sheet_frames": len(
                         (document.metadata_json.get("contact_sheet") or {}).get("times", []))}
        download_seconds = time.perf_counter() - started
        runtime.close()
        return {"baseline_rss_mb": round(baseline, 1), "peak_rss_mb": round(rss_mb(), 1),
                "upload_seconds": round(upload_seconds, 2),
                "process_seconds": round(process_seconds, 2),
                "download_seconds": round(download_seconds, 2), "downloaded_bytes": sent,
                **facts}
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=2048)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    video = CACHE / f"video-{args.megabytes}mb-{args.width}x{args.height}.mp4"
    started = time.perf_counter()
    if not video.exists():
        generate(video, megabytes=args.megabytes, width=args.width, height=args.height)
    generate_seconds = time.perf_counter() - started
    done = subprocess.run([sys.executable, __file__, "--measure", str(video)],
                          capture_output=True, text=True, check=True)
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    result = {
        "benchmark": "media_video_memory",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg()},
        "video_bytes": video.stat().st_size, "resolution": f"{args.width}x{args.height}",
        "generate_seconds": round(generate_seconds, 1),
        **measured,
        "peak_over_baseline_mb": round(measured["peak_rss_mb"] - measured["baseline_rss_mb"], 1),
        "target_peak_rss_mb": 300,
    }
    RESULTS.mkdir(exist_ok=True)
    name = "media_video_memory.json" if args.megabytes >= 2048 else \
        f"media_video_memory_{args.megabytes}mb.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
