"""Hostile files against a real `casework serve`: time per bomb, peak RSS of the server
process and of its parser processes, with the default limits.

Each bomb (tests/fixtures/hostile.py) is uploaded alone and polled until it settles,
while the server's RSS and the RSS of each of its child processes are sampled every
20 ms (psutil). The server runs with SEMANTIC_SEARCH=false so the figures are the
ingest's, not the model's.

    PYTHONPATH=src:. python bench/hostile_files.py

Writes bench/results/hostile_files.json.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import threading
import time
from pathlib import Path

import psutil
from tests.fixtures import hostile
from tests.fixtures.server import ServerProcess

RESULTS = Path(__file__).parent / "results" / "hostile_files.json"
BOMBS = {
    "self-drawing-xobject.pdf": hostile.pdf_self_drawing_xobject,
    "page-tree-cycle.pdf": hostile.pdf_page_tree_cycle,
    "deep-page-tree.pdf": hostile.pdf_deep_page_tree,
    "huge-content-stream.pdf": hostile.pdf_huge_content_stream,
    "huge-image.pdf": hostile.pdf_huge_image,
    "100000-blank-pages.pdf": hostile.pdf_blank_pages,
    "huge-dimension.xlsx": hostile.xlsx_huge_dimension,
    "10000-frames.tiff": hostile.tiff_many_frames,
    "deep.html": hostile.html_deep_nesting,
    "many-members.docx": hostile.docx_many_members,
    "inflates.docx": hostile.docx_decompression_bomb,
    "pixels.png": hostile.png_pixel_bomb,
}


class Sampler:
    """Peak RSS of one process, and the largest of its descendants, every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.server_peak = self.child_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                self.server_peak = max(self.server_peak, self.process.memory_info().rss)
                for child in self.process.children(recursive=True):
                    with contextlib.suppress(psutil.NoSuchProcess):
                        self.child_peak = max(self.child_peak, child.memory_info().rss)
            except psutil.NoSuchProcess:
                return
            if self._stop.wait(0.02):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="casework-hostile-bench-") as folder:
        server = ServerProcess(Path(folder) / "data", SEMANTIC_SEARCH="false")
        client = server.start()
        try:
            assert server.process is not None
            collection = client.post("/api/v1/collections", json={"name": "bombs"}).json()
            idle = psutil.Process(server.process.pid).memory_info().rss
            for name, make in BOMBS.items():
                data = make()
                sampler = Sampler(server.process.pid)
                started = time.monotonic()
                response = client.post(f"/api/v1/collections/{collection['id']}/documents",
                                       files=[("files", (name, data, "application/pdf"))],
                                       timeout=300)
                outcome = f"HTTP {response.status_code}"
                reason = response.json().get("error", {}).get("message", "")
                if response.status_code == 202:
                    doc_id = response.json()["documents"][0]["document"]["id"]
                    while True:
                        doc = client.get(f"/api/v1/documents/{doc_id}").json()
                        if doc["status"] in ("ready", "failed"):
                            outcome, reason = doc["status"], doc.get("error") or ""
                            break
                        time.sleep(0.05)
                seconds = time.monotonic() - started
                sampler.stop()
                rows.append({"file": name, "bytes": len(data), "outcome": outcome,
                             "reason": reason, "seconds": round(seconds, 2),
                             "server_peak_rss_mb": round(sampler.server_peak / 2**20),
                             "parser_peak_rss_mb": round(sampler.child_peak / 2**20)})
                print(json.dumps(rows[-1]), flush=True)
        finally:
            server.stop()
    summary = {"server_idle_rss_mb": round(idle / 2**20), "bombs": rows}
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
