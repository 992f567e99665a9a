"""Which job failures are worth retrying, and what to tell the user: the one place that says.

A failure is either transient - the database was busy, storage or Redis did not answer,
the disk was full, the worker died - and the job is retried with backoff up to its
`max_attempts`, or permanent - the file itself cannot be read (a damaged PDF or zip, XML
built to exhaust memory, nesting that overflows the stack, a file that needs more memory
than the server has) - and the job fails at once: retrying a bad file only repeats the
damage five times. Anything not known to be transient is permanent, so an unexpected parser
exception is never retried forever; the user sees a sentence, the traceback goes to the log.
The embedded worker and the Celery tasks both call `classify` (through `WorkerPool.execute`).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

import botocore.exceptions
import redis.exceptions
import sqlalchemy.exc

from casework.core.file_errors import exception_text, unreadable_file_reason
from casework.storage.blobstore import BlobNotFound

# Retrying these can succeed: the fault is in a service or the machine, not the file.
_TRANSIENT: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,  # "database is locked", a connection dropped
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection in time
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    botocore.exceptions.ConnectionError,  # S3 endpoint unreachable, connection reset
    botocore.exceptions.HTTPClientError,
    ConnectionError,
    TimeoutError,
)
_TRANSIENT_S3_CODES = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout",
                       "Throttling", "ThrottlingException", "503", "500"}
_TRANSIENT_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EAGAIN, errno.EMFILE, errno.ENFILE,
                     errno.EDQUOT}




class PermanentJobError(Exception):
    """A failure that retrying cannot fix (unreadable file, unsupported content)."""


class TransientJobError(Exception):
    """A failure of the machine, not of the file, that our own code detects (no parser
    process could start, the server is shutting down): retried with backoff."""


class JobCancelled(Exception):
    """The job was cancelled while it ran (its document deleted): stop, record nothing."""


ABANDONED = "processing stopped {attempts} times (the worker died or was killed)"
CANCELLED = "cancelled: the document was deleted"


@dataclass(frozen=True, slots=True)
class Failure:
    """What happened, as the user reads it, and whether another attempt may succeed."""

    reason: str
    transient: bool


def classify(exc: BaseException) -> Failure:
    """The user-facing reason for `exc` and whether the job should be retried."""
    if isinstance(exc, PermanentJobError):
        return Failure(_message(exc), transient=False)
    if isinstance(exc, JobCancelled):
        return Failure(CANCELLED, transient=False)
    if _is_transient(exc):
        return Failure(f"{_message(exc)} ({exc.__class__.__name__})", transient=True)
    return Failure(_permanent_reason(exc), transient=False)


def abandoned(attempts: int) -> str:
    """Why a job whose every attempt was killed is given up (its lease kept running out)."""
    return ABANDONED.format(attempts=attempts)


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (TransientJobError, *_TRANSIENT)):
        return True
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code") in _TRANSIENT_S3_CODES or status >= 500
    if isinstance(exc, FileNotFoundError | BlobNotFound):
        return False  # the original is gone: waiting will not bring it back
    # An I/O error without an errno ("disk full" raised by hand) is the machine's, not the
    # file's: parsers turn what a file does to them into ParseError or their own types.
    return type(exc) is OSError or (isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS)


def _permanent_reason(exc: BaseException) -> str:
    """A sentence about the file, never a Python exception text alone."""
    if isinstance(exc, BlobNotFound | FileNotFoundError):
        return "the original file is missing from storage"
    return unreadable_file_reason(exc) or (
        f"casework could not process this file ({exc.__class__.__name__}); "
        "the details are in the server log")


def _message(exc: BaseException) -> str:
    return exception_text(exc)
