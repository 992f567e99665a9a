"""Jinja2 set-up for the web UI: templates, filters, and safe markdown rendering."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt
from markupsafe import Markup

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# Raw HTML in notes is escaped, never rendered: a note cannot inject script into a page.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str) -> Markup:
    return Markup(_markdown.render(text or ""))  # noqa: S704 - html disabled above


def filesize(size: int | None) -> str:
    if size is None:
        return "\u2013"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "\u2013"


# What the Share dialog offers (seconds, label); the API takes any number of seconds up to
# SHARE_MAX_DAYS, and the dialog hides the choices past it.
SHARE_EXPIRIES = ((3600, "1 hour"), (86_400, "1 day"), (7 * 86_400, "7 days"),
                  (30 * 86_400, "30 days"), (90 * 86_400, "90 days"))


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.filters["filesize"] = filesize
    templates.env.filters["when"] = when
    templates.env.filters["markdown"] = render_markdown
    templates.env.globals["share_expiries"] = SHARE_EXPIRIES
    return templates
