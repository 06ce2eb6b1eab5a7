"""Dated supply snapshots read into arrays: a folder of ``A_YYYY_MM_DD.csv`` files.

Each file is one snapshot of a supply network (the GDES layout): header ``supplier,customer``,
one directed link per row, integer firm ids. An optional ``node_index.json``
(``{"<firm code>": <integer id>}``) gives the firm codes and the number of firms; with it, an id
missing from the index is an error. A row whose supplier is its own customer (a self-loop) is
dropped and reported, never fatal. Any other bad row is a :class:`BadInputError` naming the
file, the row (the header is row 1) and the field.

This reads rows for analysis (the backtest); loading a store is the job of the format's loader.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "A_2020_06_30.csv").write_text("supplier,customer\\n0,1\\n2,2\\n")
    >>> _ = (d / "A_2020_12_31.csv").write_text("supplier,customer\\n0,1\\n1,2\\n")
    >>> s = read_snapshots(d)
    >>> [x.isoformat() for x in s.dates], s.snapshot.tolist(), len(s.self_loops)
    (['2020-06-30', '2020-12-31'], [0, 1, 1], 1)
    >>> str(s.self_loops[0])
    'A_2020_06_30.csv, row 3: self-loop: firm 2 supplies itself (dropped)'
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from chainscout.graph.errors import BadInputError, Problem

__all__ = ["SNAPSHOT_FILE", "Snapshots", "read_snapshots", "snapshot_dates"]

#: Name of one snapshot file: ``A_YYYY_MM_DD.csv``.
SNAPSHOT_FILE = re.compile(r"^A_(\d{4})_(\d{2})_(\d{2})\.csv$")
HEADER = ["supplier", "customer"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Snapshots:
    """Rows of every snapshot, concatenated: link ``i`` from ``supplier[i]`` to
    ``customer[i]`` in snapshot ``snapshot[i]`` (an index into ``dates``, oldest first)."""

    supplier: IntArray
    customer: IntArray
    snapshot: IntArray
    dates: tuple[dt.date, ...]
    files: tuple[str, ...]
    n_nodes: int
    codes: tuple[str, ...] | None = None
    self_loops: list[Problem] = field(default_factory=list)

    @property
    def n_links(self) -> int:
        return len(self.supplier)


def snapshot_dates(folder: Path) -> list[tuple[dt.date, Path]]:
    """The snapshot files of ``folder`` with their dates, oldest first."""
    found = []
    for path in folder.iterdir():
        m = SNAPSHOT_FILE.match(path.name)
        if not m:
            continue
        try:
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise BadInputError.at("not a valid date in the file name", file=path.name) from None
        found.append((day, path))
    return sorted(found)


def _read_index(path: Path) -> tuple[str, ...]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadInputError.at(f"cannot read the node index: {err}", file=path.name) from None
    if not isinstance(raw, dict):
        raise BadInputError.at("must be an object of firm code to integer id", file=path.name)
    n = len(raw)
    codes: list[str | None] = [None] * n
    for code, ident in raw.items():
        if not isinstance(ident, int) or isinstance(ident, bool) or not 0 <= ident < n:
            raise BadInputError.at(
                f"id must be an integer from 0 to {n - 1}",
                file=path.name,
                field=str(code),
                value=str(ident),
            )
        if codes[ident] is not None:
            raise BadInputError.at(
                f"id {ident} given to two codes", file=path.name, field=str(code)
            )
        codes[ident] = str(code)
    return tuple(c for c in codes if c is not None)


def _locate_bad_row(path: Path) -> BadInputError:
    """Scan a file that failed the fast parse and describe its first bad row."""
    with path.open(newline="", encoding="utf-8") as fh:
        for row_no, row in enumerate(csv.reader(fh), start=1):
            if row_no == 1:
                continue
            if len(row) != 2:
                return BadInputError.at(
                    f"expected 2 fields (supplier,customer), found {len(row)}",
                    file=path.name,
                    row=row_no,
                )
            for name, value in zip(HEADER, row, strict=True):
                try:
                    if int(value) < 0:
                        raise ValueError
                except ValueError:
                    return BadInputError.at(
                        "must be a non-negative integer firm id",
                        file=path.name,
                        row=row_no,
                        field=name,
                        value=value,
                    )
    return BadInputError.at("cannot be parsed as integer rows", file=path.name)


def _read_file(path: Path) -> IntArray:
    try:
        with path.open(encoding="utf-8") as fh:
            header = fh.readline().strip().lstrip("\ufeff").split(",")
    except (OSError, UnicodeDecodeError) as err:
        raise BadInputError.at(f"cannot read: {err}", file=path.name) from None
    if [h.strip().lower() for h in header] != HEADER:
        raise BadInputError.at(
            f"header must be 'supplier,customer', found {','.join(header)!r}",
            file=path.name,
            row=1,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a header-only file: no rows
            rows = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    except ValueError:
        raise _locate_bad_row(path) from None
    if rows.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if rows.shape[1] != 2 or (rows < 0).any():
        raise _locate_bad_row(path)
    return rows


def read_snapshots(folder: Path | str) -> Snapshots:
    """Read every ``A_YYYY_MM_DD.csv`` of ``folder`` (and ``node_index.json`` if present).

    Self-loops are dropped and listed in :attr:`Snapshots.self_loops`; duplicate rows are kept
    as they are (the analysis merges them). Raises :class:`BadInputError` naming the file, row
    and field for anything else it cannot accept, and when the folder holds no snapshot."""
    root = Path(folder)
    if not root.is_dir():
        raise BadInputError(f"{root}: not a folder of snapshot files")
    found = snapshot_dates(root)
    if not found:
        raise BadInputError(f"{root}: no snapshot files named A_YYYY_MM_DD.csv")
    index = root / "node_index.json"
    codes = _read_index(index) if index.is_file() else None
    sup, cus, snap, loops = [], [], [], []
    for i, (_, path) in enumerate(found):
        rows = _read_file(path)
        if codes is not None and len(rows):
            bad = np.flatnonzero((rows >= len(codes)).any(axis=1))
            if len(bad):
                r = int(bad[0])
                col = 0 if rows[r, 0] >= len(codes) else 1
                raise BadInputError.at(
                    f"firm id not in node_index.json (ids 0..{len(codes) - 1})",
                    file=path.name,
                    row=r + 2,
                    field=HEADER[col],
                    value=str(rows[r, col]),
                )
        loop = rows[:, 0] == rows[:, 1]
        for r in np.flatnonzero(loop).tolist():
            loops.append(
                Problem(
                    reason=f"self-loop: firm {int(rows[r, 0])} supplies itself (dropped)",
                    file=path.name,
                    row=r + 2,
                )
            )
        rows = rows[~loop]
        sup.append(rows[:, 0])
        cus.append(rows[:, 1])
        snap.append(np.full(len(rows), i, dtype=np.int64))
    supplier = np.concatenate(sup)
    customer = np.concatenate(cus)
    top = int(max(supplier.max(), customer.max())) + 1 if len(supplier) else 0
    return Snapshots(
        supplier=supplier,
        customer=customer,
        snapshot=np.concatenate(snap),
        dates=tuple(d for d, _ in found),
        files=tuple(p.name for _, p in found),
        n_nodes=len(codes) if codes is not None else top,
        codes=codes,
        self_loops=loops,
    )
