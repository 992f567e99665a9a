"""E-mail API shapes: threads, their messages, and a document's message facts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from casework.documents.models import Document
from casework.mail.models import MailMessage, MailThread
from casework.mail.service import ThreadMessage, ThreadView


class MessageOut(BaseModel):
    """The message facts of an e-mail document (`message` on the document's JSON)."""

    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    subject: str = Field(description="Without Re:/Fwd:/AW: and the like.")
    sender: str | None
    sender_name: str | None
    to: list[str]
    cc: list[str]
    sent_at: datetime | None
    thread_id: str | None = Field(description="None for a duplicate: its first copy is "
                                  "in the thread.")
    duplicate_of: str | None = Field(description="The document holding the first copy of "
                                     "this message, when this is the same message again.")

    @classmethod
    def build(cls, row: MailMessage) -> MessageOut:
        return cls(message_id=row.message_id, in_reply_to=row.in_reply_to,
                   references=list(row.reference_ids), subject=row.subject, sender=row.sender,
                   sender_name=row.sender_name, to=list(row.to_addresses),
                   cc=list(row.cc_addresses), sent_at=row.sent_at, thread_id=row.thread_id,
                   duplicate_of=row.duplicate_of_document_id)


class ThreadOut(BaseModel):
    id: str
    subject: str
    message_count: int
    first_at: datetime | None
    last_at: datetime | None

    @classmethod
    def build(cls, thread: MailThread) -> ThreadOut:
        return cls(id=thread.id, subject=thread.subject, message_count=thread.message_count,
                   first_at=thread.first_at, last_at=thread.last_at)


class ThreadPageOut(BaseModel):
    items: list[ThreadOut]
    total: int
    limit: int
    offset: int


class DocumentRef(BaseModel):
    document_id: str
    filename: str
    media_type: str
    collection_id: str
    parent_document_id: str | None = Field(description="For a copy: its mailbox.")

    @classmethod
    def build(cls, document: Document) -> DocumentRef:
        return cls(document_id=document.id, filename=document.filename,
                   media_type=document.media_type, collection_id=document.collection_id,
                   parent_document_id=document.parent_document_id)


class ThreadMessageOut(BaseModel):
    document_id: str
    collection_id: str
    mailbox_document_id: str | None = Field(description="The mailbox it came in, if any.")
    title: str | None
    message: MessageOut
    reply_to_document_id: str | None = Field(description="The message it answers, when "
                                             "that one is in the thread.")
    attachments: list[DocumentRef]
    copies: list[DocumentRef] = Field(description="The same message found again (another "
                                      "mailbox): kept, not indexed twice.")

    @classmethod
    def build(cls, item: ThreadMessage) -> ThreadMessageOut:
        document = item.document
        return cls(document_id=document.id, collection_id=document.collection_id,
                   mailbox_document_id=document.parent_document_id, title=document.title,
                   message=MessageOut.build(item.message),
                   reply_to_document_id=item.reply_to_document_id,
                   attachments=[DocumentRef.build(d) for d in item.attachments],
                   copies=[DocumentRef.build(d) for d in item.copies])


class ThreadDetailOut(ThreadOut):
    participants: list[str]
    messages: list[ThreadMessageOut] = Field(description="In the order they were sent.")

    @classmethod
    def from_view(cls, view: ThreadView) -> ThreadDetailOut:
        base = ThreadOut.build(view.thread)
        return cls(**base.model_dump(), participants=view.participants,
                   messages=[ThreadMessageOut.build(item) for item in view.messages])
