"""Review on the web pages (form posts, no script): the coding panel of a document, the
issues page, the coding filters and the batch coding of a search's results."""

import html

from tests.conftest import create_collection, ingest
from tests.fixtures.accounts import PASSWORD, add_member, signed_in


def _setup(client):
    collection = create_collection(client, "Harbour")
    docs = ingest(client, collection["id"],
                  ("crane.txt", b"Harbour crane maintenance contract."),
                  ("hose.txt", b"Harbour hose replaced after the storm."),
                  ("menu.txt", b"Canteen menu for Friday."))
    return {d["filename"]: d["id"] for d in docs}


def test_the_coding_panel_codes_a_document(client):
    ids = _setup(client)
    browser, csrf = signed_in(client)
    created = browser.post("/review/issues", data={"csrf_token": csrf, "name": "Storm damage"},
                           follow_redirects=False)
    assert created.status_code == 303
    doc = ids["hose.txt"]
    page = browser.get(f"/documents/{doc}").text
    assert 'aria-pressed="false"' in page and "Storm damage" in page
    browser.post(f"/documents/{doc}/coding", data={"csrf_token": csrf,
                                                   "responsiveness": "responsive"})
    browser.post(f"/documents/{doc}/coding", data={"csrf_token": csrf, "hot": "yes"})
    saved = browser.post(f"/documents/{doc}/coding", data={
        "csrf_token": csrf, "details": "1", "privileged": "yes",
        "privilege_basis": "work product", "issues": ["Storm damage"], "note": "Check dates"})
    assert saved.status_code == 200  # followed back to the document
    coding = client.get(f"/api/v1/review/documents/{doc}").json()
    assert (coding["responsiveness"], coding["hot"], coding["privileged"],
            coding["privilege_basis"], coding["issues"], coding["note"]) == (
        "responsive", True, True, "work product", ["Storm damage"], "Check dates")
    page = html.unescape(saved.text)
    assert 'value="clear"' in page  # pressing the chosen call again clears it
    assert "Coding history" in page and "work product" in page
    # Unchecking everything in the details form takes privilege and issues away.
    browser.post(f"/documents/{doc}/coding", data={"csrf_token": csrf, "details": "1"})
    coding = client.get(f"/api/v1/review/documents/{doc}").json()
    assert (coding["privileged"], coding["issues"], coding["note"],
            coding["responsiveness"]) == (False, [], None, "responsive")


def test_batch_coding_a_search_from_the_results_page(client):
    ids = _setup(client)
    browser, csrf = signed_in(client)
    browser.post("/review/issues", data={"csrf_token": csrf, "name": "Harbour"})
    results = browser.get("/search", params={"q": "harbour", "mode": "keyword"}).text
    assert "Code every document matching this search" in results
    coded = browser.post("/search/code", data={
        "csrf_token": csrf, "q": "harbour", "mode": "keyword", "set_responsiveness":
        "responsive", "add_issue": "Harbour"}, follow_redirects=False)
    assert coded.status_code == 303 and "coded=2" in coded.headers["location"]
    assert "Coded 2 documents." in browser.get(coded.headers["location"]).text
    for name in ("crane.txt", "hose.txt"):
        assert client.get(f"/api/v1/review/documents/{ids[name]}").json()["issues"] == [
            "Harbour"]
    filtered = browser.get("/search", params={"q": "harbour OR canteen", "mode": "keyword",
                                              "responsiveness": "uncoded"}).text
    assert "menu.txt" in filtered and "crane.txt" not in filtered
    issues = browser.get("/review/issues").text
    assert "Harbour" in issues and "<td>2</td>" in issues


def test_a_viewer_sees_the_coding_but_cannot_change_it(client):
    ids = _setup(client)
    client.patch(f"/api/v1/review/documents/{ids['menu.txt']}",
                 json={"responsiveness": "not_responsive"})
    add_member(client, "viewer", "viewer@example.test")
    browser, csrf = signed_in(client, "viewer@example.test", PASSWORD)
    page = browser.get(f"/documents/{ids['menu.txt']}").text
    assert "not responsive" in page and "Save coding" not in page
    refused = browser.post(f"/documents/{ids['menu.txt']}/coding",
                           data={"csrf_token": csrf, "hot": "yes"})
    assert refused.status_code == 403
    assert client.get(f"/api/v1/review/documents/{ids['menu.txt']}").json()["hot"] is False
