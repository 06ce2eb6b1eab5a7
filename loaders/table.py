"""``chainscout load table``: enterprises, supply links, segment memberships and chain templates
from CSV, TSV, XLSX or JSON Lines, into a store, all or nothing per file.

The steps: read the cells as text (``tabular``), map headers to fields (``mapping``), convert
and check every column with vectorised checks (``convert``; bad cells reject their row with the
reason), resolve regions (``regions``) and identities (``identity``), then build one
:class:`~chainscout.graph.tables.GraphBatch` and write it with one ``store.write`` call. With
``on_error="stop"`` any rejected row stops the load before anything is written; with
``"skip"`` the good rows are written and the rejected ones go to the report.

Example:
    >>> import tempfile, pathlib
    >>> from chainscout.graph import open_store
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "firms.csv").write_text(
    ...     "企业名称,统一社会信用代码,注册地址\\n"
    ...     "深圳市示例科技有限公司,91440300MA5F000007,深圳市南山区科技园\\n", encoding="gbk")
    >>> with open_store(":memory:") as store:
    ...     report = load_table(store, folder / "firms.csv")
    ...     store.get_enterprise("91440300MA5F000007").region
    '440305'
    >>> report.encoding, report.rows_loaded, report.region_rules
    ('gb18030', 1, {'address': 1})
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chainscout.graph.errors import BadInputError, Problem
from chainscout.graph.model import Confidence
from chainscout.graph.store import GraphStore, WriteSummary
from chainscout.graph.tables import (
    ENTERPRISES,
    MEMBERSHIPS,
    SCHEMAS,
    GraphBatch,
    invalid_regions,
)

from .convert import Converted, bad_credit_codes, convert, flag, missing, replace_rows
from .identity import (
    DecisionPair,
    Decisions,
    EnterpriseIndex,
    merge_duplicate_rows,
    normalise_names,
    pairs_within_groups,
)
from .lookup import null_text, positions_in, positions_of_columns, shared_keys
from .mapping import KINDS, TABLE_OF_KIND, Mapping, load_mapping
from .regions import RegionResolver, Resolution
from .report import LoadReport, OnError, ProgressFn, Rejections
from .tabular import RawTable, read_rows

__all__ = ["load_table", "load_tables", "record_region_rules", "write_checked"]

_CONFIDENCE_WORDS = {
    "reported": "reported", "报告": "reported", "已报告": "reported", "披露": "reported",
    "inferred": "inferred", "推断": "inferred", "推理": "inferred",
    "predicted": "predicted", "预测": "predicted",
}  # fmt: skip


def _mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean numpy mask from an Arrow boolean column (nulls count as false)."""
    filled = pc.fill_null(values, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def _types(kind: str) -> dict[str, pa.DataType]:
    table = TABLE_OF_KIND.get(kind)
    types = {f.name: f.type for f in SCHEMAS[table]} if table else {}
    if kind == "chain":
        types = {
            "level": pa.int32(),
            "upstream": pa.list_(pa.string()),
            "keywords": pa.list_(pa.string()),
            "industry_codes": pa.list_(pa.string()),
        }
    return types


def load_table(
    store: GraphStore,
    path: str | Path,
    *,
    kind: str = "enterprises",
    mapping: Mapping | str | Path | None = None,
    on_error: OnError = "stop",
    report_path: str | Path | None = None,
    decisions_path: str | Path | None = None,
    sheet: str | None = None,
    progress: ProgressFn | None = None,
) -> LoadReport:
    """Load one table file of ``kind`` (``enterprises``, ``links``, ``segments``, ``chain``)
    into ``store``; see the module docstring. Raises ``ValidationFailed`` (nothing written)
    when a row is bad and ``on_error`` is ``stop``; the report file is written either way."""
    if kind not in KINDS and kind not in TABLE_OF_KIND:
        raise BadInputError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    maps = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    started = time.perf_counter()
    raw = read_rows(path, sheet=sheet, progress=progress)
    read_s = time.perf_counter() - started
    rej = Rejections()
    for code, problem in raw.bad_rows:
        rej.add(code, problem)
    colmap = maps.resolve(kind, raw.headers, file=raw.file)
    report = LoadReport(
        source=raw.file, format=raw.format, kind=kind, encoding=raw.encoding,
        rows_read=raw.table.num_rows + len(raw.bad_rows), ignored_columns=list(colmap.unknown),
    )  # fmt: skip
    conv = convert(raw, colmap, _types(kind), rej)
    if progress is not None:
        progress("checking", 0, 0)
    if kind == "chain":
        return _load_chains(store, conv, rej, report, on_error, report_path)
    decisions = Decisions.load(decisions_path)
    batch = _build(store, kind, conv, rej, report, decisions)
    report.decisions_file = None if decisions.path is None else str(decisions.path)
    source_name = Path(raw.file).name
    del raw, conv  # the file's cells are checked: let the store's write have their memory
    checked = time.perf_counter()
    written = write_checked(store, batch, rej, report, on_error, report_path, decisions)
    report.timings = {"read": round(read_s, 3), "check": round(checked - started - read_s, 3),
                      "write": round(time.perf_counter() - checked, 3)}  # fmt: skip
    if kind == "enterprises" and written is not None:
        record_region_rules(store, source_name, report)
    return report


def write_checked(
    store: GraphStore,
    batch: GraphBatch,
    rej: Rejections,
    report: LoadReport,
    on_error: OnError,
    report_path: str | Path | None,
    decisions: Decisions | None = None,
) -> WriteSummary | None:
    """The last step of every loader: stop or write, then finish the report."""
    if decisions is not None:
        report.decisions_pending = decisions.pending
    if rej.count and on_error == "stop":
        report.finish(rej, None, report_path)
        rej.raise_if_any(report.source)
    report.rows_loaded = max(0, report.rows_read - rej.rows - report.merged)
    # the files first: one that cannot be written stops the load before the store changes
    if report_path is not None:
        report.write_file(rej, report_path)
    if decisions is not None:
        try:
            decisions.save()
        except OSError as err:
            raise BadInputError(
                f"cannot write the decisions file {decisions.path}: {err.strerror or err}."
                " Give --decisions a file in a folder you may write to; nothing was loaded."
            ) from None
    written = store.write(batch)
    report.finish(rej, written, None)
    return written


def record_region_rules(store: GraphStore, source: str, report: LoadReport) -> None:
    """Keep the region-rule counts of a source in the store's meta (``chainscout info`` shows
    them); a reload of the same source replaces its counts."""
    current = json.loads(store.get_meta("region_rules") or "{}")
    current[source] = {**report.region_rules, "unresolved": report.regions_unresolved}
    store.set_meta("region_rules", json.dumps(current, ensure_ascii=False, sort_keys=True))


def _build(
    store: GraphStore, kind: str, conv: Converted, rej: Rejections, report: LoadReport,
    decisions: Decisions, index: EnterpriseIndex | None = None,
) -> GraphBatch:  # fmt: skip
    index = index if index is not None else EnterpriseIndex.of_store(store)
    if kind == "enterprises":
        return GraphBatch(enterprises=_enterprises(conv, rej, report, decisions, index))
    if kind == "links":
        return GraphBatch(supplies=_links(conv, rej, report, index))
    if kind == "segments":
        return GraphBatch(memberships=_memberships(store, conv, rej, index))
    table = TABLE_OF_KIND[kind]
    return GraphBatch(**{table: _plain(table, conv, rej, index)})


def load_tables(
    store: GraphStore,
    raws: dict[str, RawTable],
    *,
    source: str,
    format: str,
    on_error: OnError = "stop",
    report_path: str | Path | None = None,
) -> LoadReport:
    """Load several tables in the store's own field names (an export folder, a GraphML file)
    as one batch: enterprises first, so that links may name the firms of the same load."""
    mapping = Mapping()
    rej = Rejections()
    report = LoadReport(source=source, format=format)
    index = EnterpriseIndex.of_store(store)
    parts: list[GraphBatch] = []
    order = [k for k in TABLE_OF_KIND if k in raws]
    for kind in order:
        raw = raws[kind]
        for code, problem in raw.bad_rows:
            rej.add(code, problem)
        report.rows_read += raw.table.num_rows + len(raw.bad_rows)
        colmap = mapping.resolve(kind, raw.headers, file=raw.file)
        report.ignored_columns += [f"{Path(raw.file).name}: {h}" for h in colmap.unknown]
        conv = convert(raw, colmap, _types(kind), rej)
        part = _build(store, kind, conv, rej, report, Decisions(None), index)
        if kind == "enterprises":
            index = index.add(part.enterprises)
        report.counts[TABLE_OF_KIND[kind]] = part.rows
        parts.append(part)
    write_checked(store, GraphBatch.concat(parts), rej, report, on_error, report_path)
    return report


# -- enterprises ----------------------------------------------------------------------------


def _enterprises(
    conv: Converted, rej: Rejections, report: LoadReport, decisions: Decisions,
    index: EnterpriseIndex,
) -> pa.Table:  # fmt: skip
    file = conv.raw.file
    if not conv.has("name"):
        raise BadInputError(
            f"{file}: no column holds the enterprise name (企业名称, 公司名称, name…); headers:"
            f" {', '.join(conv.raw.headers)}. Map one in a mapping file (see docs/loading.md)."
        )
    missing(conv, rej, ["name"])
    cc = pc.utf8_upper(conv.get("credit_code"))
    bad_cc = bad_credit_codes(cc)
    flag(
        conv,
        rej,
        bad_cc,
        "bad_credit_code",
        "credit_code",
        "is not a valid unified social credit code (18 characters, check character)",
    )
    for name in ("revenue", "employees", "energy_intensity", "investment_intensity", "tax_per_mu"):
        flag(
            conv,
            rej,
            pc.less(conv.get(name, pa.float64()), 0),
            "negative",
            name,
            "must not be negative",
        )
    rd = conv.get("rd_share", pa.float64())
    flag(
        conv,
        rej,
        pc.or_(pc.less(rd, 0), pc.greater(rd, 1)),
        "out_of_range",
        "rd_share",
        "must be a share from 0 to 1 (or a percentage)",
    )
    env = pc.utf8_upper(conv.get("env_rating"))
    bad_env = pc.and_(pc.is_valid(env), pc.invert(pc.is_in(env, value_set=pa.array(list("ABCD")))))
    flag(conv, rej, bad_env, "bad_env_rating", "env_rating", "is not one of A, B, C, D")
    regions = _resolve_regions(conv, rej, report)
    ids, names, aliases, credit = _identities(conv, cc, bad_cc, index, decisions, report)
    keep = ~conv.bad
    columns = {
        "id": ids, "name": names, "aliases": aliases, "credit_code": credit,
        "region": regions, "address": conv.get("address"),
        "revenue": conv.get("revenue", pa.float64()),
        "employees": conv.get("employees", pa.int64()),
        "tags": conv.get("tags", pa.list_(pa.string())),
        "industries": conv.get("industries", pa.list_(pa.string())),
        "energy_intensity": conv.get("energy_intensity", pa.float64()),
        "env_rating": env, "rd_share": rd,
        "investment_intensity": conv.get("investment_intensity", pa.float64()),
        "tax_per_mu": conv.get("tax_per_mu", pa.float64()),
        "contact": conv.get("contact"), "phone": conv.get("phone"), "source": conv.get("source"),
    }  # fmt: skip
    table = pa.table(columns).filter(pa.array(keep)).cast(ENTERPRISES)
    table, folded = merge_duplicate_rows(table, "id")
    report.merged += folded
    return table


def _resolve_regions(conv: Converted, rej: Rejections, report: LoadReport) -> pa.Array:
    """Region codes by the rules of ``loaders.regions``; an explicit region that names no
    known division rejects its row (``unknown_region``). Valid codes are kept as columns; only
    the rows without one go through the resolver, one by one."""
    explicit = pc.utf8_upper(conv.get("region"))
    parts = [conv.get(n) for n in ("province", "city", "county")]
    text = pc.binary_join_element_wise(*[pc.fill_null(p, "") for p in parts], "")
    text = pc.if_else(pc.equal(text, ""), null_text(), text)
    code_ok = ~invalid_regions(explicit) & _mask(pc.is_valid(explicit))
    keep = ~conv.bad
    out = explicit
    todo = np.flatnonzero(~code_ok)
    todo_rules: list[str | None] = []
    if len(todo):
        resolver = RegionResolver.default()
        taken = pa.array(todo)
        given = pc.coalesce(conv.get("region").take(taken), text.take(taken)).to_pylist()
        addresses = conv.get("address").take(taken).to_pylist()
        names = conv.get("name").take(taken).to_pylist()
        unknown = np.zeros(conv.n, dtype=bool)
        codes: list[str | None] = []
        for i, g, a, nm in zip(todo.tolist(), given, addresses, names, strict=True):
            res: Resolution = resolver.resolve(region_text=g, address=a, name=nm)
            if g and res.rule != "region_text":
                unknown[i] = True
            codes.append(res.code)
            todo_rules.append(res.rule)
        out = replace_rows(explicit, todo, pa.array(codes, pa.string()))
        shown = pc.coalesce(conv.get("region"), text)
        flag(conv, rej, unknown, "unknown_region", "region",
             "names no known region (use a 6-digit division code or a name such as 深圳市)",
             values=shown)  # fmt: skip
        keep = ~conv.bad
    kept_todo = keep[todo].tolist()
    rules = Counter(r for r, k in zip(todo_rules, kept_todo, strict=True) if r and k)
    by_code = int((code_ok & keep).sum())
    if by_code:
        rules["code"] += by_code
    report.regions_unresolved = sum(1 for r, k in zip(todo_rules, kept_todo, strict=True)
                                    if k and not r)  # fmt: skip
    report.region_rules = dict(sorted(rules.items()))
    return out


def _needs_identity_look(
    keys: pa.Array, own: pa.Array, bad: np.ndarray, index: EnterpriseIndex
) -> np.ndarray:
    """Rows whose identity needs more than their own id: no id, or a name that several ids
    carry, in the file and the store together (vectorised: most rows need no look). A row
    whose name only its own id carries, here or stored, makes no pair: reloading a file of
    stored firms looks at none of them."""
    good = ~bad & _mask(pc.and_(pc.is_valid(keys), pc.not_equal(keys, "")))
    has_id = _mask(pc.is_valid(own))
    table = pa.table({"k": keys, "id": own}).filter(pa.array(good & has_id))
    if index.size:
        stored = pa.table({"k": index.name_keys["key"], "id": index.name_keys["id"]})
        table = pa.concat_tables([table, stored.cast(table.schema)])
    parts = [shared_keys(table["k"], table["id"]), keys.filter(pa.array(good & ~has_id))]
    names = pc.unique(pa.concat_arrays([p.cast(pa.string()) for p in parts]))
    wanted: np.ndarray = good & _mask(pc.is_in(keys, value_set=names))
    return wanted


def _stock_ids(col: pa.Array) -> pa.Array:
    found = pc.extract_regex(col, r"^(?P<d>\d{1,6})(?:\.[A-Za-z]{2})?$")
    digits = pc.utf8_lpad(pc.struct_field(found, [0]), 6, "0")
    return pc.binary_join_element_wise(pa.scalar("stock:"), digits, "")


def _pair_text(a: pa.Array | pa.ChunkedArray, b: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One text per (key, id) row, to look such rows up in one hash join."""
    joined = pc.binary_join_element_wise(a, b, "\x1f")
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def _name_entries(
    keys: pa.Array, ids: pa.Array, names: pa.Array, coded: np.ndarray, look: np.ndarray,
    index: EnterpriseIndex,
) -> pa.Table:  # fmt: skip
    """The ids under each normalised name that needs a look, one row per (key, id): those of
    the file's rows with an id (``first``: the first such row; ``row_name``: its name) and
    those of stored firms (``first`` past the last row). ``shown_name`` is the stored name,
    else the row's. Grouped by key (the groups in no particular order: they are sorted on an
    integer code of the key, not on its text), then by first row, then id: within a name, the
    file's ids in file order and the stored ones after them."""
    n = len(keys)
    rows = np.flatnonzero(coded)
    file = pa.table({"key": keys.take(pa.array(rows)), "id": ids.take(pa.array(rows)),
                     "first": pa.array(rows, pa.int64())})  # fmt: skip
    file = file.group_by(["key", "id"]).aggregate([("first", "min")])
    file = pa.table({"key": file["key"], "id": file["id"], "first": file["first_min"]})
    if index.size:
        stored = index.candidates(pc.unique(keys.filter(pa.array(look))))
        if stored.num_rows and file.num_rows:
            seen = _pair_text(file["key"], file["id"])
            stored = stored.filter(pc.invert(pc.is_in(_pair_text(stored["key"], stored["id"]),
                                                      value_set=seen)))  # fmt: skip
        stored = pa.table(
            {
                "key": stored["key"],
                "id": stored["id"],
                "first": pa.array(np.full(stored.num_rows, n, dtype=np.int64)),
            }
        )
        file = pa.concat_tables([file.cast(stored.schema), stored])  # fmt: skip
    code = pc.dictionary_encode(file["key"].combine_chunks()).indices
    entries = file.append_column("code", code).sort_by(
        [("code", "ascending"), ("first", "ascending"), ("id", "ascending")]
    ).drop_columns(["code"])  # fmt: skip
    first = entries["first"].to_numpy()
    in_file = first < n
    row_name = names.take(pa.array(np.where(in_file, first, 0), mask=~in_file))
    shown = index.names_for(entries["id"]) if index.size else pa.nulls(len(first), pa.string())
    return entries.append_column("row_name", row_name).append_column(
        "shown_name", pc.coalesce(shown, row_name)
    )


def _group_ends(keys: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """For entries sorted by key: one past the last entry of each entry's key."""
    n = len(keys)
    if not n:
        return np.zeros(0, dtype=np.int64)
    flat = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    change = np.flatnonzero(_mask(pc.not_equal(flat[1:], flat[:-1]))) + 1
    ends = np.append(change, n)
    return np.asarray(np.repeat(ends, np.diff(np.concatenate([[0], ends]))), dtype=np.int64)


_SAME_NAME = "same normalised name under two ids (credit codes)"


def _identities(
    conv: Converted, cc: pa.Array, bad_cc: np.ndarray, index: EnterpriseIndex,
    decisions: Decisions, report: LoadReport,
) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:  # fmt: skip
    """Final ids, names, aliases and credit codes of the rows (see ``loaders.identity``).

    Whole columns at a time: stored credit codes, the pairs of ids under one normalised name
    and their decisions are hash joins; only rows without any code whose name fits a firm go
    through Python, one by one."""
    valid_cc = pc.if_else(pa.array(bad_cc), null_text(), cc)
    given = conv.get("id")
    own = pc.coalesce(given, valid_cc, _stock_ids(conv.get("stock_code")))
    names = conv.get("name")
    aliases = conv.get("aliases", pa.list_(pa.string()))
    keys = normalise_names(names).combine_chunks()
    ids, credit, merged = own, valid_cc, 0
    # stored firms under the same credit code (e.g. a listed firm stored by its stock code)
    if index.size:
        stored = index.ids_of_credit_codes(valid_cc)
        move = ~conv.bad & _mask(pc.and_(pc.is_null(given), pc.not_equal(stored, own)))
        if move.any():
            ids = pc.if_else(pa.array(move), stored, own)
            merged += int(move.sum())
    # ids by normalised name: only names under several ids, names of rows without an id and
    # names of stored firms need a look
    look = _needs_identity_look(keys, own, conv.bad, index)
    has_id = _mask(pc.is_valid(ids))
    entries = _name_entries(keys, ids, names, look & has_id, look, index)
    e_id = entries["id"].combine_chunks()
    first = entries["first"].to_numpy()
    # every pair under one name, stored ones too (their decisions count); only pairs with an
    # id of the file are asked (a stored id sorts after the file's, so ``left`` is that id)
    left, right = pairs_within_groups(_group_ends(entries["key"]), np.ones(len(first), bool))
    a_id, b_id = e_id.take(pa.array(right)), e_id.take(pa.array(left))
    decision, listed_a = decisions.lookup(a_id, b_id)
    # a pair marked merge folds its b into its a; an id folds into the least such a
    away = np.zeros(len(first), dtype=bool)
    alias_rows: list[np.ndarray] = []
    is_merge = _mask(pc.equal(decision, "merge"))
    if is_merge.any():
        a_kept = _mask(pc.equal(listed_a, a_id))[is_merge]
        gone = np.where(a_kept, left[is_merge], right[is_merge])
        into = e_id.take(pa.array(np.where(a_kept, right[is_merge], left[is_merge])))
        targets = pa.table({"gone": gone, "into": into}).group_by("gone").aggregate(
            [("into", "min")])  # fmt: skip
        gone_at = targets["gone"].to_numpy()
        away[gone_at] = True
        in_file = gone_at[first[gone_at] < conv.n]
        if len(in_file):
            k_sorted = entries["key"].combine_chunks()
            at = pc.index_in(_pair_text(keys, ids), value_set=_pair_text(
                k_sorted.take(pa.array(gone_at)), e_id.take(pa.array(gone_at))))  # fmt: skip
            hit = look & has_id & _mask(pc.is_valid(at))
            rows = np.flatnonzero(hit)
            target = targets["into_min"].combine_chunks().take(at.take(pa.array(rows)))
            ids = replace_rows(ids, rows, target)
            credit = replace_rows(credit, rows, pa.nulls(len(rows), pa.string()))
            alias_rows.append(rows)
            merged += len(rows)
    ask = _mask(pc.equal(decision, "")) & ~away[left] & ~away[right] & (first[left] < conv.n)
    if ask.any():
        # in the order of the file's rows, so that a pair met under two names keeps the
        # orientation of its first row
        order = np.argsort(first[left[ask]], kind="stable")
        take_r, take_l = pa.array(right[ask][order]), pa.array(left[ask][order])
        decisions.ask_many(e_id.take(take_r), entries["shown_name"].take(take_r).combine_chunks(),
                           e_id.take(take_l), entries["row_name"].take(take_l).combine_chunks(),
                           _SAME_NAME)  # fmt: skip
    # rows without an id: a firm of the same name, else their own name id
    codeless = np.flatnonzero(look & ~has_id)
    ids = replace_rows(ids, codeless, pc.binary_join_element_wise(
        pa.scalar("name:"), keys.take(pa.array(codeless)), ""))  # fmt: skip
    if len(codeless):
        new_ids: dict[int, str] = {}
        renames: dict[int, str] = {}
        merged += _codeless(codeless, keys, names, entries, index, decisions, new_ids, renames)
        moved = np.array(sorted(new_ids), dtype=np.int64)
        ids = replace_rows(ids, moved, pa.array([new_ids[r] for r in moved.tolist()], pa.string()))
        alias_rows.append(np.array(sorted(renames), dtype=np.int64))
    else:
        renames = {}
    names, aliases = _take_names(names, aliases, alias_rows, renames)
    report.merged += merged
    return ids, names, aliases, credit


def _codeless(
    rows: np.ndarray, keys: pa.Array, names: pa.Array, entries: pa.Table,
    index: EnterpriseIndex, decisions: Decisions, new_ids: dict[int, str],
    renames: dict[int, str],
) -> int:  # fmt: skip
    """Rows without an id whose name fits firms of the file or the store (see
    :func:`_by_name`): fills ``new_ids`` (row -> id) and ``renames`` (row -> the stored name it
    takes); returns how many rows merged. Rows whose name fits no other firm keep the
    ``name:`` id they already have."""
    row_keys = keys.take(pa.array(rows))
    near = entries.filter(pc.is_in(entries["key"], value_set=pc.unique(row_keys)))
    by_key: dict[str, list[str]] = {}
    stored_names: dict[str, str] = {}
    in_store = index.has(near["id"]) if index.size else np.zeros(near.num_rows, dtype=bool)
    for k, i, shown, stored in zip(near["key"].to_pylist(), near["id"].to_pylist(),
                                   near["shown_name"].to_pylist(), in_store.tolist(),
                                   strict=True):  # fmt: skip
        by_key.setdefault(k, []).append(i)
        if stored:
            stored_names[i] = shown
    own_ids = pc.binary_join_element_wise(pa.scalar("name:"), row_keys, "")
    own_stored = index.has(own_ids) if index.size else np.zeros(len(rows), dtype=bool)
    merged = 0
    for r, k, name, stored in zip(rows.tolist(), row_keys.to_pylist(),
                                  names.take(pa.array(rows)).to_pylist(), own_stored.tolist(),
                                  strict=True):  # fmt: skip
        candidates = tuple(sorted(set(by_key.get(k, ())) - {f"name:{k}"}))
        if not candidates:
            continue
        fid, did_merge, take_name = _by_name(name, k, candidates, stored_names, stored, decisions)
        new_ids[r] = fid
        merged += did_merge
        if take_name:
            renames[r] = stored_names[fid]
    return merged


def _take_names(
    names: pa.Array, aliases: pa.Array, alias_rows: list[np.ndarray], renames: dict[int, str]
) -> tuple[pa.Array, pa.Array]:  # fmt: skip
    """Names and aliases after merges: each row of ``alias_rows`` keeps its own name as an
    alias, and a row of ``renames`` takes the name given there."""
    rows = np.unique(np.concatenate(alias_rows)) if alias_rows else np.zeros(0, np.int64)
    if not len(rows):
        return names, aliases
    taken = pa.array(rows)
    own_names = names.take(taken).to_pylist()
    lists = aliases.take(taken).to_pylist()
    new_aliases = [[*(a or []), n or ""] for a, n in zip(lists, own_names, strict=True)]
    new_names = [renames.get(r, n) for r, n in zip(rows.tolist(), own_names, strict=True)]
    return (replace_rows(names, rows, pa.array(new_names, pa.string())),
            replace_rows(aliases, rows, pa.array(new_aliases, pa.list_(pa.string()))))  # fmt: skip


def _by_name(
    name: str | None, key: str, candidates: tuple[str, ...], stored_names: dict[str, str],
    own_stored: bool, decisions: Decisions,
) -> tuple[str, int, bool]:  # fmt: skip
    """The id of a row with no code: the one firm of the same name, else its own name id.
    Returns the id, 1 when the row merged into a firm (else 0), and whether the row takes that
    firm's stored name (keeping its own as an alias)."""
    own = f"name:{key}"
    merges = [c for c in candidates if decisions.merge_target(c, own)]
    if merges:
        return merges[0], 1, False
    if own_stored:
        return own, 0, False
    open_ = [c for c in candidates if decisions.decision(c, own) != "keep-apart"]
    if len(candidates) == 1 and open_:
        stored_name = stored_names.get(open_[0])
        return open_[0], 1, bool(stored_name and stored_name != name)
    for c in open_:
        decisions.ask(DecisionPair(
            a_id=c, a_name=stored_names.get(c, ""), b_id=own, b_name=name or "",
            reason=f"name fits {len(candidates)} enterprises",
        ))  # fmt: skip
    return own, 0, False


# -- links, memberships and plain tables ----------------------------------------------------


def _refs(
    conv: Converted, rej: Rejections, index: EnterpriseIndex, field_name: str,
    pos: pa.Array | None = None,
) -> tuple[pa.Array, pa.Array]:  # fmt: skip
    """Enterprise ids for a column of references (ids, credit codes, stock codes, names), and
    each one's position in ``index.ids`` (null where unresolved). Exact ids are found with
    one hash lookup (or ``pos``, their positions found already); only the distinct other values
    are resolved (``EnterpriseIndex.resolve``)."""
    col = conv.get(field_name)
    pos = positions_in(col, index.ids) if pos is None else pos
    unknown = _mask(pc.and_(pc.is_valid(col), pc.is_null(pos)))
    ids = col
    ambiguous = np.zeros(len(col), dtype=bool)
    if unknown.any():
        uniq = pc.unique(col.filter(pa.array(unknown)))
        found, several = index.resolve(uniq)
        at = positions_in(col, uniq)
        ids = pc.coalesce(pc.if_else(pc.is_valid(pos), col, null_text()), found.take(at))
        pos = pc.coalesce(pos, pc.index_in(found, value_set=index.ids).take(at))
        ambiguous = (
            np.asarray(several, dtype=bool)[
                np.asarray(pc.fill_null(at, 0).to_numpy(zero_copy_only=False))
            ]
            & unknown
        )
    unresolved = pc.and_(pc.is_valid(col), pc.is_null(ids))
    flag(conv, rej, ambiguous, "ambiguous_enterprise", field_name,
         "fits several enterprises; use an id or credit code")  # fmt: skip
    flag(conv, rej, unresolved, "unknown_enterprise", field_name,
         "is not a known enterprise (load the enterprises first)")  # fmt: skip
    return ids, pos


def _confidences(words: pa.Array) -> pa.Array:
    """Confidence values from the words a file may use (reported when empty), worked out
    once per distinct word."""
    coded = pc.dictionary_encode(words)
    distinct = pc.utf8_lower(coded.dictionary)
    known = pa.array(list(_CONFIDENCE_WORDS), pa.string())
    mapped = pa.array(list(_CONFIDENCE_WORDS.values()), pa.string()).take(
        pc.index_in(distinct, value_set=known)
    )
    values = pc.coalesce(mapped, distinct).take(coded.indices)
    return pc.fill_null(values, Confidence.REPORTED.value)


def _links(
    conv: Converted, rej: Rejections, report: LoadReport, index: EnterpriseIndex
) -> pa.Table:
    missing(conv, rej, ["supplier", "customer"])
    ends = positions_of_columns([conv.get("supplier"), conv.get("customer")], index.ids)
    sup, sup_at = _refs(conv, rej, index, "supplier", ends[0])
    cus, cus_at = _refs(conv, rej, index, "customer", ends[1])
    flag(conv, rej, pc.equal(sup_at, cus_at), "self_loop", "customer",
         "is the supplier itself (a self-loop)")  # fmt: skip
    share = conv.get("share", pa.float64())
    flag(conv, rej, pc.or_(pc.less(share, 0), pc.greater(share, 1)), "out_of_range", "share",
         "must be a share from 0 to 1 (or a percentage)")  # fmt: skip
    volume = conv.get("volume", pa.float64())
    flag(conv, rej, pc.less(volume, 0), "negative", "volume", "must not be negative")
    confidence = _confidences(conv.get("confidence"))
    allowed = pa.array([c.value for c in Confidence])
    flag(conv, rej, pc.invert(pc.is_in(confidence, value_set=allowed)), "bad_confidence",
         "confidence", "is not one of reported, inferred, predicted")  # fmt: skip
    # the link ends as positions into the known ids (dictionary-encoded: the same values, and
    # the store maps each distinct id once rather than each of millions of link ends)
    table = pa.table({
        "supplier": _encoded_refs(sup, sup_at, index),
        "customer": _encoded_refs(cus, cus_at, index), "share": share, "volume": volume,
        "source": conv.get("source"),
        "since": conv.get("since", pa.date32()), "seen": conv.get("seen", pa.list_(pa.date32())),
        "confidence": confidence,
    })  # fmt: skip
    keep = ~conv.bad
    if not keep.all():
        table = table.filter(pa.array(keep))
        sup_at, cus_at = sup_at.filter(pa.array(keep)), cus_at.filter(pa.array(keep))
    # the same link twice in a file is one link: count pairs of firm positions (sorted
    # integers: a hash of millions of wide integers is slower and takes far more memory)
    pairs = np.sort(_positions(sup_at) * len(index.ids) + _positions(cus_at))
    report.merged += int(np.count_nonzero(pairs[1:] == pairs[:-1]))
    return GraphBatch(supplies=table).supplies


def _encoded_refs(ids: pa.Array, at: pa.Array, index: EnterpriseIndex) -> pa.Array:
    """Resolved enterprise ids as a dictionary array over ``index.ids`` (``at``: each one's
    position there); plain text when some resolved id has no position."""
    positions = at.combine_chunks() if isinstance(at, pa.ChunkedArray) else at
    if not pc.all(pc.equal(pc.is_null(ids), pc.is_null(positions))).as_py():
        return ids
    return pa.DictionaryArray.from_arrays(positions.cast(pa.int32()), index.ids)


def _positions(at: pa.Array) -> np.ndarray:
    """Positions in the index as int64 (-1 where null)."""
    return np.asarray(pc.fill_null(at, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _memberships(
    store: GraphStore, conv: Converted, rej: Rejections, index: EnterpriseIndex
) -> pa.Table:
    missing(conv, rej, ["enterprise", "segment"])
    firms, _ = _refs(conv, rej, index, "enterprise")
    seg_ids: dict[str, str | None] = {}
    for chain in store.list_chains():
        for s in chain.segments:
            seg_ids[s.id] = s.id
            seg_ids[s.name] = s.id if seg_ids.get(s.name, s.id) == s.id else None
    given = conv.get("segment")
    known = pa.array(list(seg_ids), pa.string())
    segs = pa.array(list(seg_ids.values()), pa.string()).take(pc.index_in(given, value_set=known))
    flag(
        conv,
        rej,
        pc.and_(pc.is_valid(given), pc.is_null(segs)),
        "unknown_segment",
        "segment",
        "is not a segment of a stored chain (load the chain first; use the segment id)",
    )
    share = pc.coalesce(conv.get("share", pa.float64()), pa.scalar(1.0))
    flag(conv, rej, pc.or_(pc.less(share, 0), pc.greater(share, 1)), "out_of_range", "share",
         "must be a share from 0 to 1 (or a percentage)")  # fmt: skip
    table = pa.table({"enterprise": firms, "segment": segs,
                      "share": share}).filter(pa.array(~conv.bad))  # fmt: skip
    return table.cast(MEMBERSHIPS)


def _plain(table_name: str, conv: Converted, rej: Rejections, index: EnterpriseIndex) -> pa.Table:
    """A table of an export folder, in the store's own field names."""
    schema = SCHEMAS[table_name]
    required = [f.name for f in schema if not f.nullable]
    missing(conv, rej, required)
    refs = {"investments": ("investor", "investee"), "makes": ("enterprise",)}.get(table_name, ())
    columns = {f.name: conv.get(f.name, f.type) for f in schema}
    if refs:
        for r in refs:
            columns[r], _ = _refs(conv, rej, index, r)
    return pa.table(columns).filter(pa.array(~conv.bad)).cast(schema)


# -- chain templates ------------------------------------------------------------------------


def _load_chains(
    store: GraphStore, conv: Converted, rej: Rejections, report: LoadReport,
    on_error: OnError, report_path: str | Path | None,
) -> LoadReport:  # fmt: skip
    from pydantic import ValidationError

    from .chains import chain_from_dict

    missing(conv, rej, ["chain", "segment", "name"])
    rows = pa.table({k: v for k, v in conv.columns.items()}).to_pylist()
    groups: dict[str, list[tuple[int, dict[str, object]]]] = {}
    for i, row in enumerate(rows):
        if not conv.bad[i]:
            groups.setdefault(str(row["chain"]), []).append((int(conv.raw.rows[i]), row))
    chains = []
    for chain_id, members in groups.items():
        first = members[0][1]
        data = {
            "id": chain_id, "name": first.get("chain_name") or chain_id,
            "segments": [{k: v for k, v in {
                "id": r["segment"], "name": r["name"], "name_en": r.get("name_en"),
                "level": r.get("level"), "parent": r.get("parent"),
                "keywords": r.get("keywords") or [],
                "industry_codes": r.get("industry_codes") or [],
                "description": r.get("description")}.items() if v is not None}
                for _, r in members],
            "feeds": [[up, r["segment"]] for _, r in members
                      for up in _items(r.get("upstream"))],
        }  # fmt: skip
        try:
            chains.append(chain_from_dict(data, source=f"{conv.raw.file}: chain {chain_id}"))
        except (BadInputError, ValidationError) as err:
            rej.add(
                "bad_chain",
                Problem(reason=str(err), file=conv.raw.file, row=members[0][0], field="chain",
                        value=chain_id),
            )  # fmt: skip
            conv.bad[[i for i, row in enumerate(rows) if str(row.get("chain")) == chain_id]] = True
    if rej.count and on_error == "stop":
        report.finish(rej, None, report_path)
        rej.raise_if_any(report.source)
    for chain in chains:
        store.upsert_chain(chain)
    report.rows_loaded = int((~conv.bad).sum())
    report.counts = {"chains": len(chains), "segments": sum(len(c.segments) for c in chains)}
    report.finish(rej, None, report_path)
    return report


def _items(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
