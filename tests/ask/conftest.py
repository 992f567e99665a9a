"""A case file to ask about, shared by the ask tests."""

from __future__ import annotations

CASE_REPORT = """Incident report CR-2024-0117.

At approximately 23:10 on 14 March, officers attended the warehouse on Harbour Road after an \
alarm was raised by the security guard. The side entrance had been forced with a crowbar.

Officers recovered a black holdall containing two laptops and a set of car keys from the \
loading bay. The holdall was logged as exhibit KB/3.

The witness, Grace Okafor, stated that she saw a silver hatchback leave the car park at speed \
shortly after 23:00. She could not see the driver.

The shift manager confirmed that the CCTV system had been switched off on 12 March for \
maintenance and was not working on the night of the burglary.
"""

UNRELATED_QUESTION = "What is the boiling point of mercury?"


def page_text(client, document_id: str, number: int = 1) -> str:
    pages = client.get(f"/api/v1/documents/{document_id}/pages").json()
    return next(p["text"] for p in pages if p["number"] == number)
