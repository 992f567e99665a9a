"""The preview card of a share link: a 1200x630 PNG (the Open Graph and Twitter
`summary_large_image` size) drawn with Pillow from a title, a subtitle, a detail line and
an optional picture (a photo's preview or a document's first page).

Text uses Pillow's built-in scalable font (Aileron, bundled with Pillow >= 10.1), so the
card looks the same on every machine without a system font; it covers Latin scripts, and
other characters are drawn as boxes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, ImageOps

WIDTH, HEIGHT = 1200, 630
PICTURE_SIDE = HEIGHT  # the picture fills a square on the right
MARGIN = 64
BACKGROUND = (22, 50, 79)  # the web UI's header colour
ACCENT = (245, 166, 35)
TEXT = (255, 255, 255)
MUTED = (186, 201, 219)
# Our own thumbnails are at most 1280 px; anything larger is not what we drew.
MAX_PICTURE_PIXELS = 1280 * 1280 * 2


@dataclass(frozen=True, slots=True)
class CardText:
    title: str
    subtitle: str  # the collection's name
    detail: str  # "24 photos", "PDF · 12 pages", "Password required"


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _font(size: int) -> Font:
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int,
          max_lines: int) -> list[str]:
    """Greedy word wrap to `width` pixels; the last line ends with an ellipsis if cut."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and draw.textlength(candidate, font=font) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    cut = len(lines) > max_lines
    lines = [_fit(draw, line, font, width) for line in lines[:max_lines]]
    if cut:
        lines[-1] = _fit(draw, lines[-1], font, width, always_ellipsis=True)
    return lines


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int, *,
         always_ellipsis: bool = False) -> str:
    """Shorten one line (a single long word, a file name) to `width` with an ellipsis."""
    if not always_ellipsis and draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "\u2026", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _picture(data: bytes) -> Image.Image | None:
    """The picture cropped to the card's square, or None if it cannot be read."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PICTURE_PIXELS:
                return None
            image.draft("RGB", (PICTURE_SIDE, PICTURE_SIDE))
            return ImageOps.fit(image.convert("RGB"), (PICTURE_SIDE, PICTURE_SIDE),
                                Image.Resampling.LANCZOS)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def draw_card(text: CardText, picture: bytes | None) -> bytes:
    """The card as PNG bytes (a few tens of KB; ~50 ms to draw)."""
    card = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    drawn = _picture(picture) if picture else None
    text_width = WIDTH - 2 * MARGIN
    if drawn is not None:
        card.paste(drawn, (WIDTH - PICTURE_SIDE, 0))
        text_width = WIDTH - PICTURE_SIDE - 2 * MARGIN
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, 12, HEIGHT), fill=ACCENT)
    draw.text((MARGIN, MARGIN - 8), "casework", font=_font(30), fill=ACCENT)
    y = MARGIN + 60
    title_size = 60 if drawn is None else 50
    title_font = _font(title_size)
    for line in _wrap(draw, text.title or "Shared with you", title_font, text_width, 4):
        draw.text((MARGIN, y), line, font=title_font, fill=TEXT)
        y += int(title_size * 1.2)
    if text.subtitle:
        y += 18
        subtitle_font = _font(34)
        for line in _wrap(draw, text.subtitle, subtitle_font, text_width, 2):
            draw.text((MARGIN, y), line, font=subtitle_font, fill=MUTED)
            y += 44
    if text.detail:
        detail_font = _font(28)
        draw.text((MARGIN, HEIGHT - MARGIN - 28),
                  _fit(draw, text.detail, detail_font, text_width), font=detail_font,
                  fill=MUTED)
    out = io.BytesIO()
    card.save(out, "PNG", optimize=True)
    return out.getvalue()
