"""Webhook routes: a workspace's admins manage its endpoints and read their delivery log."""

from fastapi import APIRouter, Response, status

from casework.api.deps import CanManageWebhooks, ReadSessionDep, RuntimeDep, SessionDep
from casework.api.pagination import Page, PagingDep
from casework.webhooks import service
from casework.webhooks.schemas import (
    DeliveryOut,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookUpdate,
)
from casework.webhooks.service import DeliveryLog, EndpointChanges

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.post("", response_model=WebhookCreated, status_code=status.HTTP_201_CREATED)
def create_webhook(body: WebhookCreate, session: SessionDep, runtime: RuntimeDep,
                   principal: CanManageWebhooks) -> WebhookCreated:
    endpoint, secret = service.create_endpoint(
        session=session, principal=principal, settings=runtime.settings, url=body.url,
        events=body.events, description=body.description, active=body.active)
    return WebhookCreated(**WebhookOut.model_validate(endpoint).model_dump(), secret=secret)


@router.get("", response_model=list[WebhookOut])
def list_webhooks(session: ReadSessionDep, principal: CanManageWebhooks) -> list[WebhookOut]:
    return [WebhookOut.model_validate(e) for e in service.list_endpoints(
        session=session, workspace_id=principal.workspace_id)]


@router.get("/{webhook_id}", response_model=WebhookOut)
def get_webhook(webhook_id: str, session: ReadSessionDep,
                principal: CanManageWebhooks) -> WebhookOut:
    return WebhookOut.model_validate(service.get_endpoint(
        session=session, workspace_id=principal.workspace_id, endpoint_id=webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookOut)
def update_webhook(webhook_id: str, body: WebhookUpdate, session: SessionDep,
                   runtime: RuntimeDep, principal: CanManageWebhooks) -> WebhookOut:
    return WebhookOut.model_validate(service.update_endpoint(
        session=session, principal=principal, settings=runtime.settings,
        endpoint_id=webhook_id, changes=EndpointChanges(**body.model_dump(exclude_unset=True))))


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: str, session: SessionDep,
                   principal: CanManageWebhooks) -> Response:
    service.delete_endpoint(session=session, principal=principal, endpoint_id=webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookCreated)
def rotate_secret(webhook_id: str, session: SessionDep,
                  principal: CanManageWebhooks) -> WebhookCreated:
    endpoint, secret = service.rotate_secret(session=session, principal=principal,
                                             endpoint_id=webhook_id)
    return WebhookCreated(**WebhookOut.model_validate(endpoint).model_dump(), secret=secret)


@router.post("/{webhook_id}/ping", response_model=DeliveryOut,
             status_code=status.HTTP_202_ACCEPTED)
def ping_webhook(webhook_id: str, session: SessionDep, runtime: RuntimeDep,
                 principal: CanManageWebhooks) -> DeliveryOut:
    """Queue a `ping` delivery to this endpoint; its log shows how the receiver answered."""
    delivery = service.send_ping(session=session, principal=principal,
                                 endpoint_id=webhook_id, notify=runtime.notify_jobs)
    return DeliveryOut.build(DeliveryLog(delivery, []))


@router.get("/{webhook_id}/deliveries", response_model=Page[DeliveryOut])
def list_deliveries(webhook_id: str, session: ReadSessionDep, paging: PagingDep,
                    principal: CanManageWebhooks) -> Page[DeliveryOut]:
    """The delivery log, newest first: each delivery with every attempt."""
    rows, total = service.list_deliveries(
        session=session, workspace_id=principal.workspace_id, endpoint_id=webhook_id,
        limit=paging.limit, offset=paging.offset)
    return Page(items=[DeliveryOut.build(r) for r in rows], total=total, limit=paging.limit,
                offset=paging.offset)
