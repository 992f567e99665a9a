"""Moving up: an embedded installation copied into PostgreSQL + S3, then served from there."""

import uuid

import pytest
from typer.testing import CliRunner

from casework.cli.main import app
from tests.conftest import create_collection, ingest, test_settings
from tests.fixtures.files import make_pdf
from tests.fixtures.scaleout import S3_ACCESS_KEY, S3_SECRET_KEY

pytestmark = pytest.mark.scaleout


def test_migrate_data_copies_everything_and_verifies(tmp_path, postgres_url, s3_server,
                                                     make_client, monkeypatch):
    # (make_client after postgres_url: its apps stop before the database is dropped)
    embedded = test_settings(tmp_path / "data")
    client = make_client(embedded)
    collection = create_collection(client)
    pdf = make_pdf(["The salamander report", "was filed twice."])
    docs = ingest(client, collection["id"], ("report.pdf", pdf),
                  ("note.txt", b"a quiet salamander"))
    client.__exit__(None, None, None)  # stop the embedded server first

    bucket = f"cwtest-{uuid.uuid4().hex[:10]}"
    for name, value in {"DATA_DIR": str(embedded.data_dir), "S3_ENDPOINT_URL":
                        s3_server.endpoint_url, "S3_ACCESS_KEY_ID": S3_ACCESS_KEY,
                        "S3_SECRET_ACCESS_KEY": S3_SECRET_KEY, "ENVIRONMENT": "test",
                        "DATABASE_URL": ""}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["migrate-data", "--to-database", postgres_url,
                                      "--to-s3-bucket", bucket])
    assert result.exit_code == 0, result.output
    assert "document" in result.output and "verified" in result.output

    scaled = make_client(test_settings(
        tmp_path / "elsewhere", postgres_url, s3_endpoint_url=s3_server.endpoint_url,
        s3_bucket=bucket, s3_access_key_id=S3_ACCESS_KEY, s3_secret_access_key=S3_SECRET_KEY))
    hits = scaled.get("/api/v1/search", params={"q": "salamander", "mode": "keyword"}).json()
    assert {h["document_id"] for h in hits["hits"]} == {d["id"] for d in docs}
    original = scaled.get(f"/api/v1/documents/{docs[0]['id']}/original")
    assert original.status_code == 200 and original.content == pdf
    # New rows get new ids after the copied ones (sequences moved on).
    more = ingest(scaled, collection["id"], ("later.txt", b"another salamander"))
    assert more[0]["status"] == "ready"
    again = CliRunner().invoke(app, ["migrate-data", "--to-database", postgres_url])
    assert again.exit_code == 1 and "already holds" in again.output
