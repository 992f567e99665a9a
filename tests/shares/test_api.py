"""Share links over the API, on SQLite and PostgreSQL: create (the token once), list (who
made it, its state, its views), revoke, expiry, passwords; every view audited."""

from datetime import timedelta

from casework.accounts import credentials
from casework.core.database import transaction, utcnow
from casework.shares.models import ShareLink
from tests.fixtures.accounts import add_member
from tests.shares.conftest import SECRET, share, visitor

HTML = {"Accept": "text/html"}


def _path(created: dict) -> str:
    return f"/s/{created['token']}"


def _stored(client, share_id: str) -> ShareLink:
    with transaction(client.app.state.runtime.sessions) as session:
        link = session.get(ShareLink, share_id)
        session.expunge(link)
        return link


def test_a_member_shares_a_gallery_and_sees_who_made_it_and_how_often_it_was_seen(
        client, event):
    created = share(client, "gallery", event.collection_id, expires_in=3600)
    token = created["token"]
    assert len(token) >= 43 and created["url"] == f"http://testserver/s/{token}"
    assert created["target_name"] == "Harbour gala" and created["state"] == "active"
    assert created["created_by_label"] == "owner@example.test"
    assert not created["password_protected"] and created["allow_download"]
    expires = created["expires_at"]
    # Only a digest is stored: the database cannot hand the link out again.
    link = _stored(client, created["id"])
    assert link.token_hash == credentials.digest(token) and token not in str(vars(link))
    assert abs((link.expires_at - utcnow()) - timedelta(hours=1)) < timedelta(minutes=1)

    alice, bob = visitor(client, "198.51.100.7", "Alice/1.0"), visitor(client, "203.0.113.9")
    assert alice.get(_path(created), headers=HTML).status_code == 200
    assert alice.get(_path(created), headers=HTML).status_code == 200  # a reload
    photo = alice.get(f"{_path(created)}/d/{event.photo_ids[0]}", headers=HTML)
    assert photo.status_code == 200 and "gala-2.jpg" in photo.text
    assert bob.get(_path(created), headers=HTML).status_code == 200

    listed = client.get("/api/v1/shares").json()
    assert listed["total"] == 1
    row = listed["items"][0]
    assert {k: row[k] for k in ("id", "target_type", "target_id", "state", "expires_at")} == {
        "id": created["id"], "target_type": "gallery", "target_id": event.collection_id,
        "state": "active", "expires_at": expires}
    assert row["view_count"] == 3 and row["last_viewed_at"] is not None  # the reload: no
    assert token not in client.get("/api/v1/shares").text and "token" not in row

    events = client.get("/api/v1/audit", params={"action": "share.view"}).json()["items"]
    seen = {(e["ip"], e["user_agent"], e["details"].get("document_id")) for e in events}
    assert seen == {("198.51.100.7", "Alice/1.0", None),
                    ("198.51.100.7", "Alice/1.0", event.photo_ids[0]),
                    ("203.0.113.9", "TestBrowser/1.0", None)}
    assert {e["target_id"] for e in events} == {created["id"]}
    made = client.get("/api/v1/audit", params={"action": "share.create"}).json()["items"]
    assert [e["target_id"] for e in made] == [created["id"]]


def test_a_link_is_made_only_for_what_the_member_may_write_in_their_workspace(client, event):
    other = client.post("/api/v1/workspaces", json={"name": "Elsewhere"}).json()
    theirs = client.post("/api/v1/collections", json={"name": f"theirs {SECRET}"},
                         headers={"X-Workspace": other["slug"]}).json()
    refused = {
        "another workspace's collection": (client, {"target_type": "collection",
                                                    "target_id": theirs["id"]}, 404),
        "a document id given as a collection": (client, {"target_type": "collection",
                                                         "target_id": event.memo_id}, 404),
        "longer than SHARE_MAX_DAYS": (client, {"target_type": "gallery",
                                                "target_id": event.collection_id,
                                                "expires_in": 91 * 86_400}, 422),
        "a short password": (client, {"target_type": "gallery",
                                      "target_id": event.collection_id,
                                      "password": "short"}, 422),
        "an unknown kind": (client, {"target_type": "note", "target_id": event.memo_id}, 422),
        "a viewer": (add_member(client, "viewer", "v@example.test"),
                     {"target_type": "gallery", "target_id": event.collection_id}, 403),
    }
    for why, (caller, body, status) in refused.items():
        response = caller.post("/api/v1/shares", json=body)
        assert response.status_code == status, (why, response.text)
        assert SECRET not in response.text
    assert client.get("/api/v1/shares").json()["total"] == 0
    # A viewer may see the workspace's links, an editor may make them.
    editor = add_member(client, "editor", "e@example.test")
    share(editor, "document", event.photo_ids[0])
    assert add_member(client, "viewer", "v2@example.test").get(
        "/api/v1/shares").json()["total"] == 1


def test_a_revoked_link_is_gone_at_once_for_pages_pictures_and_api_clients(client, event):
    created = share(client, "gallery", event.collection_id)
    guest = visitor(client)
    thumbnail = f"{_path(created)}/d/{event.photo_ids[0]}/thumbnail"
    assert guest.get(thumbnail).status_code == 200
    assert client.delete(f"/api/v1/shares/{created['id']}").status_code == 204

    page = guest.get(_path(created), headers=HTML)
    assert page.status_code == 410 and "This link was revoked" in page.text
    assert "gala" not in page.text.lower()
    for path in (_path(created), thumbnail, f"{_path(created)}/og.png"):
        response = guest.get(path)
        assert response.status_code == 410, path
        assert response.json()["error"]["code"] == "share_revoked"
    assert client.delete(f"/api/v1/shares/{created['id']}").status_code == 409
    for unknown in ("/s/" + created["token"][::-1], "/s/cut-sho"):
        missing = guest.get(unknown, headers=HTML)
        assert missing.status_code == 404 and "Nothing here" in missing.text
        assert guest.get(unknown).json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/shares").json()["items"][0]["state"] == "revoked"
    revoked = client.get("/api/v1/audit", params={"action": "share.revoke"}).json()["items"]
    assert [e["target_id"] for e in revoked] == [created["id"]]


def test_an_expired_link_is_gone(client, event):
    created = share(client, "document", event.photo_ids[0], expires_in=60)
    guest = visitor(client)
    assert guest.get(_path(created)).status_code == 200
    with transaction(client.app.state.runtime.sessions) as session:  # a minute passes
        session.get(ShareLink, created["id"]).expires_at = utcnow() - timedelta(seconds=1)
    page = guest.get(_path(created), headers=HTML)
    assert page.status_code == 410 and "This link has expired" in page.text
    answer = guest.get(f"{_path(created)}/d/{event.photo_ids[0]}/thumbnail")
    assert answer.status_code == 410 and answer.json()["error"]["code"] == "share_expired"
    assert client.get("/api/v1/shares").json()["items"][0]["state"] == "expired"
    assert client.delete(f"/api/v1/shares/{created['id']}").status_code == 204  # still


def _form_token(page_text: str) -> str:
    return page_text.split('name="form_token" value="')[1].split('"')[0]


def test_a_protected_link_shows_nothing_until_its_password_is_given(client, event):
    created = share(client, "gallery", event.collection_id, password="correct horse")
    other = share(client, "gallery", event.collection_id, password="another secret")
    assert created["password_protected"]
    guest = visitor(client)
    form = guest.get(_path(created), headers=HTML)
    assert form.status_code == 200 and 'name="password"' in form.text
    for hidden in ("Harbour gala", "gala-1.jpg", "EV-7"):
        assert hidden not in form.text, hidden  # not even in the preview tags
    assert 'content="A password-protected link"' in form.text
    locked = guest.get(f"{_path(created)}/d/{event.photo_ids[0]}/thumbnail")
    assert locked.status_code == 403
    assert locked.json()["error"]["code"] == "share_password_required"

    unlock = f"{_path(created)}/unlock"
    token = _form_token(form.text)
    # Without the form's cookie (a post from another site) the form is refused.
    forged = visitor(client).post(unlock, data={"password": "correct horse",
                                                "form_token": token})
    assert forged.status_code == 403 and "casework_share=" not in forged.headers.get(
        "set-cookie", "")
    wrong = guest.post(unlock, data={"password": "wrong horse", "form_token": token},
                       headers=HTML)
    assert wrong.status_code == 403 and "not the password" in wrong.text
    right = guest.post(unlock, data={"password": "correct horse", "form_token": token},
                       follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == _path(created)
    cookie = right.headers["set-cookie"]
    assert f"Path={_path(created)}" in cookie and "HttpOnly" in cookie
    opened = guest.get(_path(created), headers=HTML)
    assert opened.status_code == 200 and "gala-1.jpg" in opened.text
    assert "Event EV-7 \u00b7 2 photos" in opened.text  # with the password, all is said
    assert guest.get(f"{_path(created)}/d/{event.photo_ids[0]}/thumbnail").status_code == 200

    # The cookie is this link's: shown to another protected link, it opens nothing.
    value = cookie.split("casework_share=")[1].split(";")[0]
    stranger = visitor(client)
    stranger.cookies.set("casework_share", value)
    elsewhere = stranger.get(_path(other), headers=HTML)
    assert 'name="password"' in elsewhere.text and "gala-1.jpg" not in elsewhere.text
    attempts = client.get("/api/v1/audit", params={"action": "share.unlock"}).json()["items"]
    assert sorted(e["outcome"] for e in attempts) == ["failed", "ok"]
    assert {e["ip"] for e in attempts} == {"198.51.100.7"}
