"""The batch search pages through the web form: upload, the batch's table, refusals."""

import time

from tests.conftest import create_collection, ingest
from tests.fixtures.accounts import signed_in


def test_upload_from_the_page_and_read_the_table(client):
    collection = create_collection(client, "Harbour")
    ingest(client, collection["id"], ("a.txt", b"crane hose <b>"))
    browser, csrf = signed_in(client)
    assert "Run batch search" in browser.get("/search/batch").text
    posted = browser.post("/search/batch", data={"csrf_token": csrf,
                                                 "collection_id": collection["id"]},
                          files={"file": ("t.csv", b"crane,<script>x</script>\n", "text/csv")},
                          follow_redirects=False)
    assert posted.status_code == 303, posted.text
    location = posted.headers["location"]
    deadline = time.monotonic() + 60
    while 'id="batch-results"' not in (page := browser.get(location).text):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x</script>" not in page
    assert "t.csv" in browser.get("/search/batch").text
    refused = browser.post("/search/batch", data={"csrf_token": csrf},
                           files={"file": ("t.csv", b'"""a b c""~2"\n', "text/csv")})
    assert refused.status_code == 422 and "two words" in refused.text
