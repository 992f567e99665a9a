"""Operations routes: liveness, readiness and Prometheus metrics (outside /api/v1)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from casework.api.deps import RuntimeDep
from casework.core.errors import CaseworkError, NotFound
from casework.observability import exposition, health

router = APIRouter(tags=["operations"])


class MetricsUnauthorized(CaseworkError):
    status_code = 401
    code = "unauthorized"


@router.get("/health")
@router.get("/healthz", include_in_schema=False)
def liveness() -> dict[str, str]:
    """Liveness: the process answers. No dependency is checked here."""
    return {"status": "ok"}


@router.get("/health/ready")
@router.get("/readyz", include_in_schema=False)
async def readiness(
    runtime: RuntimeDep,
    check: Annotated[list[str] | None, Query(description="Run only these checks.")] = None,
) -> JSONResponse:
    """Readiness: database, Redis, blob store, search index and job workers, with latency.

    503 names the failing checks, so a load balancer stops sending traffic and an operator
    sees why at a glance.
    """
    report = await run_in_threadpool(health.check_readiness, runtime, only=check)
    return JSONResponse(report.to_body(), status_code=200 if report.ok else 503)


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(
    runtime: RuntimeDep, authorization: Annotated[str | None, Header()] = None,
) -> Response:
    settings = runtime.settings
    if not settings.metrics_enabled:
        raise NotFound("metrics are turned off (METRICS_ENABLED=false)")
    tokens = settings.metrics_tokens
    if tokens:
        sent = (authorization or "").encode()
        # Every token is compared, so the time taken does not say which one nearly matched.
        matches = [hmac.compare_digest(sent, f"Bearer {token}".encode()) for token in tokens]
        if not any(matches):
            raise MetricsUnauthorized("metrics need 'Authorization: Bearer <METRICS_TOKEN>' "
                                      "(or the ADMIN_API_KEY)")
    body = await run_in_threadpool(exposition.render_metrics, runtime)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
