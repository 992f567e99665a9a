"""The fields of `Settings` for what casework does to untrusted bytes: the media steps (OCR,
previews, contact sheets) and the sandboxed parser processes with their limits.

`Settings` (core/settings.py) inherits them, so there is still one settings object; they
live here to keep that module readable (docs/security.md, "Hostile files", explains the
limits).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

MiB = 1024 * 1024


class MediaFields(BaseModel):
    """Fields only: never built on its own (`Settings` reads them from the environment)."""

    # Media: images, scans (OCR), PDF previews, video.
    max_image_pixels: Annotated[int, Field(ge=1)] = Field(
        default=100_000_000, description="Decompression-bomb limit: images with more pixels "
        "are refused (422 at upload when the header says so, else the document fails).")
    ocr_enabled: bool = Field(
        default=True, description="OCR pages without a text layer and images with Tesseract.")
    ocr_images: Literal["auto", "always", "never"] = Field(
        default="auto", description="Which images are OCRed. auto: grey and bilevel images "
        "(scans) always; colour images (photos) only when a quick pass on a 1280 px copy "
        "finds words, so a folder of event photos is not read in full. always: every image "
        "in full. never: no image (PDF scans are still read).")
    ocr_languages: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$")] = Field(
        default="eng", description="Tesseract languages, e.g. 'eng' or 'eng+deu'; each needs "
        "its Debian package (tesseract-ocr-eng, tesseract-ocr-deu...).")
    ocr_page_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 120.0
    tesseract_command: str = Field(
        default="tesseract", description="The Tesseract binary (a name on PATH or a path).")
    pdf_preview_pages: Annotated[int, Field(ge=0, le=1000)] = Field(
        default=3, description="PDF pages rendered at ingest; the rest on first view.")
    contact_sheet_interval_seconds: Annotated[float, Field(gt=0)] = 10.0
    contact_sheet_max_frames: Annotated[int, Field(ge=1, le=200)] = 24

class SandboxFields(BaseModel):
    """Fields only: never built on its own (`Settings` reads them from the environment)."""

    # Parsing untrusted files: every parser runs in a sandboxed child process with these
    # limits, and each limit ends the document as `failed` with a reason naming it
    # (ingest/sandbox.py; docs/security.md, "Hostile files").
    sandbox_processes: Annotated[int, Field(ge=1, le=64)] = Field(
        default=2, description="Long-lived parser processes kept per server or worker "
        "process; a document waits for a free one. One per job thread is enough.")
    malloc_arenas: Annotated[int, Field(ge=0, le=64)] = Field(
        default=2, description="glibc malloc arenas per process (0: glibc's default of 8 per "
        "core); MALLOC_ARENA_MAX in the environment wins. Two kept an ingest ~140 MB smaller.")
    sandbox_idle_seconds: Annotated[float, Field(gt=0, le=86_400)] = Field(
        default=10.0, description="A parser process idle this long is stopped (a new one "
        "starts in ~0.8 s): two idle ones held ~280 MB through a whole embedding phase.")
    sandbox_documents_per_process: Annotated[int, Field(ge=1)] = Field(
        default=200, description="A parser process is replaced after this many documents, "
        "so what a library leaks or fragments is given back.")
    sandbox_memory_mb: Annotated[int, Field(ge=256)] = Field(
        default=2048, description="Address space of a parser process (RLIMIT_AS): a file "
        "that needs more fails instead of growing the server.")
    sandbox_cpu_seconds: Annotated[float, Field(gt=0)] = Field(
        default=600.0, description="CPU time one document may use in its parser process "
        "(RLIMIT_CPU, whole seconds). OCR runs in Tesseract processes, each held to the "
        "same figure and to OCR_PAGE_TIMEOUT_SECONDS, so this bounds parsing and rendering: "
        "a 37 KB PDF of 600,000 hairlines took 100+ s of CPU to load one page.")
    max_document_seconds: Annotated[float, Field(gt=0)] = Field(
        default=1800.0, description="Wall time to open, extract (with OCR) and derive "
        "previews of one document; past it the parser process is killed.")
    max_pages: Annotated[int, Field(ge=1)] = Field(
        default=5000, description="Pages (PDF pages, sheets, slides, image frames) a "
        "document may have. Plain text has no pages: MAX_TEXT_BYTES bounds it.")
    max_ocr_pages: Annotated[int, Field(ge=0)] = Field(
        default=1000, description="Pages of one document that may be OCRed (scans, TIFF "
        "frames); a document needing more fails rather than hold a worker for hours.")
    max_text_bytes: Annotated[int, Field(ge=MiB)] = Field(
        default=1024 * MiB, description="Text (UTF-8) extracted from one document; also "
        "the largest file a parser process may write.")
    max_preview_bytes: Annotated[int, Field(ge=MiB)] = Field(
        default=64 * MiB, description="Thumbnails, posters and page previews of one document.")
