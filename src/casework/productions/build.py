"""The build_production job: every document stamped and streamed into one ZIP in the blob
store, then the load files, the privilege log and the manifest.

Layout of the archive (the same inputs give the same bytes: fixed member dates, a fixed
order, PDFs with fixed dates and content-derived IDs, nothing naming the production's id
or the time it was made):

    IMAGES/<BEGBATES>.pdf      one stamped PDF per document (a slip sheet when withheld
                               or produced natively)
    NATIVES/<BEGBATES>.<ext>   the original's bytes, for a document produced natively
    TEXT/<BEGBATES>.txt        its text (from the redacted copy when redacted)
    DATA/<VOLUME>.dat          Concordance load file        (productions/loadfiles.py)
    DATA/<VOLUME>.opt          Opticon image load file
    PRIVILEGE/privilege-log.csv and .pdf
    checksums.sha256, manifest.json (last: every other member's size and SHA-256)
"""

from __future__ import annotations

import csv
import json
import logging
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from casework import __version__
from casework.core.database import transaction
from casework.exports.archive import ExportArchive, WrittenMember
from casework.jobs.handlers import JobCancelled, JobContext, PermanentJobError
from casework.productions import service, sheets
from casework.productions.documents import (
    EMAIL_TYPES,
    DocumentProducer,
    Produced,
    read_facts,
    work_folder,
)
from casework.productions.loadfiles import LoadFiles
from casework.productions.models import Production
from casework.storage.blobstore import BlobNotFound, original_key

log = logging.getLogger(__name__)

FORMAT = "casework-production/1"
ZIP_DATE = datetime(1980, 1, 1)
PROGRESS_SECONDS = 0.5
BATCH = 200  # documents whose facts are read at once


def _file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as source:
        while block := source.read(1024 * 1024):
            yield block


class _Build:
    """One attempt: the archive, the load files and the running Bates number."""

    def __init__(self, ctx: JobContext, production: Production, work: Path,
                 archive: ExportArchive) -> None:
        self.ctx, self.production, self.work, self.archive = ctx, production, work, archive
        self.producer = DocumentProducer(runtime=ctx.runtime, production=production,
                                         work=work)
        self.load = LoadFiles(work, volume=production.volume)
        self.checksums = open(work / "checksums.sha256", "w", encoding="utf-8")  # noqa: SIM115 - closed in _finish
        self.next_number = production.start_number
        self.pages = self.done = 0
        self.withheld: list[str] = []
        self.redacted: list[str] = []
        self.natives = 0
        self.first_bates: str | None = None
        self.last_bates: str | None = None
        self.family: list[Produced] = []
        self._last_report = time.monotonic()

    def member(self, path: str, source: Path) -> WrittenMember:
        written = self.archive.add(path, _file_chunks(source), compress=True,
                                   size=source.stat().st_size)
        self.checksums.write(f"{written.sha256}  {written.path}\n")
        return written

    def run(self) -> dict[str, Any]:
        ids = self.production.document_ids
        in_set = set(ids)
        for at in range(0, len(ids), BATCH):
            for facts in read_facts(runtime=self.ctx.runtime,
                                    workspace_id=self.production.workspace_id,
                                    ids=ids[at:at + BATCH]):
                if facts.in_mailbox or facts.document.parent_document_id not in in_set:
                    self._close_family()  # a new family starts at every top document
                self._document(self.producer.produce(facts, first=self.next_number))
        self._close_family()
        return self._finish()

    def _document(self, produced: Produced) -> None:
        labels = produced.labels
        p = self.production
        if len(labels[-1]) > len(p.bates_prefix) + p.digits:
            raise PermanentJobError(f"the Bates numbers outgrew {p.digits} digits at "
                                    f"{labels[-1]}: choose more digits or a lower start")
        self.next_number += len(labels)
        self.pages += len(labels)
        self.first_bates = self.first_bates or labels[0]
        self.last_bates = labels[-1]
        image = f"IMAGES/{labels[0]}.pdf"
        self.member(image, produced.image)
        if produced.native is not None:
            self._native(produced)
        text = None
        if produced.text is not None:
            text = f"TEXT/{labels[0]}.txt"
            self.member(text, produced.text)
        self.load.pages(labels=labels, image_path=image.replace("/", "\\"))
        document, facts = produced.facts.document, produced.facts
        if facts.privileged:
            self.withheld.append(document.id)
            self.load.privileged(privilege_row(labels, facts))
        if produced.redacted:
            self.redacted.append(document.id)
        produced.record = dat_record(produced, legend=self.production.legend,
                                     text_path=text.replace("/", "\\") if text else None)
        self.family.append(produced)
        self.done += 1
        self._maybe_report()

    def _native(self, produced: Produced) -> None:
        """The original, streamed from the blob store into NATIVES/ and checked against
        the SHA-256 recorded at upload (what the DAT's hashes say it is)."""
        document = produced.facts.document
        name = f"{document.filename} ({document.id})"
        try:
            chunks = self.ctx.runtime.blobs.open_chunks(
                original_key(document.workspace_id, document.sha256))
            written = self.archive.add(str(produced.native), chunks, compress=False,
                                       size=document.size_bytes)
        except BlobNotFound:
            raise PermanentJobError(f"the stored original of {name} is missing") from None
        if written.sha256 != document.sha256 or written.size != document.size_bytes:
            raise PermanentJobError(f"the stored original of {name} no longer matches the "
                                    "SHA-256 recorded at upload: the blob store holds "
                                    "damaged bytes")
        self.checksums.write(f"{written.sha256}  {written.path}\n")
        self.natives += 1

    def _close_family(self) -> None:
        """Write the finished family's DAT lines, with its range when it has attachments."""
        if len(self.family) > 1:
            begin, end = self.family[0].labels[0], self.family[-1].labels[-1]
            for member in self.family:
                member.record["BEGATTACH"], member.record["ENDATTACH"] = begin, end
        for member in self.family:
            self.load.document(member.record)
        self.family = []

    def _maybe_report(self) -> None:
        if time.monotonic() - self._last_report < PROGRESS_SECONDS:
            return
        self._last_report = time.monotonic()
        p = self.production
        with transaction(self.ctx.runtime.sessions) as session:
            alive = service.record_progress(session=session, workspace_id=p.workspace_id,
                                            production_id=p.id, documents=self.done)
        if not alive:
            raise JobCancelled(f"production {p.id} was deleted")
        self.ctx.report_progress(min(self.done / max(len(p.document_ids), 1), 0.99))

    def _finish(self) -> dict[str, Any]:
        p = self.production
        self.load.close()
        self.member(f"DATA/{p.volume}.dat", self.load.dat_path)
        self.member(f"DATA/{p.volume}.opt", self.load.opt_path)
        self.member("PRIVILEGE/privilege-log.csv", self.load.log_path)
        log_pdf = self.work / "privilege-log.pdf"
        sheets.privilege_log_pdf(rows=read_log(self.load.log_path), title=p.name, out=log_pdf)
        self.member("PRIVILEGE/privilege-log.pdf", log_pdf)
        self.checksums.close()
        checksums = self.archive.add("checksums.sha256",
                                     _file_chunks(self.work / "checksums.sha256"),
                                     compress=True)
        summary = {"produced_count": self.done - len(self.withheld),
                   "withheld_count": len(self.withheld), "native_count": self.natives,
                   "page_count": self.pages,
                   "first_bates": self.first_bates, "last_bates": self.last_bates}
        manifest = {
            "format": FORMAT, "generator": f"casework {__version__}", "name": p.name,
            "bates": {"prefix": p.bates_prefix, "start": p.start_number, "digits": p.digits,
                      "position": p.stamp_position, "legend": p.legend, "volume": p.volume},
            "natives": p.natives, "families": p.families,
            "documents": self.done, **summary,
            "load_files": {"dat": f"DATA/{p.volume}.dat", "opt": f"DATA/{p.volume}.opt",
                           "privilege_log": ["PRIVILEGE/privilege-log.csv",
                                             "PRIVILEGE/privilege-log.pdf"]},
            "checksums": {"path": checksums.path, "sha256": checksums.sha256,
                          "lists": "every other member except manifest.json"}}
        self.archive.add_bytes("manifest.json",
                               (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
                               .encode())
        return {**summary, "redacted_ids": self.redacted, "withheld_ids": self.withheld}


def read_log(path: Path) -> Iterator[list[str]]:
    with open(path, encoding="utf-8", newline="") as source:
        rows = csv.reader(source)
        next(rows, None)
        yield from ([cell.removeprefix("'") for cell in row] for row in rows)


def _kind(media_type: str) -> str:
    if media_type in EMAIL_TYPES:
        return "E-mail"
    if media_type == "application/pdf":
        return "PDF document"
    if media_type.startswith("image/"):
        return "Image"
    return f"Document ({media_type})"


def _sent(facts: Any) -> str:
    moment = facts.document.captured_at
    return moment.date().isoformat() if moment else ""


def privilege_row(labels: list[str], facts: Any) -> list[str]:
    """Bates range, date, author, recipients, type, basis, description: nothing of the
    document's words beyond its sender and recipients (the subject may be privileged)."""
    meta = facts.document.metadata_json or {}
    recipients = "; ".join(str(meta[k]) for k in ("to", "cc") if meta.get(k))
    author = str(meta.get("from") or meta.get("author") or "")
    kind = _kind(facts.document.media_type)
    return [labels[0], labels[-1], _sent(facts), author, recipients, kind,
            facts.basis or "privileged", f"{kind} withheld in full as privileged"]


def dat_record(produced: Produced, *, legend: str | None, text_path: str | None
               ) -> dict[str, Any]:
    facts, labels = produced.facts, produced.labels
    document = facts.document
    meta = document.metadata_json or {}
    email = document.media_type in EMAIL_TYPES
    return {"BEGBATES": labels[0], "ENDBATES": labels[-1], "PGCOUNT": len(labels),
            "DOCID": document.id,
            "PARENTDOCID": None if facts.in_mailbox else document.parent_document_id,
            "CUSTODIAN": "; ".join(facts.custodians), "FILENAME": document.filename,
            "DOCTYPE": document.media_type, "MD5HASH": document.md5,
            "SHA256": document.sha256, "DATESENT": _sent(facts) if email else "",
            "FROM": meta.get("from") if email else "", "TO": meta.get("to") if email else "",
            "CC": meta.get("cc") if email else "",
            "PRIVILEGE": (f"Withheld - {facts.basis or 'privileged'}"
                          if facts.privileged else ""),
            "CONFIDENTIALITY": legend or "", "REDACTED": "Y" if produced.redacted else "N",
            "NATIVEPATH": produced.native.replace("/", "\\") if produced.native else "",
            "TEXTPATH": text_path or ""}


def build_production(ctx: JobContext) -> None:
    runtime = ctx.runtime
    workspace_id = ctx.workspace_id or ""
    production_id = ctx.payload["production_id"]
    with transaction(runtime.sessions) as session:
        production = service.start_build(session=session, workspace_id=workspace_id,
                                         production_id=production_id)
        if production is not None:
            session.expunge(production)
    if production is None:
        return  # deleted while it waited
    blob_key = service.blob_key(workspace_id, production_id)
    target = runtime.blobs.open_writer(blob_key)
    archive = ExportArchive(target, when=ZIP_DATE)
    try:
        with work_folder(runtime) as folder:
            result = _Build(ctx, production, Path(folder), archive).run()
        size, sha256 = archive.close()
        target.commit()
    except BaseException:
        archive.abandon()
        target.abort()
        raise
    with transaction(runtime.sessions) as session:
        kept = service.finish_build(session=session, workspace_id=workspace_id,
                                    production_id=production_id,
                                    result={**result, "size_bytes": size, "sha256": sha256})
    if not kept:
        runtime.blobs.delete(blob_key)
        return
    log.info("production built", extra={"production_id": production_id, "size": size,
                                        "pages": result["page_count"]})


def production_failed(ctx: JobContext, reason: str) -> None:
    with transaction(ctx.runtime.sessions) as session:
        service.fail_build(session=session, workspace_id=ctx.workspace_id or "",
                           production_id=ctx.payload["production_id"], error=reason)
