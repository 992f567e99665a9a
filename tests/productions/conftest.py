"""A small case to produce: a PDF with a redaction, a privileged PDF, an e-mail with a PDF
attachment (a family), a plain PDF; and how to read a production's ZIP back."""

from __future__ import annotations

import io
import time
import zipfile
from email.message import EmailMessage

import pypdfium2 as pdfium

from tests.conftest import create_collection, ingest
from tests.fixtures.files import make_pdf
from tests.redaction.conftest import CAROL_REGION, memo_pdf


def email_with_attachment() -> bytes:
    message = EmailMessage()
    message["From"] = "dana@example.com"
    message["To"] = "erin@example.com"
    message["Date"] = "Tue, 03 Mar 2026 10:00:00 +0000"
    message["Subject"] = "Harbour contract"
    message.set_content("Please find the harbour contract attached.")
    message.add_attachment(make_pdf(["Contract page one", "Contract page two"]),
                           maintype="application", subtype="pdf", filename="contract.pdf")
    return message.as_bytes()


def build_case(client) -> dict:
    """The case's documents by role, once every one is ready, coded and redacted."""
    collection = create_collection(client, "Harbour")
    docs = ingest(client, collection["id"], ("memo.pdf", memo_pdf()),
                  ("advice.pdf", make_pdf(["Counsel advises settling for nine million"])),
                  ("email.eml", email_with_attachment()),
                  ("plain.pdf", make_pdf(["Plain page one", "Plain page two"])))
    by_name = {d["filename"]: d for d in docs}
    deadline = time.monotonic() + 60
    while True:  # the attachment arrives as a document of its own
        listed = client.get("/api/v1/documents", params={
            "collection_id": collection["id"], "limit": 50}).json()["items"]
        child = next((d for d in listed if d["filename"] == "contract.pdf"
                      and d["status"] == "ready"), None)
        if child is not None:
            break
        assert time.monotonic() < deadline, listed
        time.sleep(0.1)
    by_name["contract.pdf"] = child
    response = client.post(f"/api/v1/documents/{by_name['memo.pdf']['id']}/redactions",
                           json={"redactions": [{**CAROL_REGION, "reason": "Privacy"}]})
    assert response.status_code == 201, response.text
    response = client.patch(f"/api/v1/review/documents/{by_name['advice.pdf']['id']}",
                            json={"privileged": True, "privilege_basis": "attorney-client",
                                  "responsiveness": "responsive"})
    assert response.status_code == 200, response.text
    return {"collection": collection, "docs": by_name}


def produce(client, **body: object) -> dict:
    body = {"name": "First production", "bates_prefix": "ABC", "start_number": 1,
            "digits": 6, **body}
    response = client.post("/api/v1/productions", json=body)
    assert response.status_code == 202, response.text
    production_id = response.json()["id"]
    deadline = time.monotonic() + 180
    while True:
        production = client.get(f"/api/v1/productions/{production_id}").json()
        if production["status"] in ("succeeded", "failed"):
            return production
        assert time.monotonic() < deadline, production
        time.sleep(0.1)


def download(client, production: dict) -> bytes:
    response = client.get(production["download_url"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    return response.content


def pdf_pages(data: bytes) -> list[str]:
    """Each page's text as a reader extracts it (pypdfium2)."""
    pdf = pdfium.PdfDocument(data)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
