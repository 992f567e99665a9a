"""Large mailboxes over HTTP: a mailbox is held to its own message limit, not the archive
member limit; its messages are stored a few per transaction; and its job run again (as after
a crash) stores no message twice and records no arrival twice."""

from __future__ import annotations

import time

from casework.core.database import transaction
from casework.documents.models import Document
from casework.ingest.job_kinds import PROCESS_DOCUMENT
from casework.jobs import service as jobs_service
from tests.conftest import create_collection, ingest, test_settings, upload, wait_for_documents
from tests.fixtures.archives import make_zip
from tests.mail.messages import collection_documents, mailbox, message

PEOPLE = ["anna@harbour.example", "bo@harbour.example", "carla@cranes.example"]


def _messages(count: int) -> list[bytes]:
    """Two threads by ids (one with an attachment) and one by subject alone."""
    out = []
    for number in range(count):
        thread = number % 3
        first = number < 3
        out.append(message(
            sender=PEOPLE[number % 3], to=PEOPLE[(number + 1) % 3],
            subject=("" if first else "Re: ") + f"berth schedule {thread}",
            date=f"Mon, {3 + number:02d} Mar 2025 09:00:00 +0000",
            message_id=f"<m{number}@harbour.example>" if thread != 2 else None,
            in_reply_to=None if first or thread == 2 else f"<m{number - 3}@harbour.example>",
            body=f"Message {number} about the berth, word pelorus{number}.",
            attachment=("tide-table.txt", b"high water 06:12") if number == 4 else None))
    return out


def _settled(client, collection_id: str, *files: tuple[str, bytes]) -> list[dict]:
    uploaded = upload(client, collection_id, *files)
    return wait_for_documents(client, [u["document"]["id"] for u in uploaded])


def _children(client, document_id: str) -> dict:
    response = client.get(f"/api/v1/documents/{document_id}/children",
                          params={"limit": 100})
    assert response.status_code == 200, response.text
    return response.json()


def _wait_job(client, job_id: int, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_a_mailbox_past_the_archive_limit_is_stored_in_batches_and_resumes(
        tmp_path, database_url, make_client):
    client = make_client(test_settings(
        tmp_path / "data", database_url, container_max_members=3,
        container_commit_members=2))
    case = create_collection(client, "Harbour")

    # The archive limit still holds for archives ...
    [archive] = _settled(client, case["id"], ("four.zip", make_zip(
        {f"f{n}.txt": f"file {n}".encode() for n in range(4)})))
    assert archive["status"] == "failed"
    assert "CONTAINER_MAX_MEMBERS" in archive["error"]

    # ... not for a mailbox: 7 messages, stored two per transaction.
    [box] = ingest(client, case["id"], ("harbour.mbox", mailbox(*_messages(7))))
    assert box["status"] == "ready", box
    docs = collection_documents(client, case["id"], expected=2 + 7 + 1)
    messages = [d for d in docs if d["parent_document_id"] == box["id"]]
    assert len(messages) == 7 and all(d["status"] == "ready" for d in messages)
    assert box["metadata"]["container"]["documents"] == 7

    def stored() -> tuple[list, list, list]:
        children = _children(client, box["id"])
        arrivals = [client.get(f"/api/v1/documents/{m['document_id']}/custody").json()
                    ["locations"] for m in children["items"]]
        threads = client.get("/api/v1/threads", params={"collection_id": case["id"]}).json()
        return children["items"], arrivals, threads["items"]

    children, arrivals, threads = stored()
    assert children and all(len(found) == 1 and found[0]["via"] == "mailbox"
                            for found in arrivals)
    assert sorted(t["message_count"] for t in threads) == [2, 2, 3]

    # The mailbox's job again, as the job runner reruns one whose worker died mid-way:
    # every message is found by its bytes, no document, arrival or thread is added.
    runtime = client.app.state.runtime
    with transaction(runtime.sessions) as session:
        workspace_id = session.get(Document, box["id"]).workspace_id
        job = jobs_service.enqueue(session=session, kind=PROCESS_DOCUMENT,
                                   payload={"document_id": box["id"]},
                                   workspace_id=workspace_id)
        session.flush()
        job_id = job.id
    assert _wait_job(client, job_id)["status"] == "succeeded"
    again = client.get(f"/api/v1/documents/{box['id']}").json()
    assert again["status"] == "ready"
    assert again["metadata"]["container"]["documents"] == 7
    assert stored() == (children, arrivals, threads)
    listed = client.get("/api/v1/documents", params={"collection_id": case["id"],
                                                     "limit": 200}).json()["items"]
    assert len(listed) == len(docs)


def test_a_mailbox_past_its_own_limit_is_refused_naming_it(tmp_path, database_url,
                                                            make_client):
    client = make_client(test_settings(tmp_path / "data", database_url,
                                       mailbox_max_messages=5))
    case = create_collection(client, "Harbour")
    [box] = _settled(client, case["id"], ("harbour.mbox", mailbox(*_messages(7))))
    assert box["status"] == "failed"
    assert "MAILBOX_MAX_MESSAGES" in box["error"] and "limit 5" in box["error"]
