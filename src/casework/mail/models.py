"""Messages, the ids they refer to, and the threads they form (docs/mail.md).

A message row sits beside its document (one per e-mail document). Threads are rebuilt
incrementally as messages arrive, so a thread is a row of its own that messages point at
and that two threads merge into when a late message joins them.
"""

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, Timestamped
from casework.core.ids import new_id


class MailThread(Timestamped, Base):
    __tablename__ = "mail_thread"
    __table_args__ = (Index("ix_mail_thread_workspace_last", "workspace_id", "last_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(500), default="")
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime | None] = mapped_column(default=None)
    last_at: Mapped[datetime | None] = mapped_column(default=None)


class MailMessage(Base):
    __tablename__ = "mail_message"
    __table_args__ = (
        UniqueConstraint("document_id"),
        Index("ix_mail_message_message_id", "workspace_id", "message_id"),
        Index("ix_mail_message_subject", "workspace_id", "subject_key", "sent_at"),
        Index("ix_mail_message_thread", "workspace_id", "thread_id", "sent_at"),
        Index("ix_mail_message_identity", "workspace_id", "identity"),
        # The copies of a thread's messages (the thread page shows them); partial, as for
        # ix_document_location_parent: most messages are nobody's copy.
        Index("ix_mail_message_duplicate_of", "workspace_id", "duplicate_of_document_id",
              sqlite_where=text("duplicate_of_document_id IS NOT NULL"),
              postgresql_where=text("duplicate_of_document_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    collection_id: Mapped[str] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"))
    message_id: Mapped[str | None] = mapped_column(String(255), default=None)
    in_reply_to: Mapped[str | None] = mapped_column(String(255), default=None)
    reference_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(500), default="")  # Re:/Fwd: stripped
    subject_key: Mapped[str] = mapped_column(String(500), default="")  # and case-folded
    sender: Mapped[str | None] = mapped_column(String(320), default=None)
    sender_name: Mapped[str | None] = mapped_column(String(200), default=None)
    to_addresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    cc_addresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    identity: Mapped[str] = mapped_column(String(80))
    # None for a duplicate: only the first copy of a message is in a thread.
    thread_id: Mapped[str | None] = mapped_column(
        ForeignKey("mail_thread.id", ondelete="SET NULL"), default=None)
    # The document of the first copy, when this one is the same message again.
    duplicate_of_document_id: Mapped[str | None] = mapped_column(String(32), default=None)


class MailIdentity(Base):
    """Who holds a message's first copy: the unique constraint decides, under concurrency,
    which of two copies processed at once is the original."""

    __tablename__ = "mail_identity"
    __table_args__ = (UniqueConstraint("workspace_id", "identity"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    identity: Mapped[str] = mapped_column(String(80))
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))


class MailReference(Base):
    """One id a message names in In-Reply-To or References: how a parent that arrives
    after its replies finds them, and how two replies to a missing parent meet."""

    __tablename__ = "mail_reference"
    __table_args__ = (Index("ix_mail_reference_ref", "workspace_id", "referenced_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    message_row_id: Mapped[int] = mapped_column(
        ForeignKey("mail_message.id", ondelete="CASCADE"), index=True)
    referenced_id: Mapped[str] = mapped_column(String(255))
