"""Web forms as a browser posts them: a refused sign-in or password change answers with the
page and is still audited; the note editor creates and saves notes from the same fields."""

from tests.conftest import OWNER_EMAIL, create_collection, ingest, test_settings
from tests.fixtures.accounts import anonymous, signed_in

ADMIN_KEY = "operator-key-" + "f" * 30


def _operator_events(client, action):
    response = anonymous(client).get("/api/v1/operator/audit", params={"action": action},
                                     headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code == 200, response.text
    return [(e["action"], e["outcome"]) for e in response.json()["items"]]


def _sign_in(browser, password):
    page = browser.get("/login")
    token = page.text.split('name="login_token" value="')[1].split('"')[0]
    return browser.post("/login", data={"email": OWNER_EMAIL, "password": password,
                                        "login_token": token}, follow_redirects=False)


def test_a_refused_sign_in_shows_the_form_again_and_is_audited(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d", admin_api_key=ADMIN_KEY))
    refused = _sign_in(anonymous(client), "not-the-password")
    assert refused.status_code == 401 and "wrong e-mail or password" in refused.text
    assert ("auth.login", "failed") in _operator_events(client, "auth.login")


def test_a_wrong_current_password_on_the_account_page_is_audited(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "d", admin_api_key=ADMIN_KEY))
    browser, csrf = signed_in(client)
    refused = browser.post("/account/password", data={
        "csrf_token": csrf, "current": "not-the-password", "new": "a-new-long-password"})
    assert refused.status_code == 403 and "the current password is wrong" in refused.text
    assert _operator_events(client, "auth.password_change") == [
        ("auth.password_change", "failed")]


def test_the_note_editor_creates_and_saves_a_note(client):
    browser, csrf = signed_in(client)
    created = browser.post("/notes", data={"csrf_token": csrf, "title": "First",
                                           "body": "one", "tags": "a, b"},
                           follow_redirects=False)
    assert created.status_code == 303
    note_id = created.headers["location"].rsplit("/", 1)[1]
    saved = browser.post(f"/notes/{note_id}", data={"csrf_token": csrf, "title": "Second",
                                                    "body": "two", "tags": "c"},
                         follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/notes/{note_id}"
    note = client.get(f"/api/v1/notes/{note_id}").json()
    assert (note["title"], note["body"], note["tags"]) == ("Second", "two", ["c"])
    untitled = browser.post(f"/notes/{note_id}", data={"csrf_token": csrf, "title": ""},
                            headers={"Accept": "text/html"})
    assert untitled.status_code == 422
    assert client.get(f"/api/v1/notes/{note_id}").json()["title"] == "Second"


def test_deleting_a_document_from_its_page_is_audited_as_from_the_api(client):
    browser, csrf = signed_in(client)
    collection = create_collection(client)
    [document] = ingest(client, collection["id"], ("memo.txt", b"the barge memo"))
    deleted = browser.post(f"/documents/{document['id']}/delete", data={"csrf_token": csrf},
                           follow_redirects=False)
    assert deleted.status_code == 303
    assert client.get(f"/api/v1/documents/{document['id']}").status_code == 404
    events = client.get("/api/v1/audit", params={"action": "document.delete"}).json()["items"]
    assert [(e["target_id"], e["actor_label"]) for e in events] == [
        (document["id"], OWNER_EMAIL)]


def test_the_search_and_collections_pages_find_collections_by_name_or_reference(client):
    browser, _ = signed_in(client)
    harbour = create_collection(client, "Harbour inquiry", reference="HB-2024-17")
    gala = create_collection(client, "Summer gala", kind="event")
    searched = browser.get("/search", params={"q": "hb-2024-17", "mode": "keyword"})
    assert searched.status_code == 200
    assert f'<a href="/collections/{harbour["id"]}"><strong>Harbour inquiry' in searched.text
    assert f'href="/collections/{gala["id"]}"' not in searched.text
    assert "Nothing found" not in searched.text  # a collection was found, if no passage
    listed = browser.get("/collections", params={"q": "HB-2024"})
    assert f'href="/collections/{harbour["id"]}"' in listed.text
    assert f'href="/collections/{gala["id"]}"' not in listed.text
    assert "No collection" in browser.get("/collections", params={"q": "nothing"}).text


def _audited(client, action):
    events = client.get("/api/v1/audit", params={"action": action, "limit": 200}).json()
    return [(e["action"], e["target_id"], e["actor_label"]) for e in events["items"]]


def test_opening_a_documents_page_is_audited_once_per_window(client):
    browser, _ = signed_in(client)
    collection = create_collection(client)
    [document] = ingest(client, collection["id"], ("memo.txt", b"the barge memo"))
    assert _audited(client, "document.view") == []  # ingest() polled its status: no view
    for _ in range(2):
        page = browser.get(f"/documents/{document['id']}")
        assert page.status_code == 200 and "the barge memo" in page.text
    assert _audited(client, "document.view") == [
        ("document.view", document["id"], OWNER_EMAIL)]
    assert browser.get("/documents/missing").status_code == 404
    assert len(_audited(client, "document.view")) == 1


def test_notes_written_in_the_editor_are_audited_as_from_the_api(client):
    browser, csrf = signed_in(client)
    created = browser.post("/notes", data={"csrf_token": csrf, "title": "Call",
                                           "body": "private words"}, follow_redirects=False)
    note_id = created.headers["location"].rsplit("/", 1)[1]
    browser.post(f"/notes/{note_id}", data={"csrf_token": csrf, "title": "Call",
                                            "body": "other words", "tags": "x"})
    browser.post(f"/notes/{note_id}/delete", data={"csrf_token": csrf})
    assert client.get(f"/api/v1/notes/{note_id}").status_code == 404
    assert _audited(client, "note.") == [("note.delete", note_id, OWNER_EMAIL),
                                         ("note.update", note_id, OWNER_EMAIL),
                                         ("note.create", note_id, OWNER_EMAIL)]
    update = client.get("/api/v1/audit", params={"action": "note.update"}).json()["items"][0]
    assert update["details"] == {"fields": ["body", "tags"]}
