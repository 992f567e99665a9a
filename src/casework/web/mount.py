"""Attach the web UI to the app: pages, static files, and HTML error pages."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from casework.web import account, admin, ask, entities, login, router
from casework.web.errors import page_error
from casework.web.templating import STATIC_DIR


def mount_web(app: FastAPI) -> None:
    app.include_router(login.router)
    app.include_router(account.router)
    app.include_router(admin.router)
    app.include_router(router.router)
    app.include_router(ask.router)
    app.include_router(entities.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.state.page_error = page_error
