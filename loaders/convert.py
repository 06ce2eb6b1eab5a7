"""Typed columns from text cells, vectorised, each bad cell reported on its row.

A column of strings becomes the Arrow type its field has in the store's schema: numbers
(``1,234.5``, ``35%``, scaled by a unit read off the header), integers, dates (``2024-06-30``,
``2024/6/30``, ``20240630``) and lists (``a;b``, ``a，b``, ``a、b`` or a JSON array, which is what
an export writes so that any text survives). A cell that does not parse is null in the result
and its row is rejected with the reason, the column and the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chainscout.graph.errors import Problem
from chainscout.graph.tables import bad_credit_codes

from .lookup import null_text
from .mapping import ColumnMap
from .report import Rejections
from .tabular import RawTable

__all__ = ["Converted", "bad_credit_codes", "convert", "flag", "missing", "replace_rows"]

_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_INTEGER = r"^[+-]?\d+(\.0*)?$"
_LIST_SPLIT = r"\s*[;；,，、|]\s*"


class Converted:
    """The typed columns of one file (by field), its row numbers and the rows rejected."""

    def __init__(self, raw: RawTable, n: int) -> None:
        self.raw = raw
        self.columns: dict[str, pa.Array] = {}
        self.headers: dict[str, str] = {}
        self.bad = np.zeros(n, dtype=bool)

    @property
    def n(self) -> int:
        return len(self.bad)

    def get(self, name: str, type_: pa.DataType | None = None) -> pa.Array:
        """The column of field ``name``, or nulls (of ``type_``, text by default) when the
        file has none."""
        col = self.columns.get(name)
        return col if col is not None else pa.nulls(self.n, type_ or pa.string())

    def has(self, name: str) -> bool:
        return name in self.columns

    def raw_values(self, field_name: str) -> pa.Array | None:
        """The file's own cells of a field (or the converted column of a derived one)."""
        header = self.headers.get(field_name)
        if header is None:
            return self.columns.get(field_name)
        return _chunk(self.raw.table[header])

    def header(self, name: str) -> str:
        """The file's header for a field (the field's own name when absent)."""
        return self.headers.get(name, name)


def _chunk(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def flag(
    conv: Converted,
    rej: Rejections,
    mask: np.ndarray | pa.Array,
    code: str,
    field_name: str,
    why: str,
    values: pa.Array | None = None,
) -> None:
    """Reject the rows where ``mask`` holds, with ``why`` and the cell's value."""
    if isinstance(mask, pa.Array | pa.ChunkedArray):
        mask = np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
    idx = np.flatnonzero(np.asarray(mask, dtype=bool) & ~conv.bad)
    if not len(idx):
        return
    conv.bad[idx] = True
    shown = values if values is not None else conv.raw_values(field_name)
    header = conv.header(field_name)
    for i in idx.tolist():
        value = shown[i].as_py() if shown is not None else None
        rej.add(code, Problem(
            reason=f"{header} {value!r} {why}" if value is not None else f"{header} {why}",
            file=conv.raw.file, row=int(conv.raw.rows[i]), field=header,
            value=None if value is None else str(value),
        ))  # fmt: skip


def missing(conv: Converted, rej: Rejections, fields: Sequence[str]) -> None:
    """Reject rows whose required fields are empty."""
    for name in fields:
        col = conv.get(name)
        flag(conv, rej, pc.is_null(col), "missing_required", name,
             "is required but empty")  # fmt: skip


def convert(
    raw: RawTable, colmap: ColumnMap, types: dict[str, pa.DataType], rej: Rejections
) -> Converted:
    """Convert every mapped column to the type of its field in ``types`` (strings otherwise)."""
    conv = Converted(raw, raw.table.num_rows)
    for header, rule in colmap.rules.items():
        trimmed = pc.utf8_trim_whitespace(raw.table[header])
        if pc.any(pc.equal(trimmed, "")).as_py():
            trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
        text = _chunk(trimmed)
        conv.headers[rule.field] = header
        type_ = types.get(rule.field, pa.string())
        if pa.types.is_floating(type_) or pa.types.is_integer(type_):
            conv.columns[rule.field] = _number(conv, rej, rule.field, text, type_, rule.scale)
        elif pa.types.is_date(type_):
            conv.columns[rule.field] = _date(conv, rej, rule.field, text)
        elif pa.types.is_list(type_):
            conv.columns[rule.field] = _list(conv, rej, rule.field, text, type_.value_type)
        else:
            conv.columns[rule.field] = text
    return conv


def _number(
    conv: Converted, rej: Rejections, name: str, text: pa.Array, type_: pa.DataType,
    scale: float | None,
) -> pa.Array:  # fmt: skip
    """Numbers from text cells. Cells that are plain numbers already (most of a column
    exported by a database) are cast at once; only the others lose their thousands
    separators, spaces and percent signs first."""
    integer = pa.types.is_integer(type_)
    pattern = _INTEGER if integer else _NUMBER
    plain = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    values = pc.cast(pc.if_else(plain, text, null_text()), pa.float64())
    odd = np.flatnonzero(_bools(pc.and_(pc.is_valid(text), pc.invert(plain))))
    if len(odd):
        values = replace_rows(values, odd, _written_numbers(conv, rej, name, text, odd, pattern,
                                                            integer))  # fmt: skip
    if scale is not None:
        values = pc.multiply(values, scale)
    if integer:
        return _chunk(pc.cast(pc.round(values), type_))
    return _chunk(values)


def _written_numbers(
    conv: Converted, rej: Rejections, name: str, text: pa.Array, rows: np.ndarray,
    pattern: str, integer: bool,
) -> pa.Array:  # fmt: skip
    """The numbers of the cells at ``rows`` written with separators (``1,234``, ``1 234``) or
    as percentages (``35%``); a cell that is still no number rejects its row."""
    cells = text.take(pa.array(rows))
    clean = pc.replace_substring_regex(cells, r"[,，\s]", "")
    percent = pc.fill_null(pc.ends_with(clean, "%"), False)
    percent = pc.or_(percent, pc.fill_null(pc.ends_with(clean, "％"), False))
    clean = pc.replace_substring_regex(clean, r"[%％]$", "")
    ok = pc.fill_null(pc.match_substring_regex(clean, pattern), False)
    bad = np.zeros(len(text), dtype=bool)
    bad[rows[~_bools(ok)]] = True
    why = "is not a whole number" if integer else "is not a number"
    flag(conv, rej, bad, "not_a_number", name, why)
    values = pc.cast(pc.if_else(ok, clean, null_text()), pa.float64())
    return pc.if_else(percent, pc.divide(values, 100.0), values)


_DATE_FORMS = (
    r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$",
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$",
)


def parse_date_text(text: pa.Array) -> pa.Array:
    """Dates from the usual written forms (nulls where none fits)."""
    iso = pa.nulls(len(text), pa.string())
    for pattern in _DATE_FORMS:
        found = pc.extract_regex(text, pattern)
        y = pc.struct_field(found, [0])
        m = pc.utf8_lpad(pc.struct_field(found, [1]), 2, "0")
        d = pc.utf8_lpad(pc.struct_field(found, [2]), 2, "0")
        joined = pc.binary_join_element_wise(y, m, d, "-")
        iso = pc.coalesce(iso, joined)
    parsed = pc.strptime(iso, format="%Y-%m-%d", unit="s", error_is_null=True)
    return _chunk(pc.cast(parsed, pa.date32()))


def _date(conv: Converted, rej: Rejections, name: str, text: pa.Array) -> pa.Array:
    dates = parse_date_text(text)
    bad = pc.and_(pc.is_valid(text), pc.is_null(dates))
    flag(conv, rej, bad, "bad_date", name, "is not a date (use YYYY-MM-DD)")
    return dates


def split_list(value: str) -> list[str] | None:
    """The items of a list cell (None when a JSON-array cell is not valid JSON)."""
    if value.startswith("["):
        try:
            items = json.loads(value)
        except json.JSONDecodeError:
            return None
        if isinstance(items, list):
            return [str(x) for x in items if x is not None and str(x).strip()]
        return None
    return [x for x in re.split(_LIST_SPLIT, value) if x]


def _list(
    conv: Converted, rej: Rejections, name: str, text: pa.Array, value_type: pa.DataType
) -> pa.Array:
    """List cells for a whole column: ``a;b;c`` cells are split at once; JSON-array cells (what
    an export writes) are parsed together, and one by one only when some are not arrays of
    texts. A cell that is not a list is null and rejects its row."""
    is_json = _bools(pc.starts_with(text, "["))
    json_rows = np.flatnonzero(is_json)
    plain = pc.if_else(pa.array(is_json), pa.scalar(None, pa.string()), text) if len(json_rows) \
        else text  # fmt: skip
    out = _split_cells(plain)
    broken = np.zeros(len(text), dtype=bool)
    if len(json_rows):
        parsed, bad = _json_cells(text.take(pa.array(json_rows)).to_pylist())
        broken[json_rows[bad]] = True
        out = replace_rows(out, json_rows, parsed)
    flag(conv, rej, broken, "bad_list", name, "is not a list (a;b;c or a JSON array)")
    if pa.types.is_date(value_type):
        flat = pc.list_flatten(out)
        dates = parse_date_text(_chunk(flat))
        bad_items = pc.and_(pc.is_valid(flat), pc.is_null(dates)).to_numpy(zero_copy_only=False)
        if bad_items.any():
            owners = pc.list_parent_indices(out).to_numpy()
            rows = np.zeros(len(text), dtype=bool)
            rows[owners[np.asarray(bad_items, dtype=bool)]] = True
            flag(conv, rej, rows, "bad_date", name, "holds an item that is not a date")
        out = pa.ListArray.from_arrays(out.offsets, dates, mask=out.is_null())
    return out


def _bools(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _drop_items(lists: pa.Array, drop: np.ndarray) -> pa.Array:
    """``lists`` without the flattened items where ``drop`` holds (a list's nulls stay)."""
    flat = pc.list_flatten(lists)
    owners = pc.list_parent_indices(lists).to_numpy()
    keep = ~drop
    counts = np.bincount(owners[keep], minlength=len(lists))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(
        pa.array(offsets), flat.filter(pa.array(keep)), mask=pc.is_null(lists)
    )


def _split_cells(text: pa.Array) -> pa.Array:
    """:func:`split_list` of every cell as if none were JSON: split at the separators, empty
    items dropped (nulls stay null)."""
    parts = _chunk(pc.split_pattern_regex(text, _LIST_SPLIT))
    return _drop_items(parts, _bools(pc.equal(pc.list_flatten(parts), "")))


def _json_cells(cells: list[str]) -> tuple[pa.Array, np.ndarray]:
    """:func:`split_list` of JSON-array cells: the lists, and the mask of cells that are not
    lists. Arrays of texts go through Arrow together; other cells one by one."""
    try:
        values = [json.loads(c) for c in cells]
        lists = pa.array(values, pa.list_(pa.string()))
    except (json.JSONDecodeError, pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        items = [split_list(c) for c in cells]
        bad = np.array([i is None for i in items], dtype=bool)
        return pa.array(items, pa.list_(pa.string())), bad
    flat = pc.list_flatten(lists)
    blank = pc.or_kleene(pc.is_null(flat), pc.equal(pc.utf8_trim_whitespace(flat), ""))
    return _drop_items(lists, _bools(blank)), np.zeros(len(cells), dtype=bool)


def replace_rows(values: pa.Array, rows: np.ndarray, new: pa.Array) -> pa.Array:
    """``values`` with the values at ``rows`` (ascending indices) replaced by ``new``, in one
    take (for the few rows a column-wide step changes)."""
    if not len(rows):
        return values
    order = np.arange(len(values), dtype=np.int64)
    order[rows] = len(values) + np.arange(len(rows), dtype=np.int64)
    return pa.concat_arrays([values, new.cast(values.type)]).take(pa.array(order))
