"""OCR cost of photos under OCR_IMAGES=auto and =always: what an event photographer's
folder (no text) and a photographed notice (text) cost, and whether the text is found.

Usage: python bench/media_ocr_policy.py [--photos 8]
Writes bench/results/media_ocr_policy.json. Needs Tesseract (apt-get install tesseract-ocr
tesseract-ocr-eng). The photos are generated once and cached: 12-megapixel colour scenes
(sky, overlapping shapes, strokes and sensor noise: texture in which Tesseract sees unsure
"words") and one with a notice of a few lines on a card. Each photo goes through the same
calls as the pipeline's extract stage (the image parser, then TesseractOcr.read_page); CPU
counts this process and the Tesseract processes it ran.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from casework.core.settings import load_settings
from casework.ingest.parsers.image import ImageParser
from casework.media.ocr import TesseractOcr
from harness import write_results

CACHE = Path(tempfile.gettempdir()) / "casework-bench-cache" / "scenes-12mp"
NOTICE = ["Lost property is kept at the harbour office",
          "The harbour master signed the manifest at dawn",
          "Opening hours nine to five on weekdays"]


def make_scene(path: Path, *, seed: int, notice: bool) -> None:
    width, height = 4000, 3000
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=(int(90 + 100 * t), int(140 + 60 * t),
                                              int(220 - 120 * t)))
    for _ in range(400):
        x, y, r = rng.integers(0, width), rng.integers(height // 3, height), rng.integers(20, 300)
        draw.ellipse([x - r, y - r * 1.5, x + r, y + r * 1.5],
                     fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    for _ in range(3000):
        x, y = rng.integers(0, width), rng.integers(0, height)
        draw.line([(x, y), (x + rng.integers(-60, 60), y + rng.integers(-60, 60))],
                  fill=tuple(int(v) for v in rng.integers(0, 255, 3)),
                  width=int(rng.integers(1, 6)))
    if notice:
        draw.rectangle([1200, 700, 2900, 1500], fill=(236, 233, 226))
        font = ImageFont.load_default(size=48)
        for index, line in enumerate(NOTICE):
            draw.text((1260, 780 + index * 120), line, fill=(25, 25, 35), font=font)
    pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, 6, (height, width, 3))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype("uint8")).save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())


def photos(count: int) -> list[tuple[Path, bool]]:
    CACHE.mkdir(parents=True, exist_ok=True)
    out = []
    for index in range(count):
        notice = index == 0
        path = CACHE / f"{'notice' if notice else 'scene'}-{index:02d}.jpg"
        if not path.exists():
            make_scene(path, seed=index, notice=notice)
        out.append((path, notice))
    return out


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def read(path: Path, policy: str, data_dir: Path) -> dict[str, Any]:
    settings = load_settings(_env_file=None, environment="test", data_dir=data_dir,
                             ocr_images=policy)
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    parsed = ImageParser().parse(path)
    ocr = TesseractOcr(settings)
    page = next(parsed.pages)
    text = ocr.read_page(page.number, page.render, sample=page.sample)
    return {"cpu_seconds": cpu_seconds() - cpu0, "wall_seconds": time.perf_counter() - wall0,
            "status": ocr.report.status, "found": "manifest at dawn" in text}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=8)
    args = parser.parse_args()
    files = photos(args.photos)
    results: dict[str, Any] = {"photos": len(files), "megapixels": 12,
                               "load_average_1min_at_start": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory() as folder:
        for policy in ("auto", "always"):
            runs = [(read(path, policy, Path(folder)), notice) for path, notice in files]
            scenes = [run for run, notice in runs if not notice]
            notices = [run for run, notice in runs if notice]
            results[policy] = {
                "photo_without_text_cpu_seconds_median": round(
                    statistics.median(r["cpu_seconds"] for r in scenes), 2),
                "photo_without_text_wall_seconds_median": round(
                    statistics.median(r["wall_seconds"] for r in scenes), 2),
                "photo_without_text_statuses": sorted({r["status"] for r in scenes}),
                "photo_with_text_cpu_seconds": round(notices[0]["cpu_seconds"], 2),
                "photo_with_text_status": notices[0]["status"],
                "photo_with_text_sentence_found": notices[0]["found"],
            }
            print(policy, results[policy], flush=True)
    results["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    print(write_results("media_ocr_policy", results).read_text())


if __name__ == "__main__":
    main()
