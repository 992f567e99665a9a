"""The members' side in the web UI without script: the Share dialog's form makes a link
(shown once), the Shares page lists the workspace's links and revokes them."""

import re

from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.fixtures.accounts import anonymous
from tests.shares.conftest import make_event, visitor

HTML = {"Accept": "text/html"}


def test_a_member_shares_a_gallery_from_its_page_and_revokes_it_on_the_shares_page(
        make_embedded):
    client = make_embedded()
    event = make_event(client)
    browser = anonymous(client)
    session = browser.post("/api/v1/auth/session",
                           json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    csrf = session.json()["csrf_token"]

    gallery = browser.get(f"/collections/{event.collection_id}", params={"view": "gallery"})
    dialog = gallery.text.split("<details class=\"share-box\">")[1].split("</details>")[0]
    assert 'value="gallery" checked' in dialog  # in the gallery view, the gallery first
    document = browser.get(f"/documents/{event.memo_id}")
    assert 'name="target_type" value="document"' in document.text

    made = browser.post("/shares", headers=HTML, data={
        "csrf_token": csrf, "target_type": "gallery", "target_id": event.collection_id,
        "expires_in": "86400", "allow_download": "true"})
    assert made.status_code == 200
    link = re.search(r'id="new-share-link">([^<]+)<', made.text).group(1)
    path = link.removeprefix("http://testserver")
    assert visitor(client).get(path).status_code == 200
    listed = browser.get("/shares")
    assert "Harbour gala" in listed.text and link not in listed.text  # shown once
    share_id = client.get("/api/v1/shares").json()["items"][0]["id"]

    forged = browser.post(f"/shares/{share_id}/revoke", headers=HTML,
                          data={"csrf_token": "wrong"})
    assert forged.status_code == 403
    revoked = browser.post(f"/shares/{share_id}/revoke", data={"csrf_token": csrf},
                           follow_redirects=False)
    assert revoked.status_code == 303 and revoked.headers["location"] == "/shares"
    assert visitor(client).get(path).status_code == 410
    assert "revoked" in browser.get("/shares").text
