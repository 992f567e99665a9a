"""Attach the web UI to the app: pages, static files, and HTML error pages."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from casework.web import (
    account,
    admin,
    ask,
    batch_search,
    entities,
    exports,
    holds,
    login,
    mail,
    near_duplicates,
    notes,
    productions,
    progress,
    redaction,
    reports,
    review,
    router,
    saved_searches,
    search,
    share_pages,
    shares,
    suggestions,
    timeline,
    webhooks,
)
from casework.web.errors import page_error
from casework.web.templating import STATIC_DIR


def mount_web(app: FastAPI) -> None:
    app.include_router(login.router)
    app.include_router(account.router)
    app.include_router(admin.router)
    app.include_router(webhooks.router)
    app.include_router(router.router)
    app.include_router(notes.router)
    app.include_router(search.router)
    app.include_router(review.router)
    app.include_router(ask.router)
    app.include_router(entities.router)
    app.include_router(suggestions.router)
    app.include_router(shares.router)
    app.include_router(share_pages.router)
    app.include_router(timeline.router)
    app.include_router(near_duplicates.router)
    app.include_router(reports.router)
    app.include_router(exports.router)
    app.include_router(mail.router)
    app.include_router(holds.router)
    app.include_router(batch_search.router)
    app.include_router(saved_searches.router)
    app.include_router(redaction.router)
    app.include_router(progress.router)
    app.include_router(productions.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.state.page_error = page_error
