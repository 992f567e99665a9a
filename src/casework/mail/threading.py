"""Threads rebuilt as messages arrive, in any order (docs/mail.md#threads).

JWZ's threading reduced to what an incremental store needs: a message belongs with every
message it names (In-Reply-To, References), every message that names it, and every message
naming an id it names too (two replies to a parent never received). When it has no such
header, it falls back to the normalised subject and at least one shared participant within
SUBJECT_WINDOW. Every thread it touches is merged into the oldest; a message arriving
late therefore joins, or joins up, the threads already built.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from casework.core.scoping import scoped
from casework.mail.models import MailMessage, MailReference, MailThread

SUBJECT_WINDOW = timedelta(days=30)
MAX_SUBJECT_CANDIDATES = 500  # same-subject messages read per arrival for the fallback
_LOCK_CLASS = 0x6D61696C  # "mail": one advisory lock per workspace (PostgreSQL)


def _serialise(session: Session, workspace_id: str) -> None:
    """Two workers threading related messages at once must not build two threads: on
    PostgreSQL threading takes a per-workspace lock; SQLite has one writer anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:kind, hashtext(:workspace))"),
                        {"kind": _LOCK_CLASS, "workspace": workspace_id})


def _by_headers(session: Session, message: MailMessage) -> set[str]:
    """Threads of the messages this one is linked to by ids, either way."""
    named = {i for i in (message.in_reply_to, *message.reference_ids) if i}
    ws = message.workspace_id
    threads: set[str] = set()
    if named:
        # No condition on thread_id here: with one, SQLite may walk ix_mail_message_thread
        # (every threaded message of the workspace) instead of the few ids named.
        threads |= {thread for thread in session.scalars(
            select(MailMessage.thread_id).where(
                MailMessage.workspace_id == ws, MailMessage.message_id.in_(named))) if thread}
    wanted = named | ({message.message_id} if message.message_id else set())
    if wanted:
        threads |= set(session.scalars(
            select(MailMessage.thread_id).join(
                MailReference, MailReference.message_row_id == MailMessage.id).where(
                MailReference.workspace_id == ws, MailReference.referenced_id.in_(wanted),
                MailMessage.id != message.id, MailMessage.thread_id.is_not(None))))
    return threads


def _participants(row: MailMessage) -> set[str]:
    return {a for a in (row.sender, *row.to_addresses, *row.cc_addresses) if a}


def _by_subject(session: Session, message: MailMessage) -> set[str]:
    """Threads of same-subject messages sharing a participant within the window."""
    if not message.subject_key:
        return set()
    mine = _participants(message)
    if not mine:
        return set()
    # thread_id is tested below, not here: the condition led SQLite to walk every threaded
    # message of the workspace (ix_mail_message_thread) rather than ix_mail_message_subject.
    query = scoped(MailMessage, message.workspace_id).where(
        MailMessage.subject_key == message.subject_key, MailMessage.id != message.id)
    if message.sent_at is not None:
        query = query.where(or_(MailMessage.sent_at.is_(None), MailMessage.sent_at.between(
            message.sent_at - SUBJECT_WINDOW, message.sent_at + SUBJECT_WINDOW)))
    rows = session.scalars(query.limit(MAX_SUBJECT_CANDIDATES))
    return {row.thread_id for row in rows if row.thread_id and _participants(row) & mine}


def refresh_thread(session: Session, *, workspace_id: str, thread_id: str) -> None:
    """Recount a thread and take its subject from its first message; drop it if empty."""
    thread = session.get(MailThread, thread_id)
    if thread is None or thread.workspace_id != workspace_id:
        return
    members = scoped(MailMessage, workspace_id).where(MailMessage.thread_id == thread_id)
    count, first, last = session.execute(
        select(func.count(), func.min(MailMessage.sent_at), func.max(MailMessage.sent_at))
        .where(MailMessage.workspace_id == workspace_id,
               MailMessage.thread_id == thread_id)).one()
    if not count:
        session.delete(thread)
        return
    earliest = session.scalars(members.order_by(
        MailMessage.sent_at.is_(None), MailMessage.sent_at, MailMessage.id).limit(1)).first()
    thread.message_count, thread.first_at, thread.last_at = count, first, last
    thread.subject = earliest.subject if earliest is not None else ""


def place_in_thread(session: Session, message: MailMessage) -> MailThread:
    """Put a stored message (flushed, not a duplicate) in its thread, merging threads."""
    ws = message.workspace_id
    _serialise(session, ws)
    found = _by_headers(session, message)
    if not found and not message.in_reply_to and not message.reference_ids:
        found = _by_subject(session, message)
    found.discard(message.thread_id)  # type: ignore[arg-type]
    if message.thread_id:
        found.add(message.thread_id)
    threads = list(session.scalars(scoped(MailThread, ws).where(
        MailThread.id.in_(found)).order_by(MailThread.created_at, MailThread.id))
        ) if found else []  # an empty IN walked every thread of the workspace
    if threads:
        target, others = threads[0], [t.id for t in threads[1:]]
    else:
        target, others = MailThread(workspace_id=ws, subject=message.subject), []
        session.add(target)
        session.flush()
    if others:
        session.execute(update(MailMessage).where(
            MailMessage.workspace_id == ws, MailMessage.thread_id.in_(others))
            .values(thread_id=target.id))
        session.execute(delete(MailThread).where(MailThread.workspace_id == ws,
                                                 MailThread.id.in_(others)))
    message.thread_id = target.id
    session.flush()
    refresh_thread(session, workspace_id=ws, thread_id=target.id)
    return target
