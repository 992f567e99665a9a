"""E-mail messages in the pipeline: a message's threading facts from its parser, whether it
is a copy of one already held (then recorded, not indexed again), and its threading."""

from __future__ import annotations

from sqlalchemy.orm import Session

from casework.core.database import transaction
from casework.custody import service as custody
from casework.custody.service import Arrival
from casework.documents.models import Document
from casework.ingest.sandbox import ExtractionResult
from casework.mail import service as mail_service
from casework.mail.facts import MailFacts
from casework.runtime import Runtime


def mail_facts(extracted: ExtractionResult) -> MailFacts | None:
    """An e-mail message's threading facts, when the parser found a message."""
    found = extracted.metadata.get("mail")
    return MailFacts.from_metadata(found) if isinstance(found, dict) else None


def copy_of(runtime: Runtime, document: Document, mail: MailFacts | None) -> str | None:
    """The first copy's document when this message was already met in another mailbox:
    it is then recorded, not indexed again (docs/mail.md#duplicates)."""
    if mail is None or not mail.identity:
        return None
    with transaction(runtime.read_sessions) as session:
        return mail_service.first_copy(session=session, workspace_id=document.workspace_id,
                                       document_id=document.id, identity=mail.identity)


def record_message(session: Session, runtime: Runtime, document: Document,
                    mail: MailFacts) -> str | None:
    """Thread the message; a copy of one already held is an arrival of the first copy."""
    recorded = mail_service.record_message(session=session, document=document, facts=mail)
    first = session.get(Document, recorded.duplicate_of) if recorded.duplicate_of else None
    if first is not None and recorded.first_time:
        custody.record_location(
            session=session, document=first, filename=document.filename,
            collection_id=document.collection_id, duplicate=True,
            arrival=Arrival(via="message", parent_document_id=document.parent_document_id))
    return recorded.duplicate_of
