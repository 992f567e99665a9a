"""Outlook .msg files written for tests: a compound file (CFB v3) holding the MAPI
property streams [MS-OXMSG] describes. Neither extract-msg nor olefile writes new files,
so this writes the container itself: a FAT, a directory, a mini stream for small streams.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI = 64
CUTOFF = 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
PT_LONG, PT_SYSTIME, PT_UNICODE, PT_BINARY = 0x0003, 0x0040, 0x001F, 0x0102


@dataclass
class Entry:
    name: str
    data: bytes | None = None  # None: a storage
    children: list[Entry] = field(default_factory=list)


def _props(props: list[tuple[int, int, object]], header: bytes) -> tuple[bytes, list[Entry]]:
    """A `__properties_version1.0` stream and the `__substg1.0_` streams it points at."""
    out, streams = bytearray(header), []
    for prop_id, prop_type, value in props:
        tag = (prop_id << 16) | prop_type
        if prop_type in (PT_UNICODE, PT_BINARY):
            # A string's stream holds no terminator; its size counts one [MS-OXMSG 2.4.2.2].
            data = (str(value).encode("utf-16-le") if prop_type == PT_UNICODE
                    else bytes(value))  # type: ignore[arg-type]
            streams.append(Entry(f"__substg1.0_{tag:08X}", data))
            size = len(data) + (2 if prop_type == PT_UNICODE else 0)
            out += struct.pack("<IIII", tag, 6, size, 0)
        else:
            out += struct.pack("<IIQ", tag, 6, int(value))  # type: ignore[call-overload]
    return bytes(out), streams


def message_msg(*, headers: str, body: str, subject: str, sender: str,
                recipient: str, attachment: tuple[str, bytes] | None = None) -> bytes:
    """An e-mail .msg: its transport headers (what threading reads), body, one recipient
    and at most one attachment."""
    props = [(0x001A, PT_UNICODE, "IPM.Note"), (0x0037, PT_UNICODE, subject),
             (0x0C1A, PT_UNICODE, sender), (0x0C1F, PT_UNICODE, sender),
             (0x1000, PT_UNICODE, body), (0x007D, PT_UNICODE, headers),
             (0x0E04, PT_UNICODE, recipient)]
    attachments = 1 if attachment else 0
    stream, children = _props(props, struct.pack("<8xIIII8x", 1, attachments, 1, attachments))
    root = Entry("Root Entry", children=[Entry("__properties_version1.0", stream), *children])
    recip_stream, recip_children = _props(
        [(0x3001, PT_UNICODE, recipient), (0x3003, PT_UNICODE, recipient),
         (0x0C15, PT_LONG, 1)], b"\0" * 8)
    root.children.append(Entry("__recip_version1.0_#00000000", children=[
        Entry("__properties_version1.0", recip_stream), *recip_children]))
    if attachment:
        name, data = attachment
        att_stream, att_children = _props(
            [(0x3707, PT_UNICODE, name), (0x3704, PT_UNICODE, name),
             (0x3705, PT_LONG, 1), (0x3701, PT_BINARY, data)], b"\0" * 8)
        root.children.append(Entry("__attach_version1.0_#00000000", children=[
            Entry("__properties_version1.0", att_stream), *att_children]))
    root.children.append(Entry("__nameid_version1.0", children=[
        Entry("__substg1.0_00020102", b""), Entry("__substg1.0_00030102", b""),
        Entry("__substg1.0_00040102", b"")]))
    return compound_file(root)


def _flatten(root: Entry) -> list[Entry]:
    order = [root]
    for entry in order:
        order.extend(entry.children)
    return order


def compound_file(root: Entry) -> bytes:
    entries = _flatten(root)
    index = {id(e): i for i, e in enumerate(entries)}
    # Small streams go to the mini stream (64-byte sectors), the others to regular sectors.
    mini, mini_fat, big = bytearray(), [], []
    starts: dict[int, int] = {}
    for entry in entries:
        if entry.data is None or not entry.data:
            continue
        if len(entry.data) < CUTOFF:
            first, count = len(mini) // MINI, -(-len(entry.data) // MINI)
            starts[id(entry)] = first
            mini_fat += [first + k + 1 for k in range(count - 1)] + [END]
            mini += entry.data.ljust(count * MINI, b"\0")
        else:
            big.append(entry)
    dir_bytes = len(entries) * 128
    n_dir = -(-dir_bytes // SECTOR)
    n_minifat = -(-len(mini_fat) * 4 // SECTOR) if mini_fat else 0
    n_ministream = -(-len(mini) // SECTOR)
    n_big = sum(-(-len(e.data or b"") // SECTOR) for e in big)
    n_fat = 1
    while (n_fat + n_dir + n_minifat + n_ministream + n_big) > n_fat * (SECTOR // 4):
        n_fat += 1
    fat: list[int] = [FATSECT] * n_fat
    at = n_fat

    def chain(count: int) -> int:
        nonlocal at
        if count == 0:
            return END
        first = at
        fat.extend([at + k + 1 for k in range(count - 1)] + [END])
        at += count
        return first

    dir_start = chain(n_dir)
    minifat_start = chain(n_minifat)
    ministream_start = chain(n_ministream)
    for entry in big:
        starts[id(entry)] = chain(-(-len(entry.data or b"") // SECTOR))
    fat += [FREE] * (n_fat * (SECTOR // 4) - len(fat))

    directory = bytearray()
    for entry in entries:
        siblings = None
        for parent in entries:
            if entry in parent.children:
                siblings = parent.children
        right = NOSTREAM
        if siblings is not None:
            position = siblings.index(entry)
            if position + 1 < len(siblings):
                right = index[id(siblings[position + 1])]
        child = index[id(entry.children[0])] if entry.children else NOSTREAM
        name = entry.name.encode("utf-16-le") + b"\0\0"
        kind = 5 if entry is root else (1 if entry.data is None else 2)
        if entry is root:
            start, size = (ministream_start if mini else END), len(mini)
        elif entry.data:
            start, size = starts[id(entry)], len(entry.data)
        else:
            start, size = (END if entry.data is not None else 0), 0
        directory += (name.ljust(64, b"\0") + struct.pack("<HBB", len(name), kind, 1)
                      + struct.pack("<III", NOSTREAM, right, child) + b"\0" * 16
                      + struct.pack("<I", 0) + b"\0" * 16 + struct.pack("<IQ", start, size))
    directory = directory.ljust(n_dir * SECTOR, b"\0")
    # Unused directory slots must read as empty entries with no siblings.
    for slot in range(len(entries), n_dir * SECTOR // 128):
        offset = slot * 128 + 68
        directory[offset:offset + 12] = struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM)

    difat = list(range(n_fat)) + [FREE] * (109 - n_fat)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, n_fat, dir_start, 0, CUTOFF,
                            minifat_start if n_minifat else END, n_minifat, END, 0)
              + struct.pack("<109I", *difat))
    body = struct.pack(f"<{len(fat)}I", *fat) + bytes(directory)
    body += struct.pack(f"<{len(mini_fat)}I", *mini_fat).ljust(n_minifat * SECTOR, b"\xff")
    body += bytes(mini).ljust(n_ministream * SECTOR, b"\0")
    for entry in big:
        data = entry.data or b""
        body += data.ljust(-(-len(data) // SECTOR) * SECTOR, b"\0")
    return header + body
