"""A large mailbox end to end: `casework ingest` of a generated MBOX, timed, measured, checked.

    flock /tmp/casework-bench.lock .venv/bin/python bench/mailbox_scale.py            # 50,000
    flock /tmp/casework-bench.lock .venv/bin/python bench/mailbox_scale.py --messages 5000 \
        --name mailbox_scale_5000

The mailbox is generated from a seed, the same bytes every run: threads of 1-30 messages
(Message-ID, In-Reply-To, References), a tenth of the threads without reply headers at all
(Re: subjects, shared people, hours apart: threaded by the subject fallback), some messages
without a Message-ID, bodies of a few paragraphs quoting the message they answer, ~5% with a
small attachment (text or an fpdf2 PDF), and ~5% of the messages copied into a second small
mailbox with other transport headers (other bytes, the same message: a duplicate).

Both mailboxes are ingested by the real CLI in a fresh DATA_DIR (the embedded default:
SQLite, in-process jobs, semantic search on unless --no-semantic). A sampler adds up the RSS
of the CLI and every child (the parser sandbox) every 100 ms; the database is read every
second for "keyword-searchable" (every document processed) and "all done" (the CLI exits
after the vectors). At the end the store is checked against the generator's truth: messages,
threads, duplicates. Results: bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from harness import CACHE_DIR, mib, write_results
from ingest_memory import TreeSampler, ingest_command

PEOPLE = [f"{first}.{last}@{domain}" for first, last, domain in (
    ("anna", "berg", "harbour.example"), ("bo", "lind", "harbour.example"),
    ("carla", "diaz", "cranes.example"), ("dev", "patel", "cranes.example"),
    ("emil", "strand", "law.example"), ("fatima", "haddad", "law.example"),
    ("goran", "ivic", "port.example"), ("hana", "sato", "port.example"),
    ("ines", "moreau", "audit.example"), ("jonas", "kraft", "audit.example"),
    ("kofi", "mensah", "bank.example"), ("lena", "nowak", "bank.example"))]
TOPICS = ["crane contract", "berth schedule", "invoice dispute", "customs hold",
          "insurance claim", "dredging permit", "pilot roster", "warehouse lease",
          "fuel surcharge", "safety audit", "container damage", "tug maintenance"]
WORDS = ("the shipment was delayed because the inspection at the terminal took longer than "
         "planned and the paperwork for the customs broker was incomplete so we need the "
         "signed copy of the amended agreement before friday together with the revised "
         "schedule and the figures from last quarter which finance asked for twice already "
         "please confirm whether the harbour master approved the berth change and who pays "
         "the demurrage if the vessel waits another day at anchor").split()


@dataclass
class Truth:
    messages: int = 0
    threads: int = 0
    fallback_threads: int = 0
    without_message_id: int = 0
    attachments: int = 0
    duplicates: int = 0
    thread_sizes: list[int] = field(default_factory=list)


def _paragraphs(rng: random.Random) -> str:
    return "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 90))).capitalize()
                       + "." for _ in range(rng.randint(1, 4)))


def _pdf(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def _attachment(rng: random.Random, number: int) -> tuple[str, str, bytes]:
    text = f"Attachment {number}. " + _paragraphs(rng)
    if rng.random() < 0.5:
        return f"note-{number}.txt", "text/plain", text.encode()
    return f"report-{number}.pdf", "application/pdf", _pdf(text)


def _message(*, headers: list[tuple[str, str]], body: str,
             attachment: tuple[str, str, bytes] | None) -> bytes:
    lines = [f"{name}: {value}" for name, value in headers] + ["MIME-Version: 1.0"]
    if attachment is None:
        lines += ["Content-Type: text/plain; charset=utf-8", "", body]
    else:
        name, media_type, data = attachment
        encoded = base64.encodebytes(data).decode().rstrip("\n")
        lines += ['Content-Type: multipart/mixed; boundary="b0"', "", "--b0",
                  "Content-Type: text/plain; charset=utf-8", "", body, "--b0",
                  f'Content-Type: {media_type}; name="{name}"',
                  f'Content-Disposition: attachment; filename="{name}"',
                  "Content-Transfer-Encoding: base64", "", encoded, "--b0--"]
    return "\n".join(lines).encode() + b"\n"


def _mbox_entry(data: bytes, sender: str, when: datetime) -> bytes:
    escaped = b"\n".join(b">" + line if line.startswith(b"From ") else line
                         for line in data.split(b"\n"))
    return (f"From {sender} {when:%a %b %d %H:%M:%S %Y}\n".encode() + escaped + b"\n")


def generate(folder: Path, count: int, seed: int) -> Truth:
    """Write big.mbox (`count` messages) and copies.mbox (~5% of them again); the truth."""
    rng = random.Random(seed)
    truth = Truth()
    start = datetime(2024, 1, 1, 8, tzinfo=UTC)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "big.mbox", "wb") as big, open(folder / "copies.mbox", "wb") as copies:
        while truth.messages < count:
            size = min(rng.randint(1, 30) if rng.random() < 0.7 else rng.randint(1, 3),
                       count - truth.messages)
            truth.threads += 1
            truth.thread_sizes.append(size)
            fallback = rng.random() < 0.1
            truth.fallback_threads += fallback
            topic = f"{rng.choice(TOPICS)} #{truth.threads}"  # one subject per thread
            people = rng.sample(PEOPLE, rng.randint(2, 4))
            when = start + timedelta(minutes=rng.randint(0, 60 * 24 * 700))
            ids: list[str] = []
            previous = ""
            for position in range(size):
                truth.messages += 1
                number = truth.messages
                sender = people[position % len(people)]
                to = [p for p in people if p != sender]
                when += timedelta(minutes=rng.randint(5, 60 * 30))
                message_id = f"<m{number}.{seed}@{sender.split('@')[1]}>"
                has_id = not (fallback and rng.random() < 0.5)
                truth.without_message_id += not has_id
                headers = [("From", sender), ("To", ", ".join(to)),
                           ("Subject", ("Re: " if position else "") + topic),
                           ("Date", format_datetime(when))]
                if has_id:
                    headers.append(("Message-ID", message_id))
                if position and not fallback:
                    headers += [("In-Reply-To", ids[-1]),
                                ("References", " ".join(ids[-10:]))]
                ids.append(message_id)
                body = _paragraphs(rng)
                if previous:
                    quoted = "\n".join("> " + line for line in previous.splitlines()[:20])
                    body += f"\n\nOn {when:%d %b %Y}, {people[(position - 1) % len(people)]} " \
                            f"wrote:\n{quoted}"
                previous = body
                attachment = None
                copied = rng.random() < 0.05
                if not copied and rng.random() < 0.05:
                    attachment = _attachment(rng, number)
                    truth.attachments += 1
                data = _message(headers=headers, body=body, attachment=attachment)
                big.write(_mbox_entry(
                    b"X-Folder: Inbox\nReceived: from mx1.harbour.example\n" + data,
                    sender, when))
                if copied:
                    truth.duplicates += 1
                    copies.write(_mbox_entry(
                        b"X-Folder: Archive/2024\nStatus: RO\n"
                        b"Received: from backup.harbour.example\n" + data, sender, when))
    return truth


def corpus(count: int, seed: int) -> tuple[Path, Truth]:
    """The generated folder, cached by count and seed (the truth is regenerated: cheap)."""
    folder = CACHE_DIR / f"mailbox-{count}-seed{seed}"
    marker = CACHE_DIR / f"mailbox-{count}-seed{seed}.done"  # not in the folder ingested
    if marker.exists():
        scratch = Path(tempfile.mkdtemp(prefix="mailbox-truth-"))
        try:
            truth = generate(scratch, count, seed)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return folder, truth
    shutil.rmtree(folder, ignore_errors=True)
    truth = generate(folder, count, seed)
    marker.write_text("ok\n")
    return folder, truth


# --- measuring ----------------------------------------------------------------------------

def _query(db: Path, sql: str) -> tuple[Any, ...] | None:
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2) as con:
            return con.execute(sql).fetchone()
    except sqlite3.Error:
        return None


DOC_COUNTS = ("SELECT count(*), coalesce(sum(status IN ('ready', 'failed')), 0), "
              "coalesce(sum(status = 'failed'), 0) FROM document")


def run(folder: Path, truth: Truth, *, semantic: bool, timeout: float,
        keep: bool) -> dict[str, Any]:
    expected = 2 + truth.messages + truth.duplicates + truth.attachments
    data_dir, env, command = ingest_command(folder, "onnx", "casework-bench-mailbox-")
    env["SEMANTIC_SEARCH"] = "true" if semantic else "false"
    load_before = os.getloadavg()
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    db = data_dir / "casework.db"
    keyword_at: float | None = None
    progress: list[tuple[float, int, int]] = []
    try:
        while process.poll() is None and time.perf_counter() - started < timeout:
            counts = _query(db, DOC_COUNTS)
            elapsed = time.perf_counter() - started
            if counts:
                if not progress or elapsed - progress[-1][0] >= 30:
                    progress.append((round(elapsed, 1), counts[0], counts[1]))
                if keyword_at is None and counts[0] >= expected and counts[1] >= counts[0]:
                    keyword_at = elapsed
            time.sleep(1)
        timed_out = process.poll() is None
        if timed_out:
            process.kill()
        stderr = process.communicate()[1]
        finished = time.perf_counter() - started
    finally:
        sampler.stop()
    checks = check(db, truth)
    if not keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    done = None if timed_out else finished
    return {
        "exit_code": process.returncode, "timed_out": timed_out,
        "stderr_tail": (stderr or "")[-1500:], "data_dir": str(data_dir) if keep else None,
        "expected_documents": expected,
        "peak_rss_mib": mib(sampler.peak),
        "seconds_to_keyword_searchable": None if keyword_at is None else round(keyword_at, 1),
        "seconds_to_all_done": None if done is None else round(done, 1),
        "messages_per_s_keyword": (round((truth.messages + truth.duplicates) / keyword_at, 2)
                                   if keyword_at else None),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "progress_seconds_documents_processed": progress,
        "rss_timeline_mib": [(t, mib(rss)) for t, rss in sampler.timeline[::5]],
        "checks": checks,
    }


def check(db: Path, truth: Truth) -> dict[str, Any]:
    """The store against the generator: every message once, its threads, its copies."""
    def one(sql: str) -> int:
        row = _query(db, sql)
        return int(row[0] or 0) if row else -1

    found = {
        "documents": one("SELECT count(*) FROM document"),
        "failed_documents": one("SELECT count(*) FROM document WHERE status = 'failed'"),
        "message_rows": one("SELECT count(*) FROM mail_message"),
        "messages_held": one("SELECT count(*) FROM mail_message "
                             "WHERE duplicate_of_document_id IS NULL"),
        "duplicates": one("SELECT count(*) FROM mail_message "
                          "WHERE duplicate_of_document_id IS NOT NULL"),
        "threads": one("SELECT count(*) FROM mail_thread"),
        "unthreaded_messages": one("SELECT count(*) FROM mail_message WHERE thread_id IS NULL "
                                   "AND duplicate_of_document_id IS NULL"),
        "attachments": one("SELECT count(*) FROM document d JOIN mail_message m "
                           "ON m.document_id = d.parent_document_id"),
        "largest_thread": one("SELECT max(message_count) FROM mail_thread"),
    }
    expected = {"message_rows": truth.messages + truth.duplicates,
                "messages_held": truth.messages, "duplicates": truth.duplicates,
                "threads": truth.threads, "unthreaded_messages": 0,
                "attachments": truth.attachments, "largest_thread": max(truth.thread_sizes),
                "failed_documents": 0}
    return {"found": found, "expected": expected,
            "correct": {key: found[key] == value for key, value in expected.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--no-semantic", action="store_true",
                        help="SEMANTIC_SEARCH=false (the default is on, as shipped)")
    parser.add_argument("--timeout", type=float, default=6 * 3600)
    parser.add_argument("--keep", action="store_true", help="keep the DATA_DIR")
    parser.add_argument("--name", default="mailbox_scale")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    folder, truth = corpus(args.messages, args.seed)
    generated = time.perf_counter() - began
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    result = run(folder, truth, semantic=not args.no_semantic, timeout=args.timeout,
                 keep=args.keep)
    sizes = {path.name: path.stat().st_size for path in sorted(folder.glob("*.mbox"))}
    truth_out = {key: value for key, value in vars(truth).items() if key != "thread_sizes"}
    path = write_results(args.name, {
        "command": "casework ingest <folder> --collection bench (DATA_DIR fresh, SQLite, "
                   f"SEMANTIC_SEARCH={'false' if args.no_semantic else 'true'})",
        "seed": args.seed, "mailbox_bytes": sizes, "generate_seconds": round(generated, 1),
        "truth": truth_out, "uptime_before": uptime,
        "mailbox_digest": hashlib.sha256((folder / "big.mbox").read_bytes()).hexdigest(),
        **result})
    print(path)
    print({key: result[key] for key in ("peak_rss_mib", "seconds_to_keyword_searchable",
                                        "seconds_to_all_done", "exit_code")})
    print(result["checks"])
    return 0 if all(result["checks"]["correct"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
