"""Redaction over HTTP: redact by preset and terms (accepted search hits) and by a drawn
region, produce the copy, and read it back as a recipient would: its text layer and the
OCR of its pages show none of the redacted words, and still show the rest."""

from __future__ import annotations

import csv
import io

from tests.conftest import create_collection, ingest
from tests.fixtures.files import make_pdf
from tests.fixtures.media import scanned_pdf
from tests.redaction.conftest import (
    CAROL_REGION,
    RED_MARK,
    SECRETS,
    memo_pdf,
    pixel,
    read_back,
)


def _accept(client, document_id: str, found: dict, reason: str) -> list[dict]:
    """What the web page does when the user accepts every proposal: one box per line."""
    items = [{"page": hit["page"], "x0": box[0], "y0": box[1], "x1": box[2], "y1": box[3],
              "reason": reason, "source": "search", "found_by": hit["label"]}
             for hit in found["hits"] for box in hit["boxes"]]
    response = client.post(f"/api/v1/documents/{document_id}/redactions",
                           json={"redactions": items})
    assert response.status_code == 201, response.text
    return response.json()


def test_redacted_copy_hides_every_redacted_word_and_keeps_the_rest(client):
    collection = create_collection(client, "Harbour")
    doc = ingest(client, collection["id"], ("memo.pdf", memo_pdf()))[0]
    reasons = [r["label"] for r in client.get("/api/v1/redaction-reasons").json()]
    assert "Privacy" in reasons and "Privilege: attorney-client" in reasons

    found = client.post(f"/api/v1/documents/{doc['id']}/redactions/search", json={
        "presets": ["email", "phone"], "terms": ["bob smith"]}).json()
    assert sorted((h["label"], h["text"]) for h in found["hits"]) == [
        ("email", "alice@example.com"), ("phone", "+1 555 123 4567"), ("terms", "Bob Smith")]
    assert all(h["page"] == 1 for h in found["hits"])
    # Proposals are not stored until accepted.
    assert client.get(f"/api/v1/documents/{doc['id']}/redactions").json() == []
    _accept(client, doc["id"], found, "Privacy")
    drawn = client.post(f"/api/v1/documents/{doc['id']}/redactions", json={
        "redactions": [{**CAROL_REGION, "reason": "Privilege: attorney-client"}]})
    assert drawn.status_code == 201, drawn.text

    copy = client.post(f"/api/v1/documents/{doc['id']}/redacted-copy")
    assert copy.status_code == 201, copy.text
    copy = copy.json()
    assert copy["verified"], copy["verification"]
    assert copy["redacted_pages"] == [1, 2] and copy["page_count"] == 3
    assert copy["verification"]["words_checked"] >= 5 and not copy["stale"]

    download = client.get(copy["download_url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    seen = read_back(download.content)
    for secret in SECRETS:
        for where in ("text", "ocr"):
            for number, page in enumerate(seen[where], start=1):
                assert secret.lower() not in " ".join(page.split()).lower(), (
                    secret, where, number)
    # What was not under a box is still there, in the text layer and in the picture.
    assert "quarterly" in seen["text"][0] and "quarterly" in seen["ocr"][0]
    assert "Witness" in seen["text"][1] and "harbour" in seen["ocr"][1]
    assert "bananas" in seen["text"][2]  # page 3 had no redaction: copied as it was
    assert seen["annotations"] == 0 and seen["attachments"] == 0
    assert "Title" not in seen["metadata"] and "Author" not in seen["metadata"]
    # The redacted page is a picture in colour: its red mark stays red, the box is black.
    red, green, blue = pixel(download.content, 2, RED_MARK)
    assert red > 150 and green < 90 and blue < 90, (red, green, blue)
    centre = ((CAROL_REGION["x0"] + CAROL_REGION["x1"]) / 2,
              (CAROL_REGION["y0"] + CAROL_REGION["y1"]) / 2)
    assert max(pixel(download.content, 2, centre)) < 40
    # The original is untouched.
    original = client.get(f"/api/v1/documents/{doc['id']}/original").content
    assert "Carol Jones" in read_back(original)["text"][1]


def test_a_scanned_page_is_redacted_from_its_ocr_word_boxes(client):
    collection = create_collection(client, "Scans")
    lines = ["Please call Dana Whitfield today", "about the harbour lease"]
    doc = ingest(client, collection["id"], ("scan.pdf", scanned_pdf([lines])))[0]
    found = client.post(f"/api/v1/documents/{doc['id']}/redactions/search",
                        json={"terms": ["Dana Whitfield"]}).json()
    assert found["ocr_pages"] == [1]
    assert [h["text"] for h in found["hits"]] == ["Dana Whitfield"]
    [box] = _accept(client, doc["id"], found, "Privacy")
    copy = client.post(f"/api/v1/documents/{doc['id']}/redacted-copy").json()
    assert copy["verified"], copy["verification"]
    assert copy["verification"]["words_checked"] == 2  # Dana, Whitfield: read, not found
    data = client.get(copy["download_url"]).content
    seen = read_back(data)
    for where in ("text", "ocr"):
        assert "whitfield" not in seen[where][0].lower() and "dana" not in seen[where][0].lower()
    assert "harbour" in seen["ocr"][0]
    # A reader sees a black box; the text layer was read with the box as blank paper, so
    # "today", which touches the box, is whole, and the box itself reads as nothing (a
    # black box read as text comes out as "TTT" or "is os").
    x0, y0, x1, y1 = box["region"]
    assert max(pixel(data, 1, ((x0 + x1) / 2, (y0 + y1) / 2))) < 40
    tokens = seen["text"][0].split()
    shown = " ".join(lines).replace("Dana Whitfield", "").lower()
    assert "today" in tokens, tokens
    assert all(token.lower() in shown for token in tokens), tokens


def test_log_audit_reasons_and_refusals(client):
    collection = create_collection(client, "Log")
    doc = ingest(client, collection["id"], ("memo.pdf", memo_pdf()))[0]
    url = f"/api/v1/documents/{doc['id']}/redactions"
    made = client.post(url, json={"redactions": [{**CAROL_REGION, "reason": "Privacy"}]})
    assert made.status_code == 201
    redaction = made.json()[0]
    assert redaction["region"] == [0.181, 0.325, 0.4, 0.37]

    # A reason of the workspace's own, then refused once it is deleted.
    reason = client.post("/api/v1/redaction-reasons", json={"label": "Trade secret"}).json()
    assert reason["built_in"] is False
    assert client.post("/api/v1/redaction-reasons",
                       json={"label": "Trade secret"}).status_code == 409
    second = client.post(url, json={"redactions": [
        {"page": 1, "x0": 0.1, "y0": 0.1, "x1": 0.2, "y1": 0.2, "reason": "Trade secret"}]})
    assert second.status_code == 201
    assert client.delete(f"/api/v1/redaction-reasons/{reason['id']}").status_code == 204
    refused = client.post(url, json={"redactions": [
        {"page": 1, "x0": 0.1, "y0": 0.1, "x1": 0.2, "y1": 0.2, "reason": "Trade secret"}]})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_input"

    log = client.get(f"{url}/log").json()["items"]
    assert [(r["page"], r["reason"]) for r in log] == [(1, "Trade secret"), (2, "Privacy")]
    assert log[1]["filename"] == "memo.pdf" and log[1]["created_by"]
    rows = list(csv.DictReader(io.StringIO(client.get(
        f"/api/v1/collections/{collection['id']}/redactions/log",
        params={"format": "csv"}).text)))
    assert [(r["page"], r["reason"], r["x0"]) for r in rows] == [
        ("1", "Trade secret", "0.1"), ("2", "Privacy", "0.181")]

    copy = client.post(f"/api/v1/documents/{doc['id']}/redacted-copy").json()
    assert client.get(copy["download_url"]).status_code == 200
    assert client.delete(f"{url}/{redaction['id']}").status_code == 204
    # The boxes changed: the copy is stale and not served until drawn again.
    stale = client.get(f"/api/v1/documents/{doc['id']}/redacted-copy").json()
    assert stale["stale"] is True and stale["download_url"] is None
    refused = client.get(copy["download_url"])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "redaction_stale"
    actions = [e["action"] for e in client.get(
        "/api/v1/audit", params={"action": "redaction."}).json()["items"]]
    for action in ("redaction.create", "redaction.delete", "redaction.produce",
                   "redaction.download", "redaction.reason_add", "redaction.reason_delete"):
        assert action in actions, (action, actions)

    # Refusals: a box off the page, a page it does not have, a text file, a bad pattern.
    for bad in ({"x0": 0.5, "x1": 1.5}, {"page": 9}, {"x1": 0.1805}):
        body = {**CAROL_REGION, "reason": "Privacy", **bad}
        assert client.post(url, json={"redactions": [body]}).status_code == 422, bad
    text = ingest(client, collection["id"], ("note.txt", b"alice@example.com"))[0]
    assert client.post(f"/api/v1/documents/{text['id']}/redactions", json={
        "redactions": [{**CAROL_REGION, "reason": "Privacy"}]}).status_code == 422
    for search in ({"pattern": "(unclosed"}, {}, {"presets": ["ssn"]}):
        assert client.post(f"{url}/search", json=search).status_code == 422, search


def test_collection_search_and_another_workspace(client):
    collection = create_collection(client, "Many")
    first, second = ingest(client, collection["id"], ("memo.pdf", memo_pdf()),
                           ("other.pdf", make_pdf(["Write to carol@example.org today."])))
    found = client.post(f"/api/v1/collections/{collection['id']}/redactions/search",
                        json={"presets": ["email"]}).json()
    assert {f["filename"]: [h["text"] for h in f["hits"]] for f in found} == {
        "memo.pdf": ["alice@example.com"], "other.pdf": ["carol@example.org"]}
    client.post(f"/api/v1/documents/{first['id']}/redactions",
                json={"redactions": [{**CAROL_REGION, "reason": "Privacy"}]})
    other = client.post("/api/v1/workspaces", json={"name": "Elsewhere"}).json()
    client.headers["X-Workspace"] = other["slug"]
    try:
        for path in (f"/api/v1/documents/{first['id']}/redactions",
                     f"/api/v1/documents/{first['id']}/redactions/log",
                     f"/api/v1/collections/{collection['id']}/redactions/log"):
            assert client.get(path).status_code == 404, path
        assert client.post(f"/api/v1/documents/{second['id']}/redacted-copy"
                           ).status_code == 404
        assert [r["built_in"] for r in client.get("/api/v1/redaction-reasons").json()] == [
            True] * 5
    finally:
        del client.headers["X-Workspace"]


def test_a_copy_that_still_shows_a_redacted_word_fails_its_check_and_is_not_served(client):
    collection = create_collection(client, "Twice")
    doc = ingest(client, collection["id"], ("twice.pdf", make_pdf(
        ["Signed by Carol Jones.\n\nCopied to Carol Jones and the harbour master."])))[0]
    found = client.post(f"/api/v1/documents/{doc['id']}/redactions/search",
                        json={"terms": ["Carol Jones"]}).json()
    assert len(found["hits"]) == 2
    found["hits"] = found["hits"][:1]  # the user accepts only the first occurrence
    _accept(client, doc["id"], found, "Privacy")
    copy = client.post(f"/api/v1/documents/{doc['id']}/redacted-copy").json()
    assert copy["verified"] is False and copy["download_url"] is None
    assert {(leak["page"], leak["word"]) for leak in copy["verification"]["leaks"]} >= {
        (1, "carol"), (1, "jones")}
    refused = client.get(f"/api/v1/documents/{doc['id']}/redacted-copy/download")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "redaction_unverified"
