"""Messages users see never name server paths (DATA_DIR, temp files, site-packages):
upload refusals, a failed document's error, its job's error."""

from __future__ import annotations

from pathlib import Path

import pytest

from casework.core.redaction import PLACEHOLDER, redact_paths
from tests.conftest import create_collection, upload, wait_for_documents

BROKEN_MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 300


def _assert_no_paths(text: str, settings) -> None:
    for path in (str(settings.data_dir), str(settings.data_dir.resolve()), "/tmp/",
                 "site-packages", "upload-"):
        assert path not in text, text


def test_an_unreadable_image_refused_at_upload_names_no_path(client, settings):
    collection = create_collection(client)
    response = client.post(
        f"/api/v1/collections/{collection['id']}/documents",
        files=[("files", ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "image/png"))])
    assert response.status_code == 422
    error = response.json()["error"]
    _assert_no_paths(response.text, settings)
    assert "not a readable image" in error["message"] and PLACEHOLDER in error["message"]
    assert error["details"]["reason"] == "unreadable_image"  # not a pixel bomb


def test_a_failed_document_and_its_job_name_no_path(client, settings):
    collection = create_collection(client)
    (uploaded,) = upload(client, collection["id"], ("broken.mp4", BROKEN_MP4))
    (document,) = wait_for_documents(client, [uploaded["document"]["id"]])
    assert document["status"] == "failed"
    assert "not a readable audio or video file" in document["error"]
    _assert_no_paths(document["error"], settings)
    jobs = client.get("/api/v1/jobs", params={"status": "failed"}).json()
    assert jobs and all(job["error"] for job in jobs)
    for job in jobs:
        _assert_no_paths(job["error"], settings)


@pytest.mark.parametrize(("text", "expected"), [
    ("cannot identify image file '/srv/cw/data/tmp/upload-x1'",
     f"cannot identify image file '{PLACEHOLDER}'"),
    ("in /opt/venv/lib/python3.11/site-packages/PIL/Image.py, line 3",
     f"in {PLACEHOLDER}, line 3"),
    ("failed on data/blobs/ab/abcdef", f"failed on {PLACEHOLDER}"),
    ("Invalid data found", "Invalid data found"),
    ("start the enrolment first (POST /auth/2fa/setup)",
     "start the enrolment first (POST /auth/2fa/setup)"),
    ("an S3 location needs a bucket: s3://bucket/prefix/",
     "an S3 location needs a bucket: s3://bucket/prefix/"),
    ("see https://example.org/tmp/help", "see https://example.org/tmp/help"),
    ("text/plain or application/pdf", "text/plain or application/pdf"),
])
def test_paths_are_replaced_and_other_slashes_kept(text, expected):
    assert redact_paths(text, roots=[Path("data"), "/srv/cw/data"]) == expected
