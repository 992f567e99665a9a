"""E-mail in productions, whatever its format: an Outlook .msg is an e-mail in the DAT
(DATESENT, FROM, TO, CC) and in the privilege log, as an .eml is; a mailbox's messages
are families of their own, not members of the mailbox's."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from tests.conftest import create_collection, ingest
from tests.mail.messages import collection_documents, mailbox, message
from tests.mail.outlook_msg import message_msg
from tests.mail.outlook_pst import Attachment, Folder, Message, pst_file
from tests.productions.conftest import download, members, produce
from tests.productions.loadfiles import parse_dat

HEADERS = ("From: Carol Crane <carol@example.org>\r\nTo: alice@example.org\r\n"
           "Cc: bob@example.org\r\nSubject: Crane parts\r\n"
           "Date: Mon, 03 Mar 2025 12:00:00 +0000\r\nMessage-ID: <parts@example.org>\r\n\r\n")


def test_an_outlook_message_is_produced_as_an_email(client):
    collection = create_collection(client, "Outlook")
    msg = message_msg(headers=HEADERS, subject="Crane parts", body="Parts ordered.",
                      sender="carol@example.org", recipient="alice@example.org")
    advice = message_msg(headers=HEADERS.replace("parts@", "advice@"), subject="Crane parts",
                         body="Counsel says: do not pay.", sender="carol@example.org",
                         recipient="alice@example.org")
    eml = message(sender="Carol Crane <carol@example.org>", to="alice@example.org",
                  subject="Crane parts", date="Mon, 03 Mar 2025 12:00:00 +0000",
                  extra={"Cc": "bob@example.org"}, body="Parts ordered, by e-mail.")
    docs = ingest(client, collection["id"], ("parts.msg", msg), ("advice.msg", advice),
                  ("parts.eml", eml))
    ids = {d["filename"]: d["id"] for d in docs}
    client.patch(f"/api/v1/review/documents/{ids['advice.msg']}",
                 json={"privileged": True, "privilege_basis": "attorney-client"})
    production = produce(client, collection_id=collection["id"])
    assert production["status"] == "succeeded", production
    files = members(download(client, production))

    records = {r["FILENAME"]: r for r in parse_dat(files["DATA/VOL001.dat"])}
    for name in ("parts.msg", "parts.eml"):
        assert (records[name]["DATESENT"], records[name]["FROM"], records[name]["TO"],
                records[name]["CC"]) == ("2025-03-03", "Carol Crane <carol@example.org>",
                                         "alice@example.org", "bob@example.org"), name
    [row] = csv.DictReader(io.StringIO(files["PRIVILEGE/privilege-log.csv"].decode()))
    assert (row["BEGBATES"], row["DATE"], row["AUTHOR"], row["TYPE"]) == (
        records["advice.msg"]["BEGBATES"], "2025-03-03", "Carol Crane <carol@example.org>",
        "E-mail")
    assert row["RECIPIENTS"] == "alice@example.org; bob@example.org"


def test_a_mailbox_is_not_a_family_each_message_is(client):
    """Messages found in a mailbox (.mbox, .pst) are each the top of their own family (the
    message and its attachments), as review platforms expect; the mailbox itself, when
    it is produced, is a document alone, not the parent of every message in it."""
    collection = create_collection(client, "Mailboxes")
    box = mailbox(
        message(sender="alice@example.org", to="bob@example.org", subject="Crane",
                date="Mon, 03 Mar 2025 09:00:00 +0000", body="Report attached.",
                attachment=("report.txt", b"Crane 4: hose worn.")),
        message(sender="bob@example.org", to="alice@example.org", subject="Lunch",
                date="Mon, 03 Mar 2025 10:00:00 +0000", body="Noon?"))
    pst = pst_file([Folder("Inbox", [Message(
        "Fees", ("Erin", "erin@example.org"), [("Frank", "frank@example.org")],
        datetime(2025, 3, 4, 9, tzinfo=UTC), "Fees attached.",
        attachments=[Attachment("fees.txt", b"40 per metre.")])])])
    [box_doc, pst_doc] = ingest(client, collection["id"], ("a.mbox", box), ("b.pst", pst))
    collection_documents(client, collection["id"], expected=7)
    production = produce(client, collection_id=collection["id"])
    assert production["status"] == "succeeded", production
    records = parse_dat(members(download(client, production))["DATA/VOL001.dat"])

    by_subject = {}
    for record in records:
        assert record["PARENTDOCID"] not in (box_doc["id"], pst_doc["id"]), record
        if record["FILENAME"] in ("a.mbox", "b.pst"):
            assert (record["BEGATTACH"], record["ENDATTACH"]) == ("", ""), record
        by_subject[record["FILENAME"]] = record
    assert [r["FILENAME"] for r in records] == [
        "a.mbox", "00001 Crane.eml", "report.txt", "00002 Lunch.eml",
        "b.pst", "00001.eml", "fees.txt"]
    for parent, child in (("00001 Crane.eml", "report.txt"), ("00001.eml", "fees.txt")):
        mail, attachment = by_subject[parent], by_subject[child]
        assert attachment["PARENTDOCID"] == mail["DOCID"]
        for member in (mail, attachment):
            assert (member["BEGATTACH"], member["ENDATTACH"]) == (
                mail["BEGBATES"], attachment["ENDBATES"])
    assert by_subject["00002 Lunch.eml"]["BEGATTACH"] == ""
