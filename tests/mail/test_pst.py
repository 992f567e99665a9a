"""Outlook .pst mailboxes over HTTP, on a real Unicode PST written by tests/mail/outlook_pst.py:
every message of every folder is a document with its facts, an attachment is a searchable
child of its message, the folders' messages form one thread (sent ones too, which carry no
transport headers), and the file or one of its messages arriving again is a duplicate."""

from datetime import UTC, datetime

from tests.conftest import create_collection, ingest, upload
from tests.mail.messages import collection_documents, message
from tests.mail.outlook_pst import Attachment, Folder, Message, pst_file

ALICE, BOB, CAROL = ("Alice Archer", "alice@example.org"), ("Bob Brandt", "bob@example.org"), \
    ("Carol Crane", "carol@example.org")


def _mailbox() -> bytes:
    """Bob's mailbox: the crane thread across Inbox and Sent Items, a message whose subject
    is not ASCII, and one he sent about lunch."""
    root = Message("Harbour crane contract", ALICE, [BOB], datetime(2025, 3, 3, 9, tzinfo=UTC),
                   "Please review the crane contract, clause quillwort.",
                   message_id="<root@example.org>")
    reply = Message("Re: Harbour crane contract", BOB, [ALICE],
                    datetime(2025, 3, 3, 10, tzinfo=UTC), "Looks fine to me.",
                    message_id="<reply@example.org>", in_reply_to="<root@example.org>",
                    references="<root@example.org>", transport_headers=False)
    signed = Message("RE: Re: Harbour crane contract", ALICE, [BOB, CAROL],
                     datetime(2025, 3, 3, 11, tzinfo=UTC), "Signed copy attached.",
                     message_id="<reply2@example.org>", in_reply_to="<reply@example.org>",
                     references="<root@example.org> <reply@example.org>",
                     attachments=[Attachment("signed-contract.txt",
                                             b"Signed: crane contract, witness hornbeam.")])
    greeting = Message("Grüße aus Zürich", CAROL, [BOB], datetime(2025, 3, 4, 8, tzinfo=UTC),
                       "Herzliche Grüße vom Kran.", message_id="<gruss@example.org>")
    lunch = Message("Lunch on Friday?", BOB, [CAROL], datetime(2025, 3, 5, 12, tzinfo=UTC),
                    "Shall we meet at noon?", message_id="<lunch@example.org>",
                    transport_headers=False)
    return pst_file([Folder("Inbox", [root, signed, greeting]),
                     Folder("Sent Items", [reply, lunch])])


def _threads(client, collection_id):
    listed = client.get("/api/v1/threads", params={"collection_id": collection_id})
    assert listed.status_code == 200, listed.text
    return [client.get(f"/api/v1/threads/{t['id']}").json() for t in listed.json()["items"]]


def _keyword_hits(client, word):
    hits = client.get("/api/v1/search", params={"q": word, "mode": "keyword"}).json()["hits"]
    return {h["document_id"] for h in hits}


def test_a_pst_becomes_messages_in_threads_with_their_attachments(client):
    case = create_collection(client, "Bob's mailbox")
    [pst] = ingest(client, case["id"], ("bob.pst", _mailbox()))
    assert pst["media_type"] == "application/vnd.ms-outlook-pst"
    docs = collection_documents(client, case["id"], expected=7)
    messages = [d for d in docs if d["parent_document_id"] == pst["id"]]
    assert len(messages) == 5
    assert all(d["status"] == "ready" and d["message"] for d in messages)
    by_id = {d["message"]["message_id"]: d for d in messages}
    assert sorted(by_id) == ["gruss@example.org", "lunch@example.org", "reply2@example.org",
                             "reply@example.org", "root@example.org"]
    root = by_id["root@example.org"]["message"]
    assert (root["subject"], root["sender"], root["sender_name"], root["to"],
            root["sent_at"][:19]) == ("Harbour crane contract", "alice@example.org",
                                      "Alice Archer", ["bob@example.org"], "2025-03-03T09:00:00")
    assert by_id["gruss@example.org"]["message"]["subject"] == "Grüße aus Zürich"
    # Sent Items: no transport headers; the properties give the ids, sender and recipients.
    sent = by_id["reply@example.org"]["message"]
    assert (sent["sender"], sent["to"], sent["in_reply_to"], sent["sent_at"][:19]) == (
        "bob@example.org", ["alice@example.org"], "root@example.org", "2025-03-03T10:00:00")
    custody = client.get(f"/api/v1/documents/{by_id['lunch@example.org']['id']}/custody")
    assert custody.json()["locations"][0]["source_path"] == \
        "bob.pst!/Top of Personal Folders/Sent Items/00005.eml"

    [attachment] = [d for d in docs if d["parent_document_id"] == by_id["reply2@example.org"]["id"]]
    assert attachment["filename"] == "signed-contract.txt"
    assert attachment["status"] == "ready"
    assert _keyword_hits(client, "hornbeam") == {attachment["id"]}
    assert _keyword_hits(client, "quillwort") == {by_id["root@example.org"]["id"]}

    threads = _threads(client, case["id"])
    [crane] = [t for t in threads if t["subject"] == "Harbour crane contract"]
    assert [m["message"]["message_id"] for m in crane["messages"]] == [
        "root@example.org", "reply@example.org", "reply2@example.org"]
    assert crane["messages"][2]["reply_to_document_id"] == crane["messages"][1]["document_id"]
    assert [a["filename"] for a in crane["messages"][2]["attachments"]] == [
        "signed-contract.txt"]
    assert set(crane["participants"]) == {"alice@example.org", "bob@example.org",
                                          "carol@example.org"}
    assert sorted(t["message_count"] for t in threads) == [1, 1, 3]


def test_a_pst_again_or_one_of_its_messages_as_eml_is_a_duplicate(client):
    first_case, second_case = create_collection(client, "Bob"), create_collection(client, "Eve")
    data = _mailbox()
    [pst] = ingest(client, first_case["id"], ("bob.pst", data))
    docs = collection_documents(client, first_case["id"], expected=7)
    original = next(d for d in docs
                    if d["message"] and d["message"]["message_id"] == "root@example.org")
    # The same file again: the same bytes are one document, with a second location.
    [again] = upload(client, second_case["id"], ("copy of bob.pst", data))
    assert (again["duplicate"], again["document"]["id"]) == (True, pst["id"])
    # The same message exported as .eml from another mailbox: other bytes, one message.
    exported = message(sender="Alice Archer <alice@example.org>", to="bob@example.org",
                       subject="Harbour crane contract", date="Mon, 03 Mar 2025 09:00:00 +0000",
                       message_id="<root@example.org>",
                       body="Please review the crane contract, clause quillwort.",
                       extra={"Received": "from mx9.example.net"})
    [copy] = ingest(client, second_case["id"], ("root.eml", exported))
    assert copy["message"]["duplicate_of"] == original["id"]
    assert copy["metadata"]["chunks"] == 0
    assert _keyword_hits(client, "quillwort") == {original["id"]}
    [crane] = [t for t in _threads(client, first_case["id"])
               if t["subject"] == "Harbour crane contract"]
    assert crane["message_count"] == 3
    assert [c["document_id"] for c in crane["messages"][0]["copies"]] == [copy["id"]]
