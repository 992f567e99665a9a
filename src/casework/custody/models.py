"""File locations: one row per arrival of a document's bytes, the first and every
duplicate, so deduplication never loses where and from whom a copy came."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, utcnow


class DocumentLocation(Base):
    __tablename__ = "document_location"
    __table_args__ = (
        Index("ix_document_location_document", "document_id", "received_at"),
        # A container's members (the document page lists them): partial, because most rows
        # have no parent, and ANALYZE then calls a full index useless and the page scans
        # every location of the case (docs/review.md, "Speed").
        Index("ix_document_location_parent", "workspace_id", "parent_document_id",
              sqlite_where=text("parent_document_id IS NOT NULL"),
              postgresql_where=text("parent_document_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    # The collection it was uploaded to (a duplicate may arrive in another one).
    collection_id: Mapped[str | None] = mapped_column(
        ForeignKey("collection.id", ondelete="SET NULL"), default=None)
    filename: Mapped[str] = mapped_column(String(255))
    source_path: Mapped[str | None] = mapped_column(String(1024), default=None)
    custodian: Mapped[str | None] = mapped_column(String(200), default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How it came: "api" (an upload), "cli" (casework ingest), "attachment", "archive" or
    # "mailbox" (inside another document, whose id is in parent_document_id; source_path is
    # then "<container>!/<path inside it>"), "message" (the same e-mail found again in
    # another mailbox: docs/mail.md), "before-custody" (stored before file
    # locations were kept: the first arrival as the document row knew it).
    via: Mapped[str] = mapped_column(String(16))
    uploaded_by_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    uploaded_by_api_key_id: Mapped[str | None] = mapped_column(String(32), default=None)
    uploaded_by_label: Mapped[str | None] = mapped_column(String(320), default=None)
    parent_document_id: Mapped[str | None] = mapped_column(String(32), default=None)
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
