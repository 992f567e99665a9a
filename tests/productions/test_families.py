"""Families in productions over HTTP: producing "responsive only" brings each selected
document's whole family (an e-mail and its attachments) by default, a privileged member
withheld as a slip sheet; `as_selected` produces what was coded and nothing more; a
mailbox is never a family, so one message's attachment brings that message alone."""

from __future__ import annotations

import csv
import io

from tests.conftest import create_collection, ingest
from tests.fixtures.files import make_pdf
from tests.fixtures.media import email_with_attachment
from tests.mail.messages import collection_documents, mailbox, message
from tests.productions.conftest import download, members, pdf_pages, produce
from tests.productions.loadfiles import parse_dat

TEXT = "text/plain"


def _case(client) -> tuple[dict, dict[str, dict]]:
    """An e-mail coded responsive (its attachment not coded); an e-mail whose attachment
    is coded responsive and whose other attachment is privileged; a mailbox one of whose
    messages has an attachment coded responsive; a PDF not coded."""
    collection = create_collection(client, "Families")
    lease = message(sender="alice@example.org", to="bob@example.org", subject="Lease",
                    date="Mon, 03 Mar 2025 09:00:00 +0000", body="The lease is attached.",
                    attachment=("lease-terms.txt", b"Rent: 400 a month."))
    fees = email_with_attachment(subject="Fees", body="Two files attached.", attachments=[
        ("fees.txt", b"Berth fees: 40 per metre.", TEXT),
        ("advice.txt", b"Counsel: do not pay the berth fees.", TEXT)])
    box = mailbox(
        message(sender="carol@example.org", to="bob@example.org", subject="Crane",
                date="Mon, 03 Mar 2025 10:00:00 +0000", body="Report attached.",
                attachment=("report.txt", b"Crane 4: hose worn.")),
        message(sender="bob@example.org", to="carol@example.org", subject="Lunch",
                date="Mon, 03 Mar 2025 11:00:00 +0000", body="Noon?"))
    ingest(client, collection["id"], ("lease.eml", lease), ("fees.eml", fees),
           ("box.mbox", box), ("other.pdf", make_pdf(["Nothing to do with it."])))
    docs = {d["filename"]: d for d in collection_documents(client, collection["id"],
                                                           expected=10)}
    for name, coding in (("lease.eml", {"responsiveness": "responsive"}),
                         ("fees.txt", {"responsiveness": "responsive"}),
                         ("advice.txt", {"privileged": True,
                                         "privilege_basis": "attorney-client"}),
                         ("report.txt", {"responsiveness": "responsive"})):
        coded = client.patch(f"/api/v1/review/documents/{docs[name]['id']}", json=coding)
        assert coded.status_code == 200, coded.text
    return collection, docs


def _families(records: list[dict[str, str]]) -> list[list[str]]:
    """The DAT's documents grouped by family (BEGATTACH), each checked to be one range."""
    groups: list[list[dict[str, str]]] = []
    for record in records:
        if record["BEGATTACH"] and groups and groups[-1][0]["BEGATTACH"] == \
                record["BEGATTACH"]:
            groups[-1].append(record)
        else:
            groups.append([record])
    for group in groups:
        if len(group) > 1:
            for member in group:
                assert (member["BEGATTACH"], member["ENDATTACH"]) == (
                    group[0]["BEGBATES"], group[-1]["ENDBATES"]), group
                assert member is group[0] or member["PARENTDOCID"] == group[0]["DOCID"]
        else:
            assert (group[0]["BEGATTACH"], group[0]["ENDATTACH"]) == ("", ""), group
    return [[r["FILENAME"] for r in group] for group in groups]


def test_families_are_produced_complete_unless_asked_as_selected(client):
    collection, docs = _case(client)
    responsive = {"collection_id": collection["id"], "responsiveness": "responsive"}

    complete = produce(client, **responsive)
    assert complete["status"] == "succeeded", complete
    assert complete["families"] == "complete"  # the default
    assert complete["selection"]["families"] == {"policy": "complete", "added": 4,
                                                 "failed_left_out": 0}
    data = download(client, complete)
    files = members(data)
    records = parse_dat(files["DATA/VOL001.dat"])
    # The e-mail brings its attachment; an attachment brings its e-mail and its sibling;
    # an attachment in a mailbox brings its message, not the mailbox nor its other message.
    assert _families(records) == [["00001 Crane.eml", "report.txt"],
                                  ["fees.eml", "advice.txt", "fees.txt"],
                                  ["lease.eml", "lease-terms.txt"]]
    by_name = {r["FILENAME"]: r for r in records}
    assert by_name["00001 Crane.eml"]["PARENTDOCID"] == ""
    assert by_name["fees.eml"]["DOCID"] == docs["fees.eml"]["id"]
    # The privileged sibling is withheld: a slip sheet, and a row in the privilege log.
    advice = by_name["advice.txt"]
    assert advice["PRIVILEGE"] == "Withheld - attorney-client" and advice["TEXTPATH"] == ""
    slip = " ".join(pdf_pages(files[f"IMAGES/{advice['BEGBATES']}.pdf"]))
    assert "Withheld: privileged (attorney-client)" in slip and "Counsel" not in slip
    log = list(csv.DictReader(io.StringIO(files["PRIVILEGE/privilege-log.csv"].decode())))
    assert [row["BEGBATES"] for row in log] == [advice["BEGBATES"]]
    assert complete["withheld_count"] == 1 and complete["documents"] == 7
    assert '"families": "complete"' in files["manifest.json"].decode()

    # The same set from a search, with the same settings: the same bytes.
    again = produce(client, search={"responsiveness": "responsive",
                                    "collection_id": collection["id"]})
    assert again["selection"]["families"]["added"] == 4
    assert download(client, again) == data and again["sha256"] == complete["sha256"]

    selected = produce(client, **responsive, families="as_selected")
    assert selected["status"] == "succeeded", selected
    assert (selected["families"], selected["selection"]["families"]) == (
        "as_selected", {"policy": "as_selected"})
    records = parse_dat(members(download(client, selected))["DATA/VOL001.dat"])
    assert _families(records) == [["fees.txt"], ["lease.eml"], ["report.txt"]]
    assert selected["withheld_count"] == 0

    refused = client.post("/api/v1/productions", json={
        "name": "x", "bates_prefix": "ABC", **responsive, "families": "some"})
    assert refused.status_code == 422
    events = client.get("/api/v1/audit", params={"action": "production.create"}).json()
    assert {e["details"]["selection"]["families"]["policy"] for e in events["items"]} == {
        "complete", "as_selected"}
