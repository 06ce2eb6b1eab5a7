"""Export a store as CSV or JSON Lines (one file per table) or as GraphML, and load them again.

A CSV or JSON Lines export is a folder: ``enterprises``, ``supplies``, ``memberships``,
``investments``, ``makes``, ``product_links``, ``industries`` and ``industry_links``, each
``.csv`` or ``.jsonl`` with the store's own field names, plus ``chains.jsonl`` and
``regions.jsonl``. In CSV, list fields (aliases, tags, seen…) are JSON arrays, so any text
survives: quotes, apostrophes, ``<script>``, line breaks. CSV is UTF-8 with a BOM for Excel.

GraphML holds the firm network: enterprises as nodes, SUPPLIES and INVESTS_IN links as edges
(attribute ``type``), every field a ``<data>`` element, text escaped by the XML rules (a
carriage return as ``&#13;`` so it survives parsers that normalise line ends). Reading GraphML
also accepts files from other tools: a node without ``name`` takes its ``label`` or its id.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO
from xml.etree import ElementTree as ET

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from chainscout.graph.errors import BadInputError
from chainscout.graph.model import Chain, Region
from chainscout.graph.store import GraphStore
from chainscout.graph.tables import ENTERPRISES, SCHEMAS, SUPPLIES

from .report import LoadReport, OnError, ProgressFn
from .table import load_tables
from .tabular import RawTable, read_rows

__all__ = ["EXPORT_FORMATS", "export_store", "load_export", "load_graphml"]

EXPORT_FORMATS = ("csv", "jsonl", "graphml")
#: The kind each exported table is loaded back as.
KIND_OF_TABLE = {"enterprises": "enterprises", "supplies": "links", "memberships": "segments",
                 "investments": "investments", "makes": "makes", "product_links": "product_links",
                 "industries": "industries", "industry_links": "industry_links"}  # fmt: skip
_NS = "http://graphml.graphdrawing.org/xmlns"


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return json.dumps([_cell(v) for v in value], ensure_ascii=False)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _as_text_table(table: pa.Table) -> pa.Table:
    """Lists as JSON arrays, everything else as is (for CSV)."""
    cols = {}
    for f in table.schema:
        col = table[f.name]
        if pa.types.is_list(f.type):
            cols[f.name] = pa.array([None if v is None else _cell(v) for v in col.to_pylist()],
                                    pa.string())  # fmt: skip
        else:
            cols[f.name] = col
    return pa.table(cols)


def export_store(
    store: GraphStore, fmt: str, path: str | Path, *, progress: ProgressFn | None = None
) -> dict[str, int]:
    """Write the store to ``path`` (a folder for csv/jsonl, a file for graphml); returns the
    rows written per table."""
    if fmt not in EXPORT_FORMATS:
        raise BadInputError(f"unknown export format {fmt!r}; use {', '.join(EXPORT_FORMATS)}")
    target = Path(path)
    if fmt == "graphml":
        return _write_graphml(store, target)
    target.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name in SCHEMAS:
        table = store.table(name)
        counts[name] = table.num_rows
        out = target / f"{name}.{fmt}"
        if fmt == "csv":
            with out.open("wb") as fh:
                fh.write(b"\xef\xbb\xbf")
                pacsv.write_csv(_as_text_table(table), fh)
        else:
            with out.open("w", encoding="utf-8") as fh:
                for row in table.to_pylist():
                    fh.write(json.dumps({k: _cell(v) for k, v in row.items()},
                                        ensure_ascii=False) + "\n")  # fmt: skip
        if progress is not None:
            progress("export", len(counts), len(SCHEMAS))
    chains = store.list_chains()
    with (target / "chains.jsonl").open("w", encoding="utf-8") as fh:
        for chain in chains:
            fh.write(chain.model_dump_json() + "\n")
    regions = store.list_regions()
    with (target / "regions.jsonl").open("w", encoding="utf-8") as fh:
        for region in regions:
            fh.write(region.model_dump_json() + "\n")
    counts["chains"], counts["regions"] = len(chains), len(regions)
    return counts


def load_export(
    store: GraphStore,
    folder: str | Path,
    *,
    on_error: OnError = "stop",
    report_path: str | Path | None = None,
    progress: ProgressFn | None = None,
) -> LoadReport:
    """Load an export folder: chains and regions first, then every table in one write."""
    root = Path(folder)
    raws: dict[str, RawTable] = {}
    for name, kind in KIND_OF_TABLE.items():
        for suffix in (".csv", ".jsonl"):
            p = root / f"{name}{suffix}"
            if p.is_file():
                raws[kind] = read_rows(p, progress=progress)
                break
    if not raws:
        raise BadInputError(f"{root}: no exported tables (enterprises.csv, supplies.csv …)")
    try:
        for p, model in ((root / "chains.jsonl", Chain), (root / "regions.jsonl", Region)):
            if p.is_file():
                items = [
                    model.model_validate_json(line)
                    for line in p.read_text(encoding="utf-8").splitlines()
                    if line.strip()
                ]
                if model is Chain:
                    for chain in items:
                        assert isinstance(chain, Chain)
                        store.upsert_chain(chain)
                else:
                    store.upsert_regions([r for r in items if isinstance(r, Region)])
    except ValueError as err:
        raise BadInputError(f"{root}: a chain or region line is not valid: {err}") from None
    return load_tables(store, raws, source=str(root), format="export", on_error=on_error,
                       report_path=report_path)  # fmt: skip


# -- GraphML --------------------------------------------------------------------------------

_GRAPHML_TYPES = {"string": "string", "double": "double", "int64": "long", "int32": "int"}


def _xml_text(value: str) -> str:
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace('"', "&quot;").replace("\r", "&#13;")
    return "".join(ch if ch in "\t\n" or ord(ch) >= 0x20 else "\ufffd" for ch in text)


def _keys(schema: pa.Schema, skip: set[str], prefix: str, scope: str) -> list[tuple[str, str]]:
    out = []
    for f in schema:
        if f.name in skip:
            continue
        kind = str(f.type) if str(f.type) in _GRAPHML_TYPES else "string"
        out.append((f.name, f'<key id="{prefix}{f.name}" for="{scope}" attr.name="{f.name}"'
                    f' attr.type="{_GRAPHML_TYPES.get(kind, "string")}"/>'))  # fmt: skip
    return out


def _data(prefix: str, row: dict[str, Any], names: list[str]) -> Iterator[str]:
    for name in names:
        value = row.get(name)
        if value is None:
            continue
        text = _cell(value)
        yield f'<data key="{prefix}{name}">{_xml_text(str(text))}</data>'


def _write_graphml(store: GraphStore, target: Path) -> dict[str, int]:
    target.parent.mkdir(parents=True, exist_ok=True)
    node_keys = _keys(ENTERPRISES, {"id"}, "n_", "node")
    edge_schema = SUPPLIES.append(pa.field("type", pa.string()))
    edge_keys = _keys(edge_schema, {"supplier", "customer"}, "e_", "edge")
    counts = {"enterprises": 0, "supplies": 0, "investments": 0}
    tmp = target.with_name(target.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write(f'<graphml xmlns="{_NS}">\n')
        for _, key in node_keys + edge_keys:
            fh.write(key + "\n")
        fh.write('<graph id="chainscout" edgedefault="directed">\n')
        _write_rows(fh, store.table("enterprises"), counts, "enterprises",
                    lambda r: f'<node id="{_xml_text(r["id"])}">', "</node>",
                    "n_", [k for k, _ in node_keys])  # fmt: skip
        names = [k for k, _ in edge_keys]
        _write_rows(fh, store.table("supplies"), counts, "supplies",
                    lambda r: f'<edge source="{_xml_text(r["supplier"])}"'
                    f' target="{_xml_text(r["customer"])}">', "</edge>", "e_", names,
                    {"type": "SUPPLIES"})  # fmt: skip
        inv = store.table("investments").rename_columns(["supplier", "customer", "share"])
        _write_rows(fh, inv, counts, "investments",
                    lambda r: f'<edge source="{_xml_text(r["supplier"])}"'
                    f' target="{_xml_text(r["customer"])}">', "</edge>", "e_", names,
                    {"type": "INVESTS_IN"})  # fmt: skip
        fh.write("</graph>\n</graphml>\n")
    tmp.replace(target)
    return counts


def _write_rows(
    fh: TextIO, table: pa.Table, counts: dict[str, int], name: str, open_tag: Any,
    close_tag: str, prefix: str, names: list[str], extra: dict[str, str] | None = None,
) -> None:  # fmt: skip
    for batch in table.to_batches(50_000):
        for row in batch.to_pylist():
            if extra:
                row.update(extra)
            fh.write(open_tag(row) + "".join(_data(prefix, row, names)) + close_tag + "\n")
            counts[name] += 1


def load_graphml(
    store: GraphStore,
    path: str | Path,
    *,
    on_error: OnError = "stop",
    report_path: str | Path | None = None,
    progress: ProgressFn | None = None,
) -> LoadReport:
    """Load a GraphML file: nodes as enterprises, edges as supply (or INVESTS_IN) links."""
    p = Path(path)
    if not p.is_file():
        raise BadInputError(f"{p}: no such file")
    keys: dict[str, str] = {}
    nodes: list[dict[str, str | None]] = []
    edges: list[dict[str, str | None]] = []
    investments: list[dict[str, str | None]] = []
    try:
        for _, elem in ET.iterparse(p, events=("end",)):
            tag = elem.tag.rsplit("}", 1)[-1]
            if tag == "key":
                keys[elem.get("id", "")] = elem.get("attr.name") or elem.get("id", "")
            elif tag == "node":
                row = _element_data(elem, keys)
                row["id"] = elem.get("id")
                row["name"] = row.get("name") or row.pop("label", None) or elem.get("id")
                nodes.append(row)
                elem.clear()
            elif tag == "edge":
                row = _element_data(elem, keys)
                kind = (row.pop("type", None) or "SUPPLIES").upper()
                if kind == "INVESTS_IN":
                    investments.append({"investor": elem.get("source"),
                                        "investee": elem.get("target"),
                                        "share": row.get("share")})  # fmt: skip
                else:
                    row["supplier"], row["customer"] = elem.get("source"), elem.get("target")
                    edges.append(row)
                elem.clear()
    except ET.ParseError as err:
        raise BadInputError(f"{p}: not valid GraphML/XML ({err})") from None
    raws = {"enterprises": _raw(p, nodes, ENTERPRISES.names, "nodes"),
            "links": _raw(p, edges, SUPPLIES.names, "edges")}  # fmt: skip
    if investments:
        raws["investments"] = _raw(p, investments, ["investor", "investee", "share"], "edges")
    return load_tables(store, raws, source=str(p), format="graphml", on_error=on_error,
                       report_path=report_path)  # fmt: skip


def _element_data(elem: ET.Element, keys: dict[str, str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for child in elem:
        if child.tag.rsplit("}", 1)[-1] == "data":
            out[keys.get(child.get("key", ""), child.get("key", ""))] = child.text
    return out


def _raw(p: Path, rows: list[dict[str, str | None]], names: list[str], what: str) -> RawTable:
    """Rows of a GraphML file as a text table; row numbers count nodes (or edges) from 1."""
    present = [n for n in names if any(r.get(n) is not None for r in rows)] or names[:2]
    table = pa.table({n: pa.array([r.get(n) for r in rows], pa.string()) for n in present})
    return RawTable(f"{p.name} ({what})", "graphml", table,
                    np.arange(1, len(rows) + 1, dtype=np.int64), "utf-8")  # fmt: skip
