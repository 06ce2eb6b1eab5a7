"""Identity: which rows and stored firms are the same enterprise, and which only might be.

The same firm arrives under a unified social credit code, a stock code with or without its
exchange suffix (``600000``, ``600000.SH``), a full name or a short name. Rows are merged by
credit code first, then by normalised name (:func:`normalise_name`: NFKC, so full-width
letters and digits count as half-width; case, spaces and punctuation ignored; legal suffixes
such as 股份有限公司, 有限责任公司, 集团, Co., Ltd. dropped).

Uncertain matches are never merged silently: the same normalised name under two credit codes,
or a name that fits two firms. They go to a :class:`Decisions` file (CSV) where the user marks
each pair ``merge`` or ``keep-apart``; later loads read it, so nobody reviews a pair twice.
Until a pair is decided, its firms are kept apart.

Example:
    >>> normalise_name("  深圳市Ａｃｍｅ科技股份有限公司 ")
    '深圳市acme科技'
    >>> normalise_name("ACME Co., Ltd.") == normalise_name("acme")
    True
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chainscout.graph.errors import BadInputError
from chainscout.graph.store import GraphStore

__all__ = [
    "DECISION_COLUMNS",
    "DecisionPair",
    "Decisions",
    "EnterpriseIndex",
    "default_decisions_path",
    "normalise_name",
    "normalise_names",
    "stock_id",
]

_SEP = "[ \t\n\r\f\v,.&]"
_EN_SUFFIX = (
    rf"(?:{_SEP}+(?:co|company|corp|corporation|inc|incorporated|ltd|limited|llc|plc|gmbh"
    rf"|group|holdings))+{_SEP}*$"
)
_CN_SUFFIX = "(?:股份有限公司|有限责任公司|有限公司|股份公司|集团公司|总公司|公司|集团)+$"
_EN_RE = re.compile(_EN_SUFFIX)
_PUNCT_RE = re.compile(r"[\W_]+")
_CN_RE = re.compile(_CN_SUFFIX)
_STOCK_RE = re.compile(r"^(\d{6})(?:\.(?:SH|SZ|BJ|SS))?$", re.IGNORECASE)


def normalise_name(name: str) -> str:
    """The key two names are compared by (see the module docstring); never empty for a name
    that has a letter or digit: a name that is all suffix keeps its suffix."""
    text = _EN_RE.sub("", unicodedata.normalize("NFKC", name).lower())
    bare = _PUNCT_RE.sub("", text)
    stripped = _CN_RE.sub("", bare)
    return stripped or bare


def normalise_names(names: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    """:func:`normalise_name` of every value, vectorised (nulls stay null)."""
    text = pc.utf8_lower(pc.utf8_normalize(names, form="NFKC"))
    text = pc.replace_substring_regex(text, _EN_SUFFIX, "")
    bare = pc.replace_substring_regex(text, r"[^\pL\pN]+", "")
    stripped = pc.replace_substring_regex(bare, _CN_SUFFIX, "")
    out = pc.if_else(pc.equal(stripped, ""), bare, stripped)
    return out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out])


def stock_id(code: str) -> str | None:
    """``stock:600000`` for ``600000``, ``600000.SH`` or ``600000.sz``; None otherwise."""
    m = _STOCK_RE.match(code.strip())
    return f"stock:{m.group(1)}" if m else None


# -- decisions ------------------------------------------------------------------------------

DECISION_COLUMNS = ("a_id", "a_name", "b_id", "b_name", "reason", "decision")
_VALID = {"", "merge", "keep-apart"}


@dataclass(frozen=True)
class DecisionPair:
    """Two firms that may be one: ``b`` merges into ``a`` when the user says ``merge``."""

    a_id: str
    a_name: str
    b_id: str
    b_name: str
    reason: str
    decision: str = ""

    @property
    def key(self) -> frozenset[str]:
        return frozenset((self.a_id, self.b_id))


def default_decisions_path(location: str) -> Path | None:
    """Where a store's decisions are kept when the user names no file: beside a store file;
    for a Neo4j server, in the working folder under the server's address; for an in-memory
    store, nowhere (nothing outlives the process).

    >>> default_decisions_path("city.duckdb")
    PosixPath('city.duckdb.decisions.csv')
    >>> default_decisions_path("bolt://127.0.0.1:7687")
    PosixPath('decisions-bolt-127.0.0.1-7687.csv')
    >>> default_decisions_path(":memory:") is None
    True
    """
    if location == ":memory:":
        return None
    if "://" in location:
        slug = re.sub(r"[^0-9A-Za-z.]+", "-", location).strip("-")
        return Path(f"decisions-{slug}.csv")
    return Path(location + ".decisions.csv")


@dataclass
class Decisions:
    """The decisions file: pairs already decided, and pairs waiting for a decision."""

    path: Path | None
    pairs: dict[frozenset[str], DecisionPair] = field(default_factory=dict)
    added: int = 0

    @classmethod
    def load(cls, path: str | Path | None) -> Decisions:
        """Read the file at ``path`` (a missing file is an empty one; ``None`` keeps none)."""
        if path is None:
            return cls(None)
        p = Path(path)
        out = cls(p)
        if not p.exists():
            return out
        with p.open(encoding="utf-8-sig", newline="") as fh:
            for row_no, row in enumerate(csv.DictReader(fh), start=2):
                decision = (row.get("decision") or "").strip().lower().replace("_", "-")
                if decision not in _VALID:
                    raise BadInputError.at(
                        f"decision {decision!r} is not merge, keep-apart or empty",
                        file=str(p), row=row_no, field="decision", value=decision,
                    )  # fmt: skip
                pair = DecisionPair(
                    a_id=row.get("a_id") or "", a_name=row.get("a_name") or "",
                    b_id=row.get("b_id") or "", b_name=row.get("b_name") or "",
                    reason=row.get("reason") or "", decision=decision,
                )  # fmt: skip
                if pair.a_id and pair.b_id:
                    out.pairs[pair.key] = pair
        return out

    def decision(self, a: str, b: str) -> str:
        """``merge``, ``keep-apart`` or ``""`` (undecided or unknown) for the pair a, b."""
        pair = self.pairs.get(frozenset((a, b)))
        return pair.decision if pair else ""

    def merge_target(self, a: str, b: str) -> str | None:
        """The id both should carry when the pair was marked ``merge``, else None."""
        pair = self.pairs.get(frozenset((a, b)))
        return pair.a_id if pair and pair.decision == "merge" else None

    def ask(self, pair: DecisionPair) -> None:
        """Add an undecided pair (a pair already in the file keeps its decision)."""
        if pair.key not in self.pairs:
            self.pairs[pair.key] = pair
            self.added += 1

    @property
    def pending(self) -> int:
        return sum(1 for p in self.pairs.values() if not p.decision)

    def save(self) -> None:
        """Write the file back (atomically) when pairs were added."""
        if self.path is None or not self.added:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(DECISION_COLUMNS)
            for p in self.pairs.values():
                writer.writerow([p.a_id, p.a_name, p.b_id, p.b_name, p.reason, p.decision])
        tmp.replace(self.path)


# -- what the store already holds -----------------------------------------------------------


class EnterpriseIndex:
    """Ids, credit codes and normalised names of the firms in a store (and of a batch being
    built), to resolve references and to merge rows onto stored firms."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table.select(["id", "name", "aliases", "credit_code"])

    @classmethod
    def of_store(cls, store: GraphStore) -> EnterpriseIndex:
        return cls(store.table("enterprises"))

    @classmethod
    def empty(cls) -> EnterpriseIndex:
        from chainscout.graph.tables import ENTERPRISES

        return cls(ENTERPRISES.empty_table())

    def add(self, table: pa.Table) -> EnterpriseIndex:
        """An index of these firms and ``table``'s (which wins on the same id)."""
        both = pa.concat_tables([self.table, table.select(self.table.column_names).cast(
            self.table.schema)])  # fmt: skip
        return EnterpriseIndex(both)

    @cached_property
    def ids(self) -> pa.Array:
        return pc.unique(self.table["id"])

    @cached_property
    def names_of(self) -> dict[str, str]:
        return dict(zip(self.table["id"].to_pylist(), self.table["name"].to_pylist(), strict=True))

    @cached_property
    def by_credit_code(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for i, cc in zip(self.table["id"].to_pylist(), self.table["credit_code"].to_pylist(),
                         strict=True):  # fmt: skip
            if cc:
                out.setdefault(cc, i)
        return out

    @cached_property
    def by_name(self) -> dict[str, tuple[str, ...]]:
        """Normalised full name or alias -> ids of the firms that carry it."""
        found: dict[str, set[str]] = {}
        ids = self.table["id"].to_pylist()
        for key, i in zip(normalise_names(self.table["name"]).to_pylist(), ids, strict=True):
            if key:
                found.setdefault(key, set()).add(i)
        flat = pc.list_flatten(self.table["aliases"])
        if len(flat):
            owners = pc.list_parent_indices(self.table["aliases"]).to_numpy()
            id_arr = np.asarray(ids, dtype=object)
            for key, i in zip(normalise_names(flat).to_pylist(), id_arr[owners].tolist(),
                              strict=True):  # fmt: skip
                if key:
                    found.setdefault(key, set()).add(i)
        return {k: tuple(sorted(v)) for k, v in found.items()}

    def has(self, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Which values are ids of known firms."""
        mask = pc.fill_null(pc.is_in(values, value_set=self.ids), False)
        return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)

    def lookup(self, ref: str) -> tuple[str | None, tuple[str, ...]]:
        """A reference (id, credit code, stock code, full or short name) -> (id, candidates).

        One firm fits: ``(id, (id,))``. None fits: ``(None, ())``. Several fit: ``(None,
        candidates)``, an uncertain match the caller must not settle."""
        text = ref.strip()
        if text in self.names_of:
            return text, (text,)
        cc = self.by_credit_code.get(text.upper())
        if cc:
            return cc, (cc,)
        sid = stock_id(text)
        if sid and sid in self.names_of:
            return sid, (sid,)
        candidates = self.by_name.get(normalise_name(text), ())
        if len(candidates) == 1:
            return candidates[0], candidates
        return None, candidates


def merge_duplicate_rows(table: pa.Table, key: str) -> tuple[pa.Table, int]:
    """Fold rows with the same ``key``: a later row's given fields win, lists are united.
    Returns the folded table (first occurrence order) and how many rows were folded away."""
    if table.num_rows == 0:
        return table, 0
    keys = np.asarray(table[key].to_numpy(zero_copy_only=False)).astype(str)
    _, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True,
                                          return_counts=True)  # fmt: skip
    if (counts == 1).all():
        return table, 0
    dup_rows = np.flatnonzero(counts[inverse] > 1)
    rows = table.take(pa.array(dup_rows)).to_pylist()
    folded: dict[str, dict[str, object]] = {}
    for row in rows:
        k = str(row[key])
        if k not in folded:
            folded[k] = dict(row)
            continue
        target = folded[k]
        for col, value in row.items():
            if value is None:
                continue
            if isinstance(value, list):
                old = target.get(col) or []
                assert isinstance(old, list)
                target[col] = list(dict.fromkeys([*old, *value]))
            else:
                target[col] = value
    singles = np.flatnonzero(counts[inverse] == 1)
    order_rows = np.sort(np.concatenate([singles, first[counts > 1]]))
    is_dup_first = np.isin(order_rows, first[counts > 1])
    replacement = pa.Table.from_pylist(
        [folded[str(keys[r])] for r in order_rows[is_dup_first]], schema=table.schema
    )
    kept = table.take(pa.array(order_rows[~is_dup_first]))
    merged = pa.concat_tables([kept, replacement])
    positions = np.concatenate([np.flatnonzero(~is_dup_first), np.flatnonzero(is_dup_first)])
    merged = merged.take(pa.array(np.argsort(positions, kind="stable")))
    return merged, int(len(keys) - len(first))


def pairs_of_same_name(
    ids: Iterable[str], names: Iterable[str], keys: Iterable[str]
) -> list[tuple[int, int]]:
    """Index pairs (first, other) of rows whose normalised names agree but ids differ."""
    first: dict[str, tuple[int, str]] = {}
    out: list[tuple[int, int]] = []
    for i, (fid, _name, key) in enumerate(zip(ids, names, keys, strict=True)):
        if not key:
            continue
        seen = first.get(key)
        if seen is None:
            first[key] = (i, fid)
        elif seen[1] != fid:
            out.append((seen[0], i))
    return out
