"""Migration 0002_media upgrades and downgrades without touching existing rows."""

from sqlalchemy import inspect, text

from casework.core.database import build_engine
from casework.db import migrate
from tests.conftest import create_collection, ingest, test_settings
from tests.fixtures.files import make_pdf

MEDIA_COLUMNS = {"captured_at", "width", "height", "duration_seconds", "parent_document_id"}


def _columns(engine):
    return {c["name"] for c in inspect(engine).get_columns("document")}


def test_media_columns_come_and_go_and_pages_survive(tmp_path, database_url, make_client):
    settings = test_settings(tmp_path / "data", database_url)
    client = make_client(settings)
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("a.pdf", make_pdf(["kept through migrations"])))[0]
    client.__exit__(None, None, None)
    engine = build_engine(settings.resolved_database_url)
    try:
        assert _columns(engine) >= MEDIA_COLUMNS
        migrate.downgrade(engine, "0001")
        assert not MEDIA_COLUMNS & _columns(engine)
        indexes = {i["name"] for i in inspect(engine).get_indexes("document")}
        assert "ix_document_gallery" not in indexes
        migrate.upgrade(engine)
        assert _columns(engine) >= MEDIA_COLUMNS
        with engine.connect() as conn:
            pages = conn.execute(text("select count(*) from document_page where document_id = "
                                      ":d"), {"d": doc["id"]}).scalar()
            chunks = conn.execute(text("select count(*) from chunk where document_id = :d"),
                                  {"d": doc["id"]}).scalar()
        assert (pages, chunks) == (1, 1)  # rebuilding `document` would have cascaded these
    finally:
        engine.dispose()
