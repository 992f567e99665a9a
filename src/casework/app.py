"""The ASGI application factory: routers, error handlers, and the runtime's life cycle."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from casework import __version__
from casework.accounts.router import router as auth_router
from casework.api.errors import install_error_handlers
from casework.apikeys.router import router as apikeys_router
from casework.ask.router import router as ask_router
from casework.audit.router import operator_router
from casework.audit.router import router as audit_router
from casework.batch_search.router import router as batch_search_router
from casework.bootstrap import build_job_registry, build_runtime, prepare, start_workers
from casework.collections.router import router as collections_router
from casework.core import local_server
from casework.core.settings import Settings, load_settings
from casework.custody.router import router as custody_router
from casework.documents.router import router as documents_router
from casework.entities.router import router as entities_router
from casework.exports.router import router as exports_router
from casework.holds.router import router as holds_router
from casework.jobs.router import router as jobs_router
from casework.learning.router import router as learning_router
from casework.mail.router import router as mail_router
from casework.media.router import router as media_router
from casework.neardup.router import router as neardup_router
from casework.notes.router import router as notes_router
from casework.observability import metrics
from casework.observability.logs import configure_logging
from casework.observability.middleware import ObservabilityMiddleware
from casework.observability.router import router as observability_router
from casework.observability.sentry import configure_sentry
from casework.productions.router import router as productions_router
from casework.progress.router import router as progress_router
from casework.redaction.router import router as redaction_router
from casework.reports.router import router as reports_router
from casework.review.router import router as review_router
from casework.saved_searches.router import router as saved_searches_router
from casework.search import service as search_service
from casework.search.embedder import Embedder
from casework.search.router import router as search_router
from casework.security.middleware import install_proxy_middleware, install_security_middleware
from casework.shares.router import router as shares_router
from casework.storage.spool import sweep_stale_files
from casework.timeline.router import router as timeline_router
from casework.usage.router import router as usage_router
from casework.web.mount import mount_web
from casework.webhooks.router import router as webhooks_router
from casework.workspaces.router import router as workspaces_router

log = logging.getLogger(__name__)


API_ROUTERS: tuple[APIRouter, ...] = (
    auth_router, workspaces_router, apikeys_router, audit_router, operator_router,
    collections_router, documents_router, custody_router, media_router, notes_router,
    batch_search_router, search_router, ask_router, entities_router, timeline_router,
    jobs_router, usage_router, webhooks_router, shares_router, reports_router, learning_router,
    exports_router, holds_router, saved_searches_router, mail_router, redaction_router,
    progress_router, review_router, neardup_router, productions_router)


def include_api(app: FastAPI) -> None:
    """Each domain's router straight into the app under /api/v1: FastAPI rebuilds every
    route (its signature and dependencies) at each include, so an intermediate /api/v1
    router doubled the cost of every app start (and of every test's app)."""
    for domain in API_ROUTERS:
        app.include_router(domain, prefix="/api/v1")


def create_app(settings: Settings | None = None, *, embedder: Embedder | None = None,
               run_workers: bool = True) -> FastAPI:
    settings = settings or load_settings()
    configure_logging(settings)
    sentry_enabled = configure_sentry(settings)
    if not settings.password_reset_available:
        log.warning("password reset is off: production without SMTP_HOST would write reset "
                    "links, which take over accounts, to the log")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        jobs = build_job_registry(settings)
        runtime = build_runtime(settings, embedder=embedder, registry=jobs)
        prepare(runtime)
        sweep_stale_files(settings.tmp_dir, max_age_seconds=settings.tmp_max_age_hours * 3600)
        if run_workers:
            start_workers(runtime, jobs)
        search_service.warm_up(runtime)
        app.state.runtime = runtime
        app.state.jobs = jobs  # the job-handler table the workers run
        # Published last, once searches are fast: the CLI may ask this server from now on.
        published = None
        if settings.local_server_url:
            published = local_server.publish(data_dir=settings.data_dir,
                                             url=settings.local_server_url)
        app.state.local_server = published
        try:
            yield
        finally:
            if published is not None:
                local_server.withdraw(data_dir=settings.data_dir, server=published)
            runtime.close()
            metrics.process_exiting()

    # Production hides the API's map by default (DOCS_ENABLED): no /docs, /redoc, /openapi.json.
    docs = settings.serves_docs
    app = FastAPI(title="casework", version=__version__, lifespan=lifespan,
                  description="Self-hosted document and media intelligence.",
                  docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None,
                  openapi_url="/openapi.json" if docs else None)
    install_error_handlers(app)
    install_security_middleware(app, settings)
    app.add_middleware(ObservabilityMiddleware, sentry_enabled=sentry_enabled)
    install_proxy_middleware(app, settings)
    app.include_router(observability_router)
    include_api(app)
    mount_web(app)
    return app
