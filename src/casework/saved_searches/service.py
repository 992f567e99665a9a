"""Saved searches (save, list, change the alerts, delete) and their alerts.

A document becoming searchable (ingest/pipeline.py, the `document.ready` transaction) queues
one `check_saved_searches` job when its workspace has a saved search with an alert. The job
tests the document against each such search (search/matching.py: the same syntax and index
as search) and, for each match not alerted before, stores a `saved_search_match` row (the
unique pair makes it at most once per document and search, whatever the retries), queues
the `saved_search.match` webhook in the same transaction (the webhooks outbox) and returns
the e-mails to send once that commits. Only documents that arrived after the search was
saved alert: reprocessing an old one tells nobody anything new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from casework.accounts.models import Membership, User
from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.collections.models import Collection
from casework.core.errors import Conflict, InvalidInput
from casework.core.scoping import find_scoped, get_scoped, scoped
from casework.documents.models import Document
from casework.jobs import service as jobs_service
from casework.jobs.models import JobPriority
from casework.saved_searches.job_kinds import CHECK_SAVED_SEARCHES
from casework.saved_searches.models import SavedSearch, SavedSearchMatch
from casework.search.matching import matching_documents
from casework.search.query import parse_query
from casework.webhooks import service as webhooks_service
from casework.webhooks.events import WebhookEvent

MAX_NAME = 200
MAX_QUERY = 1000
MAX_SAVED = 200  # per workspace: each new document is tested against every alerting one
MAX_MATCHES_LISTED = 500


@dataclass(frozen=True, slots=True)
class AlertMail:
    to: str
    subject: str
    body: str


def _checked_query(query: str) -> str:
    query = query.strip()
    if not query or parse_query(query).is_empty:
        raise InvalidInput("the query holds no word to search for", details={"field": "query"})
    return query


def _check_email(principal: Principal, alert_email: bool) -> None:
    if alert_email and principal.user_id is None:
        raise InvalidInput("e-mail alerts go to the person who saves the search: an API key "
                           "has no address (use a webhook)", details={"field": "alert_email"})


def create_saved_search(*, session: Session, principal: Principal, name: str, query: str,
                        collection_id: str | None, alert_webhook: bool,
                        alert_email: bool) -> SavedSearch:
    workspace_id = principal.workspace_id
    at_limit = session.scalar(select(SavedSearch.id).where(
        SavedSearch.workspace_id == workspace_id).offset(MAX_SAVED - 1).limit(1))
    if at_limit is not None:
        raise Conflict(f"this workspace has {MAX_SAVED} saved searches, the most allowed")
    if collection_id:
        get_scoped(session, Collection, workspace_id, collection_id, noun="collection")
    _check_email(principal, alert_email)
    saved = SavedSearch(workspace_id=workspace_id, name=name.strip()[:MAX_NAME] or "search",
                        query=_checked_query(query), collection_id=collection_id or None,
                        alert_webhook=alert_webhook, alert_email=alert_email,
                        created_by_user_id=principal.user_id,
                        created_by_label=(principal.label or "")[:320] or None)
    session.add(saved)
    session.flush()
    audit.record_by(session=session, principal=principal, action="saved_search.create",
                    target_type="saved_search", target_id=saved.id,
                    details={"name": saved.name, "alert_webhook": alert_webhook,
                             "alert_email": alert_email})
    return saved


def get_saved_search(*, session: Session, workspace_id: str,
                     saved_search_id: str) -> SavedSearch:
    return get_scoped(session, SavedSearch, workspace_id, saved_search_id,
                      noun="saved search")


def list_saved_searches(*, session: Session, workspace_id: str) -> list[SavedSearch]:
    return list(session.scalars(scoped(SavedSearch, workspace_id).order_by(
        SavedSearch.name, SavedSearch.id)))


def update_saved_search(*, session: Session, principal: Principal, saved_search_id: str,
                        name: str | None = None, alert_webhook: bool | None = None,
                        alert_email: bool | None = None) -> SavedSearch:
    saved = get_saved_search(session=session, workspace_id=principal.workspace_id,
                             saved_search_id=saved_search_id)
    if name is not None and name.strip():
        saved.name = name.strip()[:MAX_NAME]
    if alert_webhook is not None:
        saved.alert_webhook = alert_webhook
    if alert_email is not None:
        if alert_email and saved.created_by_user_id is None:
            raise InvalidInput("this search was saved by an API key: it has no address for "
                               "e-mail alerts", details={"field": "alert_email"})
        saved.alert_email = alert_email
    session.flush()
    audit.record_by(session=session, principal=principal, action="saved_search.update",
                    target_type="saved_search", target_id=saved.id,
                    details={"name": saved.name, "alert_webhook": saved.alert_webhook,
                             "alert_email": saved.alert_email})
    return saved


def delete_saved_search(*, session: Session, principal: Principal,
                        saved_search_id: str) -> None:
    saved = get_saved_search(session=session, workspace_id=principal.workspace_id,
                             saved_search_id=saved_search_id)
    audit.record_by(session=session, principal=principal, action="saved_search.delete",
                    target_type="saved_search", target_id=saved.id,
                    details={"name": saved.name})
    session.delete(saved)
    session.flush()


def list_matches(*, session: Session, workspace_id: str,
                 saved_search_id: str) -> list[SavedSearchMatch]:
    """The documents it alerted about, newest first."""
    saved = get_saved_search(session=session, workspace_id=workspace_id,
                             saved_search_id=saved_search_id)
    return list(session.scalars(scoped(SavedSearchMatch, workspace_id).where(
        SavedSearchMatch.saved_search_id == saved.id).order_by(
        SavedSearchMatch.matched_at.desc(), SavedSearchMatch.id).limit(MAX_MATCHES_LISTED)))


# --- alerts --------------------------------------------------------------------------------

def _alerting(workspace_id: str) -> Select[tuple[SavedSearch]]:
    return scoped(SavedSearch, workspace_id).where(
        SavedSearch.alert_webhook.is_(True) | SavedSearch.alert_email.is_(True))


def queue_alert_check(*, session: Session, document: Document, max_attempts: int,
                      notify: Callable[[int], None] | None) -> None:
    """In the transaction that makes `document` searchable: one job, only if some saved
    search of its workspace alerts (most workspaces pay one indexed EXISTS)."""
    if session.scalar(select(exists(_alerting(document.workspace_id)))):
        jobs_service.enqueue(session=session, kind=CHECK_SAVED_SEARCHES,
                             payload={"document_id": document.id},
                             workspace_id=document.workspace_id, priority=JobPriority.enrich,
                             max_attempts=max_attempts, notify=notify)


def check_document(*, session: Session, workspace_id: str, document_id: str,
                   base_url: str | None, notify: Callable[[int], None] | None
                   ) -> list[AlertMail]:
    """Alert each saved search the document newly matches; the e-mails to send after the
    commit (none if the document was deleted meanwhile)."""
    document = find_scoped(session, Document, workspace_id, document_id)
    if document is None:
        return []
    mails: list[AlertMail] = []
    for saved in session.scalars(_alerting(workspace_id).order_by(SavedSearch.id)):
        if saved.created_at > document.created_at:
            continue  # it was there before the search was saved
        if saved.collection_id and saved.collection_id != document.collection_id:
            continue
        if session.scalar(select(exists().where(
                SavedSearchMatch.saved_search_id == saved.id,
                SavedSearchMatch.document_id == document.id))):
            continue  # alerted already (a retry, or the document processed again)
        if not matching_documents(session, workspace_id=workspace_id,
                                  query=parse_query(saved.query), document_ids=[document.id]):
            continue
        session.add(SavedSearchMatch(workspace_id=workspace_id, saved_search_id=saved.id,
                                     document_id=document.id, by_webhook=saved.alert_webhook,
                                     by_email=saved.alert_email))
        if saved.alert_webhook:
            webhooks_service.emit(session=session, workspace_id=workspace_id,
                                  event=WebhookEvent.saved_search_match, notify=notify,
                                  payload={"saved_search_id": saved.id, "name": saved.name,
                                           "query": saved.query, "document_id": document.id,
                                           "filename": document.filename,
                                           "collection_id": document.collection_id})
        if saved.alert_email and saved.created_by_user_id:
            # Still a member: someone who left the workspace hears nothing more of it.
            user = session.scalar(select(User).join(
                Membership, Membership.user_id == User.id).where(
                User.id == saved.created_by_user_id, Membership.workspace_id == workspace_id))
            if user is not None:
                mails.append(_mail(user.email, saved, document, base_url))
    session.flush()
    return mails


def _mail(to: str, saved: SavedSearch, document: Document, base_url: str | None) -> AlertMail:
    link = f"{base_url.rstrip('/')}/documents/{document.id}" if base_url else \
        f"/documents/{document.id}"
    return AlertMail(to=to, subject=f"casework: a new document matches {saved.name!r}",
                     body=f"A new document matches your saved search {saved.name!r} "
                          f"({saved.query}):\n\n  {document.filename}\n  {link}\n\n"
                          "Switch the alert off on the saved searches page.\n")
