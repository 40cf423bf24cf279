"""How many rows reach PostgreSQL fast: binary COPY built column by column with numpy.

A binary COPY stream is a header, then per row a field count and, per field, a 4-byte
length (-1 for NULL) followed by the value in PostgreSQL's binary form; points travel as
EWKB (25 bytes: byte order, type with the SRID flag, SRID, x, y), which PostGIS's
`geometry_recv` reads directly. Every column is described by per-row lengths and offsets
into one byte blob, so a whole chunk of rows is assembled with a few numpy scatters and no
per-row Python.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
CHUNK_ROWS = 65_536

_EWKB_POINT_SRID = 0x20000001
_PG_EPOCH = np.datetime64("2000-01-01", "D")


@dataclass(frozen=True)
class CopyColumn:
    """One column of a binary COPY: per-row byte length (-1 = NULL) and offset into `blob`."""

    name: str
    lengths: NDArray[np.int32]
    offsets: NDArray[np.int64]
    blob: NDArray[np.uint8]
    width: int | None = None
    """Set when every non-NULL value has this many bytes and row i starts at i * width."""

    def take(self, start: int, stop: int) -> CopyColumn:
        """The rows start..stop of this column (the blob is shared, not copied)."""
        return CopyColumn(
            self.name,
            self.lengths[start:stop],
            self.offsets[start:stop],
            self.blob,
            self.width,
        )


def _fixed(name: str, values: NDArray, null: ArrayLike | None = None) -> CopyColumn:
    """A column of fixed-width big-endian values, one row of `values` per table row."""
    n = len(values)
    raw = np.ascontiguousarray(values).view(np.uint8).reshape(n, -1)
    width = raw.shape[1]
    lengths = np.full(n, width, dtype=np.int32)
    if null is not None:
        lengths[np.asarray(null, dtype=bool)] = -1
    offsets = np.arange(n, dtype=np.int64) * width
    return CopyColumn(name, lengths, offsets, raw.reshape(-1), width)


def int4_column(name: str, values: ArrayLike, null: ArrayLike | None = None) -> CopyColumn:
    """An `integer` column."""
    return _fixed(name, np.asarray(values).astype(">i4"), null)


def optional_int4_column(name: str, values: Iterable[object]) -> CopyColumn:
    """An `integer` column from ids that may be None or NaN (sent as NULL), e.g. looked-up keys."""
    series = pd.Series(list(values), dtype=object)
    missing = series.isna().to_numpy()
    return int4_column(name, series.fillna(0).astype(int).to_numpy(), missing)


def float8_column(name: str, values: ArrayLike) -> CopyColumn:
    """A `double precision` column; NaN is sent as NULL."""
    arr = np.asarray(values, dtype=float)
    return _fixed(name, arr.astype(">f8"), np.isnan(arr))


def bool_column(name: str, values: ArrayLike) -> CopyColumn:
    """A `boolean` column (one byte per row)."""
    return _fixed(name, np.asarray(values, dtype=bool).astype(np.uint8))


def date_column(name: str, values: ArrayLike) -> CopyColumn:
    """A `date` column from datetime64 values (NaT → NULL)."""
    days = np.asarray(values, dtype="datetime64[D]")
    null = np.isnat(days)
    offset = (days - _PG_EPOCH).astype(np.int64)
    offset[null] = 0
    return _fixed(name, offset.astype(">i4"), null)


def uuid_column(name: str, values: NDArray[np.uint8]) -> CopyColumn:
    """A `uuid` column from an (n, 16) array of bytes."""
    return _fixed(name, np.ascontiguousarray(values, dtype=np.uint8))


def point_column(name: str, x: ArrayLike, y: ArrayLike, *, srid: int = 4326) -> CopyColumn:
    """A `geometry(Point)` column as EWKB built from coordinate arrays (NaN → NULL)."""
    x = np.asarray(x, dtype="<f8")
    y = np.asarray(y, dtype="<f8")
    ewkb = np.empty(
        len(x),
        dtype=[("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")],
    )
    ewkb["order"] = 1
    ewkb["type"] = _EWKB_POINT_SRID
    ewkb["srid"] = srid
    ewkb["x"] = x
    ewkb["y"] = y
    return _fixed(name, ewkb, np.isnan(x) | np.isnan(y))


def text_column(name: str, values: Iterable[object] | pd.Series) -> CopyColumn:
    """A `text` column; None/NaN → NULL. Repetitive columns encode each distinct value once."""
    arr = np.asarray(values if isinstance(values, pd.Series) else list(values), dtype=object)
    n = len(arr)
    if n and len(set(arr[: min(n, 2000)].tolist())) <= 200:
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
        encoded = [str(u).encode() for u in uniques]
        ulen = np.array([len(b) for b in encoded] + [0], dtype=np.int64)
        ustart = np.zeros(len(encoded) + 1, dtype=np.int64)
        ustart[1:] = np.cumsum(ulen)[:-1]
        lengths = np.where(codes < 0, -1, ulen[codes]).astype(np.int32)
        blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        return CopyColumn(name, lengths, ustart[codes], blob)
    null = np.asarray(pd.isna(arr), dtype=bool)
    texts = np.where(null, "", arr)
    try:
        encoded_rows = list(map(str.encode, texts))
    except TypeError:
        encoded_rows = [str(v).encode() for v in texts]
    size = np.fromiter(map(len, encoded_rows), dtype=np.int64, count=n)
    offsets = np.zeros(n, dtype=np.int64)
    offsets[1:] = np.cumsum(size)[:-1]
    lengths = np.where(null, -1, size).astype(np.int32)
    blob = np.frombuffer(b"".join(encoded_rows), dtype=np.uint8)
    return CopyColumn(name, lengths, offsets, blob)


def bytes_column(name: str, values: Sequence[bytes | None]) -> CopyColumn:
    """A column of ready binary values (e.g. EWKB of polygons); None → NULL."""
    lengths = np.fromiter(
        (-1 if v is None else len(v) for v in values), dtype=np.int32, count=len(values)
    )
    size = np.maximum(lengths, 0).astype(np.int64)
    offsets = np.zeros(len(values), dtype=np.int64)
    if len(values):
        offsets[1:] = np.cumsum(size)[:-1]
    blob = np.frombuffer(b"".join(v for v in values if v is not None), dtype=np.uint8)
    return CopyColumn(name, lengths, offsets, blob)


def ewkb_column(name: str, geoms: Sequence[object] | NDArray, *, srid: int = 4326) -> CopyColumn:
    """A geometry column from shapely geometries (None → NULL), sent as EWKB."""
    geoms = np.asarray(geoms, dtype=object)
    with_srid = shapely.set_srid(geoms, srid)
    return bytes_column(name, list(shapely.to_wkb(with_srid, include_srid=True)))


def spatial_order(x: ArrayLike, y: ArrayLike) -> NDArray[np.int64]:
    """An order that keeps nearby points together (Morton / Z-order on a 65,536² grid).

    Loading points in this order lets PostGIS reuse a prepared polygon for runs of points
    in the same village and keeps the table and its GiST index compact.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        return np.arange(len(x), dtype=np.int64)
    lo_x, hi_x = np.nanmin(x[finite]), np.nanmax(x[finite])
    lo_y, hi_y = np.nanmin(y[finite]), np.nanmax(y[finite])
    qx = np.where(finite, (x - lo_x) / max(hi_x - lo_x, 1e-12) * 65535, 0).astype(np.uint64)
    qy = np.where(finite, (y - lo_y) / max(hi_y - lo_y, 1e-12) * 65535, 0).astype(np.uint64)
    key = _spread_bits(qx) | (_spread_bits(qy) << np.uint64(1))
    return np.argsort(key, kind="stable")


def _spread_bits(v: NDArray[np.uint64]) -> NDArray[np.uint64]:
    v = v & np.uint64(0xFFFF)
    v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
    v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
    v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
    return (v | (v << np.uint64(1))) & np.uint64(0x55555555)


def time_ordered_uuids(n: int) -> NDArray[np.uint8]:
    """n version-7 UUIDs (RFC 9562: ms timestamp, then a 42-bit counter), ascending.

    Ascending keys append to the right edge of the primary key's B-tree instead of landing
    on random pages, which makes bulk inserts markedly cheaper.
    """
    import time

    millis = np.uint64(time.time_ns() // 1_000_000)
    start = int.from_bytes(os.urandom(4), "big") & 0x3FFFFFF  # leave room for n rows
    counter = np.arange(start, start + n, dtype=np.uint64)
    hi = (millis << np.uint64(16)) | np.uint64(0x7000) | (counter >> np.uint64(30))
    lo = (
        (np.uint64(0b10) << np.uint64(62))
        | ((counter & np.uint64(0x3FFFFFFF)) << np.uint64(32))
        | np.frombuffer(os.urandom(4 * n), dtype=">u4").astype(np.uint64)
    )
    out = np.empty((n, 2), dtype=">u8")
    out[:, 0] = hi
    out[:, 1] = lo
    return out.view(np.uint8).reshape(n, 16)


def random_uuids(n: int) -> NDArray[np.uint8]:
    """n random (version 4) UUIDs as an (n, 16) byte array."""
    raw = np.frombuffer(os.urandom(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    return raw


def encode_rows(columns: Sequence[CopyColumn]) -> NDArray[np.uint8]:
    """The binary COPY rows (no header or trailer) of equally long columns."""
    n = len(columns[0].lengths)
    data_len = [np.maximum(c.lengths, 0).astype(np.int64) for c in columns]
    row_size = 2 + 4 * len(columns) + np.sum(data_len, axis=0)
    row_start = np.zeros(n, dtype=np.int64)
    if n:
        row_start[1:] = np.cumsum(row_size)[:-1]
    buf = np.empty(int(row_size.sum()), dtype=np.uint8)
    count = np.frombuffer(np.array(len(columns), dtype=">i2").tobytes(), dtype=np.uint8)
    buf[row_start[:, None] + np.arange(2)] = count
    cursor = row_start + 2
    for column, size in zip(columns, data_len, strict=True):
        lengths = column.lengths.astype(">i4").view(np.uint8).reshape(n, 4)
        buf[cursor[:, None] + np.arange(4)] = lengths
        cursor += 4
        if column.width is not None:
            present = column.lengths >= 0
            rows = column.blob.reshape(-1, column.width)
            if present.all():
                # Offsets of a fixed column may start past row 0 when the chunk is a slice.
                first = int(column.offsets[0]) // column.width if n else 0
                buf[cursor[:, None] + np.arange(column.width)] = rows[first : first + n]
            else:
                which = column.offsets[present] // column.width
                buf[cursor[present][:, None] + np.arange(column.width)] = rows[which]
        else:
            total = int(size.sum())
            if total:
                run_start = np.repeat(np.cumsum(size) - size, size)
                within = np.arange(total, dtype=np.int64) - run_start
                buf[np.repeat(cursor, size) + within] = column.blob[
                    np.repeat(column.offsets, size) + within
                ]
        cursor += size
    return buf


def temp_table(conn: Connection, name: str, columns_sql: str) -> None:
    """(Re)create a temporary table dropped at commit, e.g. `temp_table(conn, "x", "row int")`.

    `columns_sql` is a column list written in this code base, never text from a user.
    """
    table = sql.Identifier(name).as_string(conn.connection.driver_connection)
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    conn.exec_driver_sql(f"CREATE TEMP TABLE {table} ({columns_sql}) ON COMMIT DROP")


def copy_columns(
    conn: Connection,
    table: str,
    columns: Sequence[CopyColumn],
    *,
    progress: Callable[[int], None] | None = None,
    queued: bool = True,
) -> int:
    """Send equally long columns to `table` by binary COPY, in chunks; returns the row count.

    `queued`: a writer thread sends the chunks while the next is encoded (see below)."""
    n = len(columns[0].lengths)
    raw = conn.connection.driver_connection
    assert raw is not None, "copy_columns needs a live connection"
    cursor = raw.cursor()
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    )
    # A writer thread hands the chunks to libpq while the next one is encoded here, so the
    # client's encoding and the server's parsing overlap (two cores, two processes).
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor) if queued else None) as copy:
        copy.write(HEADER)
        for start in range(0, n, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, n)
            copy.write(encode_rows([c.take(start, stop) for c in columns]).data)
            if progress is not None:
                progress(stop - start)
        copy.write(TRAILER)
    return n


REBUILD_WORK_MEM_MB = 256
"""Memory for the sorts of an index rebuild (raised to this for the load's transaction only,
never lowered): a 1M-row B-tree or sorted GiST build then sorts in memory."""


def keys_and_indexes(
    raw: Any, tables: Sequence[str]
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]], list[tuple[str, str]]]:
    """The keys and indexes of `tables`, as their definitions: foreign keys of or pointing at
    them and primary keys / unique constraints as (name, table, definition), other indexes
    as (name, CREATE INDEX statement). `raw`: a psycopg connection."""
    tables_param = {"t": list(tables)}
    keys = raw.execute(
        "SELECT DISTINCT conname, conrelid::regclass::text, pg_get_constraintdef(oid)"
        " FROM pg_constraint WHERE contype = 'f'"
        " AND (conrelid = ANY(%(t)s::regclass[]) OR confrelid = ANY(%(t)s::regclass[]))",
        tables_param,
    ).fetchall()
    uniques = raw.execute(
        "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE contype IN ('p', 'u') AND conrelid = ANY(%(t)s::regclass[])"
        " ORDER BY contype, conname",
        tables_param,
    ).fetchall()
    indexes = raw.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
        " WHERE indrelid = ANY(%(t)s::regclass[]) AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid"
        "  AND c.conrelid = indrelid)",
        tables_param,
    ).fetchall()
    return keys, uniques, indexes


@contextmanager
def indexes_deferred(conn: Connection, tables: Sequence[str]) -> Iterator[None]:
    """Drop the indexes, primary keys, unique constraints and foreign keys of `tables`, and
    rebuild them when done.

    For loads larger than the table: building an index once over the loaded rows (one
    sort) is several times cheaper than maintaining it row by row — a unique B-tree the
    most, as every row descends it twice (check, then insert) — and one validating join
    replaces a foreign-key lookup per row. Foreign keys of other tables that point at
    `tables` go too (a primary key cannot be dropped under them) and come back last, each
    validated again. Everything happens in the caller's transaction, so a failure — a
    duplicate found when a unique index is rebuilt included — restores the schema with
    the data; meanwhile the tables are locked against other sessions.
    """
    raw = conn.connection.driver_connection
    assert raw is not None, "indexes_deferred needs a live connection"
    keys, uniques, indexes = keys_and_indexes(raw, tables)
    rebuild: list[sql.Composable] = []
    validate: list[sql.Composable] = []
    for name, table, definition in keys:
        raw.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.SQL(table), sql.Identifier(name)
            )
        )
        validate.append(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.SQL(table), sql.Identifier(name), sql.SQL(definition)
            )
        )
    for name, table, definition in uniques:
        raw.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.SQL(table), sql.Identifier(name)
            )
        )
        rebuild.append(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.SQL(table), sql.Identifier(name), sql.SQL(definition)
            )
        )
    for name, definition in indexes:
        raw.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(name)))
        rebuild.append(sql.SQL(definition))
    yield
    memory = raw.execute(
        "SELECT setting::bigint * 1024 FROM pg_settings WHERE name = 'maintenance_work_mem'"
    ).fetchone()
    if memory is not None and memory[0] < REBUILD_WORK_MEM_MB * 1024 * 1024:
        raw.execute(f"SET LOCAL maintenance_work_mem = '{REBUILD_WORK_MEM_MB}MB'")
    for statement in rebuild + validate:
        # Through SQLAlchemy, so a refusal (a duplicate key) is a DBAPIError like any other.
        conn.exec_driver_sql(statement.as_string(raw))
