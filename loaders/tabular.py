"""Reading tables from CSV, TSV, XLSX and JSON Lines, as strings, with the user's row numbers.

Every cell is read as text (a stock code ``001216`` keeps its zeros; numbers are parsed later,
each failure reported on its own row). Row numbers are what the user sees: in CSV, TSV and
XLSX the header is row 1 and the first data row row 2; in JSON Lines the line number.

CSV and TSV go through pyarrow's streaming reader (hundreds of MB per second), after the
encoding is detected (``loaders.encoding``); XLSX through openpyxl in read-only mode, which
streams a sheet row by row; JSON Lines line by line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from chainscout.graph.errors import BadInputError, Problem

from .encoding import detect_encoding
from .report import ProgressFn

__all__ = ["FORMATS", "RawTable", "file_format", "read_rows"]

#: File formats by suffix.
FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "tsv", ".xlsx": "xlsx",
           ".xlsm": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}  # fmt: skip


@dataclass
class RawTable:
    """A file's cells as strings: one column per header, ``rows`` the user's row numbers."""

    file: str
    format: str
    table: pa.Table
    rows: np.ndarray
    encoding: str | None = None
    bad_rows: list[tuple[str, Problem]] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        return list(self.table.column_names)


def file_format(path: Path) -> str:
    """``csv``, ``tsv``, ``xlsx`` or ``jsonl`` from the file's suffix."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BadInputError(
            f"{path}: cannot tell the format from {path.suffix or 'no suffix'!r}; use .csv, .tsv,"
            " .xlsx or .jsonl"
        )
    return fmt


def read_rows(
    path: str | Path, *, sheet: str | None = None, progress: ProgressFn | None = None
) -> RawTable:
    """Read a table file (see the module docstring)."""
    p = Path(path)
    if not p.is_file():
        raise BadInputError(f"{p}: no such file")
    fmt = file_format(p)
    if fmt in ("csv", "tsv"):
        return _read_delimited(p, fmt, progress)
    if fmt == "xlsx":
        return _read_xlsx(p, sheet, progress)
    return _read_jsonl(p, progress)


class _Counting(io.RawIOBase):
    """A file that reports how many bytes were read, for progress bars."""

    def __init__(self, fh: BinaryIO, total: int, progress: ProgressFn) -> None:
        self._fh, self._total, self._progress, self._done = fh, total, progress, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._fh.readinto(buffer)  # type: ignore[attr-defined]
        self._done += n or 0
        self._progress("reading", self._done, self._total)
        return int(n or 0)


def _header(p: Path, encoding: str, delimiter: str) -> list[str]:
    with p.open("r", encoding=encoding, newline="") as fh:
        first = next(csv.reader(fh, delimiter=delimiter), None)
    if not first or not any(h.strip() for h in first):
        raise BadInputError(f"{p}: the file is empty or its first row has no headers")
    names = [h.strip() for h in first]
    dupes = sorted({h for h in names if names.count(h) > 1})
    if dupes:
        raise BadInputError(f"{p}: header {dupes[0]!r} appears twice in row 1")
    return names


def _read_delimited(p: Path, fmt: str, progress: ProgressFn | None) -> RawTable:
    encoding = detect_encoding(p)
    delimiter = "\t" if fmt == "tsv" else ","
    headers = _header(p, encoding, delimiter)
    bad: list[tuple[str, Problem]] = []

    def invalid(row: Any) -> str:
        bad.append((
            "wrong_field_count",
            Problem(
                reason=f"row has {row.actual_columns} fields, the header has"
                f" {row.expected_columns}",
                file=str(p), row=row.number, value=(row.text or "")[:200],
            ),
        ))  # fmt: skip
        return "skip"

    read = pacsv.ReadOptions(
        encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
        column_names=headers, skip_rows=1, block_size=4 << 20,
    )  # fmt: skip
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                               invalid_row_handler=invalid)  # fmt: skip
    convert = pacsv.ConvertOptions(
        column_types={h: pa.string() for h in headers}, null_values=[""],
        strings_can_be_null=True, quoted_strings_can_be_null=True,
    )  # fmt: skip
    total = p.stat().st_size
    with p.open("rb") as raw:
        source: Any = raw if progress is None else _Counting(raw, total, progress)
        try:
            reader = pacsv.open_csv(source, read_options=read, parse_options=parse,
                                    convert_options=convert)  # fmt: skip
            table = reader.read_all()
        except pa.ArrowInvalid as err:
            raise BadInputError(f"{p}: cannot be read as {fmt.upper()}: {err}") from None
    # row numbers: with quoted line breaks a record can span lines; count records, as a
    # spreadsheet shows them (header = row 1)
    rows = np.arange(2, table.num_rows + 2, dtype=np.int64)
    if bad:
        rows = _rows_around_skipped(table.num_rows, bad)
    return RawTable(str(p), fmt, table, rows, encoding, bad)


def _rows_around_skipped(n: int, bad: list[tuple[str, Problem]]) -> np.ndarray:
    """Record numbers of kept rows when some were skipped (their line numbers are known)."""
    skipped = sorted(int(pr.row) for _, pr in bad if pr.row is not None)
    out = np.empty(n, dtype=np.int64)
    row, i, s = 2, 0, 0
    while i < n:
        while s < len(skipped) and skipped[s] == row:
            row, s = row + 1, s + 1
        out[i] = row
        row, i = row + 1, i + 1
    return out


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _read_xlsx(p: Path, sheet: str | None, progress: ProgressFn | None) -> RawTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises zipfile and its own errors
        raise BadInputError(f"{p}: not a readable XLSX workbook ({err})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise BadInputError(f"{p}: no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}")
        ws = book[sheet] if sheet else book.worksheets[0]
        total = ws.max_row or 0
        headers: list[str] | None = None
        columns: list[list[str | None]] = []
        rows: list[int] = []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in values]
            if headers is None:
                if any(cells):
                    headers = [(c or f"column {i + 1}").strip() for i, c in enumerate(cells)]
                    columns = [[] for _ in headers]
                continue
            if not any(cells):
                continue
            for i in range(len(headers)):
                columns[i].append(cells[i] if i < len(cells) else None)
            rows.append(number)
            if progress is not None and number % 5000 == 0:
                progress("reading", number, total)
    finally:
        book.close()
    if headers is None:
        raise BadInputError(f"{p}: the sheet is empty")
    dupes = sorted({h for h in headers if headers.count(h) > 1})
    if dupes:
        raise BadInputError(f"{p}: header {dupes[0]!r} appears twice")
    table = pa.table({h: pa.array(c, pa.string()) for h, c in zip(headers, columns, strict=True)})
    return RawTable(str(p), "xlsx", table, np.asarray(rows, dtype=np.int64), None)


def _json_cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _read_jsonl(p: Path, progress: ProgressFn | None) -> RawTable:
    encoding = detect_encoding(p)
    records: list[dict[str, str | None]] = []
    rows: list[int] = []
    bad: list[tuple[str, Problem]] = []
    headers: dict[str, None] = {}
    total = p.stat().st_size
    done = 0
    with p.open(encoding=encoding) as fh:
        for number, line in enumerate(fh, start=1):
            done += len(line)
            if progress is not None and number % 20000 == 0:
                progress("reading", done, total)
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                bad.append(
                    (
                        "bad_json",
                        Problem(
                            reason=f"not a JSON object: {err.msg}",
                            file=str(p),
                            row=number,
                            value=line[:200],
                        ),
                    )
                )
                continue
            if not isinstance(obj, dict):
                bad.append(
                    (
                        "bad_json",
                        Problem(
                            reason="the line is not a JSON object",
                            file=str(p),
                            row=number,
                            value=line[:200],
                        ),
                    )
                )
                continue
            record = {str(k): _json_cell(v) for k, v in obj.items()}
            headers.update(dict.fromkeys(record))
            records.append(record)
            rows.append(number)
    names = list(headers)
    table = pa.table(
        {h: pa.array([r.get(h) for r in records], pa.string()) for h in names}
    ) if names else pa.table({})  # fmt: skip
    return RawTable(str(p), "jsonl", table, np.asarray(rows, dtype=np.int64), encoding, bad)
