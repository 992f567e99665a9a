"""Share-link fixtures: an event with photos and a memo, shared through the API."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tests.conftest import create_collection, ingest, test_settings
from tests.fixtures.accounts import anonymous
from tests.fixtures.media import photo

# In every name and text the links must NOT expose; what they do share never holds it.
SECRET = "quokkasecretmarker"


@pytest.fixture
def client(tmp_path, database_url, make_client):
    """OCR off: these tests read photos' thumbnails, never their words."""
    return make_client(test_settings(tmp_path / "data", database_url, ocr_enabled=False))


@pytest.fixture
def make_embedded(tmp_path, make_client):
    """For behaviour that does not depend on the database (pages, limits): SQLite only."""
    def make(**overrides):
        return make_client(test_settings(tmp_path / "data", None, ocr_enabled=False,
                                         **overrides))
    return make


@dataclass
class Event:
    collection_id: str
    photo_ids: list[str]  # newest capture first, as the gallery shows them
    memo_id: str  # a text document of the event: in a collection link, not in its gallery
    photos: dict[str, bytes]  # the uploaded bytes, by document id


def make_event(client: TestClient) -> Event:
    collection = create_collection(client, "Harbour gala", kind="event", reference="EV-7")
    files = {"gala-1.jpg": photo(800, 600, seed=1, captured="2024:06:01 20:00:00"),
             "gala-2.jpg": photo(640, 480, seed=2, color=(200, 40, 40),
                                 captured="2024:06:01 21:00:00", gps=(51.5072, -0.1276)),
             f"{SECRET}-memo.txt": f"budget notes {SECRET}".encode()}
    docs = ingest(client, collection["id"], *files.items())
    by_name = {d["filename"]: d["id"] for d in docs}
    return Event(collection_id=collection["id"],
                 photo_ids=[by_name["gala-2.jpg"], by_name["gala-1.jpg"]],
                 memo_id=by_name[f"{SECRET}-memo.txt"],
                 photos={by_name[n]: files[n] for n in ("gala-1.jpg", "gala-2.jpg")})


@pytest.fixture
def event(client) -> Event:
    return make_event(client)


def share(client: TestClient, target_type: str, target_id: str, **body: object) -> dict:
    response = client.post("/api/v1/shares", json={"target_type": target_type,
                                                   "target_id": target_id, **body})
    assert response.status_code == 201, response.text
    return response.json()


def visitor(client: TestClient, ip: str = "198.51.100.7", agent: str = "TestBrowser/1.0"
            ) -> TestClient:
    """Someone holding a link: no account, no cookies, their own address and browser."""
    other = TestClient(client.app, raise_server_exceptions=False, client=(ip, 40000),
                       headers={"User-Agent": agent})
    return other


__all__ = ["SECRET", "Event", "anonymous", "make_event", "share", "visitor"]
