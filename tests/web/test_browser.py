"""The web UI in a real browser (Debian chromium driven by Playwright) against a real server.

Sign in → create a case → upload a PDF and a photo → both become ready → search finds the
PDF's page → open it → ask the case a question and open its citation, the passage
highlighted → a file that is too large shows the refusal. Screenshots of the main
pages are written to docs/screenshots/ (the README shows them).
"""

from __future__ import annotations

import io
import time

import pytest

from tests.conftest import OWNER_EMAIL as EMAIL
from tests.conftest import OWNER_PASSWORD as PASSWORD
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.files import make_pdf
from tests.fixtures.server import ServerProcess

pytestmark = pytest.mark.slow

def _photo_bytes() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (640, 480), (40, 120, 200))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def test_a_new_user_works_a_case_in_the_browser(tmp_path, browser_page):
    page = browser_page
    files = tmp_path / "files"
    files.mkdir()
    (files / "incident-report.pdf").write_bytes(make_pdf([
        "Incident report, harbour district. Summary of events.",
        "At 23:10 the night watchman saw smoke rising from warehouse seven.",
    ]))
    (files / "scene.jpg").write_bytes(_photo_bytes())
    (files / "huge.txt").write_bytes(b"x" * 300_000)

    server = ServerProcess(tmp_path / "data", MAX_UPLOAD_BYTES="200000",
                           SEMANTIC_SEARCH="false")
    server.start()
    try:
        page.goto(f"{server.url}/collections")
        assert "/login" in page.url  # pages need a session
        shot(page, "login")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Sign in").click()
        assert page.get_by_role("alert").is_visible()
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/collections")
        assert page.get_by_text("No collections yet.").is_visible()

        page.get_by_label("Name").fill("Harbour fire")
        page.get_by_label("Kind").select_option("case")
        page.get_by_label("Reference number").fill("HB-2024-17")
        page.get_by_role("button", name="Create collection").click()
        page.wait_for_url("**/collections/*")
        assert page.get_by_role("heading", name="Harbour fire").is_visible()

        page.set_input_files("#file-input", [str(files / "incident-report.pdf"),
                                             str(files / "scene.jpg")])
        uploads = page.locator("#upload-list li")
        for name in ("incident-report.pdf", "scene.jpg"):
            row = uploads.filter(has_text=name)
            row.locator(".status-ready").wait_for(timeout=60_000)
        page.locator("#documents tr", has_text="incident-report.pdf").wait_for()
        shot(page, "collection")
        page.get_by_role("combobox", name="View").select_option("gallery")
        thumb = page.locator(".gallery img[alt='scene.jpg']")
        thumb.wait_for()
        # "Ready" is the text; the thumbnail is drawn by a job after it (previews follow
        # text), so on a busy machine the first gallery may come before the picture.
        deadline = time.monotonic() + 60
        while not thumb.evaluate("img => img.complete && img.naturalWidth > 0"):
            assert time.monotonic() < deadline, "the photo's thumbnail never loaded"
            page.wait_for_timeout(500)
            page.reload()
            thumb.wait_for()
        shot(page, "gallery")
        page.get_by_role("combobox", name="View").select_option("list")

        page.set_input_files("#file-input", [str(files / "huge.txt")])
        refused = uploads.filter(has_text="huge.txt")
        refused.locator(".status-refused").wait_for()
        assert "limit" in refused.inner_text()

        page.get_by_role("link", name="Search").click()
        page.get_by_label("Search").fill("smoke warehouse")
        page.get_by_label("Mode").select_option("keyword")
        page.get_by_role("button", name="Search").click()
        hit = page.locator(".hit").first
        assert "page 2" in hit.inner_text()
        assert hit.locator("mark").first.inner_text().lower() in {"smoke", "warehouse"}
        shot(page, "search")

        hit.get_by_role("link").click()
        page.wait_for_url("**/documents/*")
        assert page.locator("#page-2[data-highlight]").is_visible()
        assert "night watchman" in page.locator("#page-2").inner_text()
        assert page.get_by_text("SHA-256").is_visible()
        shot(page, "document")

        page.get_by_role("link", name="Harbour fire").click()
        page.get_by_label("Question").fill(
            "When did the night watchman see smoke rising from warehouse seven?")
        page.get_by_role("button", name="Ask", exact=True).click()
        page.wait_for_url("**/ask?*")
        answer = page.locator("#answer")
        assert "night watchman saw smoke" in answer.locator(".answer-text").inner_text()
        shot(page, "ask")
        answer.locator(".citations a").first.click()
        page.wait_for_url("**/documents/*")
        passage = page.locator("#page-2 mark#passage")
        assert passage.is_visible()
        assert "night watchman saw smoke" in passage.inner_text()

        page.get_by_role("link", name="Notes").click()
        page.get_by_role("link", name="New note").click()
        page.get_by_label("Title").fill("Witness call")
        page.get_by_label("Markdown").fill("Spoke to the **night watchman**.")
        page.locator("#note-preview strong").wait_for()
        page.get_by_role("button", name="Save note").click()
        page.wait_for_url("**/notes/*")
        shot(page, "note")

        page.get_by_role("link", name="Admin").click()
        page.get_by_label("Name").fill("CI uploader")
        page.get_by_role("button", name="Create key").click()
        secret = page.locator("code.secret").inner_text()
        assert secret.startswith("cwk_")
        assert page.locator("#keys").get_by_text("CI uploader").is_visible()
        assert page.locator("#audit").get_by_text("api_key.create").first.is_visible()
        assert "2 documents" in page.locator("#usage").inner_text()
        shot(page, "admin")

        page.get_by_role("link", name="Account").click()
        page.get_by_role("button", name="Set up").click()
        assert page.locator(".qr svg").is_visible()
        shot(page, "account")

        page.goto(f"{server.url}/documents/does-not-exist")
        assert page.get_by_role("heading", name="Not found").is_visible()
        page.get_by_role("link", name="Back to your collections").click()

        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/login")
        page.goto(f"{server.url}/search")
        assert "/login" in page.url
    finally:
        server.stop()


def test_a_generated_answer_streams_into_the_ask_page(tmp_path, browser_page):
    """With a generator configured, app.js streams the answer from /api/v1/ask/stream and
    links each checked citation to its highlighted passage; an unchecked claim is marked."""
    from tests.fixtures.llm_server import MODEL, LlmServer, passages_in

    def reply(request):
        n = next(i for i, text in passages_in(request).items() if "watchman" in text)
        return (f'The night watchman "saw smoke rising from warehouse seven" [{n}]. '
                f"The fire brigade arrived within minutes [{n + 20}].")

    llm = LlmServer(reply).start()
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false", LLM_BASE_URL=llm.base_url,
                           LLM_MODEL=MODEL)
    client = server.start()
    page = browser_page
    try:
        collection = client.post("/api/v1/collections", json={"name": "Harbour fire"}).json()
        uploaded = client.post(f"/api/v1/collections/{collection['id']}/documents", files=[(
            "files", ("report.txt", b"Incident report.\n\nAt 23:10 the night watchman saw "
                      b"smoke rising from warehouse seven.", "text/plain"))]).json()
        document_id = uploaded["documents"][0]["document"]["id"]
        for _ in range(300):
            if client.get(f"/api/v1/documents/{document_id}").json()["status"] == "ready":
                break
            page.wait_for_timeout(100)
        sign_in(page, server.url, EMAIL, PASSWORD)
        page.goto(f"{server.url}/ask")
        page.get_by_label("Question").fill("What did the night watchman see?")
        page.evaluate("window.stillThisPage = true")  # a form submission would reload
        page.get_by_role("button", name="Ask", exact=True).click()
        answer = page.locator("#answer")
        answer.locator(".citations a").first.wait_for()
        assert page.evaluate("window.stillThisPage") is True  # streamed by app.js
        assert "saw smoke rising" in answer.locator(".answer-text").inner_text()
        assert "generated answer" in answer.inner_text()
        assert answer.locator(".claim.unsupported").inner_text().startswith("The fire brigade")
        assert "q=What+did" in page.url  # the address names the question, as without JS
        assert len(llm.requests) == 1
        answer.locator(".citations a").first.click()
        page.wait_for_url("**/documents/*")
        assert page.locator("mark#passage").inner_text() == \
            "saw smoke rising from warehouse seven"
    finally:
        client.close()
        server.stop()
        llm.stop()
