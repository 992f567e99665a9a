"""Tag suggestions and daily runs on the web pages, posted as a browser posts its forms:
Accept adds the tag and the suggestion leaves the page, Reject is recorded, a viewer is
refused exactly as by the API, and the admin page lists the runs with their metrics."""

from __future__ import annotations

from datetime import timedelta

from casework.core.database import transaction, utcnow
from casework.learning.models import LearningRun, RunStatus, TagSuggestion
from tests.conftest import OWNER_EMAIL, create_collection, ingest
from tests.fixtures.accounts import PASSWORD, add_member, signed_in


def stored_suggestions(client, document_id: str, tags: dict[str, float]) -> dict[str, str]:
    """Pending suggestions stored as a daily run leaves them (training one needs twenty
    tagged documents; these tests are about what people do with them). Ids by tag."""
    workspace_id = client.get("/api/v1/workspaces/current").json()["id"]
    with transaction(client.app.state.runtime.sessions) as session:
        rows = [TagSuggestion(workspace_id=workspace_id, document_id=document_id, tag=tag,
                              confidence=confidence) for tag, confidence in tags.items()]
        session.add_all(rows)
        session.flush()
        return {row.tag: row.id for row in rows}


def _memo(client) -> str:
    collection = create_collection(client)
    [document] = ingest(client, collection["id"], ("storm.txt", b"Gale and heavy rain."))
    return document["id"]


def _pending_tags(client, document_id: str) -> list[str]:
    response = client.get(f"/api/v1/documents/{document_id}/suggestions")
    assert response.status_code == 200, response.text
    return [s["tag"] for s in response.json()]


def test_accept_adds_the_tag_and_reject_is_recorded_from_the_document_page(client):
    document_id = _memo(client)
    ids = stored_suggestions(client, document_id, {"weather": 0.87, "shipping": 0.61})
    browser, csrf = signed_in(client)

    page = browser.get(f"/documents/{document_id}")
    assert page.status_code == 200
    assert "Suggested tags" in page.text and "87% confident" in page.text
    assert page.text.index('data-tag="weather"') < page.text.index('data-tag="shipping"')
    assert f"/suggestions/{ids['weather']}/accept" in page.text

    # Without the form's CSRF token nothing happens.
    forged = browser.post(f"/documents/{document_id}/suggestions/{ids['weather']}/accept",
                          follow_redirects=False)
    assert forged.status_code == 403
    assert _pending_tags(client, document_id) == ["weather", "shipping"]

    accepted = browser.post(f"/documents/{document_id}/suggestions/{ids['weather']}/accept",
                            data={"csrf_token": csrf}, follow_redirects=False)
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/documents/{document_id}#suggestions"
    assert client.get(f"/api/v1/documents/{document_id}").json()["tags"] == ["weather"]
    page = browser.get(f"/documents/{document_id}").text
    assert 'data-tag="weather"' not in page and 'value="weather"' in page

    rejected = browser.post(f"/documents/{document_id}/suggestions/{ids['shipping']}/reject",
                            data={"csrf_token": csrf}, follow_redirects=False)
    assert rejected.status_code == 303
    assert _pending_tags(client, document_id) == []
    assert client.get(f"/api/v1/documents/{document_id}").json()["tags"] == ["weather"]
    assert "Suggested tags" not in browser.get(f"/documents/{document_id}").text
    events = client.get("/api/v1/audit", params={"action": "tag_suggestion."}).json()["items"]
    assert sorted((e["action"], e["details"]["tag"], e["actor_label"]) for e in events) == [
        ("tag_suggestion.accept", "weather", OWNER_EMAIL),
        ("tag_suggestion.reject", "shipping", OWNER_EMAIL)]

    # A decided suggestion cannot be decided again.
    again = browser.post(f"/documents/{document_id}/suggestions/{ids['shipping']}/accept",
                         data={"csrf_token": csrf}, headers={"Accept": "text/html"})
    assert again.status_code == 409 and "already rejected" in again.text


def test_a_viewer_sees_suggestions_but_cannot_accept_them_on_the_web_or_the_api(client):
    document_id = _memo(client)
    ids = stored_suggestions(client, document_id, {"weather": 0.9})
    viewer_api = add_member(client, "viewer", "viewer@example.test")
    browser, csrf = signed_in(client, "viewer@example.test", PASSWORD)

    page = browser.get(f"/documents/{document_id}").text
    assert 'data-tag="weather"' in page and "/accept" not in page  # no buttons to click
    for action in ("accept", "reject"):
        url = f"/documents/{document_id}/suggestions/{ids['weather']}/{action}"
        refused = browser.post(url, data={"csrf_token": csrf},
                               headers={"Accept": "text/html"}, follow_redirects=False)
        assert refused.status_code == 403 and "write is needed" in refused.text
        api = viewer_api.post(f"/api/v1{url}")
        assert api.status_code == 403 and api.json()["error"]["code"] == "forbidden"
    assert _pending_tags(client, document_id) == ["weather"]
    assert client.get(f"/api/v1/documents/{document_id}").json()["tags"] == []


def test_the_admin_page_lists_the_daily_runs_with_their_metrics(client):
    workspace_id = client.get("/api/v1/workspaces/current").json()["id"]
    browser, _ = signed_in(client)
    assert "No daily run yet." in browser.get("/admin").text
    now = utcnow()
    with transaction(client.app.state.runtime.sessions) as session:
        session.add_all([
            LearningRun(workspace_id=workspace_id, status=RunStatus.skipped, horizon_days=90,
                        reason="12 documents were tagged in the last 90 days; 20 are needed",
                        examples=12, started_at=now - timedelta(days=1),
                        duration_seconds=0.2),
            LearningRun(workspace_id=workspace_id, status=RunStatus.succeeded,
                        horizon_days=90, examples=240, held_out=48, accuracy=0.8125,
                        macro_f1=0.7731, suggestions=31, duration_seconds=12.34,
                        model_version="20250101T020000Z-abc123", started_at=now)])

    page = browser.get("/admin").text
    table = page[page.index('id="learning-h"'):page.index('id="audit-h"')]
    rows = table.split("<tbody>")[1].split("</tr>")
    assert "succeeded" in rows[0] and "skipped" in rows[1]  # newest first
    for figure in ("240", "48", "0.812", "0.773", "31", "12.3 s", "20250101T020000Z-abc123"):
        assert figure in rows[0], figure
    assert "20 are needed" in rows[1]
