"""Entity and mention tables: one entity per (workspace, kind, normalised key); a mention is
where a page names it, by character offsets into that page's text (as chunks and citations)."""

from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, Timestamped
from casework.core.ids import new_id


class EntityKind(StrEnum):
    person = "person"
    organisation = "organisation"
    place = "place"
    email = "email"
    phone = "phone"
    iban = "iban"
    money = "money"
    date = "date"
    reference = "reference"


class Entity(Timestamped, Base):
    """`key` is what variants share (see entities/keys.py): "Mr. John O'Brien's" and
    "john o'brien" are one entity. An entity merged by hand into another keeps its row, with
    `merged_into_id` set, so later extractions of its key land on the survivor."""

    __tablename__ = "entity"
    __table_args__ = (
        UniqueConstraint("workspace_id", "kind", "key"),
        Index("ix_entity_workspace_kind_name", "workspace_id", "kind", "name"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    kind: Mapped[EntityKind] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(300))
    # No foreign key to itself: a merge chain is followed in the service, at most a few links.
    merged_into_id: Mapped[str | None] = mapped_column(String(32), default=None)


class EntityMention(Base):
    """Deleted with its document (cascade), so a deleted document leaves no mention."""

    __tablename__ = "entity_mention"
    __table_args__ = (
        Index("ix_entity_mention_entity", "workspace_id", "entity_id", "document_id"),
        Index("ix_entity_mention_document", "document_id", "page"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    entity_id: Mapped[str] = mapped_column(ForeignKey("entity.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    page: Mapped[int] = mapped_column(Integer)
    start_char: Mapped[int] = mapped_column(Integer)
    end_char: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(300))
