"""Chain commands: ``chains``, ``chain build``, ``chain map``, ``gaps``, ``leaders``, ``leakage``
and ``chokepoints``.

Each parses its options, calls one function of ``chainscout.analysis`` and formats the result as
a table for people, or as JSON or CSV for scripts (alone on stdout). Without ``--chain`` and
``--region``, the configured defaults apply, then the store's own (``chainscout demo`` sets
both), so that after ``chainscout demo`` a bare ``chainscout gaps`` works.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from chainscout.analysis.chokepoints import ChokepointReport, chokepoints
from chainscout.analysis.derive import DerivedChain, derive_chain
from chainscout.analysis.gaps import GapStatus, GapTable, GapThresholds, gap_table
from chainscout.analysis.leaders import LeaderTable, chain_leaders
from chainscout.analysis.leakage import LeakageTable, leakage_table
from chainscout.analysis.mapping import MappingResult, map_firms
from chainscout.graph import ChainView, GraphStore
from chainscout.graph.errors import BadInputError, NotFoundError
from chainscout.graph.model import Chain, InSegment
from chainscout.graph.regions import check_region_code
from chainscout.loaders.chains import builtin_chain, builtin_chain_ids, read_chain

from . import app
from .common import StoreOption, console, emit_json, escape, open_configured_store, settings

__all__ = [
    "TableFormat",
    "chain_app",
    "chain_build",
    "chain_map",
    "chain_to_dict",
    "chains",
    "gaps",
    "leaders",
    "leakage",
]

chain_app = typer.Typer(
    help="Chain templates: derive one from the data, map the store's firms onto one.",
    no_args_is_help=True,
)
app.add_typer(chain_app, name="chain")


class TableFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class Lang(StrEnum):
    en = "en"
    zh = "zh"


FormatOpt = Annotated[
    TableFormat,
    typer.Option("--format", help="table for people; json or csv for scripts (stdout only)."),
]
LangOpt = Annotated[
    Lang | None, typer.Option("--lang", help="Labels in English or Chinese (default: settings).")
]
ChainOpt = Annotated[
    str | None,
    typer.Option("--chain", help="Chain id. Default: the configured chain, then the store's."),
]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="Home region: a division code (county, city, province) or an ISO country code."
        " Default: the configured home region, then the store's.",
    ),
]

_STATUS_STYLE = {
    GapStatus.MISSING: "bold red",
    GapStatus.WEAK: "yellow",
    GapStatus.PRESENT: "default",
    GapStatus.STRONG: "bold green",
}


def _lang(lang: Lang | None) -> Literal["en", "zh"]:
    return lang.value if lang is not None else settings().lang


def _resolve(s: GraphStore, chain: str | None, region: str | None) -> tuple[str, str]:
    """The chain id and home region: the options, else settings, else the store's meta keys."""
    cfg = settings()
    chain_id = chain or cfg.chain or s.get_meta("chain")
    home = region or cfg.home_region or s.get_meta("home_region")
    if not chain_id:
        raise BadInputError(
            "no chain given: pass --chain (see `chainscout chains`), or set `chain` in the config"
        )
    if not home:
        raise BadInputError(
            "no home region given: pass --region (e.g. 440300), or set `home_region` in the config"
        )
    try:
        home = check_region_code(home)
    except ValueError as err:
        raise BadInputError(f"--region: {err}") from None
    stored = {c.id for c in s.list_chains()}
    if chain_id not in stored:
        hint = (
            f"It is a built-in template: run `chainscout chain map {chain_id}` to map the store's"
            " firms onto it."
            if chain_id in builtin_chain_ids()
            else "Run `chainscout chains` to list the chains."
        )
        raise NotFoundError("chain", chain_id, hint=hint)
    return chain_id, home


def open_view(store: str | None, chain: str | None, region: str | None) -> ChainView:
    """The view a command asks for: the store opened read-only, the chain and home region as
    :func:`_resolve` finds them."""
    with open_configured_store(store, read_only=True) as s:
        chain_id, home = _resolve(s, chain, region)
        return s.view(chain_id, home)


def csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A header and rows as CSV text (None as an empty field)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def _emit_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    typer.echo(csv_text(header, rows), nl=False)


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


# -- chains ------------------------------------------------------------------------------------


@app.command()
def chains(
    store: StoreOption = None, output: FormatOpt = TableFormat.table, lang: LangOpt = None
) -> None:
    """List the chains in the store and the built-in templates."""
    language = _lang(lang)
    with open_configured_store(store, read_only=True) as s:
        stored = {c.id: c for c in s.list_chains()}
    builtin = {i: builtin_chain(i) for i in builtin_chain_ids()}
    rows = []
    for cid in sorted(set(stored) | set(builtin)):
        c = stored.get(cid) or builtin[cid]
        where = " + ".join(
            w for w, has in (("store", cid in stored), ("built-in", cid in builtin)) if has
        )
        rows.append(
            {
                "id": cid,
                "name": c.name,
                "name_en": c.name_en,
                "segments": len(c.segments),
                "feeds": len(c.feeds),
                "where": where,
            }
        )
    if output is TableFormat.json:
        emit_json(rows)
        return
    if output is TableFormat.csv:
        _emit_csv(list(rows[0]) if rows else ["id"], [list(r.values()) for r in rows])
        return
    table = Table(title="产业链 chains" if language == "zh" else "Chains")
    for col in ("id", "name", "segments", "feeds", "where"):
        table.add_column(col, justify="right" if col in ("segments", "feeds") else "left")
    for r in rows:
        name = (
            str(r["name"])
            if language == "zh" or not r["name_en"]
            else (f"{r['name']} {r['name_en']}")
        )
        table.add_row(
            escape(str(r["id"])),
            escape(name),
            str(r["segments"]),
            str(r["feeds"]),
            str(r["where"]),
        )
    console.print(table)


# -- chain build ------------------------------------------------------------------------------


def chain_to_dict(chain: Chain) -> dict[str, Any]:
    """A chain as template data (the JSON format of ``loaders.chains``)."""
    segments = []
    for s in chain.segments:
        d = s.model_dump(exclude={"chain"}, exclude_none=True)
        for key in ("keywords", "industry_codes"):
            d[key] = list(d.get(key) or ())
            if not d[key]:
                d.pop(key)
        if d.get("level") == 0:
            d.pop("level")
        segments.append(d)
    out: dict[str, Any] = {"id": chain.id, "name": chain.name}
    if chain.name_en:
        out["name_en"] = chain.name_en
    if chain.description:
        out["description"] = chain.description
    out["segments"] = segments
    out["feeds"] = [[f.upstream, f.downstream] for f in chain.feeds]
    return out


@chain_app.command("build")
def chain_build(
    product: Annotated[
        str | None, typer.Option("--product", help="Focal product, e.g. 碳酸锂 or 多晶硅.")
    ] = None,
    industry: Annotated[
        str | None, typer.Option("--industry", help="Focal industry: a code or a name.")
    ] = None,
    depth_up: Annotated[int, typer.Option("--depth-up", min=0, help="Steps to inputs.")] = 2,
    depth_down: Annotated[int, typer.Option("--depth-down", min=0, help="Steps to outputs.")] = 1,
    max_links: Annotated[
        int, typer.Option("--max-links", min=1, help="At most this many links kept per node.")
    ] = 8,
    min_makers: Annotated[
        int, typer.Option("--min-makers", min=0, help="Drop products fewer firms make.")
    ] = 1,
    min_evidence: Annotated[
        float,
        typer.Option("--min-evidence", min=0, help="Drop links with less evidence (or weight)."),
    ] = 1.0,
    chain_id: Annotated[str, typer.Option("--id", help="Id of the derived chain.")] = "derived",
    name: Annotated[str | None, typer.Option("--name", help="Name of the derived chain.")] = None,
    save: Annotated[
        Path | None, typer.Option("--save", help="Write the template as JSON to this file.")
    ] = None,
    store_chain: Annotated[
        bool, typer.Option("--store-chain", help="Store the derived chain in the store.")
    ] = False,
    store: StoreOption = None,
    output: FormatOpt = TableFormat.table,
) -> None:
    """Derive a chain template from the store's product chain or industry links.

    Around a focal product (product links, e.g. ChainKG's 上游材料) or industry (industry
    upstream links), to the given depths, pruning weak links; prints the template and what was
    dropped, and why.
    """
    if (product is None) == (industry is None):
        raise BadInputError("give exactly one of --product and --industry")
    with open_configured_store(store, read_only=not store_chain) as s:
        by_product = product is not None
        focal = product if by_product else industry
        assert focal is not None
        links = s.table("product_links" if by_product else "industry_links")
        if links.num_rows == 0:
            raise BadInputError(
                "the store holds no product links: load a product chain first"
                " (e.g. `chainscout load chainkg …`)"
                if by_product
                else "the store holds no industry upstream links: load them first"
            )
        derived = derive_chain(
            links,
            focal=focal,
            mode="product" if by_product else "industry",
            makes=s.table("makes") if by_product else None,
            enterprises=s.table("enterprises"),
            industries=None if by_product else s.table("industries"),
            depth_up=depth_up,
            depth_down=depth_down,
            max_links=max_links,
            min_makers=min_makers,
            min_evidence=min_evidence,
            chain_id=chain_id,
            name=name,
        )
        if store_chain:
            s.upsert_chain(derived.chain)
    if save is not None:
        save.parent.mkdir(parents=True, exist_ok=True)
        save.write_text(
            json.dumps(chain_to_dict(derived.chain), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
    if output is TableFormat.json:
        emit_json(
            {
                "template": chain_to_dict(derived.chain),
                **derived.model_dump(mode="json", exclude={"chain"}),
            }
        )
        return
    if output is TableFormat.csv:
        _emit_csv(
            ["kind", "name", "detail"],
            [
                ["segment", n.name, f"{n.direction} {n.depth}, makers {n.makers}"]
                for n in derived.nodes
            ]
            + [
                ["feeds", f"{f.upstream} -> {f.downstream}", f"evidence {f.evidence:g}"]
                for f in derived.links
            ]
            + [[f"dropped {d.kind}", d.name, d.reason] for d in derived.dropped],
        )
        return
    _print_derived(derived, save, store_chain)


def _print_derived(derived: DerivedChain, save: Path | None, stored: bool) -> None:
    chain = derived.chain
    console.print(
        f"[bold]{escape(chain.name)}[/] ({escape(chain.id)}): {len(chain.segments)} segments,"
        f" {len(chain.feeds)} FEEDS links, around {escape(derived.focal)}"
        f" ({derived.depth_up} up, {derived.depth_down} down)"
    )
    table = Table(title="kept segments, upstream first")
    for col in ("segment", "direction", "depth", "makers", "keywords / codes", "feeds into"):
        table.add_column(col)
    by_id = {n.segment: n for n in derived.nodes}
    into: dict[str, list[str]] = {}
    for f in chain.feeds:
        into.setdefault(f.upstream, []).append(chain.segment(f.downstream).name)
    for seg in chain.ordered_segments():
        n = by_id[seg.id]
        tags = ", ".join(seg.keywords[:4] + seg.industry_codes)
        table.add_row(
            escape(seg.name),
            n.direction,
            str(n.depth),
            "-" if n.makers is None else str(n.makers),
            escape(tags),
            escape(", ".join(into.get(seg.id, []))),
        )
    console.print(table)
    if derived.dropped:
        dropped = Table(title=f"pruned: {len(derived.dropped)}")
        for col in ("kind", "name", "reached from", "reason"):
            dropped.add_column(col)
        for d in derived.dropped:
            dropped.add_row(d.kind, escape(d.name), escape(d.near), escape(d.reason))
        console.print(dropped)
    else:
        console.print("Nothing pruned.")
    if save is not None:
        console.print(f"Template saved to {escape(str(save))}.")
    if stored:
        console.print(f"Chain {escape(chain.id)} stored; map firms with `chainscout chain map`.")


# -- chain map --------------------------------------------------------------------------------


def _read_explicit(path: Path) -> list[InSegment]:
    """Explicit memberships from a CSV file with columns enterprise, segment and optional share."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInputError(f"{path}: no such file") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = {"enterprise", "segment"} - set(reader.fieldnames or ())
    if missing:
        raise BadInputError(f"{path}: needs columns enterprise and segment (share optional)")
    out = []
    for row_no, row in enumerate(reader, start=2):
        try:
            share = float(row["share"]) if row.get("share") not in (None, "") else 1.0
            out.append(InSegment(enterprise=row["enterprise"], segment=row["segment"], share=share))
        except ValueError as err:
            raise BadInputError.at(str(err).splitlines()[0], file=str(path), row=row_no) from None
    return out


@chain_app.command("map")
def chain_map(
    chain: Annotated[str, typer.Argument(help="Chain id: stored, or a built-in template.")],
    template: Annotated[
        Path | None, typer.Option("--template", help="Take the chain from this JSON template.")
    ] = None,
    industry: Annotated[
        str,
        typer.Option(
            "--industry",
            help="Industry-code rule: fallback (firms no keyword placed), always, or never.",
        ),
    ] = "fallback",
    explicit: Annotated[
        Path | None,
        typer.Option(
            "--explicit", help="CSV of memberships given by hand (enterprise,segment,share)."
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Map, but write nothing.")] = False,
    store: StoreOption = None,
    output: FormatOpt = TableFormat.table,
) -> None:
    """Map the store's firms onto a chain's segments and write the memberships.

    Firms are placed by their main products' names against the segments' keywords, by their
    industry codes against the segments' codes, or explicitly; each membership keeps the rule
    that matched. The chain (a built-in template or --template) is stored first.
    """
    if industry not in ("fallback", "always", "never"):
        raise BadInputError(f"--industry must be fallback, always or never, not {industry!r}")
    rows = _read_explicit(explicit) if explicit is not None else []
    with open_configured_store(store, read_only=dry_run) as s:
        if template is not None:
            c = read_chain(template)
            if c.id != chain:
                raise BadInputError(f"{template} holds chain {c.id!r}, not {chain!r}")
        elif chain in {x.id for x in s.list_chains()}:
            c = s.get_chain(chain)
        else:
            c = builtin_chain(chain)
        result = map_firms(
            c,
            makes=s.table("makes"),
            enterprises=s.table("enterprises"),
            explicit=rows,
            industry=industry,  # type: ignore[arg-type]
        )
        if not dry_run:
            s.upsert_chain(c)
            if result.memberships:
                s.upsert([m.to_model() for m in result.memberships])
    if output is TableFormat.json:
        emit_json({"written": not dry_run, **result.model_dump(mode="json")})
        return
    if output is TableFormat.csv:
        _emit_csv(
            ["enterprise", "segment", "share", "rule", "matched"],
            [
                [m.enterprise, m.segment, m.share, m.rule.value, m.matched]
                for m in result.memberships
            ],
        )
        return
    _print_mapping(c, result, dry_run)


def _print_mapping(chain: Chain, result: MappingResult, dry_run: bool) -> None:
    verb = "would write" if dry_run else "wrote"
    rules = ", ".join(f"{k} {v}" for k, v in result.by_rule.items())
    console.print(
        f"Chain [bold]{escape(chain.id)}[/] {escape(chain.name)}: {result.firms:,} firms mapped,"
        f" {verb} {len(result.memberships):,} memberships ({rules})."
    )
    per = {s.id: 0 for s in chain.segments}
    for m in result.memberships:
        per[m.segment] += 1
    table = Table()
    table.add_column("segment")
    table.add_column("firms", justify="right")
    for seg in chain.ordered_segments():
        table.add_row(escape(seg.name), str(per[seg.id]), style="red" if not per[seg.id] else None)
    console.print(table)


# -- gaps ----------------------------------------------------------------------------------------


@app.command()
def gaps(
    chain: ChainOpt = None,
    region: RegionOpt = None,
    weak_lq: Annotated[float, typer.Option(help="LQ below this is weak.")] = 0.5,
    strong_lq: Annotated[float, typer.Option(help="LQ at or above this is strong.")] = 1.5,
    weak_min_firms: Annotated[int, typer.Option(help="Fewer local firms is weak.")] = 2,
    strong_min_firms: Annotated[int, typer.Option(help="Strong needs this many local firms.")] = 3,
    basis: Annotated[
        str | None, typer.Option(help="Size basis: revenue or share (default: by coverage).")
    ] = None,
    store: StoreOption = None,
    output: FormatOpt = TableFormat.table,
    lang: LangOpt = None,
) -> None:
    """The chain-gap table: per segment missing, weak, present or strong, and why."""
    if basis not in (None, "revenue", "share"):
        raise BadInputError(f"--basis must be revenue or share, not {basis!r}")
    try:
        th = GapThresholds(
            weak_lq=weak_lq,
            strong_lq=strong_lq,
            weak_min_firms=weak_min_firms,
            strong_min_firms=strong_min_firms,
        )
    except ValueError as err:
        raise BadInputError(f"thresholds: {str(err).splitlines()[-1]}") from None
    language = _lang(lang)
    view = open_view(store, chain, region)
    table = gap_table(view, th, size_basis=basis)  # type: ignore[arg-type]
    if output is TableFormat.json:
        emit_json(table)
        return
    if output is TableFormat.csv:
        _emit_csv(
            [
                "segment",
                "name",
                "name_en",
                "level",
                "parent",
                "firms",
                "local_firms",
                "size",
                "local_size",
                "pool_share",
                "lq",
                "status",
                "rule",
                "reason",
            ],
            [
                [
                    r.segment,
                    r.name,
                    r.name_en,
                    r.level,
                    r.parent,
                    r.firms,
                    r.local_firms,
                    r.size,
                    r.local_size,
                    r.pool_share,
                    r.lq,
                    r.status.value,
                    r.rule.value,
                    r.reason_zh if language == "zh" else r.reason,
                ]
                for r in table.rows
            ],
        )
        return
    _print_gaps(table, language)


def _print_gaps(t: GapTable, lang: str) -> None:
    zh = lang == "zh"
    unit = {"revenue": "万元" if zh else "revenue, 万元", "share": "份额" if zh else "share"}
    title = (
        f"{t.chain_name or t.chain} · {t.home_region} · 缺链/弱链/强链"
        if zh
        else f"{t.chain_name or t.chain} · home region {t.home_region} · chain gaps"
    )
    table = Table(title=escape(title))
    heads = (
        [
            "#",
            "环节",
            "状态",
            "本地/全部",
            f"本地规模/全部（{unit['share' if t.size_basis == 'share' else 'revenue']}）",
            "区位熵",
            "本地占比",
            "依据",
        ]
        if zh
        else [
            "#",
            "segment",
            "status",
            "local/all",
            f"local/all size ({unit[t.size_basis]})",
            "LQ",
            "pool share",
            "reason",
        ]
    )
    for h in heads:
        table.add_column(h, justify="right" if h in ("#", "本地/全部", "local/all") else "left")
    for i, r in enumerate(t.rows, start=1):
        indent = "  " * r.level
        name = r.name if zh or not r.name_en else f"{r.name} {r.name_en}"
        digits = 0 if t.size_basis == "revenue" else 1
        table.add_row(
            str(i),
            escape(indent + name),
            f"[{_STATUS_STYLE[r.status]}]{r.status.zh if zh else r.status.value}[/]",
            f"{r.local_firms}/{r.firms}",
            f"{_num(r.local_size, digits)}/{_num(r.size, digits)}",
            _num(r.lq),
            "-" if r.pool_share is None else f"{r.pool_share:.1%}",
            escape(r.reason_zh if zh else r.reason),
        )
    console.print(table)
    counts = t.status_counts
    if zh:
        console.print(
            f"缺链 {counts['missing']}，弱链 {counts['weak']}，有链 {counts['present']}，"
            f"强链 {counts['strong']}。阈值：区位熵 < {t.thresholds.weak_lq:g} 为弱，"
            f"≥ {t.thresholds.strong_lq:g} 且本地 ≥ {t.thresholds.strong_min_firms} 家为强。"
        )
    else:
        console.print(
            f"{counts['missing']} missing, {counts['weak']} weak, {counts['present']} present,"
            f" {counts['strong']} strong. Size basis: {t.size_basis}. Thresholds: LQ <"
            f" {t.thresholds.weak_lq:g} or fewer than {t.thresholds.weak_min_firms} local firms"
            f" is weak; LQ ≥ {t.thresholds.strong_lq:g} with {t.thresholds.strong_min_firms}+"
            " local firms is strong (change with --weak-lq, --strong-lq, ...)."
        )


# -- leaders ---------------------------------------------------------------------------------


@app.command()
def leaders(
    chain: ChainOpt = None,
    region: RegionOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many leaders.")] = 20,
    store: StoreOption = None,
    output: FormatOpt = TableFormat.table,
    lang: LangOpt = None,
) -> None:
    """Chain leaders (链主): local firms ranked by size and network position, with the factors."""
    language = _lang(lang)
    view = open_view(store, chain, region)
    table = chain_leaders(view, limit=limit)
    if output is TableFormat.json:
        emit_json(table)
        return
    if output is TableFormat.csv:
        names = [f.name for f in table.rows[0].factors] if table.rows else []
        _emit_csv(
            [
                "rank",
                "id",
                "name",
                "region",
                "segments",
                "revenue",
                "local_suppliers",
                "outside_suppliers",
                "local_customers",
                "outside_customers",
                "centrality",
                "score",
                *[f"{n}_contribution" for n in names],
                "pulls",
                "reason",
            ],
            [
                [
                    r.rank,
                    r.id,
                    r.name,
                    r.region,
                    " ".join(r.segments),
                    r.revenue,
                    r.local_suppliers,
                    r.outside_suppliers,
                    r.local_customers,
                    r.outside_customers,
                    r.centrality,
                    r.score,
                    *[f.contribution for f in r.factors],
                    "; ".join(p.name for p in r.pulls),
                    r.reason_zh if language == "zh" else r.reason,
                ]
                for r in table.rows
            ],
        )
        return
    _print_leaders(table, language)


def _print_leaders(t: LeaderTable, lang: str) -> None:
    zh = lang == "zh"
    table = Table(title=f"链主企业 · {t.home_region}" if zh else f"Chain leaders · {t.home_region}")
    heads = (
        [
            "#",
            "企业",
            "营收（万元）",
            "供应商 本地/外地",
            "客户 本地/外地",
            "中心度排名",
            "得分",
            "规模/中心度/本地/外地",
            "带动企业",
        ]
        if zh
        else [
            "#",
            "firm",
            "revenue (万元)",
            "suppliers local/out",
            "customers local/out",
            "centrality rank",
            "score",
            "size/centr./local/outside",
            "pulls",
        ]
    )
    for h in heads:
        table.add_column(h)
    for r in t.rows:
        contrib = " / ".join(f"{f.contribution:.2f}" for f in r.factors)
        pulls = ", ".join(p.name for p in r.pulls[:3])
        table.add_row(
            str(r.rank),
            escape(r.name),
            _num(r.revenue, 0),
            f"{r.local_suppliers}/{r.outside_suppliers}",
            f"{r.local_customers}/{r.outside_customers}",
            str(r.centrality_rank),
            f"{r.score:.3f}",
            contrib,
            escape(pulls),
        )
    console.print(table)
    w = t.weights
    note = (
        f"{t.local_firms} local firms scored; weights size {w.size:g}, centrality {w.centrality:g},"
        f" local ties {w.local:g}, outside ties {w.outside:g}. PageRank converged in"
        f" {t.centrality_iterations} iterations."
        if t.centrality_converged
        else f"PageRank did NOT converge in {t.centrality_iterations} iterations."
    )
    console.print(note)


# -- leakage and chokepoints ---------------------------------------------------------------------


@app.command()
def leakage(
    chain: ChainOpt = None,
    region: RegionOpt = None,
    store: StoreOption = None,
    output: FormatOpt = TableFormat.table,
    lang: LangOpt = None,
) -> None:
    """Per segment, the share of local firms' known inputs bought outside the home region."""
    language = _lang(lang)
    view = open_view(store, chain, region)
    table: LeakageTable = leakage_table(view)
    if output is TableFormat.json:
        emit_json(table)
        return
    if output is TableFormat.csv:
        _emit_csv(
            [
                "segment",
                "name",
                "basis",
                "input_links",
                "outside_links",
                "input_volume",
                "outside_volume",
                "leakage",
                "top_suppliers",
                "reason",
            ],
            [
                [
                    r.segment,
                    r.name,
                    r.basis,
                    r.input_links,
                    r.outside_links,
                    r.input_volume,
                    r.outside_volume,
                    r.leakage,
                    "; ".join(x.name for x in r.top_suppliers),
                    r.reason_zh if language == "zh" else r.reason,
                ]
                for r in table.rows
            ],
        )
        return
    home = view.home_region
    out = Table(title=f"外购漏损 · {home}" if language == "zh" else f"Leakage · {home}")
    for h in ("segment", "leakage", "basis", "reason"):
        out.add_column(h)
    for r in table.rows:
        out.add_row(
            escape(r.name),
            "-" if r.leakage is None else f"{r.leakage:.0%}",
            r.basis,
            escape(r.reason_zh if language == "zh" else r.reason),
        )
    console.print(out)


@app.command("chokepoints")
def chokepoints_cmd(
    chain: ChainOpt = None,
    region: RegionOpt = None,
    hhi: Annotated[float, typer.Option("--hhi", help="HHI (0-1) counted as concentrated.")] = 0.25,
    store: StoreOption = None,
    output: FormatOpt = TableFormat.table,
    lang: LangOpt = None,
) -> None:
    """Single-source and concentrated segments, and firms whose loss cuts the chain."""
    language = _lang(lang)
    view = open_view(store, chain, region)
    report: ChokepointReport = chokepoints(view, hhi_threshold=hhi)
    if output is TableFormat.json:
        emit_json(report)
        return
    zh = language == "zh"
    if output is TableFormat.csv:
        _emit_csv(
            ["kind", "id", "name", "single_source", "concentrated", "hhi", "reason"],
            [
                [
                    "segment",
                    r.segment,
                    r.name,
                    r.single_source,
                    r.concentrated,
                    r.hhi,
                    r.reason_zh if zh else r.reason,
                ]
                for r in report.segments
            ]
            + [
                ["firm", f.id, f.name, "", "", "", f.reason_zh if zh else f.reason]
                for f in report.firms
            ],
        )
        return
    seg = Table(title="卡点环节" if zh else "Segment concentration")
    for h in ("segment", "firms", "HHI", "supply HHI", "flag", "reason"):
        seg.add_column(h)
    for r in report.segments:
        flag = "single" if r.single_source else ("concentrated" if r.concentrated else "")
        seg.add_row(
            escape(r.name),
            str(r.firms),
            _num(r.hhi),
            _num(r.supply_hhi),
            flag,
            escape(r.reason_zh if zh else r.reason),
            style="red" if flag else None,
        )
    console.print(seg)
    if report.firms:
        firms = Table(title="关键企业" if zh else "Firms whose loss cuts the chain")
        for h in ("firm", "local", "cuts", "reason"):
            firms.add_column(h)
        for f in report.firms[:30]:
            firms.add_row(
                escape(f.name),
                "yes" if f.local else "no",
                str(len(f.cuts)),
                escape(f.reason_zh if zh else f.reason),
            )
        console.print(firms)
    elif report.note:
        console.print(escape(report.note))
    else:
        console.print("No single firm cuts any downstream segment off from its inputs.")
