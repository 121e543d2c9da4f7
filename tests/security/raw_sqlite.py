"""An attacker's reader of SQLite files: every record of every b-tree page, with where it lies.

It reads the bytes as the file format describes them (https://www.sqlite.org/fileformat.html),
without SQLite: the database file page by page, and a write-ahead log frame by frame, including
pages of dropped tables, free pages and records a later version of the page has replaced.
Each record comes with the positions an attacker could order it by: the WAL frame, the page,
the cell's byte offset (SQLite puts each new cell at the top of the free area, so offsets
reveal insertion order) and its slot in the cell pointer array (key order).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

WAL_HEADER = 32
WAL_FRAME_HEADER = 24
LEAF_TABLE, LEAF_INDEX, INTERIOR_TABLE, INTERIOR_INDEX = 0x0D, 0x0A, 0x05, 0x02

Value = int | float | str | bytes | None


@dataclass(frozen=True, slots=True)
class RawRecord:
    frame: int  # WAL frame number, 0 for the database file itself
    page: int
    offset: int  # of the cell within the page
    slot: int  # index in the page's cell pointer array
    values: tuple[Value, ...]


def varint(data: bytes, position: int) -> tuple[int, int]:
    """SQLite's big-endian varint: the value and the position after it."""
    value = 0
    for index in range(9):
        byte = data[position + index]
        if index == 8:
            return (value << 8) | byte, position + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, position + index + 1
    raise AssertionError("unreachable")


def decode_record(payload: bytes) -> tuple[Value, ...]:
    header_size, position = varint(payload, 0)
    types = []
    while position < header_size:
        serial, position = varint(payload, position)
        types.append(serial)
    values: list[Value] = []
    body = header_size
    for serial in types:
        if serial == 0:
            values.append(None)
        elif 1 <= serial <= 6:
            size = (1, 2, 3, 4, 6, 8)[serial - 1]
            values.append(int.from_bytes(payload[body : body + size], "big", signed=True))
            body += size
        elif serial == 7:
            values.append(struct.unpack(">d", payload[body : body + 8])[0])
            body += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            size = (serial - 12) // 2
            raw = payload[body : body + size]
            values.append(raw.decode("utf-8", "replace") if serial % 2 else bytes(raw))
            body += size
        else:
            raise ValueError("reserved serial type")
    return tuple(values)


def page_records(page: bytes, number: int, frame: int) -> Iterator[RawRecord]:
    """The records of one b-tree page; anything that does not parse is skipped, as an
    attacker would skip it."""
    header = 100 if number == 1 else 0
    kind = page[header]
    if kind not in (LEAF_TABLE, LEAF_INDEX, INTERIOR_TABLE, INTERIOR_INDEX):
        return
    cells = int.from_bytes(page[header + 3 : header + 5], "big")
    pointers = header + (8 if kind in (LEAF_TABLE, LEAF_INDEX) else 12)
    usable = len(page)
    for slot in range(cells):
        offset = int.from_bytes(page[pointers + 2 * slot : pointers + 2 * slot + 2], "big")
        if not 0 < offset < usable:
            continue
        try:
            position = offset + (4 if kind in (INTERIOR_TABLE, INTERIOR_INDEX) else 0)
            if kind == INTERIOR_TABLE:
                continue  # only child pointers and keys, no records
            size, position = varint(page, position)
            if kind == LEAF_TABLE:
                _rowid, position = varint(page, position)
            if size > usable - 35:
                continue  # spills to overflow pages; ballots never do
            values = decode_record(page[position : position + size])
        except (IndexError, ValueError):
            continue
        yield RawRecord(frame, number, offset, slot, values)


def page_size_of(database: bytes) -> int:
    size = int.from_bytes(database[16:18], "big")
    return 65536 if size == 1 else size


def database_records(database: bytes) -> Iterator[RawRecord]:
    size = page_size_of(database)
    for index in range(len(database) // size):
        yield from page_records(database[index * size : (index + 1) * size], index + 1, 0)


def wal_records(wal: bytes) -> Iterator[RawRecord]:
    """Every frame of the log, valid or left over from before a reset, in file order."""
    if len(wal) < WAL_HEADER:
        return
    size = int.from_bytes(wal[8:12], "big")
    frame_size = WAL_FRAME_HEADER + size
    for frame, start in enumerate(range(WAL_HEADER, len(wal) - frame_size + 1, frame_size), 1):
        number = int.from_bytes(wal[start : start + 4], "big")
        page = wal[start + WAL_FRAME_HEADER : start + frame_size]
        yield from page_records(page, number, frame)
