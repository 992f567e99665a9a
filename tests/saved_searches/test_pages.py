"""Saving a search from the search page, and switching its alerts on the saved page."""

from tests.conftest import create_collection, ingest
from tests.fixtures.accounts import signed_in


def test_save_from_the_search_page_then_toggle_and_delete(client):
    collection = create_collection(client, "Harbour")
    ingest(client, collection["id"], ("a.txt", b"crane hose"))
    browser, csrf = signed_in(client)
    page = browser.get("/search", params={"q": '"crane hose"~2', "mode": "keyword",
                                          "collection_id": collection["id"]}).text
    assert 'id="save-search"' in page
    saved = browser.post("/search/saved", data={
        "csrf_token": csrf, "name": "Crane <hose>", "query": '"crane hose"~2',
        "collection_id": collection["id"], "alert_webhook": "true"}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    (row,) = client.get("/api/v1/saved-searches").json()
    assert (row["query"], row["collection_id"], row["alert_webhook"], row["alert_email"]) == (
        '"crane hose"~2', collection["id"], True, False)
    listing = browser.get("/search/saved").text
    assert "Crane &lt;hose&gt;" in listing and f'id="saved-{row["id"]}"' in listing

    toggled = browser.post(f"/search/saved/{row['id']}/alerts",
                           data={"csrf_token": csrf, "alert_email": "true"},
                           follow_redirects=False)
    assert toggled.status_code == 303
    row = client.get(f"/api/v1/saved-searches/{row['id']}").json()
    assert (row["alert_webhook"], row["alert_email"]) == (False, True)
    assert browser.post(f"/search/saved/{row['id']}/delete", data={"csrf_token": csrf},
                        follow_redirects=False).status_code == 303
    assert client.get("/api/v1/saved-searches").json() == []
