"""Which text encoding a shapefile's .dbf is in, when it has no .cpg to say so.

Without a .cpg (and with no code page byte in the .dbf header) GDAL decodes the text as
Latin-1, so GBK names turn silently into mojibake. This module reads the .dbf bytes itself
to tell ASCII (nothing to decide), UTF-8 (safe to read as UTF-8), GBK (every non-ASCII
text decodes cleanly as GBK: read as GBK, with a warning in the report) and anything else
(the person must say which encoding).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class UndecodableText:
    """Where the first non-UTF-8 text sits, and how it reads as GBK."""

    row: int | None
    """The record number (1-based), or None when a field name itself is undecodable."""
    field: str
    as_gbk: str | None


@dataclass(frozen=True)
class DbfEncoding:
    """What the .dbf bytes say about their encoding."""

    declared: bool
    """A .cpg file or a code page byte in the header names the encoding (GDAL uses it)."""
    ascii_only: bool
    utf8: bool
    first_undecodable: UndecodableText | None = None
    gbk: bool = False
    """Not UTF-8, but every field name and text decodes cleanly as GBK."""


def _field_specs(header: bytes) -> list[tuple[str, bytes, int, int]]:
    specs = []
    offset = 1  # the deletion flag
    for start in range(32, len(header) - 1, 32):
        desc = header[start : start + 32]
        if desc[:1] == b"\r" or len(desc) < 32:
            break
        raw_name = desc[:11].split(b"\0", 1)[0]
        length = desc[16]
        specs.append((raw_name.decode("latin-1"), raw_name, offset, length))
        offset += length
    return specs


def _gbk(raw: bytes) -> str | None:
    try:
        return raw.decode("gbk").strip()
    except UnicodeDecodeError:
        return None


def inspect_dbf(shp: Path) -> DbfEncoding:
    """Inspect the .dbf next to a .shp."""
    dbf = shp.with_suffix(".dbf")
    if not dbf.exists():
        dbf = shp.with_suffix(".DBF")
    if shp.with_suffix(".cpg").exists() or shp.with_suffix(".CPG").exists() or not dbf.exists():
        return DbfEncoding(declared=True, ascii_only=False, utf8=False)
    data = dbf.read_bytes()
    if len(data) < 32:
        return DbfEncoding(declared=False, ascii_only=True, utf8=True)
    n_records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    if data[29] != 0:
        return DbfEncoding(declared=True, ascii_only=False, utf8=False)
    header = data[:header_len]
    specs = _field_specs(header)
    names_raw = b"".join(raw for _, raw, _, _ in specs)
    body = np.frombuffer(data, dtype=np.uint8, offset=header_len, count=n_records * record_len)
    body = body[: (len(body) // max(record_len, 1)) * record_len].reshape(-1, record_len)
    if not (body >= 0x80).any() and all(b < 0x80 for b in names_raw):
        return DbfEncoding(declared=False, ascii_only=True, utf8=True)
    for name, raw, _, _ in specs:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            found = UndecodableText(None, name, _gbk(raw))
            return DbfEncoding(False, False, False, found, _all_gbk(specs, body))
    for name, raw_name, offset, length in specs:
        column = body[:, offset : offset + length]
        suspicious = np.flatnonzero((column >= 0x80).any(axis=1))
        for index in suspicious:
            raw = column[index].tobytes()
            try:
                raw.rstrip(b" \0").decode("utf-8")
            except UnicodeDecodeError:
                field = _gbk(raw_name) or name
                found = UndecodableText(int(index) + 1, field, _gbk(raw))
                return DbfEncoding(False, False, False, found, _all_gbk(specs, body))
    return DbfEncoding(declared=False, ascii_only=False, utf8=True)


def _all_gbk(specs: list[tuple[str, bytes, int, int]], body: np.ndarray) -> bool:
    """Whether every field name and every non-ASCII text decodes cleanly as GBK."""
    if any(_gbk(raw) is None for _, raw, _, _ in specs):
        return False
    for _, _, offset, length in specs:
        column = body[:, offset : offset + length]
        for index in np.flatnonzero((column >= 0x80).any(axis=1)):
            if _gbk(column[index].tobytes().rstrip(b" \0")) is None:
                return False
    return True
