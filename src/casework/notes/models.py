"""Note table."""

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, Timestamped
from casework.core.ids import new_id


class Note(Timestamped, Base):
    __tablename__ = "note"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    collection_id: Mapped[str | None] = mapped_column(
        ForeignKey("collection.id", ondelete="SET NULL"), default=None
    )
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    # Which chunker wrote the note's chunks (search.chunking.CHUNKER_VERSION), as on documents.
    chunker_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
