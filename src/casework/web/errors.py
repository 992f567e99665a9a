"""Error pages for people: a sign-in redirect for 401, a readable page for the rest."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from casework.web.templating import build_templates

_templates = build_templates()

HEADINGS = {403: "Not allowed", 404: "Not found", 409: "Conflict", 413: "Too large",
            415: "Unsupported file", 422: "Please check what you entered",
            429: "Slow down", 503: "Temporarily unavailable"}


def page_error(request: Request, status: int, code: str, message: str) -> Response:
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    heading = HEADINGS.get(status, "Something went wrong")
    return _templates.TemplateResponse(
        request, "error.html", {"status": status, "heading": heading, "message": message,
                                "code": code, "workspace": None, "workspaces": []},
        status_code=status)
