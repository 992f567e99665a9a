"""Pure ASGI middleware for HTTP hardening: security headers, the JSON body limit, and the
default per-client rate limit. Pure ASGI (not BaseHTTPMiddleware) so streaming responses
and uploads pass through untouched and the overhead stays small."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casework.core.errors import error_body
from casework.core.settings import Environment, Settings

# The app serves its own pages only; the OpenAPI pages load Swagger/ReDoc from a CDN.
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
DOCS_CSP = ("default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "worker-src 'self' blob:; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")
# Public assets may be cached; every other answer (pages, API JSON, downloads) may hold a
# tenant's data and must not outlive the session in a browser's or a proxy's cache. A route
# that sets its own Cache-Control (thumbnails: private, immutable) keeps it.
CACHEABLE_PATHS = ("/static/",)
EXEMPT_FROM_RATE_LIMIT = ("/health", "/healthz", "/readyz", "/metrics")
# Share links' public pages (web/share_pages.py): never indexed by search engines (link
# previews still work: chat and mail crawlers read the tags regardless), and the token in
# their path is never sent on as a Referer.
SHARE_PATHS = ("/s/",)
SHARE_HEADERS = [(b"x-robots-tag", b"noindex, nofollow, noarchive"),
                 (b"referrer-policy", b"no-referrer")]


async def _send_error(send: Send, status: int, code: str, message: str,
                      headers: dict[str, str] | None = None) -> None:
    body = json.dumps(error_body(code, message)).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.hsts = settings.environment == Environment.production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"].startswith(DOCS_PATHS) else CSP
        no_store = not scope["path"].startswith(CACHEABLE_PATHS)
        shared = SHARE_HEADERS if scope["path"].startswith(SHARE_PATHS) else []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = [*shared,
                         (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                         (b"referrer-policy", b"strict-origin-when-cross-origin"),
                         (b"content-security-policy", csp.encode()),
                         (b"cross-origin-opener-policy", b"same-origin")]
                if no_store:
                    extra.append((b"cache-control", b"no-store"))
                if self.hsts:
                    extra.append((b"strict-transport-security",
                                  b"max-age=63072000; includeSubDomains"))
                for name, value in extra:  # the first of a name wins: a route's, then ours
                    if name not in present:
                        headers.append((name, value))
                        present.add(name)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    """An HTTPException so FastAPI's body parsing passes it on as a 413, not a 400."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {max_bytes} bytes")


class JsonBodyLimitMiddleware:
    """Bounds every request body except multipart uploads, which the upload code streams to
    disk under its own limits. Checks Content-Length first, then counts what arrives."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        if headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data"):
            await self.app(scope, receive, send)
            return
        message = f"the request body is larger than the limit of {self.max_bytes} bytes"
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_error(send, 413, "payload_too_large", message)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            incoming = await receive()
            if incoming["type"] == "http.request":
                received += len(incoming.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return incoming

        async def tracking_send(outgoing: Message) -> None:
            nonlocal started
            if outgoing["type"] == "http.response.start":
                started = True
            await send(outgoing)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_error(send, 413, "payload_too_large", message)


class RateLimitMiddleware:
    """The default limit per client IP (RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW seconds),
    with X-RateLimit-* on every answer and 429 + Retry-After past it."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.limit = settings.rate_limit_requests
        self.window = settings.rate_limit_window

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = _runtime(scope)
        if scope["type"] != "http" or runtime is None or \
                scope["path"].startswith(EXEMPT_FROM_RATE_LIMIT):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        key = client[0] if client else "unknown"
        state = runtime.limiter.hit("default", key, limit=self.limit,
                                    window_seconds=self.window)
        headers = state.headers()
        if not state.allowed:
            await _send_error(send, 429, "rate_limited",
                              "too many requests; slow down and retry later", headers)
            return
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message = {**message, "headers": list(message.get("headers", [])) +
                           [(k, v) for k, v in raw if k not in present]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _runtime(scope: Scope) -> Any:
    app = scope.get("app")
    return getattr(getattr(app, "state", None), "runtime", None)


def install_security_middleware(app: Any, settings: Settings) -> None:
    """Inside the observability middleware (so refusals are logged and counted)."""
    from starlette.middleware.cors import CORSMiddleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    app.add_middleware(JsonBodyLimitMiddleware, max_bytes=settings.max_json_bytes)
    app.add_middleware(RateLimitMiddleware, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Workspace",
                           "X-CSRF-Token", "X-Request-ID"],
            expose_headers=["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                            "X-RateLimit-Reset", "X-Request-ID"])
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts or ["*"])


def install_proxy_middleware(app: Any, settings: Settings) -> None:
    """Outermost: X-Forwarded-For/-Proto are believed only from TRUSTED_PROXIES, so the
    client IP that logs, audit and rate limits see cannot be forged by a client."""
    if settings.trusted_proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
