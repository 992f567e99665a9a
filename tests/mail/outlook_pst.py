"""Outlook .pst files written for tests: folders of messages with their transport headers,
bodies, recipients and attachments, as property contexts and table contexts on heaps
([MS-PST] 2.3, 2.4) over the node database of tests/mail/pst_ndb.py.

`pst_file(folders)` returns the bytes of a Unicode .pst laid out as Outlook lays out a new
file: the root folder holds "Top of Personal Folders" ("Deleted Items", then the folders
given, in order) and "Search Root". libpff reads it, and so did readpst (libpst) and
pypstreader, a strict pure-Python reader, when the writer was made (docs/mail.md,
"Fixtures and what is tested").
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import Header

from tests.mail.pst_ndb import NodeDatabase

PT_SHORT, PT_LONG, PT_BOOLEAN, PT_I8 = 0x0002, 0x0003, 0x000B, 0x0014
PT_UNICODE, PT_SYSTIME, PT_BINARY = 0x001F, 0x0040, 0x0102
ROW_ID, ROW_VER = 0x67F2, 0x67F3
NID_STORE, NID_NAME_MAP, NID_ROOT = 0x21, 0x61, 0x122
NID_TOP, NID_SEARCH_ROOT, NID_DELETED = 0x8022, 0x8042, 0x8062
NID_ATTACHMENT_TABLE, NID_RECIPIENT_TABLE = 0x671, 0x692
HIERARCHY, CONTENTS, ASSOCIATED = 0x0D - 0x02, 0x0E - 0x02, 0x0F - 0x02  # added to a folder nid
STORE_GUID = bytes.fromhex("5c8f0a6ed4b94f3e9a4a2f1b7d3e6c01")
PSETID_COMMON = bytes.fromhex("0820060000000000c000000000000046")
MAX_HEAP_ITEM = 3580
Props = list[tuple[int, int, object]]


@dataclass
class Attachment:
    filename: str
    data: bytes
    mime_type: str = "text/plain"


@dataclass
class Message:
    subject: str
    sender: tuple[str, str]  # (name, address)
    to: list[tuple[str, str]]
    sent: datetime
    body: str
    message_id: str | None = None
    in_reply_to: str | None = None
    references: str | None = None
    transport_headers: bool = True  # Outlook keeps none for what the owner sent
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class Folder:
    name: str
    messages: list[Message] = field(default_factory=list)


def _filetime(when: datetime) -> bytes:
    return struct.pack("<Q", int((when - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds()
                                 * 10_000_000))


def _entry_id(nid: int) -> bytes:
    return bytes(4) + STORE_GUID + struct.pack("<I", nid)


class _Heap:
    """A heap-on-node in one block: allocations addressed by HIDs (index << 5)."""

    def __init__(self, client_signature: int) -> None:
        self.client_signature = client_signature
        self.items: list[bytes] = []

    def alloc(self, data: bytes) -> int:
        if len(data) > MAX_HEAP_ITEM:
            raise ValueError(f"a heap item of {len(data)} bytes needs a subnode")
        self.items.append(data)
        return len(self.items) << 5

    def tree(self, records: list[tuple[bytes, bytes]], *, key: int, data: int) -> int:
        """A BTH of one leaf level; returns the HID of its header."""
        rows = b"".join(k + v for k, v in sorted(records,
                                                  key=lambda r: int.from_bytes(r[0], "little")))
        root = self.alloc(rows) if records else 0
        return self.alloc(struct.pack("<BBBBI", 0xB5, key, data, 0, root))

    def build(self, user_root: int) -> bytes:
        body = bytearray()
        offsets = [12]
        for item in self.items:
            body += item
            offsets.append(12 + len(body))
        if len(body) % 2:
            body += b"\0"
        # A zero-length allocation counts as a free one (cFree).
        page_map = struct.pack(f"<HH{len(offsets)}H", len(self.items),
                               sum(not item for item in self.items), *offsets)
        header = struct.pack("<HBBII", 12 + len(body), 0xEC, self.client_signature,
                             user_root, 0)
        return header + bytes(body) + page_map


def _value(heap: _Heap, prop_type: int, value: object) -> bytes:
    """A property's 4 bytes: the value itself when it fits, a HID into the heap otherwise."""
    if prop_type in (PT_LONG, PT_SHORT, PT_BOOLEAN):
        return struct.pack("<I", int(value))  # type: ignore[call-overload]
    if prop_type in (PT_SYSTIME, PT_I8):
        raw = _filetime(value) if isinstance(value, datetime) else struct.pack("<q", value)
    elif prop_type == PT_UNICODE:
        raw = str(value).encode("utf-16-le")
    else:
        raw = bytes(value)  # type: ignore[call-overload]
    return struct.pack("<I", heap.alloc(raw))


def property_context(props: Props) -> bytes:
    heap = _Heap(0xBC)
    records = [(struct.pack("<H", pid), struct.pack("<H", ptype) + _value(heap, ptype, value))
               for pid, ptype, value in props]
    return heap.build(heap.tree(records, key=2, data=6))


def _cell_size(prop_type: int) -> int:
    return {PT_SYSTIME: 8, PT_I8: 8, PT_SHORT: 2, PT_BOOLEAN: 1}.get(prop_type, 4)


def table_context(columns: list[tuple[int, int]], rows: list[dict[int, object]]) -> bytes:
    """A TC: `columns` as (property id, type), each row a dict by property id that holds
    ROW_ID (the row's node id) and ROW_VER beside its other cells."""
    heap = _Heap(0x7C)
    cols = [(ROW_ID, PT_LONG), (ROW_VER, PT_LONG), *columns]
    order = cols[:2] + sorted(cols[2:], key=lambda c: -_cell_size(c[1]))
    offsets, at, ends = {}, 0, []
    for size_group in (lambda s: s >= 4, lambda s: s == 2, lambda s: s == 1):
        for pid, ptype in order:
            if size_group(_cell_size(ptype)):
                offsets[pid] = at
                at += _cell_size(ptype)
        ends.append(at)
    row_size = at + -(-len(cols) // 8)
    matrix = bytearray()
    for row in rows:
        cells = bytearray(row_size)
        for bit, (pid, ptype) in enumerate(cols):
            if row.get(pid) is None:
                continue
            if _cell_size(ptype) == 8:
                value = row[pid]
                raw = _filetime(value) if isinstance(value, datetime) else struct.pack("<q", value)
            else:
                raw = _value(heap, ptype, row[pid])[:_cell_size(ptype)]
            cells[offsets[pid]:offsets[pid] + len(raw)] = raw
            cells[ends[2] + bit // 8] |= 0x80 >> (bit % 8)
        matrix += cells
    row_index = heap.tree([(struct.pack("<I", int(r[ROW_ID])), struct.pack("<I", i))  # type: ignore[call-overload]
                           for i, r in enumerate(rows)], key=4, data=4)
    hnid_rows = heap.alloc(bytes(matrix)) if rows else 0
    descriptors = b"".join(
        struct.pack("<IHBB", (pid << 16) | ptype, offsets[pid], _cell_size(ptype), bit)
        for bit, (pid, ptype) in sorted(enumerate(cols), key=lambda c: c[1]))
    info = struct.pack("<BB4HIII", 0x7C, len(cols), *ends, row_size, row_index, hnid_rows,
                       0) + descriptors
    return heap.build(heap.alloc(info))


HIERARCHY_COLUMNS = [(0x3001, PT_UNICODE), (0x3602, PT_LONG), (0x3603, PT_LONG),
                     (0x360A, PT_BOOLEAN)]
CONTENTS_COLUMNS = [(0x001A, PT_UNICODE), (0x0037, PT_UNICODE), (0x0042, PT_UNICODE),
                    (0x0E06, PT_SYSTIME), (0x0E07, PT_LONG), (0x0E08, PT_LONG),
                    (0x0E1B, PT_BOOLEAN)]
ATTACHMENT_COLUMNS = [(0x0E20, PT_LONG), (0x3704, PT_UNICODE), (0x3705, PT_LONG),
                      (0x370B, PT_LONG)]
RECIPIENT_COLUMNS = [(0x0C15, PT_LONG), (0x3001, PT_UNICODE), (0x3002, PT_UNICODE),
                     (0x3003, PT_UNICODE), (0x39FE, PT_UNICODE)]


def _headers(message: Message) -> str:
    lines = [f"From: {message.sender[0]} <{message.sender[1]}>",
             "To: " + ", ".join(f"{name} <{address}>" for name, address in message.to),
             "Subject: " + (message.subject if message.subject.isascii()
                            else Header(message.subject, "utf-8").encode()),  # RFC 2047
             "Date: " + message.sent.strftime("%a, %d %b %Y %H:%M:%S +0000")]
    for name, value in (("Message-ID", message.message_id),
                        ("In-Reply-To", message.in_reply_to),
                        ("References", message.references)):
        if value:
            lines.append(f"{name}: {value}")
    return "\r\n".join(["Received: from mx.example.org by mail.example.org", *lines,
                        "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]) + \
        "\r\n\r\n"


def _message_props(message: Message) -> Props:
    flags = 0x01 | (0x10 if message.attachments else 0)  # read; has attachments
    props: Props = [
        (0x001A, PT_UNICODE, "IPM.Note"), (0x0037, PT_UNICODE, message.subject),
        (0x0039, PT_SYSTIME, message.sent), (0x0E06, PT_SYSTIME, message.sent),
        (0x0042, PT_UNICODE, message.sender[0]), (0x0065, PT_UNICODE, message.sender[1]),
        (0x0C1A, PT_UNICODE, message.sender[0]), (0x0C1E, PT_UNICODE, "SMTP"),
        (0x0C1F, PT_UNICODE, message.sender[1]),
        (0x0E04, PT_UNICODE, "; ".join(name for name, _ in message.to)),
        (0x0E07, PT_LONG, flags), (0x0E08, PT_LONG, len(message.body) + 1024),
        (0x0E1B, PT_BOOLEAN, bool(message.attachments)),
        (0x1000, PT_UNICODE, message.body),
        (0x3007, PT_SYSTIME, message.sent), (0x3008, PT_SYSTIME, message.sent)]
    if message.transport_headers:
        props.append((0x007D, PT_UNICODE, _headers(message)))
    for pid, value in ((0x1035, message.message_id), (0x1042, message.in_reply_to),
                       (0x1039, message.references)):
        if value:
            props.append((pid, PT_UNICODE, value))
    return sorted(props)


def _write_message(db: NodeDatabase, nid: int, folder_nid: int, message: Message) -> None:
    subnodes = []
    recipients = [{ROW_ID: index, ROW_VER: 1, 0x0C15: 1, 0x3001: name, 0x3002: "SMTP",
                   0x3003: address, 0x39FE: address}
                  for index, (name, address) in enumerate(message.to)]
    subnodes.append((NID_RECIPIENT_TABLE,
                     db.block(table_context(RECIPIENT_COLUMNS, recipients)), 0))
    if message.attachments:
        rows = []
        for index, attachment in enumerate(message.attachments):
            attachment_nid = ((0x400 + index) << 5) | 0x05
            props: Props = [
                (0x0E20, PT_LONG, len(attachment.data)), (0x3701, PT_BINARY, attachment.data),
                (0x3704, PT_UNICODE, attachment.filename), (0x3705, PT_LONG, 1),
                (0x3707, PT_UNICODE, attachment.filename), (0x370B, PT_LONG, -1 & 0xFFFFFFFF),
                (0x370E, PT_UNICODE, attachment.mime_type)]
            subnodes.append((attachment_nid, db.block(property_context(props)), 0))
            rows.append({ROW_ID: attachment_nid, ROW_VER: 1, 0x0E20: len(attachment.data),
                         0x3704: attachment.filename, 0x3705: 1, 0x370B: 0xFFFFFFFF})
        subnodes.append((NID_ATTACHMENT_TABLE,
                         db.block(table_context(ATTACHMENT_COLUMNS, rows)), 0))
    db.node(nid, property_context(_message_props(message)), parent=folder_nid,
            sub_bid=db.subnodes(subnodes))


def _write_folder(db: NodeDatabase, nid: int, parent: int, name: str,
                  children: list[tuple[int, str, int, bool]],
                  messages: list[tuple[int, Message]]) -> None:
    """A folder's property context and its three tables; `children` as (nid, name,
    message count, has sub-folders)."""
    db.node(nid, property_context([
        (0x3001, PT_UNICODE, name), (0x3602, PT_LONG, len(messages)), (0x3603, PT_LONG, 0),
        (0x360A, PT_BOOLEAN, bool(children)), (0x3613, PT_UNICODE, "IPF.Note")]),
        parent=parent)
    db.node(nid + HIERARCHY, table_context(HIERARCHY_COLUMNS, [
        {ROW_ID: child, ROW_VER: 1, 0x3001: child_name, 0x3602: count, 0x3603: 0,
         0x360A: has_children} for child, child_name, count, has_children in children]))
    db.node(nid + CONTENTS, table_context(CONTENTS_COLUMNS, [
        {ROW_ID: message_nid, ROW_VER: 1, 0x001A: "IPM.Note", 0x0037: m.subject,
         0x0042: m.sender[0], 0x0E06: m.sent, 0x0E07: 1, 0x0E08: len(m.body) + 1024,
         0x0E1B: bool(m.attachments)} for message_nid, m in messages]))
    db.node(nid + ASSOCIATED, table_context([(0x001A, PT_UNICODE)], []))


def pst_file(folders: list[Folder], *, display_name: str = "Personal Folders") -> bytes:
    db = NodeDatabase()
    db.node(NID_STORE, property_context([
        (0x0FF9, PT_BINARY, STORE_GUID), (0x3001, PT_UNICODE, display_name),
        (0x35E0, PT_BINARY, _entry_id(NID_TOP)), (0x35E3, PT_BINARY, _entry_id(NID_DELETED)),
        (0x35E7, PT_BINARY, _entry_id(NID_SEARCH_ROOT)), (0x67FF, PT_LONG, 0)]))
    db.node(NID_NAME_MAP, property_context([
        # One named property, as every Outlook file has some: PidLidSideEffects in
        # PSETID_Common (GUID index 3, the first in the GUID stream).
        (0x0001, PT_LONG, 251), (0x0002, PT_BINARY, PSETID_COMMON),
        (0x0003, PT_BINARY, struct.pack("<IHH", 0x8510, 3 << 1, 0)),
        (0x0004, PT_BINARY, b"")]))
    next_message = 0x10000
    user_folders = []
    for index, folder in enumerate(folders):
        folder_nid = ((0x404 + index) << 5) | 0x02
        numbered = []
        for message in folder.messages:
            numbered.append(((next_message << 5) | 0x04, message))
            next_message += 1
        user_folders.append((folder_nid, folder, numbered))
    _write_folder(db, NID_ROOT, NID_ROOT, "", [
        (NID_TOP, "Top of Personal Folders", 0, True),
        (NID_SEARCH_ROOT, "Search Root", 0, False)], [])
    _write_folder(db, NID_TOP, NID_ROOT, "Top of Personal Folders",
                  [(NID_DELETED, "Deleted Items", 0, False)]
                  + [(nid, f.name, len(f.messages), False) for nid, f, _ in user_folders], [])
    _write_folder(db, NID_SEARCH_ROOT, NID_ROOT, "Search Root", [], [])
    _write_folder(db, NID_DELETED, NID_TOP, "Deleted Items", [], [])
    for folder_nid, folder, numbered in user_folders:
        _write_folder(db, folder_nid, NID_TOP, folder.name, [], numbered)
        for message_nid, message in numbered:
            _write_message(db, message_nid, folder_nid, message)
    rgnid = [0x400] * 32
    rgnid[0x02] = 0x404 + len(folders)
    rgnid[0x04] = next_message
    return db.build(rgnid=rgnid)
