"""The audit log: a row for each security event, filters, CSV, operator view, append-only."""

import csv
import io
import logging
import re

import pyotp
from sqlalchemy import create_engine, text

from tests.conftest import OWNER_EMAIL, create_collection, ingest, test_settings
from tests.fixtures.accounts import add_member, anonymous, user_id
from tests.fixtures.files import make_pdf

ADMIN_KEY = "operator-key-" + "x" * 30


def _operator(client, **params):
    response = anonymous(client).get("/api/v1/operator/audit", params={"limit": 200, **params},
                                     headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_every_security_event_is_recorded(tmp_path, make_client, caplog):
    client = make_client(test_settings(tmp_path / "d", admin_api_key=ADMIN_KEY))
    anon = anonymous(client)
    anon.post("/api/v1/auth/login", json={"email": OWNER_EMAIL, "password": "bad-password"},
              headers={"User-Agent": "audit-test-agent", "X-Request-ID": "req-123"})
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("a.txt", b"audited text"))[0]
    client.get(f"/api/v1/documents/{doc['id']}/original")
    client.delete(f"/api/v1/documents/{doc['id']}")
    key = client.post("/api/v1/api-keys", json={"name": "k"}).json()
    client.delete(f"/api/v1/api-keys/{key['id']}")
    member = add_member(client, "viewer", "m@example.test")
    client.patch(f"/api/v1/workspaces/current/members/{user_id(member)}", json={"role": "editor"})
    secret = member.post("/api/v1/auth/2fa/setup").json()["secret"]
    member.post("/api/v1/auth/2fa/enable", json={"code": pyotp.TOTP(secret).now()})
    member.post("/api/v1/auth/password", json={"current_password": "a-long-test-password",
                                              "new_password": "b-long-test-password"})
    with caplog.at_level(logging.WARNING, logger="casework.accounts.mail"):
        anon.post("/api/v1/auth/password-reset", json={"email": OWNER_EMAIL})

    actions = {(e["action"], e["outcome"]) for e in _operator(client)}
    for expected in [("auth.login", "failed"), ("auth.login", "ok"), ("document.upload", "ok"),
                     ("document.download", "ok"), ("document.delete", "ok"),
                     ("api_key.create", "ok"), ("api_key.revoke", "ok"),
                     ("member.invite", "ok"), ("member.join", "ok"), ("auth.signup", "ok"),
                     ("member.role_change", "ok"), ("2fa.enable", "ok"),
                     ("auth.password_change", "ok"), ("auth.password_reset_request", "ok")]:
        assert expected in actions, expected
    failed = _operator(client, action="auth.login", outcome="failed")[0]
    assert failed["user_agent"] == "audit-test-agent" and failed["request_id"] == "req-123"
    assert failed["ip"] and failed["actor_label"] == OWNER_EMAIL and failed["created_at"]

    # The workspace's own view: its events only, filterable, and as CSV.
    own = client.get("/api/v1/audit", params={"action": "document."}).json()
    assert {e["action"] for e in own["items"]} == {"document.upload", "document.download",
                                                   "document.delete"}
    assert all(e["actor_user_id"] == user_id(client) for e in own["items"])
    exported = client.get("/api/v1/audit.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {"api_key.create", "member.role_change"} <= {r["action"] for r in rows}
    assert member.get("/api/v1/audit").status_code == 401  # its password change ended it
    assert anonymous(client).get("/api/v1/operator/audit").status_code == 401

    # The reset mail went to the log (development: no SMTP) and its token works once.
    token = re.search(r"Reset token: (\S+)", caplog.text).group(1)
    reset = anon.post("/api/v1/auth/password-reset/confirm",
                      json={"token": token, "new_password": "reset-long-password"})
    assert reset.status_code == 204
    assert anon.post("/api/v1/auth/password-reset/confirm", json={
        "token": token, "new_password": "again-long-password"}).status_code == 401
    assert anon.post("/api/v1/auth/login", json={
        "email": OWNER_EMAIL, "password": "reset-long-password"}).status_code == 200
    assert ("auth.password_reset", "ok") in {(e["action"], e["outcome"])
                                             for e in _operator(client)}


def test_the_log_is_append_only_in_the_database(client, settings):
    anonymous(client).post("/api/v1/auth/login", json={"email": "x@example.test",
                                                       "password": "nope"})
    engine = create_engine(settings.resolved_database_url)
    for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        with engine.connect() as conn:
            try:
                conn.execute(text(statement))
                conn.commit()
            except Exception as exc:
                assert "append-only" in str(exc)
            else:
                raise AssertionError(f"{statement} was allowed")
    engine.dispose()


def _downloads(client, document_id):
    return [e for e in client.get("/api/v1/audit", params={"action": "document.download",
                                                            "limit": 200}).json()["items"]
            if e["target_id"] == document_id]


def test_a_ranged_download_is_audited_once_per_user_and_window(client):
    """A player seeking sends many ranges: one event per user per document per window,
    and a client skipping byte 0 is audited all the same."""
    collection = create_collection(client)
    data = b"".join(b"line %05d of an audited text file\n" % n for n in range(300))
    first, second = ingest(client, collection["id"], ("a.txt", data), ("b.txt", data + b"."))
    url = f"/api/v1/documents/{first['id']}/original"
    for ranges in ("bytes=0-1023", "bytes=1024-2047", "bytes=0-", "bytes=5000-", None):
        response = client.get(url, headers={"Range": ranges} if ranges else {})
        assert response.status_code in (200, 206)
    assert len(_downloads(client, first["id"])) == 1
    member = add_member(client, "viewer", "viewer@example.test")
    member.get(url, headers={"Range": "bytes=0-99"})
    assert {e["actor_label"] for e in _downloads(client, first["id"])} == {
        OWNER_EMAIL, "viewer@example.test"}
    # Everything but byte 0, in one request: still a download.
    skipped = client.get(f"/api/v1/documents/{second['id']}/original",
                         headers={"Range": "bytes=1-"})
    assert skipped.status_code == 206 and len(skipped.content) == len(data)
    assert len(_downloads(client, second["id"])) == 1


def _views(client, document_id):
    return [e["actor_label"] for e in client.get("/api/v1/audit", params={
        "action": "document.view", "target_id": document_id, "limit": 200}).json()["items"]]


def test_reading_a_documents_content_is_a_view_polling_its_status_is_not(client):
    """`document.view` for what shows the content (its text, its page images, its viewer
    preview), once per actor and document per window; the metadata that clients poll while
    a document is processed, and the grid thumbnail, write nothing."""
    collection = create_collection(client)
    # ingest() polls GET /documents/{id} until both are ready.
    text, pdf = ingest(client, collection["id"], ("a.txt", b"the barge memo"),
                       ("b.pdf", make_pdf(["First page", "Second page"])))
    for document in (text, pdf):
        for _ in range(3):
            assert client.get(f"/api/v1/documents/{document['id']}").status_code == 200
    assert client.get(f"/api/v1/documents/{pdf['id']}/thumbnail").status_code == 200
    assert client.get("/api/v1/documents").status_code == 200
    assert _views(client, text["id"]) == [] and _views(client, pdf["id"]) == []

    for offset in (0, 1, 0):  # a reader paging through the text: one event
        pages = client.get(f"/api/v1/documents/{text['id']}/pages", params={"offset": offset})
        assert pages.status_code == 200
    event = client.get("/api/v1/audit", params={"action": "document.view"}).json()["items"][0]
    assert (event["target_type"], event["target_id"], event["actor_user_id"],
            event["actor_label"]) == ("document", text["id"], user_id(client), OWNER_EMAIL)
    assert _views(client, text["id"]) == [OWNER_EMAIL]

    # A PDF's page images and its viewer-sized preview show its content too.
    assert client.get(f"/api/v1/documents/{pdf['id']}/pages/2/preview").status_code == 200
    assert client.get(f"/api/v1/documents/{pdf['id']}/pages/1/preview").status_code == 200
    assert client.get(f"/api/v1/documents/{pdf['id']}/thumbnail",
                      params={"size": 1280}).status_code == 200
    assert _views(client, pdf["id"]) == [OWNER_EMAIL]
    # Each reader is audited; a view of a page that is not there (404) is not a view.
    reader = add_member(client, "viewer", "reader@example.test")
    assert reader.get(f"/api/v1/documents/{pdf['id']}/pages/9/preview").status_code == 404
    assert reader.get("/api/v1/documents/missing/pages").status_code == 404
    assert _views(client, pdf["id"]) == [OWNER_EMAIL]
    assert reader.get(f"/api/v1/documents/{pdf['id']}/thumbnail",
                      params={"size": 1280}).status_code == 200
    assert _views(client, pdf["id"]) == ["reader@example.test", OWNER_EMAIL]
    # Downloads keep their own event, with their own window.
    assert client.get(f"/api/v1/documents/{text['id']}/original").status_code == 200
    assert len(_downloads(client, text["id"])) == 1
    assert _views(client, text["id"]) == [OWNER_EMAIL]
