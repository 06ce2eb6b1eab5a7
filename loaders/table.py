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
    SUPPLIES,
    GraphBatch,
    invalid_credit_codes,
    invalid_regions,
)

from .convert import Converted, convert, flag, missing
from .identity import (
    DecisionPair,
    Decisions,
    EnterpriseIndex,
    merge_duplicate_rows,
    normalise_names,
)
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
    checked = time.perf_counter()
    written = write_checked(store, batch, rej, report, on_error, report_path, decisions)
    report.timings = {"read": round(read_s, 3), "check": round(checked - started - read_s, 3),
                      "write": round(time.perf_counter() - checked, 3)}  # fmt: skip
    if kind == "enterprises" and written is not None:
        record_region_rules(store, Path(raw.file).name, report)
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
    written = store.write(batch)
    if decisions is not None:
        decisions.save()
    report.finish(rej, written, report_path)
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
    bad_cc = invalid_credit_codes(cc)
    flag(
        conv,
        rej,
        bad_cc,
        "bad_credit_code",
        "credit_code",
        "is not a valid unified social credit code (18 characters, check character)",
    )
    for name in ("revenue", "employees", "energy_intensity"):
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
        "env_rating": env, "rd_share": rd, "source": conv.get("source"),
    }  # fmt: skip
    table = pa.table(columns).filter(pa.array(keep)).cast(ENTERPRISES)
    table, folded = merge_duplicate_rows(table, "id")
    report.merged += folded
    return table


def _resolve_regions(conv: Converted, rej: Rejections, report: LoadReport) -> pa.Array:
    """Region codes by the rules of ``loaders.regions``; an explicit region that names no
    known division rejects its row (``unknown_region``)."""
    resolver = RegionResolver.default()
    explicit = pc.utf8_upper(conv.get("region"))
    parts = [conv.get(n) for n in ("province", "city", "county")]
    text = pc.binary_join_element_wise(*[pc.fill_null(p, "") for p in parts], "")
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    code_ok = ~invalid_regions(explicit) & np.asarray(pc.is_valid(explicit), dtype=bool)
    out: list[str | None] = explicit.to_pylist()
    rule_of: list[str | None] = ["code" if ok else None for ok in code_ok.tolist()]
    todo = np.flatnonzero(~code_ok)
    if len(todo):
        taken = pa.array(todo)
        given = pc.coalesce(conv.get("region").take(taken), text.take(taken)).to_pylist()
        addresses = conv.get("address").take(taken).to_pylist()
        names = conv.get("name").take(taken).to_pylist()
        unknown = np.zeros(conv.n, dtype=bool)
        for i, g, a, nm in zip(todo.tolist(), given, addresses, names, strict=True):
            res: Resolution = resolver.resolve(region_text=g, address=a, name=nm)
            if g and res.rule != "region_text":
                unknown[i] = True
            out[i], rule_of[i] = res.code, res.rule
        shown = pc.coalesce(conv.get("region"), text)
        flag(conv, rej, unknown, "unknown_region", "region",
             "names no known region (use a 6-digit division code or a name such as 深圳市)",
             values=shown)  # fmt: skip
    keep = ~conv.bad
    rules = Counter(r for r, k in zip(rule_of, keep.tolist(), strict=True) if r and k)
    report.regions_unresolved = sum(1 for r, k in zip(rule_of, keep.tolist(), strict=True)
                                    if k and not r)  # fmt: skip
    report.region_rules = dict(sorted(rules.items()))
    return pa.array(out, pa.string())


def _needs_identity_look(
    keys: pa.Array, own: pa.Array, bad: np.ndarray, stored: dict[str, tuple[str, ...]]
) -> np.ndarray:
    """Rows whose identity needs more than their own id: no id, a name that several ids of
    the file carry, or the name of a stored firm (vectorised: most rows need no look)."""
    good = ~bad & np.asarray(pc.is_valid(keys), dtype=bool)
    has_id = np.asarray(pc.is_valid(own), dtype=bool)
    table = pa.table({"k": keys, "id": own}).filter(pa.array(good & has_id))
    grouped = table.group_by("k").aggregate([("id", "count_distinct")])
    shared = grouped.filter(pc.greater(grouped["id_count_distinct"], 1))["k"]
    codeless = keys.filter(pa.array(good & ~has_id))
    names = pa.chunked_array([shared.combine_chunks(), codeless,
                              pa.array(list(stored), pa.string())]).combine_chunks()  # fmt: skip
    wanted = np.asarray(pc.fill_null(pc.is_in(keys, value_set=pc.unique(names)), False))
    return np.asarray(good & wanted, dtype=bool)


def _stock_ids(col: pa.Array) -> pa.Array:
    found = pc.extract_regex(col, r"^(?P<d>\d{1,6})(?:\.[A-Za-z]{2})?$")
    digits = pc.utf8_lpad(pc.struct_field(found, [0]), 6, "0")
    return pc.binary_join_element_wise(pa.scalar("stock:"), digits, "")


def _identities(
    conv: Converted, cc: pa.Array, bad_cc: np.ndarray, index: EnterpriseIndex,
    decisions: Decisions, report: LoadReport,
) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:  # fmt: skip
    """Final ids, names, aliases and credit codes of the rows (see ``loaders.identity``)."""
    valid_cc = pc.if_else(pa.array(bad_cc), pa.scalar(None, pa.string()), cc)
    own = pc.coalesce(conv.get("id"), valid_cc, _stock_ids(conv.get("stock_code")))
    keys = normalise_names(conv.get("name")).combine_chunks()
    names = conv.get("name").to_pylist()
    ids: list[str | None] = own.to_pylist()
    aliases = conv.get("aliases", pa.list_(pa.string())).to_pylist()
    credit = valid_cc.to_pylist()
    key_list = keys.to_pylist()
    bad = conv.bad
    merged = 0
    # stored firms under the same credit code (e.g. a listed firm stored by its stock code)
    if index.table.num_rows:
        hits = np.flatnonzero(np.asarray(pc.fill_null(pc.is_in(valid_cc, value_set=pa.array(
            list(index.by_credit_code), pa.string())), False), dtype=bool))  # fmt: skip
        for i in hits.tolist():
            stored = index.by_credit_code[credit[i]]
            if ids[i] != stored and conv.get("id")[i].as_py() is None:
                ids[i] = stored
                merged += 1
    # rows of this file by normalised name: which ids carry each name. Only names under
    # several ids, names of rows without an id and names of stored firms need a look.
    stored_by_name = index.by_name if index.table.num_rows else {}
    visit = np.flatnonzero(_needs_identity_look(keys, own, bad, stored_by_name))
    file_ids: dict[str, set[str]] = {}
    file_names: dict[str, str] = {}
    for i in visit.tolist():
        k, fid = key_list[i], ids[i]
        if k and fid:
            file_ids.setdefault(k, set()).add(fid)
            file_names.setdefault(fid, names[i] or "")
    for i in visit.tolist():
        k = key_list[i]
        if not k:
            continue
        if ids[i] is None:
            ids[i], did_merge = _by_name(i, k, names, aliases, file_ids, stored_by_name, index,
                                         decisions)  # fmt: skip
            merged += did_merge
            continue
        others = (file_ids.get(k, set()) | set(stored_by_name.get(k, ()))) - {ids[i]}
        for other in sorted(others):
            target = decisions.merge_target(other, ids[i] or "")
            if target and target != ids[i]:
                aliases[i] = [*(aliases[i] or []), names[i]]
                ids[i], credit[i] = target, None
                merged += 1
                break
            if not decisions.decision(other, ids[i] or ""):
                decisions.ask(DecisionPair(
                    a_id=other, a_name=index.names_of.get(other) or file_names.get(other, ""),
                    b_id=ids[i] or "", b_name=names[i] or "",
                    reason="same normalised name under two ids (credit codes)",
                ))  # fmt: skip
    report.merged += merged
    return (pa.array(ids, pa.string()), pa.array(names, pa.string()),
            pa.array(aliases, pa.list_(pa.string())), pa.array(credit, pa.string()))  # fmt: skip


def _by_name(
    i: int, key: str, names: list[str | None], aliases: list[list[str] | None],
    file_ids: dict[str, set[str]], stored: dict[str, tuple[str, ...]], index: EnterpriseIndex,
    decisions: Decisions,
) -> tuple[str, int]:  # fmt: skip
    """The id of a row with no code: the one firm of the same name, else its own name id."""
    own = f"name:{key}"
    candidates = sorted((file_ids.get(key, set()) | set(stored.get(key, ()))) - {own})
    merges = [c for c in candidates if decisions.merge_target(c, own)]
    if merges:
        return merges[0], 1
    if own in index.names_of:
        return own, 0
    open_ = [c for c in candidates if decisions.decision(c, own) != "keep-apart"]
    if len(candidates) == 1 and open_:
        stored_name = index.names_of.get(open_[0])
        if stored_name and stored_name != names[i]:
            aliases[i] = [*(aliases[i] or []), names[i] or ""]
            names[i] = stored_name
        return open_[0], 1
    for c in open_:
        decisions.ask(DecisionPair(
            a_id=c, a_name=index.names_of.get(c, ""), b_id=own, b_name=names[i] or "",
            reason=f"name fits {len(candidates)} enterprises",
        ))  # fmt: skip
    return own, 0


# -- links, memberships and plain tables ----------------------------------------------------


def _refs(conv: Converted, rej: Rejections, index: EnterpriseIndex, field_name: str) -> pa.Array:
    """Enterprise ids for a column of references (ids, credit codes, stock codes, names)."""
    col = conv.get(field_name)
    uniq = pc.unique(col.drop_null())
    known = index.has(uniq)
    resolved: list[str | None] = uniq.to_pylist()
    candidates: dict[str, tuple[str, ...]] = {}
    for j in np.flatnonzero(~known).tolist():
        value = resolved[j]
        assert value is not None
        resolved[j], cands = index.lookup(value)
        if resolved[j] is None and cands:
            candidates[value] = cands
    pos = pc.index_in(col, value_set=uniq)
    ids = (
        pa.array(resolved, pa.string()).take(pos) if len(uniq) else pa.nulls(len(col), pa.string())
    )
    unresolved = pc.and_(pc.is_valid(col), pc.is_null(ids))
    ambiguous = np.array([v in candidates for v in col.to_pylist()], dtype=bool) if candidates \
        else np.zeros(len(col), dtype=bool)  # fmt: skip
    flag(conv, rej, ambiguous, "ambiguous_enterprise", field_name,
         "fits several enterprises; use an id or credit code")  # fmt: skip
    flag(conv, rej, unresolved, "unknown_enterprise", field_name,
         "is not a known enterprise (load the enterprises first)")  # fmt: skip
    return ids


def _links(
    conv: Converted, rej: Rejections, report: LoadReport, index: EnterpriseIndex
) -> pa.Table:
    missing(conv, rej, ["supplier", "customer"])
    sup = _refs(conv, rej, index, "supplier")
    cus = _refs(conv, rej, index, "customer")
    flag(conv, rej, pc.equal(sup, cus), "self_loop", "customer",
         "is the supplier itself (a self-loop)")  # fmt: skip
    share = conv.get("share", pa.float64())
    flag(conv, rej, pc.or_(pc.less(share, 0), pc.greater(share, 1)), "out_of_range", "share",
         "must be a share from 0 to 1 (or a percentage)")  # fmt: skip
    volume = conv.get("volume", pa.float64())
    flag(conv, rej, pc.less(volume, 0), "negative", "volume", "must not be negative")
    words = pc.utf8_lower(conv.get("confidence"))
    known = pa.array(list(_CONFIDENCE_WORDS), pa.string())
    mapped = pa.array(list(_CONFIDENCE_WORDS.values()), pa.string()).take(
        pc.index_in(words, value_set=known)
    )
    confidence = pc.coalesce(mapped, words, pa.scalar(Confidence.REPORTED.value))
    allowed = pa.array([c.value for c in Confidence])
    flag(conv, rej, pc.invert(pc.is_in(confidence, value_set=allowed)), "bad_confidence",
         "confidence", "is not one of reported, inferred, predicted")  # fmt: skip
    table = pa.table({
        "supplier": sup, "customer": cus, "share": share, "volume": volume,
        "source": conv.get("source"), "since": conv.get("since", pa.date32()),
        "seen": conv.get("seen", pa.list_(pa.date32())), "confidence": confidence,
    }).filter(pa.array(~conv.bad)).cast(SUPPLIES)  # fmt: skip
    pairs = pc.binary_join_element_wise(table["supplier"], table["customer"], "\x1f")
    report.merged += table.num_rows - len(pc.unique(pairs))
    return table


def _memberships(
    store: GraphStore, conv: Converted, rej: Rejections, index: EnterpriseIndex
) -> pa.Table:
    missing(conv, rej, ["enterprise", "segment"])
    firms = _refs(conv, rej, index, "enterprise")
    seg_ids: dict[str, str | None] = {}
    for chain in store.list_chains():
        for s in chain.segments:
            seg_ids[s.id] = s.id
            seg_ids[s.name] = s.id if seg_ids.get(s.name, s.id) == s.id else None
    given = conv.get("segment").to_pylist()
    segs = [None if g is None else seg_ids.get(g) for g in given]
    unknown = np.array(
        [g is not None and s is None for g, s in zip(given, segs, strict=True)], dtype=bool
    )
    flag(
        conv,
        rej,
        unknown,
        "unknown_segment",
        "segment",
        "is not a segment of a stored chain (load the chain first; use the segment id)",
    )
    share = pc.coalesce(conv.get("share", pa.float64()), pa.scalar(1.0))
    flag(conv, rej, pc.or_(pc.less(share, 0), pc.greater(share, 1)), "out_of_range", "share",
         "must be a share from 0 to 1 (or a percentage)")  # fmt: skip
    table = pa.table({"enterprise": firms, "segment": pa.array(segs, pa.string()),
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
            columns[r] = _refs(conv, rej, index, r)
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
