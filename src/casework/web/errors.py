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


# The public pages of share links (web/share_pages.py): a visitor has no account, so these
# pages say what happened to the link and never point into the app.
SHARE_PREFIX = "/s/"
SHARE_HEADINGS = {
    "share_expired": ("This link has expired", "Ask the person who shared it for a new one."),
    "share_revoked": ("This link was revoked", "Ask the person who shared it for a new one."),
    "share_password_required": ("This link is protected", None),
    "not_found": ("Nothing here", "The link may be mistyped, or what it shared was "
                  "deleted."),
    "rate_limited": ("Slow down", "Too many requests from your address; wait a minute."),
}


def _share_error(request: Request, status: int, code: str, message: str) -> Response:
    heading, hint = SHARE_HEADINGS.get(code, (HEADINGS.get(status, "Something went wrong"),
                                              None))
    token = request.url.path[len(SHARE_PREFIX):].split("/", 1)[0]
    root = f"{SHARE_PREFIX}{token}" if code == "share_password_required" else None
    return _templates.TemplateResponse(
        request, "share_error.html", {"status": status, "heading": heading, "hint": hint,
                                      "message": message, "code": code, "root": root},
        status_code=status)


def page_error(request: Request, status: int, code: str, message: str) -> Response:
    if request.url.path.startswith(SHARE_PREFIX):
        return _share_error(request, status, code, message)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    heading = HEADINGS.get(status, "Something went wrong")
    return _templates.TemplateResponse(
        request, "error.html", {"status": status, "heading": heading, "message": message,
                                "code": code, "workspace": None, "workspaces": []},
        status_code=status)
