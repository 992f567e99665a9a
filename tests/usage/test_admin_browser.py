"""The admin page in a real browser (Debian chromium via Playwright) against a real server:
six searches are six on the usage chart at once; a webhook added on the webhooks page
shows its secret once, and its test delivery reaches a real receiver and the log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.fixtures.browser import shot, sign_in
from tests.fixtures.server import ServerProcess
from tests.fixtures.webhook_receiver import WebhookReceiver, verified

pytestmark = pytest.mark.slow


def test_usage_charts_and_a_webhook_in_the_browser(tmp_path, browser_page):
    page = browser_page
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="false",
                           WEBHOOK_ALLOW_PRIVATE="true")
    api = server.start()
    try:
        for query in ("harbour", "warehouse", "smoke", "watchman", "crowbar", "holdall"):
            assert api.get("/api/v1/search", params={"q": query}).status_code == 200
        sign_in(page, server.url)

        page.get_by_role("link", name="Admin").click()
        today = datetime.now(UTC).strftime("%Y-%m-%d")
        bar = page.locator(f"#chart-searches rect[data-day='{today}']")
        assert bar.get_attribute("data-value") == "6"
        assert float(bar.get_attribute("height")) > 50  # the tallest bar, drawn
        assert "6 in total" in page.locator("#chart-searches figcaption").inner_text()
        assert page.locator("#chart-active-users rect").count() == 30
        shot(page, "admin-usage")

        with WebhookReceiver() as receiver:
            page.locator("#usage").get_by_role("link", name="Webhooks").click()
            page.get_by_label("URL").fill(receiver.url)
            page.get_by_role("button", name="Add webhook").click()
            secret = page.locator("code.secret").inner_text()
            assert secret.startswith("whsec_")
            hook = page.locator("article.webhook", has_text=receiver.url)
            hook.get_by_role("button", name="Send a test").click()
            (ping,) = receiver.wait_for(1)
            assert verified(ping, secret) and ping.json["event"] == "ping"
            for _ in range(50):
                if page.locator("table.deliveries .status-succeeded").count():
                    break
                page.wait_for_timeout(100)
                page.reload()
            assert "#1: 200" in page.locator("table.deliveries").inner_text()
            assert secret not in page.content()  # shown once, never again
            shot(page, "admin-webhooks")
    finally:
        server.stop()
