"""The report as one self-contained HTML file (inline styles, no scripts, no links out).

The generation time is on exactly one line, which starts with `<p class="generated"`
(user text cannot start a line that way: its `<` is escaped). Everything else is a
function of the content, so `content_digest` (the SHA-256 of the file without that line)
is the same for two reports of an unchanged collection; `grep -v '^<p class="generated"'
report.html | sha256sum` computes it by hand.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from casework.reports.content import INVENTORY_COLUMNS, ReportContent, human_size, stamp

TEMPLATES_DIR = Path(__file__).parent / "templates"
GENERATED_LINE = b'<p class="generated"'

_environment = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                           trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                           undefined=StrictUndefined)
_environment.filters["size"] = human_size


def render_html(content: ReportContent, *, generated_at: datetime) -> bytes:
    html = _environment.get_template("report.html").render(
        c=content, s=content.summary, generated=stamp(generated_at),
        columns=", ".join(INVENTORY_COLUMNS))
    return html.encode()


def content_digest(html: bytes) -> str:
    """SHA-256 of the HTML without the generation-time line (grep's idea of lines: split
    on LF only, each kept line with its LF)."""
    lines = html.split(b"\n")
    kept = [line + b"\n" for line in lines[:-1] if not line.startswith(GENERATED_LINE)]
    return hashlib.sha256(b"".join(kept) + lines[-1]).hexdigest()
