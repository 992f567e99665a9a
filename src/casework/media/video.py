"""A video's poster frame and its contact sheet (keyframes at a fixed interval, labelled).

Both seek and decode key frames only (`skip_frame = NONKEY`): a handful of frames are
decoded whatever the length, and the file is demuxed from disk, never read into memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

from casework.media.thumbnails import encode_webp, fit

POSTER_SIDE = 1280
TILE_WIDTH = 240
COLUMNS = 6
LABEL_HEIGHT = 22


class VideoError(Exception):
    """No frame could be decoded."""


@dataclass(frozen=True, slots=True)
class ContactSheet:
    image: bytes
    times: list[float]  # seconds, one per tile, left to right, top to bottom
    interval: float
    columns: int
    tile_width: int
    tile_height: int


def _keyframe_at(container: av.container.InputContainer, stream: av.VideoStream,
                 seconds: float) -> tuple[Image.Image, float] | None:
    """The key frame at or before `seconds`, as an image, and its time."""
    if stream.time_base is None:
        return None
    target = int(seconds / stream.time_base) + (stream.start_time or 0)
    try:
        container.seek(max(target, 0), stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            time = float(frame.time) if frame.time is not None else seconds
            return frame.to_image(), max(time, 0.0)
    except (av.FFmpegError, StopIteration):
        return None
    return None


def _open(path: Path) -> tuple[av.container.InputContainer, av.VideoStream]:
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, OSError) as exc:
        raise VideoError(f"not a readable video: {exc}") from None
    stream = next(iter(container.streams.video), None)
    if stream is None:
        container.close()
        raise VideoError("the file has no video stream")
    stream.codec_context.skip_frame = "NONKEY"
    return container, stream


def poster_frame(path: Path, *, duration: float | None) -> Image.Image:
    """A representative frame: the key frame near 10% in (capped at 10 s), else the first."""
    container, stream = _open(path)
    with container:
        wanted = min((duration or 0) * 0.1, 10.0)
        found = _keyframe_at(container, stream, wanted) or _keyframe_at(container, stream, 0.0)
    if found is None:
        raise VideoError("no frame of the video could be decoded")
    return fit(found[0], POSTER_SIDE)


def _label(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def contact_sheet(path: Path, *, duration: float, interval: float,
                  max_frames: int) -> ContactSheet:
    """Key frames every `interval` seconds (widened so there are at most `max_frames`)."""
    interval = max(interval, duration / max_frames) if duration > 0 else interval
    tiles: list[tuple[Image.Image, float]] = []
    container, stream = _open(path)
    with container:
        moment = 0.0
        while moment < max(duration, 0.001) and len(tiles) < max_frames:
            found = _keyframe_at(container, stream, moment)
            if found is not None and (not tiles or found[1] > tiles[-1][1]):
                tiles.append((fit(found[0], TILE_WIDTH), found[1]))
            moment += interval
    if not tiles:
        raise VideoError("no frame of the video could be decoded")
    tile_height = max(t[0].height for t in tiles)
    columns = min(COLUMNS, len(tiles))
    rows = -(-len(tiles) // columns)
    sheet = Image.new("RGB", (columns * TILE_WIDTH, rows * (tile_height + LABEL_HEIGHT)),
                      (20, 20, 20))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=14)
    for index, (tile, seconds) in enumerate(tiles):
        x = (index % columns) * TILE_WIDTH
        y = (index // columns) * (tile_height + LABEL_HEIGHT)
        sheet.paste(tile.convert("RGB"), (x + (TILE_WIDTH - tile.width) // 2, y))
        draw.text((x + 6, y + tile_height + 3), _label(seconds), fill=(235, 235, 235), font=font)
    return ContactSheet(image=encode_webp(sheet), times=[round(t, 3) for _, t in tiles],
                        interval=round(interval, 3), columns=columns, tile_width=TILE_WIDTH,
                        tile_height=tile_height)
