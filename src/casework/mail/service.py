"""E-mail messages beside their documents: recording one as it is processed, marking the
same message met again in another mailbox as a duplicate, and reading threads.

A duplicate is a message whose identity (its Message-ID, else a hash of its headers and
body: mail.facts.identity_of) a document of the workspace already holds. It keeps its own
document (its mailbox lists it), is not indexed, is in no thread, and its arrival is
recorded as a file location of the first copy, as custody/ records the same bytes twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from casework.core.scoping import get_scoped, scoped
from casework.documents.models import Document, DocumentPage
from casework.mail.facts import MailFacts, subject_key
from casework.mail.models import MailIdentity, MailMessage, MailReference, MailThread
from casework.mail.threading import place_in_thread, refresh_thread

MAX_THREAD_MESSAGES = 1000  # a thread view lists at most this many messages, oldest first


def first_copy(*, session: Session, workspace_id: str, document_id: str,
               identity: str) -> str | None:
    """The document holding this message's first copy, when it is not this one: read
    before indexing, so a duplicate's text is never indexed twice."""
    holder = session.scalar(select(MailIdentity.document_id).where(
        MailIdentity.workspace_id == workspace_id, MailIdentity.identity == identity))
    return holder if holder is not None and holder != document_id else None


def _claim(session: Session, document: Document, identity: str) -> str | None:
    """Claim the identity for `document`; the first copy's document id if another won."""
    holder = first_copy(session=session, workspace_id=document.workspace_id,
                        document_id=document.id, identity=identity)
    if holder is not None:
        return holder
    try:
        with session.begin_nested():
            session.add(MailIdentity(workspace_id=document.workspace_id, identity=identity,
                                     document_id=document.id))
    except IntegrityError:
        pass  # claimed by this document on an earlier attempt, or by a copy just now
    return first_copy(session=session, workspace_id=document.workspace_id,
                      document_id=document.id, identity=identity)


def _forget(session: Session, document: Document) -> MailMessage | None:
    """An earlier attempt's row for this document (a retry replaces it)."""
    old = session.scalars(scoped(MailMessage, document.workspace_id).where(
        MailMessage.document_id == document.id)).first()
    if old is None:
        return None
    thread_id = old.thread_id
    session.delete(old)
    session.flush()
    if thread_id:
        refresh_thread(session, workspace_id=document.workspace_id, thread_id=thread_id)
    return old


@dataclass(frozen=True, slots=True)
class Recorded:
    duplicate_of: str | None  # the first copy's document, when this is the same message
    first_time: bool  # False on a retry of the same document's job


def record_message(*, session: Session, document: Document, facts: MailFacts) -> Recorded:
    """Store the message of a processed e-mail document and thread it, in the job's
    transaction; say whether it is a copy of a message already held."""
    earlier = _forget(session, document)
    original = _claim(session, document, facts.identity) if facts.identity else None
    message = MailMessage(
        workspace_id=document.workspace_id, document_id=document.id,
        collection_id=document.collection_id, message_id=facts.message_id,
        in_reply_to=facts.in_reply_to, reference_ids=facts.references,
        subject=facts.subject, subject_key=subject_key(facts.subject), sender=facts.sender,
        sender_name=facts.sender_name, to_addresses=facts.to, cc_addresses=facts.cc,
        sent_at=facts.sent_at, identity=facts.identity, duplicate_of_document_id=original)
    session.add(message)
    session.flush()
    if original is None:
        named = dict.fromkeys(i for i in (facts.in_reply_to, *facts.references) if i)
        session.add_all(MailReference(workspace_id=document.workspace_id,
                                      message_row_id=message.id, referenced_id=ref)
                        for ref in named)
        session.flush()
        place_in_thread(session, message)
    return Recorded(duplicate_of=original, first_time=earlier is None)


def message_of(*, session: Session, workspace_id: str, document_id: str) -> MailMessage | None:
    return session.scalars(scoped(MailMessage, workspace_id).where(
        MailMessage.document_id == document_id)).first()


@dataclass(slots=True)
class ThreadPage:
    threads: list[MailThread]
    total: int


def list_threads(*, session: Session, workspace_id: str, collection_id: str | None,
                 limit: int, offset: int) -> ThreadPage:
    """Threads, latest activity first; with a collection, those with a message in it, or a
    copy of one (the same message found in a mailbox of this collection)."""
    query = scoped(MailThread, workspace_id)
    if collection_id is not None:
        held = exists().where(
            MailMessage.workspace_id == workspace_id, MailMessage.thread_id == MailThread.id,
            MailMessage.collection_id == collection_id)
        copy = aliased(MailMessage)
        copied = exists().where(
            copy.workspace_id == workspace_id, copy.collection_id == collection_id,
            copy.duplicate_of_document_id == MailMessage.document_id,
            MailMessage.workspace_id == workspace_id, MailMessage.thread_id == MailThread.id)
        query = query.where(or_(held, copied))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(MailThread.last_at.is_(None),
                                          MailThread.last_at.desc(), MailThread.id)
                           .limit(limit).offset(offset)).all()
    return ThreadPage(list(rows), total)


@dataclass(slots=True)
class ThreadMessage:
    message: MailMessage
    document: Document
    attachments: list[Document] = field(default_factory=list)
    copies: list[Document] = field(default_factory=list)  # the same message elsewhere
    reply_to_document_id: str | None = None


@dataclass(slots=True)
class ThreadView:
    thread: MailThread
    messages: list[ThreadMessage]

    @property
    def participants(self) -> list[str]:
        seen: dict[str, None] = {}
        for item in self.messages:
            m = item.message
            for address in (m.sender, *m.to_addresses, *m.cc_addresses):
                if address:
                    seen.setdefault(address, None)
        return list(seen)


def get_thread(*, session: Session, workspace_id: str, thread_id: str) -> ThreadView:
    """A thread's messages in the order they were sent, each with its document, its
    attachments and the duplicates of it found in other mailboxes."""
    thread = get_scoped(session, MailThread, workspace_id, thread_id, noun="thread")
    rows = session.execute(
        select(MailMessage, Document).join(Document, Document.id == MailMessage.document_id)
        .where(MailMessage.workspace_id == workspace_id, MailMessage.thread_id == thread.id)
        .order_by(MailMessage.sent_at.is_(None), MailMessage.sent_at, MailMessage.id)
        .limit(MAX_THREAD_MESSAGES)).all()
    items = [ThreadMessage(message, document) for message, document in rows]
    by_document = {item.document.id: item for item in items}
    by_message_id = {item.message.message_id: item.document.id for item in items
                     if item.message.message_id}
    for item in items:
        item.reply_to_document_id = by_message_id.get(item.message.in_reply_to or "")
    if by_document:
        children = scoped(Document, workspace_id).where(
            Document.parent_document_id.in_(list(by_document))).order_by(Document.filename)
        for child in session.scalars(children):
            by_document[child.parent_document_id or ""].attachments.append(child)
        copies = session.execute(
            select(MailMessage.duplicate_of_document_id, Document)
            .join(Document, Document.id == MailMessage.document_id)
            .where(MailMessage.workspace_id == workspace_id,
                   MailMessage.duplicate_of_document_id.in_(list(by_document))))
        for original, copy in copies:
            by_document[original].copies.append(copy)
    return ThreadView(thread, items)


def message_texts(*, session: Session, workspace_id: str,
                  document_ids: list[str]) -> dict[str, str]:
    """Each message's body: its first page without the header lines above it."""
    rows = session.execute(
        select(DocumentPage.document_id, DocumentPage.text).where(
            DocumentPage.workspace_id == workspace_id,
            DocumentPage.document_id.in_(document_ids), DocumentPage.number == 1)).tuples()
    return {document_id: message_body(text) for document_id, text in rows}


def message_body(text: str) -> str:
    """A message page's text without the header lines the parser put above the body."""
    _, blank, body = text.partition("\n\n")
    return body if blank else text


def forget_document(*, session: Session, workspace_id: str, document_id: str) -> None:
    """Before an e-mail document is deleted: its message leaves its thread (recounted, or
    dropped when empty) and its identity is freed for a copy that arrives later."""
    row = message_of(session=session, workspace_id=workspace_id, document_id=document_id)
    if row is None:
        return
    thread_id = row.thread_id
    session.execute(delete(MailIdentity).where(MailIdentity.workspace_id == workspace_id,
                                               MailIdentity.document_id == document_id))
    session.delete(row)
    session.flush()
    if thread_id:
        refresh_thread(session, workspace_id=workspace_id, thread_id=thread_id)
