"""One ASGI middleware for every request: request id, metrics and the access log line.

It is plain ASGI (not BaseHTTPMiddleware) so streamed uploads and downloads pass through
untouched. Routes are labelled by their template (`/api/v1/documents/{document_id}`), never
by the raw path, so metrics keep a bounded number of series; unmatched paths share one label.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casework.observability import logs, sentry
from casework.observability.metrics import UNMATCHED_ROUTE

REQUEST_ID_HEADER = "x-request-id"
REQUEST_ID_SCOPE_KEY = "casework.request_id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
QUIET_ROUTES = {"/health", "/healthz", "/health/ready", "/readyz", "/metrics"}

access_log = logging.getLogger("casework.access")


def request_id_from(scope: Scope) -> str:
    """The client's X-Request-ID when it is sane (so traces join up), else a new one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == wanted:
            return value.decode("latin-1")[:120]
    return None


def route_template(scope: Scope) -> str:
    """The matched route's full template. FastAPI keeps included routers nested and records
    the full template in its effective route context; older versions flattened the routes,
    so the route's own path was already the full one."""
    effective = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(effective, "path_format", None)
    if not isinstance(path, str) or not path:
        path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED_ROUTE


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, *, sentry_enabled: bool = False) -> None:
        self.app = app
        self.sentry_enabled = sentry_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        scope[REQUEST_ID_SCOPE_KEY] = request_id
        context = logs.RequestContext(request_id=request_id, method=scope["method"],
                                      path=scope["path"],
                                      workspace=_header(scope, b"x-workspace"))
        token = logs.start_request(context)
        if self.sentry_enabled:
            sentry.tag_request(request_id)
        metrics = _metrics(scope)
        if metrics is not None:
            metrics.active_connections.inc()
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            context.route = route
            if metrics is not None:
                metrics.active_connections.dec()
                metrics.http_requests.labels(scope["method"], route, str(status)).inc()
                metrics.http_duration.labels(scope["method"], route).observe(elapsed)
            level = logging.DEBUG if route in QUIET_ROUTES and status < 500 else logging.INFO
            access_log.log(level, "request", extra={
                "status": status, "latency_ms": round(elapsed * 1000, 2)})
            logs.end_request(token)


def _metrics(scope: Scope) -> Any:
    app = scope.get("app")
    runtime = getattr(getattr(app, "state", None), "runtime", None)
    if runtime is None or not runtime.settings.metrics_enabled:
        return None
    return runtime.metrics
