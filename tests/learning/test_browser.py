"""Tag suggestions in a real browser against a real server: a real daily run learns from
tagged notes, the untagged storm report's page offers "weather", one click on Accept puts
the tag on the document, and the admin page shows the run."""

from __future__ import annotations

import pytest

from tests.conftest import create_collection, ingest
from tests.fixtures.browser import shot, sign_in
from tests.fixtures.server import ServerProcess
from tests.learning.conftest import TOPICS, UNTAGGED, cli_environment, run_cli

pytestmark = pytest.mark.slow
SMALL = {"LEARNING_MIN_DOCUMENTS": "12", "LEARNING_MIN_TAG_EXAMPLES": "4"}


def test_accepting_a_suggested_tag_in_the_browser(tmp_path, browser_page):
    page = browser_page
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir, SEMANTIC_SEARCH="false", **SMALL)
    api = server.start()
    try:
        collection = create_collection(api, "Learning")
        files = [(f"{topic}-{i}.txt", text.encode()) for topic, texts in TOPICS.items()
                 for i, text in enumerate(texts[:5])]
        documents = ingest(api, collection["id"], *files,
                           ("storm-report.txt", UNTAGGED["storm-report.txt"].encode()))
        ids = {d["filename"]: d["id"] for d in documents}
        for name, _ in files:
            tagged = api.put(f"/api/v1/documents/{ids[name]}/tags",
                             json={"tags": [name.split("-")[0]]})
            assert tagged.status_code == 200, tagged.text
        code, output = run_cli(cli_environment(data_dir, None, SEMANTIC_SEARCH="false",
                                               **SMALL), "worker", "daily-run")
        assert code == 0 and "succeeded: 15 examples" in output, output

        sign_in(page, server.url)
        storm = ids["storm-report.txt"]
        page.goto(f"{server.url}/documents/{storm}")
        suggestion = page.locator("li.suggestion[data-tag='weather']")
        assert "% confident" in suggestion.inner_text()
        shot(page, "document-suggestions")
        suggestion.get_by_role("button", name="Accept weather").click()
        page.wait_for_url(f"**/documents/{storm}#suggestions")
        assert page.get_by_label("Comma-separated").input_value() == "weather"
        assert page.locator("li.suggestion[data-tag='weather']").count() == 0
        assert api.get(f"/api/v1/documents/{storm}").json()["tags"] == ["weather"]

        page.get_by_role("link", name="Admin").click()
        runs = page.locator("table.learning-runs tbody tr")
        assert runs.count() == 1 and "succeeded" in runs.first.inner_text()
    finally:
        api.close()
        server.stop()
