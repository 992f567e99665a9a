"""The node database of a Unicode Outlook .pst written for tests ([MS-PST] 2.2): blocks of
node data, subnode lists, the node and block B-trees, one allocation map and the header.

Nothing on this machine writes a .pst (libpff and readpst only read), so the tests write
one: small, unencrypted (bCryptMethod 0), every node's data in one block of at most 8,176
bytes, and the whole file inside the first allocation map's range, as a new Outlook file
is (271,360 bytes).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

HEADER_END = 0x4400  # the first AMap page: the header and its reserved space before it
AMAP_RANGE = 496 * 8 * 64  # bytes one AMap page maps, 64 to a bit
FILE_SIZE = HEADER_END + AMAP_RANGE
PAGE = 512
MAX_BLOCK_DATA = 8176
PT_BBT, PT_NBT, PT_PMAP, PT_AMAP = 0x80, 0x81, 0x83, 0x84
NBT_ENTRY, BBT_ENTRY, BT_ENTRY = 32, 24, 24


def crc(data: bytes) -> int:
    """[MS-PST] 5.3: CRC-32 with the register starting at 0 and no final inversion."""
    return zlib.crc32(data, 0xFFFFFFFF) ^ 0xFFFFFFFF


def signature(ib: int, bid: int) -> int:
    """[MS-PST] 5.5: the 16-bit signature of a block or page from its offset and id."""
    value = ib ^ bid
    return ((value >> 16) ^ value) & 0xFFFF


def _align(value: int, to: int) -> int:
    return -(-value // to) * to


@dataclass
class Node:
    nid: int
    data_bid: int
    sub_bid: int
    parent: int


class NodeDatabase:
    """Blocks and nodes in memory, then `build()` lays out the whole file."""

    def __init__(self) -> None:
        self._blocks: list[tuple[int, bytes]] = []
        self._nodes: list[Node] = []
        self._next_block = 1

    def block(self, data: bytes, *, internal: bool = False) -> int:
        if len(data) > MAX_BLOCK_DATA:
            raise ValueError(f"{len(data)} bytes do not fit one block (no XBLOCKs here)")
        bid = self._next_block * 4 | (2 if internal else 0)
        self._next_block += 1
        self._blocks.append((bid, data))
        return bid

    def subnodes(self, entries: list[tuple[int, int, int]]) -> int:
        """An SLBLOCK: (nid, data bid, subnode bid) for each subnode of one node."""
        body = b"".join(struct.pack("<QQQ", nid, data, sub) for nid, data, sub in sorted(entries))
        return self.block(struct.pack("<BBHI", 0x02, 0, len(entries), 0) + body, internal=True)

    def node(self, nid: int, data: bytes, *, parent: int = 0, sub_bid: int = 0) -> None:
        self._nodes.append(Node(nid, self.block(data), sub_bid, parent))

    def build(self, *, rgnid: list[int]) -> bytes:
        out = bytearray(FILE_SIZE)
        used: list[tuple[int, int]] = [(HEADER_END, PAGE), (HEADER_END + PAGE, PAGE)]
        at = HEADER_END + 2 * PAGE  # after the AMap page and the (deprecated) PMap page
        bbt: list[tuple[int, bytes]] = []
        for bid, data in self._blocks:
            size = _align(len(data) + 16, 64)
            trailer = struct.pack("<HHIQ", len(data), signature(at, bid), crc(data), bid)
            out[at:at + size] = data.ljust(size - 16, b"\0") + trailer
            bbt.append((bid, struct.pack("<QQHHI", bid, at, len(data), 2, 0)))
            used.append((at, size))
            at += size
        at = _align(at, PAGE)
        next_page = [self._next_block]

        def page(entries: list[bytes], *, cb: int, level: int, ptype: int) -> tuple[int, int]:
            nonlocal at
            bid = next_page[0] * 4
            next_page[0] += 1
            body = b"".join(entries).ljust(488, b"\0")
            body += struct.pack("<BBBBI", len(entries), 488 // cb, cb, level, 0)
            trailer = struct.pack("<BBHIQ", ptype, ptype, signature(at, bid), crc(body), bid)
            out[at:at + PAGE] = body + trailer
            used.append((at, PAGE))
            at += PAGE
            if at > FILE_SIZE:
                raise ValueError("the file outgrew one allocation map")
            return bid, at - PAGE

        def tree(leaves: list[tuple[int, bytes]], *, cb: int, ptype: int) -> tuple[int, int]:
            level, rows = 0, sorted(leaves)
            while True:
                per = 488 // (cb if level == 0 else BT_ENTRY)
                pages = [(rows[i][0], page([e for _, e in rows[i:i + per]],
                                           cb=cb if level == 0 else BT_ENTRY,
                                           level=level, ptype=ptype))
                         for i in range(0, max(len(rows), 1), per)]
                if len(pages) == 1:
                    return pages[0][1]
                rows = [(key, struct.pack("<QQQ", key, bid, ib)) for key, (bid, ib) in pages]
                level += 1

        nbt = [(n.nid, struct.pack("<QQQII", n.nid, n.data_bid, n.sub_bid, n.parent, 0))
               for n in self._nodes]
        nbt_root = tree(nbt, cb=NBT_ENTRY, ptype=PT_NBT)
        bbt_root = tree(bbt, cb=BBT_ENTRY, ptype=PT_BBT)

        amap = bytearray(496)
        for start, size in used:
            for slot in range((start - HEADER_END) // 64, (start - HEADER_END + size) // 64):
                amap[slot // 8] |= 0x80 >> (slot % 8)
        free = sum(8 - bin(b).count("1") for b in amap) * 64
        for ib, ptype, body in ((HEADER_END, PT_AMAP, bytes(amap)),
                                (HEADER_END + PAGE, PT_PMAP, b"\xff" * 496)):
            out[ib:ib + PAGE] = body + struct.pack("<BBHIQ", ptype, ptype, 0, crc(body), ib)

        root = struct.pack("<IQQQQQQQQBBH", 0, FILE_SIZE, HEADER_END, free, 0,
                           nbt_root[0], nbt_root[1], bbt_root[0], bbt_root[1], 0x02, 0, 0)
        header = bytearray(564)
        struct.pack_into("<4sI2sHHBBII", header, 0, b"!BDN", 0, b"SM", 23, 19, 1, 1, 0, 0)
        struct.pack_into("<QQI", header, 24, 0, next_page[0] * 4, 0x10)
        struct.pack_into("<32I", header, 44, *rgnid)
        header[180:252] = root
        header[256:512] = b"\xff" * 256  # rgbFM, rgbFP: deprecated, all 0xFF
        struct.pack_into("<BBHQ", header, 512, 0x80, 0, 0, self._next_block * 4)
        struct.pack_into("<I", header, 4, crc(bytes(header[8:8 + 471])))
        struct.pack_into("<I", header, 524, crc(bytes(header[8:8 + 516])))
        out[:564] = header
        return bytes(out)
