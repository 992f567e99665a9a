"""Thumbnailing speed: 12-megapixel JPEGs → both thumbnail sizes, as the ingest stage does.

Usage: python bench/media_thumbnails.py [--photos 60] [--threads 2] [--rounds 3]
                                       [--output NAME]
Writes bench/results/media_thumbnails.json, or NAME.json: a run of an older checkout
(PYTHONPATH=<its src>) goes beside the current one, and each file records which source
ran. Photos are generated once (a gradient with sensor-like noise, quality 92: ~4.3 MB
each, the heavy end for a 12 MP camera JPEG) and cached.

Each round thumbnails every photo on one thread (CPU per photo: what the machine's other
work cannot inflate much) and then on `--threads` threads, the way the job workers
(WORKER_THREADS, 2 by default) run an upload's photos side by side. The machine is shared,
so every pass records the load average it started under; wall-clock photos/s on two
threads is only as good as the cores other work left free. A last single-thread pass runs
over the 12 MP scenes of bench/media_ocr_policy.py (~2.8 MB, closer to a camera's JPEG).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

import casework
from casework.media.thumbnails import GRID, PREVIEW, Thumbnail, make_thumbnails
from harness import write_results
from media_ocr_policy import photos as scene_photos

CACHE = Path(tempfile.gettempdir()) / "casework-bench-cache" / "photos-12mp"
MAX_PIXELS = 100_000_000


def make_photos(count: int) -> list[Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    paths = []
    height, width = 3000, 4000
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x / width * 230, y / height * 200, (x + y) / (width + height) * 180], -1)
    for index in range(count):
        path = CACHE / f"photo-{index:03d}.jpg"
        if not path.exists():
            rng = np.random.default_rng(index)
            pixels = base + rng.normal(0, 10, base.shape).astype(np.float32) + index % 25
            image = Image.fromarray(np.clip(pixels, 0, 255).astype("uint8"))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=92)
            path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths


def thumbnail_all(photos: list[Path], threads: int) -> tuple[dict[str, Any],
                                                           list[dict[int, Thumbnail]]]:
    load = os.getloadavg()[0]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        outputs = list(pool.map(lambda p: make_thumbnails(p, max_pixels=MAX_PIXELS), photos))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"threads": threads, "load_average_1min_at_start": round(load, 2),
            "wall_seconds": round(wall, 2), "photos_per_second": round(len(photos) / wall, 1),
            "cpu_ms_per_photo": round(cpu / len(photos) * 1000, 1),
            "cores_used": round(cpu / wall, 2)}, outputs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", default="media_thumbnails")
    args = parser.parse_args()
    photos = make_photos(args.photos)
    sizes = [p.stat().st_size for p in photos]
    make_thumbnails(photos[0], max_pixels=MAX_PIXELS)  # warm up
    passes: list[dict[str, Any]] = []
    outputs: list[dict[int, Thumbnail]] = []
    for _ in range(args.rounds):
        for threads in (1, args.threads):
            figures, outputs = thumbnail_all(photos, threads)
            passes.append(figures)
            print(figures, flush=True)
    # A lighter, more photo-like corpus: the OCR bench's 12 MP scenes (~2.8 MB each).
    scenes = [path for path, _ in scene_photos(8)]
    scene_pass, _ = thumbnail_all(scenes, 1)
    single = [p for p in passes if p["threads"] == 1]
    parallel = [p for p in passes if p["threads"] == args.threads]
    cpu_ms = statistics.median(p["cpu_ms_per_photo"] for p in single)
    results = {
        "casework_source": str(Path(casework.__file__).parent),
        "photos": len(photos), "megapixels": 12, "threads": args.threads,
        "rounds": args.rounds, "mean_jpeg_bytes": int(sum(sizes) / len(sizes)),
        "cpu_ms_per_photo_median": round(cpu_ms, 1),
        "photos_per_second_one_thread_best": max(p["photos_per_second"] for p in single),
        "photos_per_second_parallel_best": max(p["photos_per_second"] for p in parallel),
        "photos_per_second_parallel_median": statistics.median(
            p["photos_per_second"] for p in parallel),
        # What two cores free of other work would do: Pillow releases the GIL in decode,
        # resize and encode, so the job worker threads scale with cores.
        "photos_per_second_projected_two_idle_cores": round(2 * 1000 / cpu_ms, 1),
        "passes": passes,
        "scenes": {"photos": len(scenes), "mean_jpeg_bytes": int(
            sum(p.stat().st_size for p in scenes) / len(scenes)), **scene_pass},
        "thumbnail_types": {str(size): thumb.media_type
                            for size, thumb in outputs[0].items()},
        "preview_size": Image.open(io.BytesIO(outputs[0][PREVIEW].data)).size,
        "mean_thumb_320_bytes": int(sum(len(o[GRID].data) for o in outputs) / len(outputs)),
        "mean_thumb_1280_bytes": int(sum(len(o[PREVIEW].data) for o in outputs)
                                     / len(outputs)),
        "target_photos_per_second": 20,
    }
    path = write_results(args.output, results)
    print(path.read_text())


if __name__ == "__main__":
    main()
