"""Collection table."""

from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, Timestamped
from casework.core.ids import new_id


class CollectionKind(StrEnum):
    case = "case"
    event = "event"
    notebook = "notebook"


class Collection(Timestamped, Base):
    __tablename__ = "collection"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CollectionKind] = mapped_column(String(16), default=CollectionKind.case)
    # A case or matter number, optional and not unique: one matter may span several
    # collections. Found with the name by `GET /collections?q=` and by search.
    reference: Mapped[str | None] = mapped_column(String(120), default=None)
    description: Mapped[str] = mapped_column(Text, default="")
