"""The holds page and the "on hold" badges, through the web forms a browser posts."""

import html

from tests.conftest import create_collection, ingest
from tests.fixtures.accounts import add_member, signed_in


def test_place_see_and_release_a_hold_on_the_pages(client):
    collection = create_collection(client, "Harbour")
    doc = ingest(client, collection["id"], ("memo.txt", b"crane hose invoice"))[0]
    browser, csrf = signed_in(client)
    placed = browser.post("/holds", data={"csrf_token": csrf, "name": "Harbour <litigation>",
                                          "matter": "Smith v. Port Authority",
                                          "collection_id": collection["id"], "custodian": ""},
                          follow_redirects=False)
    assert placed.status_code == 303, placed.text
    page = browser.get("/holds").text
    assert html.escape("Harbour <litigation>") in page and "Harbour <litigation>" not in page
    (hold,) = client.get("/api/v1/holds").json()
    assert f'id="hold-{hold["id"]}"' in page and "Release" in page

    for path in (f"/collections/{collection['id']}", f"/documents/{doc['id']}"):
        shown = browser.get(path).text
        assert "on hold" in shown and 'id="holds-note"' in shown, path
    refused = browser.post(f"/documents/{doc['id']}/delete", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "legal hold" in refused.text

    released = browser.post(f"/holds/{hold['id']}/release",
                            data={"csrf_token": csrf, "reason": "Settled"},
                            follow_redirects=False)
    assert released.status_code == 303
    assert "released" in browser.get("/holds").text
    assert "on hold" not in browser.get(f"/documents/{doc['id']}").text
    deleted = browser.post(f"/documents/{doc['id']}/delete", data={"csrf_token": csrf},
                           follow_redirects=False)
    assert deleted.status_code == 303
    assert client.get(f"/api/v1/documents/{doc['id']}").status_code == 404


def test_an_editor_sees_holds_but_cannot_place_or_release_them(client):
    collection = create_collection(client, "Harbour")
    hold = client.post("/api/v1/holds", json={"name": "Kept", "matter": "m",
                                              "collection_id": collection["id"]}).json()
    add_member(client, "editor", "editor@example.test")
    editor, csrf = signed_in(client, "editor@example.test", "a-long-test-password")
    page = editor.get("/holds")
    assert page.status_code == 200 and "Kept" in page.text
    assert "Place a hold" not in page.text and "Release" not in page.text
    assert editor.post("/holds", data={"csrf_token": csrf, "name": "n", "matter": "m",
                                       "custodian": "X"}).status_code == 403
    assert editor.post(f"/holds/{hold['id']}/release",
                       data={"csrf_token": csrf, "reason": "x"}).status_code == 403
    assert client.get("/api/v1/holds").json()[0]["active"] is True
