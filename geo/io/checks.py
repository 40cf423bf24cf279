"""Is each row acceptable? Field checks that need no database, each reported by row and field."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.io.read import SourceTable
from geo.io.report import ImportReport

_YMD = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")

STATUS_ALIASES: dict[str, str] = {
    "open": "open",
    "整改中": "open",
    "已登记": "open",
    "待整改": "open",
    "未销号": "open",
    "submitted": "submitted",
    "已整改待复核": "submitted",
    "待复核": "submitted",
    "已整改": "submitted",
    "closed": "closed",
    "已销号": "closed",
    "销号": "closed",
    "unrectified": "unrectified",
    "未整改": "unrectified",
    "inadequate": "inadequate",
    "整改不到位": "inadequate",
}
SOURCE_ALIASES: dict[str, str] = {
    "inspection": "inspection",
    "检查": "inspection",
    "月度检查": "inspection",
    "recheck": "recheck",
    "复查": "recheck",
    "复核": "recheck",
    "observation": "observation",
    "观摩": "observation",
    "third_party": "third_party",
    "第三方": "third_party",
    "第三方测评": "third_party",
    "village_self": "village_self",
    "自查": "village_self",
    "村自查": "village_self",
    "report": "report",
    "举报": "report",
    "群众反映": "report",
    "open311": "open311",
    "Open311 接口上报": "open311",
}
WATER_KIND_ALIASES: dict[str, str] = {
    "river": "river",
    "河": "river",
    "河流": "river",
    "河道": "river",
    "canal": "river",
    "pond": "pond",
    "塘": "pond",
    "坑塘": "pond",
    "池塘": "pond",
    "lake": "pond",
    "ditch": "ditch",
    "沟": "ditch",
    "沟渠": "ditch",
    "渠": "ditch",
}

ROAD_KIND_ALIASES: dict[str, str] = {
    "main": "main",
    "primary": "main",
    "主干道": "main",
    "主路": "main",
    "干道": "main",
    "secondary": "secondary",
    "次干道": "secondary",
    "次路": "secondary",
    "支路": "secondary",
    "lane": "lane",
    "巷道": "lane",
    "胡同": "lane",
    "小巷": "lane",
    "街巷": "lane",
}


def text_values(column: pd.Series) -> pd.Series:
    """Cells as trimmed text (None when blank); spreadsheet numbers like 101.0 become '101'."""

    def one(value: object) -> str | None:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        return text or None

    return column.astype(object).map(one)


def column_or_none(table: SourceTable, name: str) -> pd.Series:
    """A canonical column as text, or all None when the file does not have it."""
    if name in table.frame:
        return text_values(table.frame[name])
    return pd.Series([None] * len(table.frame), index=table.frame.index, dtype=object)


def require(table: SourceTable, names: Sequence[str], report: ImportReport) -> None:
    """Missing required columns (one error each) and blank required cells (one per row)."""
    rows = table.frame["row"].to_numpy()
    for name in names:
        if name not in table.frame:
            report.add(
                f"missing required column '{name}' (headers found: "
                f"{', '.join(str(c) for c in table.frame.columns if c != 'row') or 'none'})",
                field=name,
            )
            continue
        blank = column_or_none(table, name).isna().to_numpy()
        if blank.any():
            report.add_rows(rows[blank], "required value is missing", field=table.label(name))


def duplicates_in_file(
    values: pd.Series, rows: NDArray, *, field: str, report: ImportReport
) -> NDArray[np.bool_]:
    """Report every repeat of a value after its first row; returns the repeated rows."""
    present = values.notna().to_numpy()
    repeated = values.duplicated(keep="first").to_numpy() & present
    if repeated.any():
        first_row = dict(zip(values[present].to_numpy()[::-1], rows[present][::-1], strict=True))
        report.add_rows(
            rows[repeated],
            [
                f"duplicate {v!r}: already used in row {first_row[v]} of this file"
                for v in values.to_numpy()[repeated]
            ],
            field=field,
        )
    return repeated


def parse_dates(column: pd.Series) -> tuple[NDArray, NDArray[np.bool_]]:
    """Dates from ISO text, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305, Excel dates or serials.

    Returns datetime64[D] values (NaT when blank or bad) and the mask of unparseable cells.
    """
    values = column.astype(object)
    blank = values.isna() | (values.astype(str).str.strip() == "")
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
    if blank.all():
        return out, np.zeros(len(values), dtype=bool)
    text = values.astype(str).str.strip()
    quick = pd.to_datetime(text.where(~blank), format="%Y-%m-%d", errors="coerce")
    out[:] = quick.to_numpy(dtype="datetime64[D]")
    todo = np.flatnonzero(np.isnat(out) & ~blank.to_numpy())
    for index in todo:
        out[index] = _one_date(values.iloc[index])
    bad = np.isnat(out) & ~blank.to_numpy()
    return out, bad


def _one_date(value: object) -> np.datetime64:
    nat = np.datetime64("NaT", "D")
    if isinstance(value, pd.Timestamp | np.datetime64) or hasattr(value, "year"):
        try:
            return np.datetime64(pd.Timestamp(value).date(), "D")
        except (ValueError, TypeError):
            return nat
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer() and 19000101 <= number <= 21001231:
            return _one_date(str(int(number)))
        if 20_000 <= number <= 80_000:
            return _EXCEL_EPOCH + np.timedelta64(int(number), "D")
        return nat
    text = str(value).strip()
    match = _YMD.match(text) or _COMPACT.match(text)
    if match is None:
        return nat
    try:
        return np.datetime64(pd.Timestamp(*(int(g) for g in match.groups())).date(), "D")
    except ValueError:
        return nat


def dates(
    table: SourceTable, name: str, report: ImportReport, *, required: bool = False
) -> NDArray:
    """Parse a date column, reporting each cell that is not a date."""
    if name not in table.frame:
        return np.full(len(table.frame), np.datetime64("NaT"), dtype="datetime64[D]")
    values, bad = parse_dates(table.frame[name])
    if bad.any():
        cells = table.frame[name].to_numpy()[bad]
        report.add_rows(
            table.frame["row"].to_numpy()[bad],
            [f"not a date: {c!r} (expected e.g. 2024-03-05 or 2024年3月5日)" for c in cells],
            field=table.label(name),
        )
    return values


def date_order(
    earlier: NDArray,
    later: NDArray,
    rows: NDArray,
    *,
    field: str,
    message: str,
    report: ImportReport,
) -> None:
    """Report rows where `later` falls before `earlier` (both present)."""
    both = ~np.isnat(earlier) & ~np.isnat(later)
    wrong = both & (later < earlier)
    if wrong.any():
        report.add_rows(
            rows[wrong],
            [
                f"{message} ({b} is before {a})"
                for a, b in zip(earlier[wrong], later[wrong], strict=True)
            ],
            field=field,
        )


@dataclass(frozen=True)
class Vocabulary:
    """Known codes of a field and the words people write for them."""

    codes: tuple[str, ...]
    aliases: Mapping[str, str]
    what: str

    def resolve(
        self, values: pd.Series, rows: NDArray, *, field: str, report: ImportReport
    ) -> pd.Series:
        """Codes for the values (None where unknown, each unknown reported with suggestions)."""
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        resolved = [self.lookup(str(u)) for u in uniques]
        for index, (value, code) in enumerate(zip(uniques, resolved, strict=True)):
            if code is None:
                hit = codes == index
                report.add_rows(
                    rows[hit],
                    f"unknown {self.what} {value!r}",
                    field=field,
                    hint=self.suggest(str(value)),
                )
        mapped = np.array([*resolved, None], dtype=object)[codes]
        return pd.Series(mapped, index=values.index, dtype=object)

    def lookup(self, value: str) -> str | None:
        """The code a written value stands for."""
        key = _key(value)
        return self.aliases.get(key)

    def suggest(self, value: str) -> str:
        """The closest known codes, for the message."""
        key = _key(value)
        by_alias: dict[str, str] = dict(self.aliases)
        contained = [code for alias, code in by_alias.items() if key and (key in alias)]
        close = difflib.get_close_matches(key, list(by_alias), n=6, cutoff=0.4)
        ordered = list(dict.fromkeys([*contained, *(by_alias[c] for c in close)]))[:3]
        if not ordered:
            ordered = list(self.codes[:3])
        return f"closest known: {', '.join(ordered)} (all: {', '.join(self.codes)})"


def _key(value: str) -> str:
    return re.sub(r"[\s\"'“”‘’]+", "", value).lower()


def category_vocabulary(
    rows: Sequence[tuple[str, str, str]], synonyms: Sequence[tuple[str, str]] = ()
) -> Vocabulary:
    """Categories by code, the town's synonyms, the labels and the parts of the Chinese label.

    `synonyms` (word, code) come from the `category_synonym` table; they win over the words
    derived from the labels, and a code always means itself.
    """
    aliases: dict[str, str] = {}
    ambiguous: set[str] = set()

    def add(alias: str, code: str) -> None:
        key = _key(alias)
        if not key:
            return
        if key in aliases and aliases[key] != code:
            ambiguous.add(key)
        aliases.setdefault(key, code)

    for code, label_zh, label_en in rows:
        add(code, code)
        add(label_zh, code)
        add(label_en, code)
        head = re.split(r"[(（]", label_zh)[0]
        for part in re.split(r"[/、,，]", head):
            add(part, code)
    for key in ambiguous:
        del aliases[key]
    known = {code for code, _, _ in rows}
    for word, code in synonyms:
        if code in known and _key(word):
            aliases[_key(word)] = code
    for code, _, _ in rows:  # a code always means itself
        aliases[_key(code)] = code
    return Vocabulary(tuple(code for code, _, _ in rows), aliases, "category")


def simple_vocabulary(aliases: Mapping[str, str], what: str) -> Vocabulary:
    """A vocabulary from a fixed alias table (statuses, sources, road kinds)."""
    codes = tuple(dict.fromkeys(aliases.values()))
    return Vocabulary(codes, {_key(k): v for k, v in aliases.items()}, what)


def repair_polygons(geoms: NDArray, rows: NDArray, *, report: ImportReport, what: str) -> NDArray:
    """MultiPolygons; invalid ones repaired with make_valid (warning), unusable ones reported."""
    out = np.full(len(geoms), None, dtype=object)
    present = geoms != None  # noqa: E711
    kinds = shapely.get_type_id(geoms)
    polygonal = present & np.isin(kinds, [3, 6, 7])
    wrong = present & ~polygonal
    if wrong.any():
        report.add_rows(
            rows[wrong],
            [f"expected a polygon boundary, got a {g.geom_type}" for g in geoms[wrong]],
            field="geometry",
        )
    valid = shapely.is_valid(geoms)
    for index in np.flatnonzero(polygonal):
        geom = geoms[index]
        if not valid[index]:
            reason = shapely.is_valid_reason(geom)
            geom = _polygonal_part(shapely.make_valid(geom))
            if geom is None:
                report.add(
                    f"invalid {what} boundary ({reason}) has no area left after repair",
                    row=int(rows[index]),
                    field="geometry",
                )
                continue
            report.add(
                f"invalid boundary ({reason}) was repaired with make_valid",
                row=int(rows[index]),
                field="geometry",
                level="warning",
            )
        else:
            geom = _polygonal_part(geom)
            if geom is None:
                report.add(f"the {what} boundary is empty", row=int(rows[index]), field="geometry")
                continue
        out[index] = geom
    return out


def _polygonal_part(geom: shapely.Geometry) -> shapely.MultiPolygon | None:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    polygons = [q for p in parts for q in shapely.get_parts(p)]
    polygons = [p for p in polygons if not p.is_empty and p.area > 0]
    if not polygons:
        return None
    merged = shapely.union_all(polygons) if len(polygons) > 1 else polygons[0]
    if merged.geom_type == "Polygon":
        return shapely.MultiPolygon([merged])
    if merged.geom_type == "MultiPolygon":
        return merged
    return _polygonal_part(merged)


def lines(geoms: NDArray, rows: NDArray, *, report: ImportReport) -> NDArray:
    """MultiLineStrings for road rows; other geometry types reported."""
    out = np.full(len(geoms), None, dtype=object)
    present = geoms != None  # noqa: E711
    kinds = shapely.get_type_id(geoms)
    linear = present & np.isin(kinds, [1, 5])
    wrong = present & ~linear
    if wrong.any():
        report.add_rows(
            rows[wrong],
            [f"expected a line, got a {g.geom_type}" for g in geoms[wrong]],
            field="geometry",
        )
    for index in np.flatnonzero(linear):
        geom = geoms[index]
        out[index] = shapely.MultiLineString([geom]) if geom.geom_type == "LineString" else geom
    return out
