"""Near-duplicate groups: a document's signature is matched against the workspace's
earlier ones as it arrives (incremental), and groups are read with their pivot.

Candidates come from shared LSH bands; a candidate joins when the estimated Jaccard
similarity of the two signatures reaches NEAR_DUPLICATE_THRESHOLD. Groups are connected:
a document matching members of two groups merges them. The pivot, chosen when reading, is
the longest member (the earliest on a tie), and each member shows its similarity to it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from casework.core.ids import new_id
from casework.core.scoping import find_scoped, get_scoped, scoped
from casework.documents.models import Document, DocumentPage
from casework.neardup import minhash
from casework.neardup.models import DocumentSignature, SignatureBand

GROUPS_PAGE = 50  # groups listed per page (the API allows up to MAX_GROUPS)
MAX_GROUPS = 200


@dataclass(slots=True)
class Member:
    document_id: str
    filename: str
    title: str | None
    collection_id: str
    created_at: datetime
    words: int
    similarity: float = 1.0  # to the pivot


@dataclass(slots=True)
class Group:
    id: str
    pivot: Member
    members: list[Member] = field(default_factory=list)  # the pivot first


def _texts(session: Session, workspace_id: str, document_id: str) -> Iterator[str]:
    """The document's pages in order, one at a time (a long document is not held whole)."""
    numbers = session.scalars(select(DocumentPage.number).where(
        DocumentPage.workspace_id == workspace_id, DocumentPage.document_id == document_id
    ).order_by(DocumentPage.number)).all()
    for number in numbers:
        yield session.scalar(select(DocumentPage.text).where(
            DocumentPage.workspace_id == workspace_id, DocumentPage.document_id == document_id,
            DocumentPage.number == number)) or ""


def index_document(*, session: Session, workspace_id: str, document_id: str,
                   threshold: float) -> str | None:
    """(Re)compute the document's signature and bands, and put it in a group with the
    workspace's documents it nearly duplicates. Returns its group id, or None."""
    document = find_scoped(session, Document, workspace_id, document_id)
    if document is None:
        return None  # deleted while the job waited
    _lock_workspace(session, workspace_id)
    forget_document(session=session, workspace_id=workspace_id, document_id=document_id)
    hashes, word_count = minhash.shingle_hashes(_texts(session, workspace_id, document_id))
    sig = minhash.signature(hashes)
    row = DocumentSignature(document_id=document_id, workspace_id=workspace_id,
                            words=word_count, signature=None if sig is None
                            else minhash.to_bytes(sig))
    session.add(row)
    if sig is None:
        session.flush()
        return None
    keys = minhash.band_keys(sig)
    candidates = set(session.scalars(select(SignatureBand.document_id).where(
        SignatureBand.workspace_id == workspace_id, SignatureBand.band_key.in_(keys),
        SignatureBand.document_id != document_id)))
    session.add_all(SignatureBand(document_id=document_id, band_key=k,
                                  workspace_id=workspace_id) for k in keys)
    matches = [other for other in session.scalars(scoped(DocumentSignature, workspace_id).where(
        DocumentSignature.document_id.in_(candidates))) if other.signature is not None
        and minhash.similarity(sig, minhash.from_bytes(other.signature)) >= threshold
    ] if candidates else []
    if not matches:
        session.flush()
        return None
    groups = sorted({m.group_id for m in matches if m.group_id})
    group_id = groups[0] if groups else new_id()
    if len(groups) > 1:  # this document links them: one group
        session.execute(update(DocumentSignature).where(
            DocumentSignature.workspace_id == workspace_id,
            DocumentSignature.group_id.in_(groups[1:])).values(group_id=group_id))
    for match in matches:
        match.group_id = group_id
    row.group_id = group_id
    session.flush()
    return group_id


def _lock_workspace(session: Session, workspace_id: str) -> None:
    """Two workers matching two new near-copies at once would each miss the other: on
    PostgreSQL they take turns per workspace (SQLite has one writer already)."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.blake2b(f"neardup:{workspace_id}".encode(),
                                             digest_size=8).digest(), "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def forget_document(*, session: Session, workspace_id: str, document_id: str) -> None:
    """Drop the document's signature and bands (before recomputing them). Its former group
    keeps the other members: they matched each other or the document, both near-copies."""
    for model in (SignatureBand, DocumentSignature):
        session.execute(delete(model).where(model.workspace_id == workspace_id,
                                            model.document_id == document_id))


def _build(session: Session, workspace_id: str,
           rows: list[DocumentSignature]) -> list[Group]:
    """Groups of at least two remaining documents, each with its pivot and similarities."""
    by_group: dict[str, list[DocumentSignature]] = defaultdict(list)
    for row in rows:
        if row.group_id:
            by_group[row.group_id].append(row)
    ids = [r.document_id for members in by_group.values() for r in members]
    documents = {d.id: d for d in session.scalars(scoped(Document, workspace_id).where(
        Document.id.in_(ids)))} if ids else {}
    groups: list[Group] = []
    for group_id, members in by_group.items():
        members = [m for m in members if m.document_id in documents]
        if len(members) < 2:
            continue
        members.sort(key=lambda m: (-m.words, documents[m.document_id].created_at,
                                    m.document_id))
        pivot_sig = minhash.from_bytes(members[0].signature or b"")
        shown = []
        for m in members:
            doc = documents[m.document_id]
            shown.append(Member(document_id=doc.id, filename=doc.filename, title=doc.title,
                                collection_id=doc.collection_id, created_at=doc.created_at,
                                words=m.words, similarity=round(minhash.similarity(
                                    pivot_sig, minhash.from_bytes(m.signature or b"")), 3)))
        groups.append(Group(id=group_id, pivot=shown[0], members=shown))
    groups.sort(key=lambda g: (-len(g.members), g.pivot.created_at, g.id))
    return groups


def list_groups(*, session: Session, workspace_id: str, collection_id: str | None,
                limit: int = GROUPS_PAGE, offset: int = 0) -> tuple[list[Group], int]:
    """One page of the workspace's groups, or of those with a member in the collection (all
    members shown, a copy in another collection too), largest first; and how many there are.

    The page's group ids are chosen by one aggregate over the signatures' group index, and
    only those groups are built: a 50,000-message case has thousands of groups, and building
    every one of them for each page view took over a second (docs/review.md#speed).
    """
    conditions = [DocumentSignature.workspace_id == workspace_id,
                  DocumentSignature.group_id.is_not(None)]
    if collection_id is not None:
        in_collection = select(DocumentSignature.group_id).join(
            Document, Document.id == DocumentSignature.document_id).where(
            DocumentSignature.workspace_id == workspace_id,
            Document.collection_id == collection_id, DocumentSignature.group_id.is_not(None))
        conditions.append(DocumentSignature.group_id.in_(in_collection))
    size = func.count().label("size")
    sizes = (select(DocumentSignature.group_id, size).where(*conditions)
             .group_by(DocumentSignature.group_id).having(func.count() >= 2))
    counted = sizes.subquery()
    # The page and the number of groups in one statement (the count over every group,
    # before LIMIT): the aggregate joins each grouped signature to its document, once.
    found = session.execute(select(counted.c.group_id, func.count().over()).order_by(
        counted.c.size.desc(), counted.c.group_id).limit(limit).offset(offset)).all()
    if not found:  # past the last page (or none): the count alone
        return [], session.scalar(select(func.count()).select_from(counted)) or 0
    page, total = [group_id for group_id, _ in found], int(found[0][1])
    rows = list(session.scalars(scoped(DocumentSignature, workspace_id).where(
        DocumentSignature.group_id.in_(page))))
    return _build(session, workspace_id, rows), total


def document_group(*, session: Session, workspace_id: str, document_id: str) -> Group | None:
    """The document's group, or None (no near-duplicate, or not signed yet)."""
    get_scoped(session, Document, workspace_id, document_id, noun="document")
    row = session.scalars(scoped(DocumentSignature, workspace_id).where(
        DocumentSignature.document_id == document_id)).first()
    if row is None or row.group_id is None:
        return None
    rows = list(session.scalars(scoped(DocumentSignature, workspace_id).where(
        DocumentSignature.group_id == row.group_id)))
    groups = _build(session, workspace_id, rows)
    return groups[0] if groups else None

