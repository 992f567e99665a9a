"""The timeline in a real browser against a real server: open it from the collection page,
filter by a date range, click an event's citation, land on the highlighted sentence."""

from __future__ import annotations

import pytest

from tests.timeline.conftest import DIARY, LETTER

pytestmark = pytest.mark.slow


def _wait_for_entity_jobs(client, page, count: int) -> None:
    for _ in range(600):
        jobs = [j for j in client.get("/api/v1/jobs", params={"limit": 200}).json()
                if j["kind"] == "extract_entities"]
        if len(jobs) == count and all(j["status"] == "succeeded" for j in jobs):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"entity jobs did not finish: {jobs}")


def test_a_timeline_citation_opens_the_highlighted_sentence(tmp_path, browser_page):
    from tests.fixtures.browser import sign_in
    from tests.fixtures.server import ServerProcess

    page = browser_page
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false", ENTITY_EXTRACTION="true")
    client = server.start()
    try:
        collection = client.post("/api/v1/collections", json={"name": "Harbour Road"}).json()
        uploaded = client.post(f"/api/v1/collections/{collection['id']}/documents", files=[
            ("files", ("a-diary.txt", DIARY, "text/plain")),
            ("files", ("b-letter.txt", LETTER, "text/plain"))])
        assert uploaded.status_code == 202, uploaded.text
        _wait_for_entity_jobs(client, page, 2)

        sign_in(page, server.url)
        page.get_by_role("link", name="Harbour Road").click()
        page.get_by_role("link", name="Timeline of dated events").click()
        page.wait_for_url("**/timeline")
        assert page.locator(".tl-event").count() == 7

        page.get_by_label("From").fill("2024-04-01")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url("**/timeline?*")
        event = page.locator(".tl-event").first
        assert "The insurer paid" in event.locator("blockquote").inner_text()
        sentence = event.locator("blockquote").inner_text()
        event.get_by_role("link", name="a-diary.txt, page 1").click()
        page.wait_for_url("**/documents/*")
        passage = page.locator("#page-1 mark#passage")
        assert passage.is_visible()
        assert " ".join(passage.inner_text().split()) == " ".join(sentence.split())
    finally:
        client.close()
        server.stop()
