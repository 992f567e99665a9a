"""E-mail over HTTP: mailboxes become message documents, messages form threads (by their
ids, by subject and participants when ids are missing, whatever order they arrive in),
the same message in two mailboxes is one message, and broken files fail with a reason."""

from tests.conftest import create_collection, ingest, upload, wait_for_documents
from tests.mail.messages import collection_documents, mailbox, message
from tests.mail.outlook_msg import message_msg

ALICE, BOB, CAROL = "Alice <alice@example.org>", "bob@example.org", "carol@example.org"


def _root() -> bytes:
    return message(sender=ALICE, to=BOB, subject="Harbour crane contract",
                   date="Mon, 03 Mar 2025 09:00:00 +0000", message_id="<root@example.org>",
                   body="Please review the crane contract, clause quillwort.")


def _reply() -> bytes:
    return message(sender=BOB, to=ALICE, subject="Re: Harbour crane contract",
                   date="Mon, 03 Mar 2025 10:00:00 +0000", message_id="<reply@example.org>",
                   in_reply_to="<root@example.org>", body="Looks fine to me.")


def _second_reply() -> bytes:
    return message(sender=ALICE, to=f"{BOB}, {CAROL}", subject="RE: Re: Harbour crane contract",
                   date="Mon, 03 Mar 2025 11:00:00 +0000", message_id="<reply2@example.org>",
                   in_reply_to="<reply@example.org>",
                   references="<root@example.org> <reply@example.org>",
                   body="Signed copy attached.",
                   attachment=("signed-contract.txt", b"Signed: crane contract, page 1."))


def _threads(client, collection_id):
    params = {"collection_id": collection_id} if collection_id else {}
    listed = client.get("/api/v1/threads", params=params)
    assert listed.status_code == 200, listed.text
    return [client.get(f"/api/v1/threads/{t['id']}").json() for t in listed.json()["items"]]


def test_a_mailbox_becomes_messages_in_threads_with_their_attachments(client):
    case = create_collection(client, "Harbour")
    lunch = message(sender=CAROL, to=ALICE, subject="Lunch on Friday?",
                    date="Tue, 04 Mar 2025 12:00:00 +0000", body="Shall we meet at noon?")
    lunch_reply = message(sender=ALICE, to=CAROL, subject="AW: Lunch on Friday?",
                          date="Tue, 04 Mar 2025 12:30:00 +0000", body="Noon is good.")
    unrelated_lunch = message(sender="zed@example.net", to="yan@example.net",
                              subject="Re: Lunch on Friday?",
                              date="Tue, 04 Mar 2025 13:00:00 +0000", body="Other people.")
    forwarded = message(sender=BOB, to=CAROL, subject="Fwd: Harbour crane contract",
                        date="Wed, 05 Mar 2025 08:00:00 +0000",
                        message_id="<fwd@example.org>", body="FYI, see below.",
                        forwarded=_root())
    box = mailbox(_root(), _reply(), _second_reply(), lunch, lunch_reply, unrelated_lunch,
                  forwarded)
    [mbox] = ingest(client, case["id"], ("alice.mbox", box))
    assert mbox["media_type"] == "application/mbox"
    docs = collection_documents(client, case["id"], expected=10)
    messages = [d for d in docs if d["parent_document_id"] == mbox["id"]]
    assert len(messages) == 7
    assert all(d["status"] == "ready" and d["message"] for d in messages)
    by_id = {d["message"]["message_id"]: d for d in messages if d["message"]["message_id"]}
    assert by_id["reply2@example.org"]["message"] == {
        **by_id["reply2@example.org"]["message"], "subject": "Harbour crane contract",
        "sender": "alice@example.org", "to": ["bob@example.org", "carol@example.org"],
        "in_reply_to": "reply@example.org",
        "references": ["root@example.org", "reply@example.org"], "duplicate_of": None}

    threads = _threads(client, case["id"])
    crane = next(t for t in threads if t["message_count"] == 4)
    # The forwarded message names no id of the thread: its subject and Bob bring it in.
    assert [m["message"]["message_id"] for m in crane["messages"]] == [
        "root@example.org", "reply@example.org", "reply2@example.org", "fwd@example.org"]
    # The message forwarded inside it is the root again: a copy, not a fifth message
    # (whichever of the two was read first holds the message).
    root = crane["messages"][0]
    held = client.get(f"/api/v1/documents/{root['document_id']}").json()["filename"]
    assert sorted([held] + [c["filename"] for c in root["copies"]]) == [
        "00001 Harbour crane contract.eml", "forwarded.eml"]
    assert crane["subject"] == "Harbour crane contract"
    assert crane["participants"][:2] == ["alice@example.org", "bob@example.org"]
    signed = crane["messages"][2]
    assert [a["filename"] for a in signed["attachments"]] == ["signed-contract.txt"]
    assert signed["reply_to_document_id"] == crane["messages"][1]["document_id"]
    attachment = client.get(f"/api/v1/documents/{signed['attachments'][0]['document_id']}")
    assert attachment.json()["parent_document_id"] == signed["document_id"]
    # No ids at all: subject and a shared participant within the window; strangers apart.
    lunches = [t for t in threads if t["subject"] == "Lunch on Friday?"]
    assert sorted(t["message_count"] for t in lunches) == [1, 2]
    shared = next(t for t in lunches if t["message_count"] == 2)
    assert set(shared["participants"]) == {"alice@example.org", "carol@example.org"}


def test_a_parent_arriving_late_joins_and_merges_threads(client):
    case = create_collection(client, "Late")
    to_x = message(sender=ALICE, to=BOB, subject="Re: Quarterly figures",
                   date="Mon, 10 Mar 2025 10:00:00 +0000", message_id="<c1@example.org>",
                   in_reply_to="<x@example.org>", body="Answer one.")
    to_y = message(sender=BOB, to=ALICE, subject="Re: Quarterly figures",
                   date="Mon, 10 Mar 2025 11:00:00 +0000", message_id="<c2@example.org>",
                   in_reply_to="<y@example.org>", references="<y@example.org>",
                   body="Answer two.")
    ingest(client, case["id"], ("c1.eml", to_x), ("c2.eml", to_y))
    assert sorted(t["message_count"] for t in _threads(client, case["id"])) == [1, 1]
    # y answers x: the two threads are one once it arrives.
    y = message(sender=CAROL, to=ALICE, subject="Re: Quarterly figures",
                date="Mon, 10 Mar 2025 09:30:00 +0000", message_id="<y@example.org>",
                in_reply_to="<x@example.org>", references="<x@example.org>", body="Middle.")
    ingest(client, case["id"], ("y.eml", y))
    [thread] = _threads(client, case["id"])
    assert [m["message"]["message_id"] for m in thread["messages"]] == [
        "y@example.org", "c1@example.org", "c2@example.org"]
    assert thread["message_count"] == 3
    # Deleting a message takes it out of its thread (the thread is not split again).
    assert client.delete(f"/api/v1/documents/{thread['messages'][0]['document_id']}"
                         ).status_code == 204
    [thread] = _threads(client, case["id"])
    assert thread["message_count"] == 2


def test_the_same_message_in_two_mailboxes_is_one_message(client):
    first_case, second_case = create_collection(client, "Alice"), create_collection(client, "Bob")
    no_id = message(sender=CAROL, to=BOB, subject="Gate codes",
                    date="Thu, 06 Mar 2025 07:00:00 +0000", body="Gate code is marigold 4471.")
    alices = mailbox(_root(), _reply(), no_id)
    # Bob's copies went through other servers: other Received/Status headers, other bytes.
    bobs = mailbox(
        b"Received: from mx2.example.org\nStatus: RO\n" + _root(),
        message(sender=BOB, to=ALICE, subject="Unrelated", body="Fresh message.",
                date="Thu, 06 Mar 2025 08:00:00 +0000", message_id="<other@example.org>"),
        b"X-Folder: Inbox\n" + no_id)
    [alice_box] = ingest(client, first_case["id"], ("alice.mbox", alices))
    collection_documents(client, first_case["id"], expected=4)
    [bob_box] = ingest(client, second_case["id"], ("bob.mbox", bobs))
    bob_docs = collection_documents(client, second_case["id"], expected=4)

    copies = [d for d in bob_docs if d["message"] and d["message"]["duplicate_of"]]
    assert len(copies) == 2
    assert all(d["parent_document_id"] == bob_box["id"] for d in copies)
    assert all(d["metadata"]["chunks"] == 0 for d in copies)
    hits = client.get("/api/v1/search", params={"q": "quillwort", "mode": "keyword"}).json()
    assert len({h["document_id"] for h in hits["hits"]}) == 1
    hits = client.get("/api/v1/search", params={"q": "marigold", "mode": "keyword"}).json()
    assert len({h["document_id"] for h in hits["hits"]}) == 1
    first_root = next(d for d in copies if d["message"]["message_id"] == "root@example.org")
    original = first_root["message"]["duplicate_of"]
    assert client.get(f"/api/v1/documents/{original}").json()["parent_document_id"] == \
        alice_box["id"]
    custody = client.get(f"/api/v1/documents/{original}/custody").json()
    assert [(loc["via"], loc["duplicate"], loc["collection_id"], loc["parent_document_id"])
            for loc in custody["locations"]][-1] == (
        "message", True, second_case["id"], bob_box["id"])
    # Bob's collection lists the thread too: it holds a copy of one of its messages.
    [crane] = [t for t in _threads(client, second_case["id"])
               if t["subject"] == "Harbour crane contract"]
    assert crane["message_count"] == 2
    assert [c["document_id"] for c in crane["messages"][0]["copies"]] == [first_root["id"]]


def test_outlook_msg_is_a_message_with_attachments_in_its_thread(client):
    case = create_collection(client, "Outlook")
    headers = ("From: Bob <bob@example.org>\r\nTo: alice@example.org\r\n"
               "Subject: RE: Harbour crane contract\r\nDate: Mon, 03 Mar 2025 12:00:00 +0000"
               "\r\nMessage-ID: <outlook@example.org>\r\nIn-Reply-To: <root@example.org>"
               "\r\n\r\n")
    msg = message_msg(headers=headers, body="Outlook reply about the crane, word hawthorn.",
                      subject="RE: Harbour crane contract", sender="bob@example.org",
                      recipient="alice@example.org",
                      attachment=("crane-photo-notes.txt", b"Notes about the crane photo."))
    docs = ingest(client, case["id"], ("reply.msg", msg), ("root.eml", _root()))
    outlook = next(d for d in docs if d["filename"] == "reply.msg")
    assert outlook["media_type"] == "application/vnd.ms-outlook"
    assert outlook["message"]["message_id"] == "outlook@example.org"
    assert outlook["message"]["subject"] == "Harbour crane contract"
    all_docs = collection_documents(client, case["id"], expected=3)
    [note] = [d for d in all_docs if d["parent_document_id"] == outlook["id"]]
    assert note["filename"] == "crane-photo-notes.txt"
    [thread] = _threads(client, case["id"])
    assert [m["document_id"] for m in thread["messages"]][1] == outlook["id"]


def test_broken_mailboxes_fail_with_a_reason(client):
    case = create_collection(client, "Broken")
    not_mail = b"From the desk of the harbour master\nno headers here, only prose.\n"
    fake_pst = b"!BDN" + b"\x00" * 600
    fake_msg = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    uploaded = upload(client, case["id"], ("notes.mbox", not_mail), ("archive.pst", fake_pst),
                      ("reply.msg", fake_msg))
    docs = wait_for_documents(client, [u["document"]["id"] for u in uploaded])
    by_name = {d["filename"]: d for d in docs}
    assert by_name["notes.mbox"]["status"] == "failed"
    assert "no mail headers" in by_name["notes.mbox"]["error"]
    assert by_name["archive.pst"]["status"] == "failed"
    assert "not a readable Outlook data file" in by_name["archive.pst"]["error"]
    assert by_name["reply.msg"]["status"] == "failed"
    assert "Outlook message" in by_name["reply.msg"]["error"]
    assert client.get("/api/v1/threads/nope").status_code == 404
