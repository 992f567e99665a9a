"""Logging: one JSON object a line in production, readable lines in development.

Everything goes through structlog's formatter, including the standard `logging` calls of
casework and of libraries (uvicorn, SQLAlchemy), so a collector sees one format. Every line
written while a request is served carries its request id, route, workspace and user; the
request context is a mutable object shared by the threads the request touches (FastAPI runs
sync dependencies in a thread pool with a *copy* of the context, so plain context variables
set there would be lost).
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Any

import structlog

from casework.core.settings import Settings


@dataclass(slots=True)
class RequestContext:
    request_id: str
    method: str | None = None
    path: str | None = None
    route: str | None = None
    workspace: str | None = None
    user: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("casework_request", default=None)


def start_request(context: RequestContext) -> object:
    return _current.set(context)


def end_request(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def bind_principal(*, workspace: str | None, user: str | None) -> None:
    """Called by the auth dependency: later log lines of this request name who acts where."""
    context = _current.get()
    if context is not None:
        context.workspace = workspace
        context.user = user


def _add_request_context(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    context = _current.get()
    if context is not None:
        for key, value in asdict(context).items():
            if value is not None:
                event.setdefault(key, value)
    return event


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a line is logged, not when configured:
    test runners and daemonisers swap the stream, and a closed one must not break logging."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _drop_duplicate_message(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    # The standard library's formatter leaves the rendered message beside `event`.
    if event.get("message") == event.get("event"):
        event.pop("message", None)
    return event


def configure_logging(settings: Settings) -> None:
    """Install the format for the whole process (logging is process-wide by nature)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        _add_request_context,
        structlog.stdlib.ExtraAdder(),
        _drop_duplicate_message,
    ]
    if settings.resolved_log_format == "json":
        renderer: Any = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        # Plain tracebacks: rich ones print every frame's locals, which for an upload (its
        # buffers, its request) took the event loop ~90 s and 25 MB of log per error.
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "casework", False):
            root.removeHandler(existing)
    handler.casework = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # uvicorn's own handlers would print a second, differently formatted line.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # we log requests ourselves


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
