"""The one place errors become HTTP responses: `{"error": {"code", "message"}}`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from casework.core.errors import CaseworkError, ClientDisconnected, error_body
from casework.core.redaction import data_roots, redact_paths

log = logging.getLogger(__name__)

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 410: "gone",
               413: "payload_too_large", 415: "unsupported_media_type",
               422: "invalid_input", 429: "rate_limited", 503: "service_unavailable"}


def _page(request: Request, status: int, code: str, message: str) -> Response | None:
    """Browsers asking for a web page get an HTML error page (set by the web UI), not JSON."""
    renderer = getattr(request.app.state, "page_error", None)
    if renderer is None or request.url.path.startswith("/api/"):
        return None
    if "text/html" not in request.headers.get("accept", ""):
        return None
    return renderer(request, status, code, message)


def _redact(request: Request, text: str) -> str:
    """Messages carry library text, which names files on the server: never answer with it."""
    runtime = getattr(request.app.state, "runtime", None)
    roots = data_roots(runtime.settings.data_dir) if runtime is not None else ()
    return redact_paths(text, roots=roots)


async def _casework_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CaseworkError)
    message = _redact(request, exc.message)
    page = _page(request, exc.status_code, exc.code, message)
    if page is not None:
        return page
    details = {key: _redact(request, value) if isinstance(value, str) else value
               for key, value in exc.details.items()}
    return JSONResponse(error_body(exc.code, message, details), status_code=exc.status_code,
                        headers=exc.headers or None)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
         "message": err.get("msg", "")}
        for err in exc.errors()
    ]
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
    page = _page(request, 422, "invalid_input", f"Some of what was sent is not valid: {summary}")
    if page is not None:
        return page
    return JSONResponse(error_body("invalid_input", f"invalid request: {summary}", problems),
                        status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    detail = _redact(request, str(exc.detail))
    page = _page(request, exc.status_code, code, detail)
    if page is not None:
        return page
    return JSONResponse(error_body(code, detail), status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def _client_disconnected(request: Request, exc: Exception) -> Response:
    """One line, no traceback: a client going away is routine (a closed tab, a cancelled
    upload), and a traceback per disconnect once flooded the log and stalled the server."""
    if not isinstance(exc, ClientDisconnected):
        exc = ClientDisconnected("the client disconnected before the request was complete")
    log.warning("client disconnected mid-request: %s %s", request.method, request.url.path)
    return JSONResponse(exc.to_body(), status_code=exc.status_code)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    # This handler runs outside the request middleware, so it adds the request id itself:
    # it is what a user quotes to find this error in the logs.
    request_id = request.scope.get("casework.request_id")
    body = error_body("internal_error", "something went wrong on our side")
    if request_id:
        body["error"]["request_id"] = request_id
    return JSONResponse(body, status_code=500,
                        headers={"X-Request-ID": request_id} if request_id else None)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ClientDisconnected, _client_disconnected)
    app.add_exception_handler(ClientDisconnect, _client_disconnected)
    app.add_exception_handler(CaseworkError, _casework_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
