"""A container's members (archive files, e-mail attachments) written to disk inside the
parser sandbox, held to the container limits as they are written.

A parser never picks where bytes land: each member goes to `member-N` in the folder the
sandbox was given, streamed in chunks, whatever its name inside the container says
("../../etc/passwd" is listed and skipped, never written). The limits - members, bytes,
ratio, depth, the largest member - are judged on the declared sizes before anything is
decompressed (`expect`, `open`) and again on the bytes really written, since a container
may lie about its sizes. Refusing the whole container raises ParseError; refusing one
member (encrypted, a link, a path leaving the container) lists it with a stable code.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from casework.core.settings import Settings
from casework.ingest.parsers.base import ListedMember, MemberWriter, ParseError

MiB = 1024 * 1024
MAX_INNER_PATH = 1000
RATIO_FLOOR_BYTES = 16 * MiB  # below this total no ratio is suspicious
MANIFEST = "members.jsonl"  # one line per member written, read back by the server
MAX_SKIPPED_REPORTED = 100  # skipped members named in the reply; the rest are counted
_DRIVE = re.compile(r"^[A-Za-z]:")
_KIND_REASONS = {"symlink": "a symbolic link: not followed",
                 "hardlink": "a hard link: not followed",
                 "device": "a device, FIFO or other special file: not read"}


@dataclass(frozen=True, slots=True)
class ContainerLimits:
    max_members: int
    max_total_bytes: int
    max_member_bytes: int
    max_ratio: float
    max_depth: int
    expand: bool  # False for a container nested CONTAINER_MAX_DEPTH deep: listed only
    members_setting: str = "CONTAINER_MAX_MEMBERS"  # named when max_members is passed

    @classmethod
    def from_settings(cls, settings: Settings, *, expand: bool,
                      mailbox: bool = False) -> ContainerLimits:
        # A parser process may not write a file past MAX_TEXT_BYTES (RLIMIT_FSIZE), and a
        # member is never larger than an upload could be. A mailbox's messages have their
        # own, larger, limit: 50,000 messages is an ordinary mailbox, not a bomb.
        return cls(max_members=(settings.mailbox_max_messages if mailbox
                                else settings.container_max_members),
                   members_setting="MAILBOX_MAX_MESSAGES" if mailbox
                   else "CONTAINER_MAX_MEMBERS",
                   max_total_bytes=settings.container_max_bytes,
                   max_member_bytes=min(settings.max_upload_bytes, settings.max_text_bytes),
                   max_ratio=settings.container_max_ratio,
                   max_depth=settings.container_max_depth, expand=expand)


def safe_inner_path(name: str) -> str | None:
    """A member's name as a clean relative path ('/' separators, no '.' or empty parts),
    or None when it would leave its container: absolute, a drive, '..', a NUL byte."""
    if "\x00" in name:
        return None
    name = name.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        return None
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    cleaned = "".join("\ufffd" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
                      for ch in "/".join(parts))
    return cleaned[:MAX_INNER_PATH]


def _shown(name: str) -> str:
    """A refused name as it may be listed: printable, bounded."""
    return "".join("\ufffd" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
                   for ch in name)[:MAX_INNER_PATH] or "(no name)"


class _Writer:
    def __init__(self, sink: FolderSink, entry: ListedMember, path: Path) -> None:
        self.sink, self.entry, self.path = sink, entry, path
        self.size = 0
        self.fh: IO[bytes] = open(path, "xb")  # noqa: SIM115 - closed by FolderSink.close

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.sink.count_written(len(chunk), member=self)
        self.fh.write(chunk)


class FolderSink:
    """The `MemberSink` the sandbox uses: members into `folder`, within `limits`.

    Each member written is a line of the manifest (`members.jsonl`) in the same folder, so
    neither this process nor the server holds a mailbox's 50,000 members in memory at once:
    the server reads the manifest back a batch at a time. `listing` (every entry, for an
    archive's page of contents) is kept only when `keep_listing`.
    """

    def __init__(self, folder: Path, *, limits: ContainerLimits, container_bytes: int,
                 keep_listing: bool = True) -> None:
        self.folder = folder
        self.limits = limits
        self.container_bytes = max(container_bytes, 1)
        self.keep_listing = keep_listing
        self.listing: list[ListedMember] = []
        self.listed = 0
        self.files = 0
        self.skipped: list[ListedMember] = []  # the first MAX_SKIPPED_REPORTED
        self.skipped_count = 0
        self.written = 0
        self._manifest: IO[str] | None = None

    # --- limits ---------------------------------------------------------------------
    def expect(self, *, members: int, total_bytes: int) -> None:
        limits = self.limits
        if members > limits.max_members:
            raise self._too_many(f"{members:,}")
        self._check_ratio(total_bytes)
        if total_bytes > limits.max_total_bytes:
            raise ParseError(
                f"the container would expand to {total_bytes // MiB:,} MiB (limit "
                f"{limits.max_total_bytes // MiB:,} MiB, CONTAINER_MAX_BYTES): refused as an "
                "archive bomb")

    def _too_many(self, count: str) -> ParseError:
        return ParseError(f"the container holds {count} members (limit "
                          f"{self.limits.max_members:,}, {self.limits.members_setting}): "
                          "refused as an archive bomb")

    def _check_ratio(self, total: int) -> None:
        ratio = total / self.container_bytes
        if total > RATIO_FLOOR_BYTES and ratio > self.limits.max_ratio:
            raise ParseError(
                f"the container expands {ratio:,.0f}x (limit {self.limits.max_ratio:g}x, "
                "CONTAINER_MAX_RATIO): refused as an archive bomb")

    def count_written(self, size: int, *, member: _Writer) -> None:
        """Bytes really written: a container that lied about its sizes stops here."""
        self.written += size
        if member.size > self.limits.max_member_bytes:
            raise ParseError(
                f"the member {member.entry.inner_path!r} is larger than "
                f"{self.limits.max_member_bytes // MiB:,} MiB (MAX_UPLOAD_BYTES): refused")
        if self.written > self.limits.max_total_bytes:
            raise ParseError(
                f"the container expands to more than {self.limits.max_total_bytes // MiB:,} "
                "MiB (CONTAINER_MAX_BYTES): refused as an archive bomb")
        self._check_ratio(self.written)

    # --- members --------------------------------------------------------------------
    def _list(self, entry: ListedMember) -> ListedMember:
        if self.listed >= self.limits.max_members:
            raise self._too_many(f"more than {self.limits.max_members:,}")
        self.listed += 1
        if self.keep_listing:
            self.listing.append(entry)
        if entry.code is not None:
            self._count_skipped(entry)
        return entry

    def _count_skipped(self, entry: ListedMember) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_SKIPPED_REPORTED:
            self.skipped.append(entry)

    def skip(self, inner_path: str, *, code: str, reason: str, size: int | None = None,
             modified_at: datetime | None = None) -> None:
        shown = safe_inner_path(inner_path) or _shown(inner_path)
        self._list(ListedMember(shown, size, modified_at, code=code, reason=reason))

    def open(self, inner_path: str, *, size: int | None, modified_at: datetime | None = None,
             kind: str = "file") -> MemberWriter | None:
        path = safe_inner_path(inner_path)
        if path is None:
            self.skip(inner_path, code="unsafe_path", size=size, modified_at=modified_at,
                      reason="its path leaves the container (absolute or '..'): not written")
            return None
        if kind != "file":
            self.skip(path, code="not_a_file", size=size, modified_at=modified_at,
                      reason=_KIND_REASONS.get(kind, f"a {kind}: not read"))
            return None
        if not self.limits.expand:
            self.skip(path, code="too_deep", size=size, modified_at=modified_at,
                      reason=f"inside containers nested {self.limits.max_depth} deep "
                             "(CONTAINER_MAX_DEPTH): listed, not extracted")
            return None
        if size is not None and size > self.limits.max_member_bytes:
            self.skip(path, code="too_large", size=size, modified_at=modified_at,
                      reason=f"larger than {self.limits.max_member_bytes // MiB:,} MiB "
                             "(MAX_UPLOAD_BYTES)")
            return None
        entry = self._list(ListedMember(path, size, modified_at,
                                        file=f"member-{self.listed + 1}"))
        assert entry.file is not None
        return _Writer(self, entry, self.folder / entry.file)

    def close(self, writer: MemberWriter) -> None:
        assert isinstance(writer, _Writer)
        writer.fh.close()
        entry = writer.entry
        entry.size = writer.size
        if self._manifest is None:
            self._manifest = open(self.folder / MANIFEST, "x", encoding="utf-8")  # noqa: SIM115
        self.files += 1
        self._manifest.write(json.dumps({
            "filename": PurePosixPath(entry.inner_path).name, "file": writer.path.name,
            "inner_path": entry.inner_path,
            "modified_at": entry.modified_at.isoformat() if entry.modified_at else None,
        }) + "\n")

    def discard(self, writer: MemberWriter, *, code: str, reason: str) -> None:
        """A member that failed half-way (a bad CRC, a password): removed and listed."""
        assert isinstance(writer, _Writer)
        writer.fh.close()
        writer.path.unlink(missing_ok=True)
        entry = writer.entry
        entry.file, entry.code, entry.reason = None, code, reason
        self._count_skipped(entry)

    def add(self, inner_path: str, chunks: Iterable[bytes], *, size: int | None = None,
            modified_at: datetime | None = None) -> None:
        writer = self.open(inner_path, size=size, modified_at=modified_at)
        if writer is None:
            return
        try:
            for chunk in chunks:
                writer.write(chunk)
        except BaseException:
            self.discard(writer, code="unreadable", reason="could not be read")
            raise
        self.close(writer)

    # --- the reply ------------------------------------------------------------------
    def report(self) -> dict[str, Any]:
        """What the server needs: the manifest of the files written (read back a batch at
        a time), the first members skipped with their reasons, and the counts."""
        if self._manifest is not None:
            self._manifest.close()
        return {
            "manifest": MANIFEST if self.files else None,
            "skipped": [{"inner_path": e.inner_path, "code": e.code, "reason": e.reason}
                        for e in self.skipped],
            "skipped_count": self.skipped_count,
            "members": self.listed,
        }
