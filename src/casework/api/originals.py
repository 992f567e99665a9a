"""An original file as an HTTP response: whole or one byte range, streamed from the blob store.

Shared by the API's download and a share link's download, so both send the same headers
(attachment with the UTF-8 name, the SHA-256 as ETag, nosniff) and ranges the same way.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import status
from fastapi.responses import StreamingResponse

from casework.api.ranges import ByteRange
from casework.documents import service as documents_service
from casework.documents.models import Document
from casework.runtime import Runtime


def original_etag(document: Document) -> str:
    return f'"{document.sha256}"'


def original_response(*, runtime: Runtime, document: Document,
                      wanted: ByteRange | None) -> StreamingResponse:
    """The bytes of `wanted` (from `parse_range`), or the whole file when it is None."""
    chunks = documents_service.read_original(
        runtime=runtime, document=document, start=wanted.start if wanted else 0,
        length=wanted.length if wanted else document.size_bytes)
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}",
               "Accept-Ranges": "bytes", "X-Content-Type-Options": "nosniff",
               "ETag": original_etag(document),
               "Content-Length": str(wanted.length if wanted else document.size_bytes)}
    if wanted is None:
        return StreamingResponse(chunks, media_type=document.media_type, headers=headers)
    headers["Content-Range"] = wanted.content_range(document.size_bytes)
    return StreamingResponse(chunks, status_code=status.HTTP_206_PARTIAL_CONTENT,
                             media_type=document.media_type, headers=headers)
