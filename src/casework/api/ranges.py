"""HTTP range requests (RFC 9110 §14): what a browser sends to seek in a video.

One range per request is served (206); a multi-range request is answered with the whole
body (200), which the RFC allows. An unsatisfiable range is 416 with `bytes */size`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, size: int, *, if_range: str | None = None,
                etag: str | None = None) -> ByteRange | None:
    """The range to serve, or None for the whole body; raises 416 when unsatisfiable."""
    if not header:
        return None
    if if_range is not None and if_range.strip() != etag:
        return None  # the client's copy is stale: send everything
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    try:
        if not dash:
            return None
        if first == "":
            suffix = int(last)
            if suffix <= 0:
                raise _unsatisfiable(size)
            start, end = max(size - suffix, 0), size - 1
        else:
            start = int(first)
            end = int(last) if last else size - 1
            if last and start > end:
                return None  # syntactically invalid: ignore the header
            end = min(end, size - 1)
    except ValueError:
        return None
    if start < 0 or start >= size:
        raise _unsatisfiable(size)
    return ByteRange(start, end)


def _unsatisfiable(size: int) -> HTTPException:
    return HTTPException(status_code=416, detail="the requested range is not satisfiable",
                         headers={"Content-Range": f"bytes */{size}"})
