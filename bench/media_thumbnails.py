"""Thumbnailing speed: 12-megapixel JPEGs → both thumbnail sizes, as the ingest stage does.

Usage: python bench/media_thumbnails.py [--photos 60] [--threads 2]
Writes bench/results/media_thumbnails.json. Photos are generated once (a gradient with
sensor-like noise, quality 92: ~4 MB each, like a real 12 MP camera JPEG) and cached.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from casework.media.thumbnails import make_thumbnails

RESULTS = Path(__file__).resolve().parent / "results"
CACHE = Path(tempfile.gettempdir()) / "casework-bench-cache" / "photos-12mp"


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    photos = make_photos(args.photos)
    sizes = [p.stat().st_size for p in photos]
    make_thumbnails(photos[0], max_pixels=100_000_000)  # warm up
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        outputs = list(pool.map(lambda p: make_thumbnails(p, max_pixels=100_000_000), photos))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    result = {
        "benchmark": "media_thumbnails",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_end": os.getloadavg()},
        "photos": len(photos), "megapixels": 12, "threads": args.threads,
        "mean_jpeg_bytes": int(sum(sizes) / len(sizes)),
        "wall_seconds": round(wall, 2),
        "photos_per_second": round(len(photos) / wall, 1),
        "cpu_ms_per_photo": round(cpu / len(photos) * 1000, 1),
        "photos_per_second_per_core_cpu_bound": round(len(photos) / cpu, 1),
        "mean_thumb_320_bytes": int(sum(len(o[320]) for o in outputs) / len(outputs)),
        "mean_thumb_1280_bytes": int(sum(len(o[1280]) for o in outputs) / len(outputs)),
        "target_photos_per_second": 20,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "media_thumbnails.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
