"""The GDES supply-snapshot dataset: a real supplier-to-customer network of Chinese firms.

Files: ``node_index.json`` (``{"<firm code>": <integer id>}``) and one CSV per half-year
snapshot, ``A_YYYY_MM_DD.csv``, header ``supplier,customer`` with integer ids. Firms become
enterprises ``gdes:<firm code>`` (the name is the code: the dataset is anonymised, so there is
no name and no region); each supplier-customer pair becomes one SUPPLIES link whose ``seen``
lists the snapshot dates it appears in, ``since`` the first, confidence ``reported``. A snapshot
row whose supplier is its own customer (a self-loop) or names an id missing from the node index
is rejected and reported with its file and row.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from chainscout.graph.errors import BadInputError, Problem
from chainscout.graph.model import Confidence
from chainscout.graph.store import GraphStore
from chainscout.graph.tables import GraphBatch

from .report import LoadReport, OnError, ProgressFn, Rejections
from .table import write_checked

__all__ = ["SOURCE", "load_gdes", "snapshot_files"]

SOURCE = "gdes"
_SNAPSHOT = re.compile(r"^A_(\d{4})_(\d{2})_(\d{2})\.csv$")


def snapshot_files(folder: Path) -> list[tuple[dt.date, Path]]:
    """The snapshot files of a GDES folder with their dates, oldest first."""
    out = []
    for p in folder.iterdir():
        m = _SNAPSHOT.match(p.name)
        if m:
            out.append((dt.date(int(m[1]), int(m[2]), int(m[3])), p))
    return sorted(out)


def load_gdes(
    store: GraphStore,
    folder: str | Path,
    *,
    on_error: OnError = "skip",
    report_path: str | Path | None = None,
    progress: ProgressFn | None = None,
) -> LoadReport:
    """Load a GDES folder into ``store`` in one write (see the module docstring)."""
    root = Path(folder)
    index_file = root / "node_index.json"
    snapshots = snapshot_files(root) if root.is_dir() else []
    if not index_file.is_file() or not snapshots:
        raise BadInputError(
            f"{root}: not a GDES folder; it needs node_index.json and A_YYYY_MM_DD.csv files"
        )
    try:
        nodes = json.loads(index_file.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadInputError(f"{index_file}: not a JSON object of firm codes ({err})") from None
    if not isinstance(nodes, dict):
        raise BadInputError(f"{index_file}: not a JSON object of firm codes")
    size = max((int(v) for v in nodes.values()), default=-1) + 1
    codes = np.full(size, None, dtype=object)
    for code, nid in nodes.items():
        codes[int(nid)] = f"gdes:{code}"
    known = np.array([c is not None for c in codes], dtype=bool)
    rej = Rejections()
    report = LoadReport(source=str(root), format="gdes", encoding="utf-8")
    parts: list[pa.Table] = []
    self_loops: dict[str, int] = {}
    for k, (date, path) in enumerate(snapshots, start=1):
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={"supplier": pa.int64(), "customer": pa.int64()}))  # fmt: skip
        report.rows_read += table.num_rows
        sup = table["supplier"].to_numpy()
        cus = table["customer"].to_numpy()
        inside = (sup >= 0) & (sup < size) & (cus >= 0) & (cus < size)
        ok = inside.copy()
        ok[inside] = known[sup[inside]] & known[cus[inside]]
        loops = ok & (sup == cus)
        for r in np.flatnonzero(~ok).tolist():
            rej.add("unknown_enterprise", Problem(
                reason=f"id {sup[r]} or {cus[r]} is not in node_index.json", file=path.name,
                row=r + 2, field="supplier", value=f"{sup[r]},{cus[r]}"))  # fmt: skip
        for r in np.flatnonzero(loops).tolist():
            rej.add("self_loop", Problem(
                reason=f"firm {codes[sup[r]]} is listed as its own supplier (a self-loop)",
                file=path.name, row=r + 2, field="customer", value=str(cus[r])))  # fmt: skip
        self_loops[path.name] = int(loops.sum())
        keep = ok & ~loops
        parts.append(
            pa.table(
                {
                    "s": sup[keep],
                    "c": cus[keep],
                    "date": pa.array([date] * int(keep.sum()), pa.date32()),
                }
            )
        )
        if progress is not None:
            progress("snapshots", k, len(snapshots))
    links = pa.concat_tables(parts)
    grouped = links.group_by(["s", "c"], use_threads=False).aggregate(
        [("date", "list"), ("date", "min")]
    )
    report.merged = links.num_rows - grouped.num_rows
    supplier = pa.array(codes[grouped["s"].to_numpy()], pa.string())
    customer = pa.array(codes[grouped["c"].to_numpy()], pa.string())
    supplies = pa.table({
        "supplier": supplier, "customer": customer, "source": pa.nulls(grouped.num_rows,
        pa.string()).fill_null(SOURCE), "since": grouped["date_min"],
        "seen": grouped["date_list"],
        "confidence": pa.nulls(grouped.num_rows, pa.string()).fill_null(Confidence.REPORTED.value),
    })  # fmt: skip
    ids = codes[known]
    enterprises = pa.table({
        "id": pa.array(ids, pa.string()),
        "name": pc.utf8_slice_codeunits(pa.array(ids, pa.string()), 5),
        "source": pa.array([SOURCE] * len(ids), pa.string()),
    })  # fmt: skip
    batch = GraphBatch(enterprises=enterprises, supplies=supplies)
    report.counts = {
        "snapshots": len(snapshots), "firms": len(ids), "snapshot_rows": links.num_rows,
        "links": grouped.num_rows, "self_loops": sum(self_loops.values()),
        "first_snapshot_links": parts[0].num_rows, "last_snapshot_links": parts[-1].num_rows,
    }  # fmt: skip
    report.notes.append(
        "self-loops rejected per snapshot: "
        + ", ".join(f"{name.removesuffix('.csv')} {n}" for name, n in self_loops.items())
    )
    report.region_rules = {}
    report.regions_unresolved = len(ids)
    write_checked(store, batch, rej, report, on_error, report_path)
    report.rows_loaded = links.num_rows
    return report
