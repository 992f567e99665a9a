"""The question log: one row per question asked, for usage analytics.

It keeps a hash of the question, never its text: the log says how often and how well
questions are answered without becoming a second copy of what people ask about their cases.
"""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, utcnow


class QuestionLog(Base):
    __tablename__ = "question_log"
    __table_args__ = (Index("ix_question_log_workspace_time", "workspace_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # HMAC-SHA256 (SECRET_KEY) of the normalised question: repeats are countable, the
    # words are neither kept nor recoverable by hashing guesses.
    query_hash: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))  # extractive | generated
    found: Mapped[bool] = mapped_column(Boolean)
    confidence: Mapped[float] = mapped_column(Float)
    latency_ms: Mapped[float] = mapped_column(Float)
    cached: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{document_id, note_id, page, start, end}]: where answers come from, not what they say.
    citations: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
