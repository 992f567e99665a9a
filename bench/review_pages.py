"""Review pages at case size: p50/p95/max of what a reviewer loads while coding, over HTTP
from a real `casework serve`, on a workspace of 50,000 e-mail documents (SQLite).

    flock /tmp/casework-bench.lock .venv/bin/python bench/review_pages.py
    flock /tmp/casework-bench.lock .venv/bin/python bench/review_pages.py --documents 5000 \
        --requests 50 --name quick
    # build once and keep (~1 min at 50,000), then time again on it without rebuilding:
    ... review_pages.py --keep /tmp/review-50k
    ... review_pages.py --reuse /tmp/review-50k

The workspace is built fast, straight into the tables, without the parsers: document rows,
one page of e-mail prose each, its chunks through casework.search.indexing.write_chunks (the
FTS5 triggers index them as ingest does), a file location (custody), a message in a thread
of five, a coding for 40% (with its history row), issue links for 20%, and near-duplicate
groups of two to five for 10% (MinHash signatures of their real text, so the similarities
shown are real). Then the server starts on that DATA_DIR, the bench signs in with a cookie
session (as the browser does) and requests each page --requests times over different ids,
after a warm-up pass. Results: bench/results/<name>.json (docs/review.md, "Speed").
"""

from __future__ import annotations

import argparse
import hashlib
import random
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

import corpus
from casework.core.database import transaction, utcnow
from casework.core.ids import new_id
from casework.custody.models import DocumentLocation
from casework.documents.models import Document, DocumentPage
from casework.mail.models import MailMessage, MailThread
from casework.neardup import minhash
from casework.neardup.models import DocumentSignature
from casework.review.models import CodingChange, DocumentCoding, DocumentIssue, ReviewIssue
from casework.search import indexing
from casework.search.chunking import CHUNKER_VERSION, Passage
from harness import percentile, temporary_runtime, write_results
from scaleout_common import CaseworkProcess, process_env, wait_until

DOCUMENTS_PER_TRANSACTION = 2000
THREAD_SIZE = 5
ATTACHMENT_SHARE = 0.1  # messages with one attachment (a child document)
CUSTODIANS = [f"custodian{n}@example.com" for n in range(12)]
ISSUES = ["Pricing", "Board minutes", "Termination", "Side letters", "Audit", "Bonuses",
          "Tender", "Shipping", "Insurance", "Regulator", "Litigation hold", "Press"]
SEARCH_WORDS = ["invoice", "meeting", "transfer", "warehouse", "contract", "payment",
                "statement", "account", "vehicle", "report"]


def _body(writer: corpus.ProseWriter) -> str:
    return "\n\n".join(writer.paragraph() for _ in range(3))


def _variant(text: str, rng: random.Random) -> str:
    """A near-copy: the same message with a few words changed (a forward, a re-save)."""
    words = text.split()
    for _ in range(max(1, len(words) // 60)):
        words[rng.randrange(len(words))] = rng.choice(SEARCH_WORDS)
    return " ".join(words)


def _attachment(ws: str, coll: str, parent_id: str, n: int, sent: Any, text: str
                ) -> dict[str, dict[str, Any]]:
    """A message's PDF attachment: a document of its own pointing at the message."""
    doc_id = new_id()
    name = f"attachment-{n:06d}.pdf"
    return {
        "document": {
            "id": doc_id, "workspace_id": ws, "collection_id": coll, "filename": name,
            "media_type": "application/pdf", "size_bytes": len(text) + 2000,
            "sha256": hashlib.sha256(f"attachment-{n}".encode()).hexdigest(),
            "status": "ready", "embedding_status": "ready", "preview_status": "none",
            "chunker_version": CHUNKER_VERSION, "title": name, "page_count": 1,
            "metadata": {"chunks": 1}, "parent_document_id": parent_id,
            "processed_at": sent, "created_at": sent, "updated_at": sent},
        "page": {"workspace_id": ws, "document_id": doc_id, "number": 1, "text": text},
        "location": {
            "workspace_id": ws, "document_id": doc_id, "collection_id": coll,
            "filename": name, "received_at": sent, "via": "attachment",
            "source_path": f"message-{n:06d}.eml!/{name}", "custodian": CUSTODIANS[n % 12],
            "uploaded_by_label": "bench", "parent_document_id": parent_id,
            "duplicate": False},
        "signature": {"document_id": doc_id, "workspace_id": ws, "words": len(text.split()),
                      "signature": None, "group_id": None, "computed_at": sent},
    }


def populate(bench: Any, documents: int, seed: int = 5) -> dict[str, Any]:
    """The workspace's review data; returns the ids the timed requests walk over."""
    rng = random.Random(seed)
    writer = corpus.ProseWriter(seed)
    ws, coll = bench.workspace_id, bench.collection_id
    now = utcnow()
    with transaction(bench.runtime.sessions) as session:
        issues = [{"id": new_id(), "workspace_id": ws, "name": n} for n in ISSUES]
        session.execute(insert(ReviewIssue), issues)
    ids: dict[str, list[str]] = {"documents": [], "threads": [], "attachments": []}
    base_text = ""
    serial = 0
    while serial < documents:
        rows: dict[str, list[dict[str, Any]]] = {k: [] for k in (
            "document", "page", "location", "thread", "message", "coding", "change",
            "issue", "signature")}
        passages: list[tuple[str, list[Passage]]] = []
        group_id: str | None = None
        group_left = 0
        thread_id = ""
        for _ in range(min(DOCUMENTS_PER_TRANSACTION, documents - serial)):
            n = serial
            serial += 1
            doc_id = new_id()
            if n % THREAD_SIZE == 0:
                thread_id = new_id()
                subject = f"{rng.choice(ISSUES)} - {writer.heading()} {n // THREAD_SIZE}"
                rows["thread"].append({
                    "id": thread_id, "workspace_id": ws, "subject": subject,
                    "message_count": THREAD_SIZE, "first_at": now - timedelta(hours=n),
                    "last_at": now - timedelta(hours=n - THREAD_SIZE)})
                ids["threads"].append(thread_id)
            if group_left == 0 and rng.random() < 0.1 / 3.5:
                group_id, group_left, base_text = new_id(), rng.randint(2, 5), _body(writer)
            if group_left:
                text = _variant(base_text, rng)
                group_left -= 1
            else:
                text, group_id = _body(writer), None
            sent = now - timedelta(hours=documents - n)
            rows["document"].append({
                "id": doc_id, "workspace_id": ws, "collection_id": coll,
                "filename": f"message-{n:06d}.eml", "media_type": "message/rfc822",
                "size_bytes": len(text) + 400, "sha256": hashlib.sha256(
                    f"review-{n}".encode()).hexdigest(), "status": "ready",
                "embedding_status": "ready", "preview_status": "none",
                "chunker_version": CHUNKER_VERSION,
                "title": f"Re: message {n}", "page_count": 1, "metadata": {"chunks": 2},
                "processed_at": sent, "created_at": sent, "updated_at": sent})
            rows["page"].append({"workspace_id": ws, "document_id": doc_id, "number": 1,
                                 "text": text})
            half = len(text) // 2
            passages.append((doc_id, [Passage(1, 0, 0, half, text[:half]),
                                      Passage(1, 1, half, len(text), text[half:])]))
            rows["location"].append({
                "workspace_id": ws, "document_id": doc_id, "collection_id": coll,
                "filename": f"message-{n:06d}.eml", "received_at": sent, "via": "cli",
                "source_path": f"/exports/{CUSTODIANS[n % 12]}/inbox/{n}.eml",
                "custodian": CUSTODIANS[n % 12], "uploaded_by_label": "bench",
                "duplicate": False})
            rows["message"].append({
                "workspace_id": ws, "document_id": doc_id, "collection_id": coll,
                "message_id": f"<{n}@example.com>",
                "in_reply_to": f"<{n - 1}@example.com>" if n % THREAD_SIZE else None,
                "reference_ids": [], "subject": f"message {n}", "subject_key": f"message {n}",
                "sender": CUSTODIANS[n % 12], "sender_name": f"Custodian {n % 12}",
                "to_addresses": [CUSTODIANS[(n + 1) % 12]], "cc_addresses": [],
                "sent_at": sent, "identity": hashlib.sha256(f"m{n}".encode()).hexdigest()[:40],
                "thread_id": thread_id})
            if rng.random() < 0.4:
                value = rng.choice(["responsive", "responsive", "not_responsive",
                                    "needs_further_review"])
                privileged = rng.random() < 0.1
                rows["coding"].append({
                    "document_id": doc_id, "workspace_id": ws, "responsiveness": value,
                    "privileged": privileged, "hot": rng.random() < 0.05,
                    "privilege_basis": "legal advice" if privileged else None,
                    "note": None, "updated_at": sent, "updated_by": "bench@example.com"})
                rows["change"].append({
                    "workspace_id": ws, "document_id": doc_id, "field": "responsiveness",
                    "old_value": None, "new_value": value, "created_at": sent,
                    "actor_label": "bench@example.com"})
            if rng.random() < 0.2:
                for issue in rng.sample(issues, rng.randint(1, 2)):
                    rows["issue"].append({"workspace_id": ws, "document_id": doc_id,
                                          "issue_id": issue["id"]})
            hashes, words = minhash.shingle_hashes([text]) if group_id else (None, len(
                text.split()))
            sig = minhash.signature(hashes) if hashes is not None else None
            rows["signature"].append({
                "document_id": doc_id, "workspace_id": ws, "words": words,
                "signature": minhash.to_bytes(sig) if sig is not None else None,
                "group_id": group_id, "computed_at": sent})
            ids["documents"].append(doc_id)
            if rng.random() < ATTACHMENT_SHARE:
                attachment = _attachment(ws, coll, doc_id, n, sent, writer.paragraph())
                for table, row in attachment.items():
                    rows[table].append(row)
                text = attachment["page"]["text"]
                passages.append((attachment["document"]["id"],
                                 [Passage(1, 0, 0, len(text), text)]))
                ids["attachments"].append(attachment["document"]["id"])
        with transaction(bench.runtime.sessions) as session:
            for table, model in (("document", Document), ("page", DocumentPage),
                                 ("location", DocumentLocation), ("thread", MailThread),
                                 ("message", MailMessage), ("coding", DocumentCoding),
                                 ("change", CodingChange), ("issue", DocumentIssue),
                                 ("signature", DocumentSignature)):
                if rows[table]:
                    session.execute(insert(model), rows[table])
            for doc_id, parts in passages:
                indexing.write_chunks(session=session, workspace_id=ws, document_id=doc_id,
                                      passages=parts)
        print(f"  … {serial} documents", flush=True, end="\r")
    print()
    return ids


def kept_ids(data_dir: Path) -> dict[str, list[str]]:
    """The ids `populate` returned, read back from a kept workspace in insertion order (so
    a rerun samples the same documents as the run that built it)."""
    with sqlite3.connect(next(data_dir.glob("*.db"))) as db:
        def ids(sql: str) -> list[str]:
            return [row[0] for row in db.execute(sql)]

        return {"documents": ids("SELECT id FROM document WHERE parent_document_id IS NULL "
                                 "ORDER BY rowid"),
                "threads": ids("SELECT id FROM mail_thread ORDER BY rowid"),
                "attachments": ids("SELECT id FROM document WHERE parent_document_id IS NOT "
                                   "NULL ORDER BY rowid")}


def sign_in(url: str, email: str, password: str) -> httpx.Client:
    """A cookie session, as the web UI signs in; the API accepts the same cookie."""
    client = httpx.Client(base_url=url, timeout=60)
    response = client.post("/api/v1/auth/session", json={"email": email, "password": password})
    response.raise_for_status()
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


def pages(ids: dict[str, list[str]], collection_id: str, rng: random.Random,
          count: int) -> dict[str, list[tuple[str, str, Any]]]:
    """(method, path, body) per page kind, each over `count` different ids or queries."""
    docs = rng.sample(ids["documents"], count)
    threads = rng.sample(ids["threads"], count)
    flags = ["responsive", "not_responsive", "needs_further_review"]
    return {
        "document_page": [("GET", f"/documents/{d}", None) for d in docs],
        "coding_api_get": [("GET", f"/api/v1/review/documents/{d}", None) for d in docs],
        "coding_api_patch": [("PATCH", f"/api/v1/review/documents/{d}",
                              {"responsiveness": rng.choice(flags),
                               "hot": rng.random() < 0.1}) for d in docs],
        "search_page_coding_filters": [
            ("GET", f"/search?q={rng.choice(SEARCH_WORDS)}+{rng.choice(SEARCH_WORDS)}"
                    f"&mode=keyword&responsiveness=responsive&privileged=no", None)
            for _ in range(count)],
        "search_page_plain": [
            ("GET", f"/search?q={rng.choice(SEARCH_WORDS)}+{rng.choice(SEARCH_WORDS)}"
                    f"&mode=keyword", None) for _ in range(count)],
        "collection_page": [("GET", f"/collections/{collection_id}"
                                    f"?offset={rng.randrange(0, 1000) * 50}", None)
                             for _ in range(count)],
        # What static/progress.js polls while an ingest runs (the panel's figures).
        "collection_progress_api": [("GET", f"/api/v1/collections/{collection_id}/progress",
                                     None) for _ in range(count)],
        "thread_page": [("GET", f"/threads/{t}", None) for t in threads],
        "near_duplicates_page": [("GET", f"/collections/{collection_id}/near-duplicates", None)
                                 for _ in range(count)],
    }


def time_requests(client: httpx.Client, requests: list[tuple[str, str, Any]]
                  ) -> dict[str, float]:
    seconds = []
    empty = 0
    for method, path, body in requests:
        started = time.perf_counter()
        response = client.request(method, path, json=body)
        seconds.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        empty += path.startswith("/search") and "/documents/" not in response.text
    return {"p50_ms": round(percentile(seconds, 50), 1),
            "p95_ms": round(percentile(seconds, 95), 1), "max_ms": round(max(seconds), 1),
            "requests": len(seconds), **({"searches_without_hits": empty}
                                         if requests[0][1].startswith("/search") else {})}


PARTIAL_INDEXES = {"ix_document_location_parent": "document_page",
                   "ix_mail_message_duplicate_of": "thread_page",
                   "ix_document_signature_grouped": "near_duplicates_page"}


def without_new_indexes(client: httpx.Client, data_dir: Path, ids: dict[str, list[str]],
                        collection_id: str, rng: random.Random, count: int
                        ) -> dict[str, Any]:
    """The pages the partial indexes serve, timed again after dropping them (as before)."""
    with sqlite3.connect(next(data_dir.glob("*.db"))) as db:
        for index in PARTIAL_INDEXES:
            db.execute(f"DROP INDEX {index}")
    figures = {}
    for kind, requests in pages(ids, collection_id, rng, count).items():
        if kind in PARTIAL_INDEXES.values():
            time_requests(client, requests[:20])  # the server's statements re-prepared
            figures[kind] = time_requests(client, requests)
            print(f"  without index: {kind:<22} p50 {figures[kind]['p50_ms']:7.1f} ms   "
                  f"p95 {figures[kind]['p95_ms']:7.1f} ms", flush=True)
    return figures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--name", default="review_pages")
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the workspace in this (new) folder and keep it, for "
                             "EXPLAIN QUERY PLAN afterwards")
    parser.add_argument("--reuse", type=Path, default=None,
                        help="time the pages on a workspace kept by an earlier --keep run "
                             "(migrated to this code's schema first; not rebuilt)")
    parser.add_argument("--compare-without-indexes", action="store_true",
                        help="then drop the three partial indexes the review pages need "
                             "and time those pages again (the figures before the fix)")
    args = parser.parse_args(argv)
    figures_without: dict[str, Any] = {}
    password = secrets.token_urlsafe(18)
    if args.reuse:
        password = (args.reuse / "bench-password").read_text()
    with tempfile.TemporaryDirectory(prefix="casework-review-") as tmp:
        data_dir = args.reuse or args.keep or Path(tmp) / "data"
        with temporary_runtime(keep_in=data_dir, admin_email="bench@example.com",
                               admin_password=password) as bench:
            started = time.perf_counter()
            ids = kept_ids(data_dir) if args.reuse else populate(bench, args.documents)
            # The tantivy keyword index (the default engine) replays the chunks' change
            # log now, as the server's indexer thread would while the pages are timed.
            catch_up = getattr(bench.runtime.keyword_index, "catch_up", None)
            if catch_up is not None:
                catch_up()
            populated = None if args.reuse else round(time.perf_counter() - started, 1)
            collection_id = bench.collection_id
        if args.keep:
            (args.keep / "bench-password").write_text(password)
        port = free_port()
        env = process_env(data_dir, admin_email="bench@example.com", admin_password=password,
                          rate_limit_requests=1_000_000_000, host="127.0.0.1", port=port)
        server = CaseworkProcess("serve", ["serve"], env, Path(tmp))
        url = f"http://127.0.0.1:{port}"
        try:
            def up() -> bool:
                server.check_alive()
                try:
                    return httpx.get(f"{url}/health", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_until(up, timeout=240, what="the server did not come up")
            client = sign_in(url, "bench@example.com", password)
            rng = random.Random(11)
            load_before = uptime()
            for requests in pages(ids, collection_id, rng, 20).values():  # warm-up
                time_requests(client, requests)
            figures = {}
            for kind, requests in pages(ids, collection_id, rng, args.requests).items():
                figures[kind] = time_requests(client, requests)
                print(f"  {kind:<28} p50 {figures[kind]['p50_ms']:7.1f} ms   p95 "
                      f"{figures[kind]['p95_ms']:7.1f} ms   max {figures[kind]['max_ms']:7.1f}",
                      flush=True)
            if args.compare_without_indexes:
                figures_without = without_new_indexes(client, data_dir, ids, collection_id,
                                                      rng, args.requests)
            load_after = uptime()
        finally:
            server.stop()
    results = {"documents": len(ids["documents"]),
               "reused_workspace": bool(args.reuse), "database": "sqlite", "transport":
               "HTTP to casework serve on 127.0.0.1, one request at a time, cookie session",
               "attachments": len(ids["attachments"]),
               "populate_seconds": populated, "threads": len(ids["threads"]),
               "load_before": load_before, "load_after": load_after, "pages": figures}
    if args.compare_without_indexes:
        results["pages_without_partial_indexes"] = figures_without
    path = write_results(args.name, results)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
