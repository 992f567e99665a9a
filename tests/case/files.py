"""A generated case, made from the fixtures of each domain's tests: mailboxes in every
format (.eml, .mbox, .msg, .pst), a scan that needs OCR, ordinary PDFs and a re-typed copy
of a memo. What a reviewer will look for in it is named here, beside the files."""

from __future__ import annotations

from datetime import UTC, datetime

from PIL import ImageFont

from tests.fixtures.files import make_pdf
from tests.fixtures.media import email_with_attachment, scanned_pdf
from tests.mail.messages import mailbox, message
from tests.mail.outlook_msg import message_msg
from tests.mail.outlook_pst import Attachment, Folder, Message, pst_file
from tests.neardup.test_api import PARAGRAPHS
from tests.redaction.conftest import memo_pdf

ALICE, BOB = "Alice Archer <alice@example.org>", "Bob Brandt <bob@example.org>"
THREAD_SUBJECT = "Crane inspection"
# The scan's first line; a reviewer draws a box over the name (SCAN_REGION).
SCAN_LINES = ["Please call Dana Whitfield today", "about the harbour lease"]
SCAN_NAME = "Dana Whitfield"
# What every document of the case that a reviewer calls responsive mentions.
RESPONSIVE_WORD = "harbour"


def crane_thread() -> list[bytes]:
    """Three messages of one thread, the second with an attachment, newest first in the
    mailbox (a thread is ordered by date, not by its place in the file)."""
    first = message(sender=ALICE, to=BOB, subject=THREAD_SUBJECT,
                    date="Mon, 03 Mar 2025 09:00:00 +0000", message_id="<crane-1@example.org>",
                    body="Did the inspector look at the harbour crane yesterday?")
    second = message(sender=BOB, to=ALICE, subject=f"Re: {THREAD_SUBJECT}",
                     date="Mon, 03 Mar 2025 10:00:00 +0000",
                     message_id="<crane-2@example.org>", in_reply_to="<crane-1@example.org>",
                     references="<crane-1@example.org>",
                     body="Yes: a worn hose on the harbour crane. The report is attached.",
                     attachment=("inspection-report.txt",
                                 b"Harbour crane 4: hydraulic hose worn, replace it."))
    third = message(sender=ALICE, to=BOB, subject=f"Re: Re: {THREAD_SUBJECT}",
                    date="Mon, 03 Mar 2025 11:00:00 +0000", message_id="<crane-3@example.org>",
                    in_reply_to="<crane-2@example.org>",
                    references="<crane-1@example.org> <crane-2@example.org>",
                    body="Thanks. Order the harbour spare parts today.")
    return [third, second, first]


def outlook_reply() -> bytes:
    """A .msg that answers the mbox's last message: it joins the same thread."""
    headers = (f"From: Carol Crane <carol@example.org>\r\nTo: {ALICE}\r\n"
               f"Subject: RE: {THREAD_SUBJECT}\r\nDate: Mon, 03 Mar 2025 12:00:00 +0000\r\n"
               "Message-ID: <crane-4@example.org>\r\nIn-Reply-To: <crane-3@example.org>\r\n"
               "References: <crane-1@example.org> <crane-3@example.org>\r\n\r\n")
    return message_msg(headers=headers, subject=f"RE: {THREAD_SUBJECT}",
                       body="The harbour spare parts are ordered, delivery on Friday.",
                       sender="carol@example.org", recipient="alice@example.org")


def outlook_mailbox() -> bytes:
    """Erin's .pst: berth fees with an attachment, and a lunch invitation no reviewer
    would call responsive."""
    erin, frank = ("Erin Ewing", "erin@example.org"), ("Frank Ford", "frank@example.org")
    fees = Message("Berth fees", erin, [frank], datetime(2025, 3, 4, 9, tzinfo=UTC),
                   "The harbour berth fees for next year are attached.",
                   message_id="<fees@example.org>",
                   attachments=[Attachment("berth-fees.txt",
                                           b"Harbour berth fees 2026: 40 per metre per day.")])
    lunch = Message("Lunch on Friday?", frank, [erin], datetime(2025, 3, 5, 12, tzinfo=UTC),
                    "Shall we meet at noon at the canteen?", message_id="<lunch@example.org>")
    return pst_file([Folder("Inbox", [fees, lunch])])


def policy_versions() -> tuple[bytes, bytes]:
    """A memo and a re-typed copy of it: a heading added, two words changed."""
    original = "\n\n".join(PARAGRAPHS)
    retyped = ("RETYPED COPY\n\n" + original.replace("in March", "in April")
               .replace("three of the four", "three of four"))
    return make_pdf([original]), make_pdf([retyped])


def scan_region() -> dict[str, float]:
    """Where SCAN_NAME is on the scan's page, as fractions of the page (the box a person
    draws over it on the preview): from how tests/fixtures/media.text_image draws a line
    (the default font at 36 px, from x=100, y=100 on a 1700 px wide picture)."""
    font = ImageFont.load_default(size=36)
    line = SCAN_LINES[0]
    start = font.getlength(line[:line.index(SCAN_NAME)])
    end = font.getlength(line[:line.index(SCAN_NAME) + len(SCAN_NAME)])
    width, height = 1700, 200 + len(SCAN_LINES) * 36 * 2
    # Snug, as the words either side must stay readable: the space between two words is
    # ~9 px here, and casework paints a box a little larger (redaction/pages.py, PAD).
    return {"page": 1, "x0": (100 + start - 2) / width, "y0": (100 - 8) / height,
            "x1": (100 + end + 2) / width, "y1": (100 + 36 + 10) / height}


def case_files() -> list[tuple[str, bytes]]:
    policy, retyped = policy_versions()
    lease = email_with_attachment(
        subject="Signed harbour lease", body="The signed harbour lease is attached.",
        attachments=[("lease.pdf", make_pdf(["Harbour lease, page one: the parties.",
                                             "Harbour lease, page two: the rent."]),
                      "application/pdf")])
    return [
        ("lease.eml", lease),
        ("crane.mbox", mailbox(*crane_thread())),
        ("parts.msg", outlook_reply()),
        ("erin.pst", outlook_mailbox()),
        ("scan.pdf", scanned_pdf([SCAN_LINES])),
        ("memo.pdf", memo_pdf()),
        ("advice.pdf", make_pdf(["Counsel advises settling the harbour claim for nine "
                                 "million."])),
        ("policy.pdf", policy),
        ("policy-retyped.pdf", retyped),
    ]
