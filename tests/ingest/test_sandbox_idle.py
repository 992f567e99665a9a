"""Idle parser processes are stopped: once a batch's text is read they would otherwise hold
their memory (~140 MB each) through the whole embedding phase; the next file starts one."""

from __future__ import annotations

import time
from pathlib import Path

import psutil

from casework.ingest.sandbox import SandboxPool
from tests.conftest import test_settings


def _parser_processes() -> list[psutil.Process]:
    """Live parser processes of this test process (an exited one, not yet waited for by
    whoever started it, is not alive: psutil raises on its command line)."""
    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            if "casework.ingest.sandbox_child" in " ".join(process.cmdline()):
                found.append(process)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue
    return found


def _extract(pool: SandboxPool, tmp_path: Path, name: str) -> int:
    source = tmp_path / f"{name}.txt"
    source.write_text(f"the {name} memo about the barge")
    out = tmp_path / f"out-{name}"
    out.mkdir()
    return pool.extract(path=source, media_type="text/plain", spool=tmp_path / f"{name}.spool",
                        out_dir=out).pages


def test_an_idle_parser_process_is_stopped_and_the_next_file_starts_one(tmp_path):
    settings = test_settings(tmp_path / "data", sandbox_idle_seconds=0.5)
    pool = SandboxPool(settings)
    try:
        assert _extract(pool, tmp_path, "first") == 1
        [child] = _parser_processes()
        deadline = time.monotonic() + 15
        while child.is_running() and child.status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "the idle parser process was not stopped"
            time.sleep(0.1)
        assert _parser_processes() == []
        assert _extract(pool, tmp_path, "second") == 1  # a new process reads the next file
        assert len(_parser_processes()) == 1
    finally:
        pool.close()
    assert _parser_processes() == []
