"""The thread view in a real browser against a real server: open an e-mail from its
mailbox's collection, follow "View the thread", read the messages in the order they were
sent and open an attachment."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import shot
from tests.mail.messages import mailbox, message

pytestmark = pytest.mark.slow


def _settled(client, page, collection_id: str, count: int) -> list[dict]:
    for _ in range(600):
        items = client.get("/api/v1/documents", params={"collection_id": collection_id,
                                                        "limit": 200}).json()["items"]
        if len(items) == count and all(d["status"] == "ready" for d in items):
            return items
        page.wait_for_timeout(100)
    raise AssertionError(f"the mailbox's messages did not settle: {items}")


def test_the_thread_view_lists_messages_in_order_with_attachments(tmp_path, browser_page):
    from tests.fixtures.browser import sign_in
    from tests.fixtures.server import ServerProcess

    page = browser_page
    box = mailbox(
        message(sender="Bob <bob@example.org>", to="alice@example.org",
                subject="Re: Crane inspection", date="Tue, 04 Mar 2025 09:00:00 +0000",
                message_id="<b@example.org>", in_reply_to="<a@example.org>",
                body="The report is attached.",
                attachment=("inspection-report.txt", b"Crane 4: hydraulic hose worn.")),
        message(sender="Alice <alice@example.org>", to="bob@example.org",
                subject="Crane inspection", date="Mon, 03 Mar 2025 09:00:00 +0000",
                message_id="<a@example.org>", body="Did the inspector come by?"))
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false")
    client = server.start()
    try:
        collection = client.post("/api/v1/collections", json={"name": "Harbour mail"}).json()
        uploaded = client.post(f"/api/v1/collections/{collection['id']}/documents",
                               files=[("files", ("bob.mbox", box, "application/mbox"))])
        assert uploaded.status_code == 202, uploaded.text
        _settled(client, page, collection["id"], 4)

        sign_in(page, server.url)
        page.get_by_role("link", name="Harbour mail").click()
        page.get_by_role("link", name="Re: Crane inspection").first.click()
        page.wait_for_url("**/documents/*")
        page.get_by_role("link", name="View the thread").click()
        page.wait_for_url("**/threads/*")
        assert page.get_by_role("heading", level=1).inner_text() == "Crane inspection"
        messages = page.locator(".mail-message")
        assert messages.count() == 2
        assert "Alice <alice@example.org>" in messages.nth(0).locator(".mail-from").inner_text()
        assert "Did the inspector come by?" in messages.nth(0).locator(".mail-body").inner_text()
        assert messages.nth(1).locator(".mail-subject").inner_text() == "Re: Crane inspection"
        assert "in reply to" in messages.nth(1).inner_text()
        shot(page, "mail-thread")
        messages.nth(1).get_by_role("link", name="inspection-report.txt").click()
        page.wait_for_url("**/documents/*")
        assert "hydraulic hose worn" in page.locator("#page-1").inner_text()
    finally:
        client.close()
        server.stop()
