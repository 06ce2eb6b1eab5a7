"""Which column of a file holds which field: built-in header names and the user's mapping file.

Headers are matched after normalisation (NFKC, so full-width letters and brackets count as their
half-width forms; case, spaces, ``_`` and ``-`` ignored). A unit in brackets after a header,
such as ``营业收入（元）`` or ``占比(%)``, is read off the header and converts the values: money is
stored in 万元, shares as 0-1.

A mapping file (TOML or YAML) has one table per kind, header to field::

    [enterprises]
    "企业名字" = "name"
    "年营收（元）" = { field = "revenue", scale = 0.0001 }
    "备注" = "ignore"

    [links]
    "卖方" = "supplier"
    "买方" = "customer"

A user entry wins over the built-in names; ``ignore`` drops a column. See ``docs/loading.md``.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from chainscout.graph.errors import BadInputError
from chainscout.graph.tables import SCHEMAS

__all__ = [
    "DEFAULT_HEADERS",
    "EXTRA_FIELDS",
    "KINDS",
    "TABLE_OF_KIND",
    "ColumnMap",
    "ColumnRule",
    "Kind",
    "Mapping",
    "load_mapping",
    "normalise_header",
]

Kind = Literal[
    "enterprises", "links", "segments", "chain", "investments", "makes", "product_links",
    "industries", "industry_links",
]  # fmt: skip
#: The kinds a user names with ``--kind``; the others are the tables of an export folder.
KINDS: tuple[str, ...] = ("enterprises", "links", "segments", "chain")
#: The batch table each kind fills (``chain`` fills the chain templates instead).
TABLE_OF_KIND: dict[str, str] = {
    "enterprises": "enterprises", "links": "supplies", "segments": "memberships",
    "investments": "investments", "makes": "makes", "product_links": "product_links",
    "industries": "industries", "industry_links": "industry_links",
}  # fmt: skip
#: Fields a file may hold that are not stored as such but help to build stored ones.
EXTRA_FIELDS: dict[str, tuple[str, ...]] = {
    "enterprises": ("stock_code", "province", "city", "county"),
    "chain": (
        "chain", "chain_name", "segment", "name", "name_en", "level", "parent", "upstream",
        "keywords", "industry_codes", "description",
    ),
}  # fmt: skip

#: Built-in header names per kind and field (Chinese and English, as offices and databases
#: export them).
DEFAULT_HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "enterprises": {
        "id": ("id", "企业id", "企业编号", "编号"),
        "name": ("name", "企业名称", "公司名称", "企业全称", "公司全称", "单位名称", "名称",
                 "fullname", "full name", "company", "company name", "enterprise",
                 "enterprise name", "纳税人名称"),
        "aliases": ("aliases", "alias", "简称", "企业简称", "公司简称", "股票简称", "证券简称",
                    "short name", "曾用名", "别名"),
        "credit_code": ("credit code", "统一社会信用代码", "社会信用代码", "信用代码",
                        "统一信用代码", "uscc", "usci", "unified social credit code"),
        "stock_code": ("stock code", "股票代码", "证券代码", "ticker"),
        "region": ("region", "region code", "行政区划代码", "区划代码", "行政区划", "所在地区",
                   "所属地区", "地区", "所在地", "省市区", "area code", "adcode"),
        "province": ("province", "省份", "省", "所属省份"),
        "city": ("city", "城市", "市", "所属城市", "地级市"),
        "county": ("county", "district", "区县", "区/县", "县区", "所属区县"),
        "address": ("address", "注册地址", "地址", "企业地址", "经营地址", "住所", "办公地址",
                    "registered address", "通讯地址"),
        "revenue": ("revenue", "营业收入", "营收", "主营业务收入", "营业总收入", "销售收入",
                    "年营业收入"),
        "employees": ("employees", "员工人数", "从业人数", "职工人数", "参保人数", "人数",
                      "staff", "员工数"),
        "tags": ("tags", "标签", "企业标签", "资质", "荣誉资质"),
        "industries": ("industries", "industry", "所属行业", "行业", "行业代码", "行业分类",
                       "国民经济行业", "industry code"),
        "energy_intensity": ("energy intensity", "单位产值能耗", "能耗强度", "万元产值能耗"),
        "env_rating": ("env rating", "环保评级", "环境信用评价", "环保信用等级", "环保等级"),
        "rd_share": ("rd share", "研发投入占比", "研发强度", "研发费用占比", "研发占比"),
        "investment_intensity": ("investment intensity", "投资强度", "亩均投资",
                                 "固定资产投资强度", "亩均固定资产投资"),
        "tax_per_mu": ("tax per mu", "亩均税收", "亩均税收（万元/亩）", "亩均税收贡献"),
        "contact": ("contact", "联系人", "联系人姓名", "contact person"),
        "phone": ("phone", "联系电话", "电话", "手机", "手机号码", "telephone"),
        "source": ("source", "来源", "数据来源"),
    },
    "links": {
        "supplier": ("supplier", "供应商", "供方", "供应商名称", "卖方", "上游企业", "from",
                     "supplier id", "供应商代码"),
        "customer": ("customer", "客户", "需方", "客户名称", "买方", "下游企业", "to",
                     "customer id", "客户代码"),
        "share": ("share", "占比", "采购占比", "份额", "供货占比"),
        "volume": ("volume", "金额", "交易金额", "采购金额", "供货金额", "销售金额"),
        "source": ("source", "来源", "数据来源"),
        "since": ("since", "开始日期", "起始日期", "合作开始日期", "首次合作"),
        "seen": ("seen", "观察日期", "快照日期", "snapshot"),
        "confidence": ("confidence", "可信度", "置信度"),
    },
    "segments": {
        "enterprise": ("enterprise", "企业", "企业名称", "公司名称", "company", "企业id",
                       "统一社会信用代码"),
        "segment": ("segment", "环节", "产业链环节", "segment id", "环节编号", "环节名称"),
        "share": ("share", "占比", "业务占比"),
    },
    "chain": {
        "chain": ("chain", "chain id", "产业链", "产业链编号"),
        "chain_name": ("chain name", "产业链名称"),
        "segment": ("segment", "segment id", "id", "环节编号"),
        "name": ("name", "环节名称", "环节", "名称"),
        "name_en": ("name en", "英文名称"),
        "level": ("level", "层级"),
        "parent": ("parent", "上级环节"),
        "upstream": ("upstream", "上游环节", "feeds from"),
        "keywords": ("keywords", "关键词"),
        "industry_codes": ("industry codes", "行业代码"),
        "description": ("description", "说明", "描述"),
    },
}  # fmt: skip

#: Units read off a header in brackets: factor to 万元 for money, to 0-1 for shares.
_MONEY_UNITS = {"元": 1e-4, "千元": 0.1, "万元": 1.0, "百万元": 100.0, "亿元": 1e4}
_SHARE_UNITS = {"%": 0.01, "％": 0.01}
_MONEY_FIELDS = {"revenue", "volume"}
_SHARE_FIELDS = {"share", "rd_share"}
_UNIT = re.compile(r"^(?P<head>.*?)[(\[](?P<unit>[^()\[\]]*)[)\]]$")
IGNORE = "ignore"


def normalise_header(text: str) -> str:
    """The form headers are compared in: NFKC, lower case, no spaces, ``_`` or ``-``."""
    value = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s_\-]+", " ", value).replace(" ", "")


@dataclass(frozen=True)
class ColumnRule:
    """Where one column goes: a field (or ``ignore``) and a factor its numbers are scaled by."""

    field: str
    scale: float | None = None


@dataclass(frozen=True)
class ColumnMap:
    """The columns of one file, mapped: header -> rule, and the headers nothing claimed."""

    rules: dict[str, ColumnRule]
    unknown: tuple[str, ...]

    def header_of(self, field_name: str) -> str | None:
        """The header mapped to ``field_name``, if any."""
        return next((h for h, r in self.rules.items() if r.field == field_name), None)


@dataclass
class Mapping:
    """Built-in header names plus the user's entries (which win)."""

    user: dict[str, dict[str, ColumnRule]] = field(default_factory=dict)
    source: str | None = None

    def fields_of(self, kind: str) -> set[str]:
        """Every field a file of ``kind`` may map a column to."""
        table = TABLE_OF_KIND.get(kind)
        stored = set(SCHEMAS[table].names) if table else set()
        return stored | set(EXTRA_FIELDS.get(kind, ())) | set(DEFAULT_HEADERS.get(kind, {}))

    def resolve(self, kind: str, headers: list[str], *, file: str) -> ColumnMap:
        """Map ``headers`` of a file of ``kind``; two columns for one field is an error."""
        allowed = self.fields_of(kind)
        builtin = {
            normalise_header(name): fld
            for fld, names in DEFAULT_HEADERS.get(kind, {}).items()
            for name in (fld, *names)
        }
        builtin.update({normalise_header(f): f for f in allowed})
        user = {normalise_header(h): r for h, r in self.user.get(kind, {}).items()}
        rules: dict[str, ColumnRule] = {}
        unknown: list[str] = []
        taken: dict[str, str] = {}
        for header in headers:
            rule = _rule_for(header, user, builtin)
            if rule is None:
                unknown.append(header)
                continue
            if rule.field == IGNORE:
                continue
            if rule.field in taken:
                raise BadInputError(
                    f"{file}: columns {taken[rule.field]!r} and {header!r} both map to field"
                    f" {rule.field!r}; say which one to use in a mapping file"
                    f' ({header!r} = "ignore")'
                )
            taken[rule.field] = header
            rules[header] = rule
        return ColumnMap(rules=rules, unknown=tuple(unknown))


def _rule_for(
    header: str, user: dict[str, ColumnRule], builtin: dict[str, str]
) -> ColumnRule | None:
    key = normalise_header(header)
    if key in user:
        return user[key]
    if key in builtin:
        return ColumnRule(builtin[key])
    match = _UNIT.match(key)
    if not match:
        return None
    head, unit = match.group("head"), match.group("unit").strip()
    base = user.get(head) or (ColumnRule(builtin[head]) if head in builtin else None)
    if base is None or base.field == IGNORE:
        return base
    if base.field in _MONEY_FIELDS and unit in _MONEY_UNITS:
        return ColumnRule(base.field, _MONEY_UNITS[unit])
    if base.field in _SHARE_FIELDS and unit in _SHARE_UNITS:
        return ColumnRule(base.field, _SHARE_UNITS[unit])
    return base


def load_mapping(path: str | Path | None) -> Mapping:
    """Read a mapping file (``.toml``, ``.yaml`` or ``.yml``); ``None`` gives the built-ins."""
    if path is None:
        return Mapping()
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise BadInputError(f"{p}: no such mapping file") from None
    data: Any
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(raw.decode("utf-8-sig")) or {}
        else:
            data = tomllib.loads(raw.decode("utf-8-sig"))
    except Exception as err:  # the parsers raise their own error classes
        raise BadInputError(f"{p}: not a valid mapping file ({err})") from None
    return _mapping_from(data, str(p))


def _mapping_from(data: Any, source: str) -> Mapping:
    if not isinstance(data, dict):
        raise BadInputError(
            f"{source}: a mapping file holds one table per kind, e.g. [enterprises]"
        )
    mapping = Mapping(source=source)
    for kind, entries in data.items():
        if kind not in TABLE_OF_KIND and kind != "chain":
            raise BadInputError(
                f"{source}: unknown kind [{kind}]; kinds: {', '.join(sorted(TABLE_OF_KIND))}, chain"
            )
        if not isinstance(entries, dict):
            raise BadInputError(f"{source}: [{kind}] must map headers to fields")
        allowed = mapping.fields_of(kind) | {IGNORE}
        rules: dict[str, ColumnRule] = {}
        for header, target in entries.items():
            rule = _parse_rule(target, f"{source}: [{kind}] {header!r}")
            if rule.field not in allowed:
                raise BadInputError(
                    f"{source}: [{kind}] {header!r} maps to unknown field {rule.field!r};"
                    f" fields: {', '.join(sorted(allowed))}"
                )
            rules[str(header)] = rule
        mapping.user[kind] = rules
    return mapping


def _parse_rule(target: Any, where: str) -> ColumnRule:
    if isinstance(target, str):
        return ColumnRule(target.strip())
    if isinstance(target, dict) and isinstance(target.get("field"), str):
        scale = target.get("scale")
        if scale is not None and not isinstance(scale, int | float):
            raise BadInputError(f"{where}: scale must be a number")
        return ColumnRule(target["field"].strip(), None if scale is None else float(scale))
    raise BadInputError(f"{where}: give a field name or {{ field = ..., scale = ... }}")
