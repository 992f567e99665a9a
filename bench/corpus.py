"""Generated test material for the benchmarks: case-file prose, born-digital PDFs, big text.

The prose reads like the documents casework's users upload (incident reports, witness
statements, court filings): sentences from templates with names, places, dates, amounts
and reference numbers drawn at random, so no two passages share a content hash and the
embedding stage is never skipped by deduplication. Everything is seeded and repeatable.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FIRST = """Anna Brian Carla Daniel Elena Farid Grace Hector Irene James Kofi Laura Marta Nadia
Oscar Priya Quentin Rosa Samuel Tomas Ursula Victor Wendy Xavier Yusuf Zoe Amir Beatrice Chen
Dmitri Esther Felix Gabriela Hugo Ingrid Jonas Karim Lena Malik Noor Olga Pablo Rania Stefan
Tariq Valeria William Yara""".split()
LAST = """Abbott Baptiste Castillo Dubois Eriksen Fischer Gallagher Haddad Ivanova Jensen Kowalski
Lindqvist Moreau Nakamura Okafor Petrov Quinn Rossi Schneider Takahashi Umarov Varga Walsh
Yilmaz Zielinski Andersen Bennett Costa Delgado Evans Ferreira Gomez Hughes Iqbal Jovanovic
Keller Larsen Mendes Novak Ortiz Park Reyes Silva Torres Weber""".split()
STREETS = """Harbour Road, Mill Lane, Station Street, King's Parade, Canal Walk, Orchard Close,
Victoria Avenue, Market Square, Church Street, Bridge Road, Elm Grove, Riverside Drive,
Quarry Hill, North Terrace, Foundry Yard, Chapel Row""".replace("\n", " ").split(", ")
PLACES = """the warehouse, the car park, the petrol station, the pharmacy, the bus depot,
the loading bay, the side entrance, the stairwell, the reception desk, the back office,
the service corridor, the taxi rank, the night club, the storage unit, the rail bridge,
the marina, the supermarket, the hotel lobby""".replace("\n", " ").split(", ")
ORGS = """Northgate Logistics, Halden Freight Ltd, Riverside Medical Centre, Apex Security
Services, the Crown Prosecution Service, Meridian Bank, Castlefield Housing Trust, Orion
Telecom, Blue Harbour Shipping, the county council, Westbrook Insurance, Kestrel Couriers,
Sable Capital Partners, the Metropolitan Police, Greenway Pharmaceuticals""".replace(
    "\n", " ").split(", ")
OBJECTS = """a black holdall, a mobile phone, two laptops, a set of car keys, a sealed envelope,
a kitchen knife, a leather wallet, a USB memory stick, a box of invoices, a grey hoodie,
a bank card, a parcel, a pair of gloves, a handwritten ledger, a tablet computer,
a security badge, a camera, a folder of contracts""".replace("\n", " ").split(", ")
VEHICLES = """a silver hatchback, a white transit van, a dark blue saloon, a red motorcycle,
a black estate car, a green pickup truck, a grey people carrier, a yellow taxi""".replace(
    "\n", " ").split(", ")
ROLES = """the complainant, the defendant, the witness, the security guard, the shift manager,
the driver, the accountant, the investigating officer, the landlord, the neighbour,
the cashier, the paramedic, the duty solicitor, the site supervisor""".replace(
    "\n", " ").split(", ")
MONTHS = """January February March April May June July August September October November
December""".split()
ADJECTIVES = """brief detailed inconsistent credible partial contemporaneous unsigned
handwritten redacted corroborated disputed consistent lengthy vague careful""".split()
TOPICS = """the payment schedule, the delivery records, the access logs, the CCTV footage, the
telephone records, the tenancy agreement, the invoices, the medical notes, the shift rota,
the insurance claim, the bank statements, the email correspondence, the custody record,
the forensic report, the interview transcript""".replace("\n", " ").split(", ")

TEMPLATES = [
    "At approximately {time} on {date}, {person} arrived at {place} on {street} in {vehicle}.",
    "{Role} stated that {person} had been seen near {place} shortly before {time}.",
    "The officer recovered {object} from {place} and logged it as exhibit {exhibit}.",
    "In a {adj} statement given on {date}, {person} described {role} as calm and cooperative.",
    "Records held by {org} show a transfer of {amount} to an account ending {digits} on {date}.",
    "{person} denied any knowledge of {object} and declined to answer further questions.",
    "The court was told that {topic} did not match the account given by {role}.",
    "CCTV from {place} on {street} shows {vehicle} leaving the area at {time}.",
    "A search of the premises at {number} {street} was authorised under warrant {exhibit}.",
    "{person}, employed by {org} since {year}, was responsible for {topic}.",
    "Counsel for {role} argued that {topic} had been disclosed late and should be excluded.",
    "The invoice dated {date} for {amount} was addressed to {org} but never paid.",
    "{person} told investigators that {person2} had asked for {object} to be moved.",
    "Telephone records show {calls} calls between {person} and {person2} during {month} {year}.",
    "The forensic examiner found traces consistent with contact on {object}.",
    "{Role} was interviewed under caution on {date} in the presence of a solicitor.",
    "According to {topic}, the shipment left {place} at {time} and arrived late.",
    "The judge adjourned the hearing until {date} so that {topic} could be reviewed.",
    "No fingerprints suitable for comparison were recovered from {object}.",
    "{person} said that the door to {place} was usually locked after {time}.",
    "An audit commissioned by {org} identified {count} irregular payments totalling {amount}.",
    "The statement of {person} is {adj} on the question of who held the keys to {place}.",
    "{Role} reported {object} missing on {date}, three days after the last inventory check.",
    "Emails between {person} and {org} refer to a meeting at {place} on {date}.",
    "The defence accepts that {person} was present at {place} but disputes the timing.",
    "A witness on {street} heard raised voices and saw {vehicle} parked with its lights on.",
    "The tenancy agreement for {number} {street} names {person} as the sole occupant.",
    "{person2} confirmed that {topic} were kept in a locked cabinet in {place}.",
    "Payment of {amount} was made in cash and recorded in {object} kept by {role}.",
    "The prosecution will rely on {topic} and on the evidence of {person}.",
    "Medical notes from {org} record a minor injury to the left hand on {date}.",
    "{person} was released on bail with conditions not to contact {person2} or visit {street}.",
    "The delivery driver for {org} recalled a {adj} conversation with {role} at {place}.",
    "During the interview {person} was shown exhibit {exhibit} and made no comment.",
    "Between {month} and {month2} {year}, the account received {count} deposits from {org}.",
    "It is not disputed that {vehicle} registered to {person} was used on {date}.",
    "{Role} explained that the alarm at {place} had been faulty for several weeks.",
    "The expert's report concludes that {topic} were altered after {date}.",
    "A receipt found in {object} places {person} at {place} at {time} on {date}.",
    "The matter was referred to {org} for review of {topic} before the trial date.",
]


class ProseWriter:
    """Case-file prose, deterministic for a seed."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)

    def _person(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def _date(self) -> str:
        return f"{self.rng.randint(1, 28)} {self.rng.choice(MONTHS)} {self.rng.randint(2015, 2024)}"

    def sentence(self) -> str:
        r = self.rng
        role = r.choice(ROLES)
        slots = {
            "time": f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}",
            "date": self._date(), "person": self._person(), "person2": self._person(),
            "place": r.choice(PLACES), "street": r.choice(STREETS), "vehicle": r.choice(VEHICLES),
            "object": r.choice(OBJECTS), "org": r.choice(ORGS), "topic": r.choice(TOPICS),
            "role": role, "Role": role[0].upper() + role[1:], "adj": r.choice(ADJECTIVES),
            "exhibit": f"{r.choice('ABCDEFGHJK')}{r.choice('LMNPRST')}/{r.randint(1, 999):03d}",
            "amount": f"\u00a3{r.randint(120, 98000):,}.{r.randint(0, 99):02d}",
            "digits": f"{r.randint(0, 9999):04d}", "number": str(r.randint(1, 240)),
            "year": str(r.randint(2012, 2024)), "month": r.choice(MONTHS),
            "month2": r.choice(MONTHS), "calls": str(r.randint(2, 60)),
            "count": str(r.randint(3, 140)),
        }
        text = r.choice(TEMPLATES).format(**slots)
        return text[0].upper() + text[1:]

    def paragraph(self, sentences: tuple[int, int] = (3, 7)) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(*sentences)))

    def heading(self) -> str:
        return self.rng.choice(["Background", "Witness statement", "Chronology of events",
                                "Financial records", "Forensic findings", "Interview summary",
                                "Submissions", "Disclosure", "Exhibits", "Conclusions"])


def write_pdf(path: Path, *, pages: int, writer: ProseWriter, title: str) -> int:
    """A born-digital PDF of exactly `pages` pages of prose; returns its character count."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    pdf.set_author(writer._person())
    pdf.set_margins(20, 20, 20)
    bottom = pdf.h - 20
    usable = pdf.w - 40
    chars = 0
    for number in range(1, pages + 1):
        pdf.add_page()
        if number == 1:
            pdf.set_font("Helvetica", "B", 15)
            pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        while True:
            if writer.rng.random() < 0.15:
                pdf.set_font("Helvetica", "B", 12)
                text = writer.heading()
                line_height = 7.0
            else:
                pdf.set_font("Helvetica", "", 11)
                text = latin1(writer.paragraph())
                line_height = 5.5
            # Word wrapping costs a line now and then: estimate high, never spill a page.
            lines = int(pdf.get_string_width(text) / (usable * 0.92)) + 1
            if pdf.get_y() + lines * line_height > bottom:
                break
            pdf.multi_cell(0, line_height, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            chars += len(text) + 2
    pdf.output(str(path))
    return chars


def latin1(text: str) -> str:
    """The PDF core fonts are Latin-1 only."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _write_one(args: tuple[Path, int, int]) -> int:
    path, pages, seed = args
    writer = ProseWriter(seed)
    title = latin1(f"Case file {path.stem}: {writer.rng.choice(ORGS)}")
    return write_pdf(path, pages=pages, writer=writer, title=title)


def write_pdf_corpus(directory: Path, *, documents: int, pages: int, seed: int = 7) -> int:
    """`documents` PDFs of `pages` pages each (two at a time); returns the characters written."""
    from concurrent.futures import ProcessPoolExecutor

    directory.mkdir(parents=True, exist_ok=True)
    jobs = [(directory / f"case-{i + 1:03d}.pdf", pages, seed * 100_003 + i)
            for i in range(documents)]
    with ProcessPoolExecutor(2) as pool:
        return sum(pool.map(_write_one, jobs))


def write_small_files(directory: Path, *, count: int, seed: int = 13) -> int:
    """`count` small notes of 1-4 KB as .txt, .md and .html, 500 to a folder; returns bytes.

    The shape of an exported mailbox or a folder of meeting notes: many files, little text
    each, so per-file costs (a blob, a row, two jobs) dominate, not the model.
    """
    writer = ProseWriter(seed)
    written = 0
    for i in range(count):
        folder = directory / f"batch-{i // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        title = f"Note {i + 1}: {writer.heading()}"
        body = [writer.paragraph() for _ in range(writer.rng.randint(1, 4))]
        kind = i % 3
        if kind == 0:
            path, text = folder / f"note-{i + 1:05d}.txt", "\n\n".join([title, *body])
        elif kind == 1:
            path, text = folder / f"note-{i + 1:05d}.md", "\n\n".join([f"# {title}", *body])
        else:
            paragraphs = "".join(f"<p>{b}</p>" for b in body)
            path = folder / f"note-{i + 1:05d}.html"
            text = (f"<html><head><title>{title}</title></head>"
                    f"<body><h1>{title}</h1>{paragraphs}</body></html>")
        data = text.encode()
        path.write_bytes(data)
        written += len(data)
    return written


def write_large_text(path: Path, *, megabytes: int, seed: int = 11) -> int:
    """A plain-text file of about `megabytes` MB; returns its size in bytes.

    Paragraphs come from a pool (generating 200 MB sentence by sentence would take
    minutes) and each gets a running reference number, so passages stay distinct.
    """
    writer = ProseWriter(seed)
    pool = [writer.paragraph((4, 9)) for _ in range(4000)]
    target = megabytes * 1024 * 1024
    written = 0
    serial = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < target:
            block = []
            for _ in range(256):
                serial += 1
                block.append(f"Ref {serial:08d}. {writer.rng.choice(pool)}\n\n")
            data = "".join(block)
            out.write(data)
            written += len(data.encode("utf-8"))
    return path.stat().st_size


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def python_docs_pages(root: Path) -> list[list[str]]:
    """Sentences of real technical prose from the Python manuals (python3.11-doc), by page."""
    from casework.ingest.parsers.html import HtmlParser

    parser = HtmlParser()
    pages: list[list[str]] = []
    for path in sorted(root.rglob("*.html")):
        text = next(parser.parse(path).pages).text
        # The parser puts a line break between inline elements: rejoin into running text.
        flat = " ".join(text.split())
        sentences = [s for s in _SENTENCE_SPLIT.split(flat)
                     if 40 <= len(s) <= 400 and s.count(" ") >= 6]
        if len(sentences) >= 8:  # short pages would repeat the same passages
            pages.append(sentences)
    return pages


def iter_passages(pages: list[list[str]], *, seed: int, size: int = 900) -> Iterator[str]:
    """Endless passages of about `size` characters, each from the sentences of one page.

    Sentences of one page, kept in page order, so a passage stays on one topic as real
    passages do (mixing sentences from all pages would make every common word appear in
    most passages and keyword search look slower than it is). Random subsets keep the
    passages distinct when the corpus is larger than the manuals.
    """
    rng = random.Random(seed)
    weights = [len(page) for page in pages]
    while True:
        page = rng.choices(pages, weights)[0]
        order = sorted(rng.sample(range(len(page)), len(page)))
        keep = [i for i in order if rng.random() < 0.6] or order
        start = rng.randrange(len(keep))
        parts: list[str] = []
        length = 0
        for index in keep[start:] + keep[:start]:
            if length >= size:
                break
            parts.append(page[index])
            length += len(page[index]) + 1
        yield " ".join(parts)


class StandInVectors:
    """Random unit vectors shaped like sentence embeddings, for runs that skip the model.

    Real sentence embeddings have a low intrinsic dimension; these lie near a random
    12-dimensional subspace of the 384-d space, plus a little noise. Uniformly random 384-d
    vectors would be HNSW's worst case, making index construction several times slower
    than with real vectors (and the build, not the thing measured, the cost of the run).
    """

    def __init__(self, seed: int, *, dimensions: int = 384, rank: int = 12) -> None:
        import numpy as np

        self.rng = np.random.default_rng(seed)
        self.basis = self.rng.standard_normal((rank, dimensions)).astype(np.float32)

    def sample(self, count: int) -> Any:
        import numpy as np

        weights = self.rng.standard_normal((count, len(self.basis))).astype(np.float32)
        noise = self.rng.standard_normal((count, self.basis.shape[1])).astype(np.float32)
        vectors = weights @ self.basis + 0.05 * noise
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors
