"""The ChainKG dataset (产业链知识图谱): listed companies, Shenwan industries, products.

Files (JSON Lines, the dataset's own field names): ``company.json``, ``industry.json``,
``industry_industry.json``, ``industry_up.json``, ``company_industry.json``, ``product.json``,
``company_product.json``, ``product_product.json``. What becomes of them:

- each distinct listed company, once: an Enterprise ``stock:<6-digit code>`` (``.SH``/``.SZ``
  stripped), name = full name, aliases = its short names (and other full names its duplicate
  lines give), tags 上市公司, industries = its Shenwan level-3 codes, region from the full name;
- MAKES: company (by short name) -> product, share = ``rel_weight`` clipped to 0-1;
- PRODUCT_LINK: 上游材料 -> ``upstream_material``, 产品小类 -> ``subtype``, 下游产品 ->
  ``downstream`` (product = ``from_entity``, related = ``to_entity``);
- Industry (scheme ``SW2021``, level from the code: ``xx0000`` 1, ``xxxx00`` 2, else 3, parent
  from ``industry_industry.json``) and INDUSTRY_UPSTREAM (weight = the count of product links).

The dataset's quirks are reported, not fatal: duplicate company lines are merged, rows naming a
stock code or short name that ``company.json`` does not have (or a short name two companies
share) are rejected with their file and line, product self-links are rejected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from chainscout.graph.errors import BadInputError, Problem
from chainscout.graph.model import ProductRelation
from chainscout.graph.store import GraphStore
from chainscout.graph.tables import (
    ENTERPRISES,
    INDUSTRIES,
    INDUSTRY_LINKS,
    MAKES,
    PRODUCT_LINKS,
    GraphBatch,
)

from .regions import RegionResolver
from .report import LoadReport, OnError, ProgressFn, Rejections
from .table import record_region_rules, write_checked

__all__ = ["CHAINKG_FILES", "SCHEME", "SOURCE", "load_chainkg"]

SOURCE = "chainkg"
SCHEME = "SW2021"
CHAINKG_FILES = ("company.json", "industry.json", "industry_industry.json", "industry_up.json",
                 "company_industry.json", "product.json", "company_product.json",
                 "product_product.json")  # fmt: skip
_CODE = re.compile(r"^(\d{6})(?:\.(?:SH|SZ|BJ))?$", re.IGNORECASE)
_RELATIONS = {"上游材料": ProductRelation.UPSTREAM_MATERIAL.value,
              "产品小类": ProductRelation.SUBTYPE.value,
              "下游产品": ProductRelation.DOWNSTREAM.value}  # fmt: skip


def _lines(path: Path, rej: Rejections) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of a JSON Lines file; a broken line is rejected, not fatal."""
    with path.open(encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                rej.add("bad_json", Problem(reason=f"not JSON: {err.msg}", file=path.name,
                                            row=number, value=line[:200]))  # fmt: skip
                continue
            if isinstance(obj, dict):
                yield number, obj


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    return value.strip() if isinstance(value, str) else ""


def _industry_level(code: str) -> int:
    if code.endswith("0000"):
        return 1
    return 2 if code.endswith("00") else 3


def load_chainkg(
    store: GraphStore,
    folder: str | Path,
    *,
    on_error: OnError = "skip",
    report_path: str | Path | None = None,
    progress: ProgressFn | None = None,
) -> LoadReport:
    """Load a ChainKG folder into ``store`` in one write (see the module docstring).

    With ``on_error="skip"`` (the default: the dataset has known bad rows) the rejected rows
    are reported and the rest is written; with ``"stop"`` any rejected row stops the load."""
    root = Path(folder)
    absent = [f for f in CHAINKG_FILES if not (root / f).is_file()]
    if absent:
        raise BadInputError(f"{root}: not a ChainKG folder; missing {', '.join(absent)}")
    rej = Rejections()
    report = LoadReport(source=str(root), format="chainkg", encoding="utf-8")
    step = 0

    def tick(stage: str) -> None:
        nonlocal step
        step += 1
        if progress is not None:
            progress(stage, step, 6)

    firms, short_to_codes = _companies(root, rej, report)
    tick("companies")
    industries, names_to_code = _industries(root, rej, report)
    tick("industries")
    _company_industries(root, rej, firms, {r["code"] for r in industries}, report)
    industry_links = _industry_links(root, rej, names_to_code, report)
    tick("industry links")
    makes = _makes(root, rej, short_to_codes, report)
    tick("main products")
    product_links = _product_links(root, rej, report)
    tick("product links")
    report.counts["products"] = sum(1 for _ in _lines(root / "product.json", rej))
    report.rows_read += report.counts["products"]
    resolver = RegionResolver.default()
    unresolved = 0
    rules: dict[str, int] = {}
    for firm in firms.values():
        res = resolver.resolve(name=firm["name"])
        firm["region"] = res.code
        if res.rule:
            rules[res.rule] = rules.get(res.rule, 0) + 1
        else:
            unresolved += 1
    report.region_rules, report.regions_unresolved = rules, unresolved
    levels = {"province": 0, "city": 0, "county": 0}
    for firm in firms.values():
        code = firm["region"]
        if code:
            levels["province"] += 1
            levels["city"] += int(not code.endswith("0000"))
            levels["county"] += int(not code.endswith("00"))
    report.counts.update({f"with_{k}": v for k, v in levels.items()})
    batch = GraphBatch(
        enterprises=pa.Table.from_pylist(list(firms.values()), schema=ENTERPRISES),
        makes=pa.Table.from_pylist(makes, schema=MAKES),
        product_links=pa.Table.from_pylist(product_links, schema=PRODUCT_LINKS),
        industries=pa.Table.from_pylist(industries, schema=INDUSTRIES),
        industry_links=pa.Table.from_pylist(industry_links, schema=INDUSTRY_LINKS),
    )
    written = write_checked(store, batch, rej, report, on_error, report_path)
    tick("written")
    if written is not None:
        record_region_rules(store, SOURCE, report)
    report.rows_loaded = batch.rows
    return report


def _companies(
    root: Path, rej: Rejections, report: LoadReport
) -> tuple[dict[str, dict[str, Any]], dict[str, set[str]]]:
    firms: dict[str, dict[str, Any]] = {}
    short_to_codes: dict[str, set[str]] = {}
    lines = 0
    conflicts = 0
    for number, obj in _lines(root / "company.json", rej):
        lines += 1
        m = _CODE.match(_text(obj, "code"))
        full, short = _text(obj, "fullname"), _text(obj, "name")
        if not m:
            rej.add("bad_stock_code", Problem(reason=f"code {obj.get('code')!r} is not a stock"
                    " code (6 digits, optionally .SH/.SZ)", file="company.json", row=number,
                    field="code", value=str(obj.get("code"))))  # fmt: skip
            continue
        if not full and not short:
            rej.add("missing_required", Problem(reason="fullname and name are empty",
                    file="company.json", row=number, field="fullname"))  # fmt: skip
            continue
        code = m.group(1)
        if short:
            short_to_codes.setdefault(short, set()).add(code)
        firm = firms.get(code)
        if firm is None:
            firms[code] = {
                "id": f"stock:{code}", "name": full or short, "aliases": [short] if short else [],
                "tags": ["上市公司"], "industries": [], "source": SOURCE,
            }  # fmt: skip
            continue
        report.merged += 1
        names = [firm["name"], *firm["aliases"]]
        if full and full != firm["name"]:
            conflicts += 1
        for extra in (short, full):
            if extra and extra not in names:
                firm["aliases"].append(extra)
                names.append(extra)
    report.rows_read += lines
    report.counts.update({
        "company_lines": lines, "companies": len(firms), "duplicate_company_lines": lines
        - len(firms) - rej.by_reason["bad_stock_code"], "short_names": len(short_to_codes),
        "duplicates_with_another_full_name": conflicts,
    })  # fmt: skip
    if conflicts:
        report.notes.append(
            f"{conflicts} duplicate company lines give another full name for the same stock"
            " code: the first full name is the name, the others are kept as aliases"
        )
    return firms, short_to_codes


def _industries(
    root: Path, rej: Rejections, report: LoadReport
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    parents: dict[str, str] = {}
    for number, obj in _lines(root / "industry_industry.json", rej):
        report.rows_read += 1
        child, parent = _text(obj, "from_code"), _text(obj, "to_code")
        if child and parent:
            parents[child] = parent
        else:
            rej.add("missing_required", Problem(reason="from_code or to_code is empty",
                    file="industry_industry.json", row=number, field="from_code"))  # fmt: skip
    rows: dict[str, dict[str, Any]] = {}
    for number, obj in _lines(root / "industry.json", rej):
        report.rows_read += 1
        code, name = _text(obj, "code"), _text(obj, "name")
        if not re.fullmatch(r"\d{6}", code) or not name:
            rej.add("bad_industry", Problem(reason=f"industry {code!r} {name!r} needs a 6-digit"
                    " code and a name", file="industry.json", row=number, field="code",
                    value=code))  # fmt: skip
            continue
        if code in rows:
            report.merged += 1
        rows[code] = {"code": code, "name": name, "level": _industry_level(code),
                      "parent": parents.get(code), "scheme": SCHEME}  # fmt: skip
    report.counts["industries"] = len(rows)
    report.counts["industry_parents"] = sum(1 for r in rows.values() if r["parent"])
    names = {r["name"]: c for c, r in rows.items()}
    return list(rows.values()), names


def _company_industries(
    root: Path, rej: Rejections, firms: dict[str, dict[str, Any]], known: set[str],
    report: LoadReport,
) -> None:  # fmt: skip
    unknown_industry = 0
    for number, obj in _lines(root / "company_industry.json", rej):
        report.rows_read += 1
        raw = _text(obj, "company_code")
        m = _CODE.match(raw)
        firm = firms.get(m.group(1)) if m else None
        if firm is None:
            rej.add("unknown_company", Problem(reason=f"stock code {raw!r} is not in"
                    " company.json", file="company_industry.json", row=number,
                    field="company_code", value=raw))  # fmt: skip
            continue
        code = _text(obj, "industry_code")
        if code not in known:
            unknown_industry += 1
        if code and code not in firm["industries"]:
            firm["industries"].append(code)
    report.counts["company_industry_codes_not_in_industry_json"] = unknown_industry


def _industry_links(
    root: Path, rej: Rejections, names: dict[str, str], report: LoadReport
) -> list[dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for number, obj in _lines(root / "industry_up.json", rej):
        report.rows_read += 1
        name = _text(obj, "industry")
        code = names.get(name)
        if code is None:
            rej.add("unknown_industry", Problem(reason=f"industry {name!r} is not in"
                    " industry.json", file="industry_up.json", row=number, field="industry",
                    value=name))  # fmt: skip
            continue
        ups = obj.get("ups") if isinstance(obj.get("ups"), dict) else {}
        assert isinstance(ups, dict)
        for up_name, count in ups.items():
            up = names.get(str(up_name).strip())
            if up is None:
                rej.add("unknown_industry", Problem(reason=f"upstream industry {up_name!r} is"
                        " not in industry.json", file="industry_up.json", row=number,
                        field="ups", value=str(up_name)))  # fmt: skip
                continue
            if up == code or not isinstance(count, int | float) or count < 0:
                rej.add("bad_industry_link", Problem(reason=f"upstream {up_name!r} weight"
                        f" {count!r} is a self-link or not a count", file="industry_up.json",
                        row=number, field="ups", value=str(up_name)))  # fmt: skip
                continue
            out[(code, up)] = {"industry": code, "upstream": up, "weight": float(count)}
    report.counts["industry_links"] = len(out)
    return list(out.values())


def _makes(
    root: Path, rej: Rejections, short_to_codes: dict[str, set[str]], report: LoadReport
) -> list[dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    clipped = 0
    for number, obj in _lines(root / "company_product.json", rej):
        report.rows_read += 1
        short, product = _text(obj, "company_name"), _text(obj, "product_name")
        codes = short_to_codes.get(short, set())
        where: dict[str, Any] = {"file": "company_product.json", "row": number}
        if len(codes) != 1:
            why = (f"short name {short!r} fits {len(codes)} companies"
                   f" ({', '.join(sorted(codes))}): not guessed" if codes
                   else f"short name {short!r} is not in company.json")  # fmt: skip
            rej.add("ambiguous_company" if codes else "unknown_company",
                    Problem(reason=why, field="company_name", value=short, **where))  # fmt: skip
            continue
        if not product:
            rej.add("missing_required", Problem(reason="product_name is empty",
                                                field="product_name", **where))  # fmt: skip
            continue
        try:
            weight = float(str(obj.get("rel_weight")))
        except ValueError:
            rej.add("not_a_number", Problem(reason=f"rel_weight {obj.get('rel_weight')!r} is"
                    " not a number", field="rel_weight", value=str(obj.get("rel_weight")),
                    **where))  # fmt: skip
            continue
        share = min(1.0, max(0.0, weight)) if weight == weight else None
        clipped += int(share != weight)
        out[(next(iter(codes)), product)] = {"enterprise": f"stock:{next(iter(codes))}",
                                             "product": product, "share": share}  # fmt: skip
    report.counts["makes"] = len(out)
    report.counts["makes_weights_clipped"] = clipped
    return list(out.values())


def _product_links(root: Path, rej: Rejections, report: LoadReport) -> list[dict[str, Any]]:
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for number, obj in _lines(root / "product_product.json", rej):
        report.rows_read += 1
        a, b, rel = _text(obj, "from_entity"), _text(obj, "to_entity"), _text(obj, "rel")
        where: dict[str, Any] = {"file": "product_product.json", "row": number}
        relation = _RELATIONS.get(rel)
        if relation is None:
            rej.add("bad_relation", Problem(reason=f"rel {rel!r} is not 上游材料, 产品小类 or"
                    " 下游产品", field="rel", value=rel, **where))  # fmt: skip
        elif not a or not b:
            rej.add("missing_required", Problem(reason="from_entity or to_entity is empty",
                                                field="from_entity", **where))  # fmt: skip
        elif a == b:
            rej.add("self_loop", Problem(reason=f"product {a!r} is linked to itself",
                                         field="to_entity", value=b, **where))  # fmt: skip
        else:
            out[(a, b, relation)] = {"product": a, "related": b, "relation": relation}
    report.counts["product_links"] = len(out)
    return list(out.values())
