"""Identity: which rows and stored firms are the same enterprise, and which only might be.

The same firm arrives under a unified social credit code, a stock code with or without its
exchange suffix (``600000``, ``600000.SH``), a full name or a short name. Rows are merged by
credit code first, then by normalised name (:func:`normalise_name`: NFKC, so full-width
letters and digits count as half-width; case, spaces and punctuation ignored; legal suffixes
such as 股份有限公司, 有限责任公司, 集团, Co., Ltd. dropped).

Uncertain matches are never merged silently: the same normalised name under two credit codes,
or a name that fits two firms. They go to a :class:`Decisions` file (CSV) where the user marks
each pair ``merge`` or ``keep-apart``; later loads read it, so nobody reviews a pair twice.
Until a pair is decided, its firms are kept apart. Every two ids that share a normalised name
make one pair (at least one of them from the file being loaded), except an id that a ``merge``
decision already folds into another.

Everything here works on whole Arrow columns (a million firms and a million listed pairs take
seconds): the index of stored firms, reference resolution, the pairs of a name group and the
decisions file are arrays, looked up with hash joins rather than a Python object per row.

Example:
    >>> normalise_name("  深圳市Ａｃｍｅ科技股份有限公司 ")
    '深圳市acme科技'
    >>> normalise_name("ACME Co., Ltd.") == normalise_name("acme")
    True
"""

from __future__ import annotations

import codecs
import csv
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from chainscout.graph.errors import BadInputError
from chainscout.graph.store import GraphStore

from .characters import character_kinds
from .encoding import detect_encoding
from .lookup import null_text, positions_in

__all__ = [
    "DECISION_COLUMNS",
    "DecisionPair",
    "Decisions",
    "EnterpriseIndex",
    "default_decisions_path",
    "normalise_name",
    "normalise_names",
    "pair_keys",
    "pairs_within_groups",
    "stock_id",
]

_SEP_CHARS = " \t\n\r\f\v,.&"
_SEP = f"[{_SEP_CHARS}]"
_EN_WORDS = ("co", "company", "corp", "corporation", "inc", "incorporated", "ltd", "limited",
             "llc", "plc", "gmbh", "group", "holdings")  # fmt: skip
_EN_SUFFIX = rf"(?:{_SEP}+(?:{'|'.join(_EN_WORDS)}))+{_SEP}*$"
_CN_SUFFIX = "(?:股份有限公司|有限责任公司|有限公司|股份公司|集团公司|总公司|公司|集团)+$"
_EN_RE = re.compile(_EN_SUFFIX)
_PUNCT_RE = re.compile(r"[\W_]+")
_CN_RE = re.compile(_CN_SUFFIX)
_NOT_WORD = r"[^\pL\pN]"
_STOCK_RE = re.compile(r"^(\d{6})(?:\.(?:SH|SZ|BJ|SS))?$", re.IGNORECASE)
_STOCK_RE2 = r"^(?P<d>\d{6})(?:\.(?i:SH|SZ|BJ|SS))?$"


@functools.cache
def _english_last_letters() -> pa.Array:
    """The last letter of each English suffix word (see ``normalise_names``), made when first
    needed, as :func:`~chainscout.loaders.lookup.null_text` is."""
    return pa.array(sorted({w[-1] for w in _EN_WORDS}), pa.string())


def normalise_name(name: str) -> str:
    """The key two names are compared by (see the module docstring); never empty for a name
    that has a letter or digit: a name that is all suffix keeps its suffix."""
    text = _EN_RE.sub("", unicodedata.normalize("NFKC", name).lower())
    bare = _PUNCT_RE.sub("", text)
    stripped = _CN_RE.sub("", bare)
    return stripped or bare


def normalise_names(names: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    """:func:`normalise_name` of every value, vectorised (nulls stay null).

    Each step runs only on the values it can change, told by the kinds of character a value
    holds (``loaders.characters``, one pass over the column's bytes): NFKC on values with a
    character outside printable ASCII and the CJK unified ideographs (which NFKC leaves as
    they are); lower-casing on those with a capital letter or an NFKC change; the English
    suffixes on values with ASCII letters whose last letter, past trailing separators, can
    end one; the punctuation on values with ASCII punctuation or other characters. Only the
    Chinese suffixes are looked for in every value."""
    text = _array(names)
    kinds = character_kinds(text)
    other = np.flatnonzero(kinds.other)
    text = _where(text, other, lambda part: pc.utf8_normalize(part, form="NFKC"))
    text = _where(text, np.flatnonzero(kinds.ascii_upper | kinds.other), pc.utf8_lower)
    latin = np.flatnonzero(kinds.ascii_upper | kinds.ascii_lower | kinds.other)
    if len(latin):
        tails = pc.utf8_rtrim(text.take(pa.array(latin)), characters=_SEP_CHARS)
        last = pc.utf8_slice_codeunits(tails, start=-1)
        ends_word = latin[_mask(pc.is_in(last, value_set=_english_last_letters()))]
        text = _where(text, ends_word,
                      lambda part: pc.replace_substring_regex(part, _EN_SUFFIX, ""))  # fmt: skip
    marked = np.flatnonzero(kinds.ascii_mark | kinds.other)
    if len(marked):
        marked = marked[_mask(pc.match_substring_regex(text.take(pa.array(marked)), _NOT_WORD))]
    bare = _where(text, marked, lambda part: pc.replace_substring_regex(part, _NOT_WORD + "+", ""))
    stripped = pc.replace_substring_regex(bare, _CN_SUFFIX, "")
    out = pc.if_else(pc.equal(stripped, ""), bare, stripped)
    return out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out])


def _where(values: pa.Array, at: np.ndarray, step: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``values`` with ``step`` applied to the values at the rows ``at`` (ascending; one take
    each way)."""
    if not len(at):
        return values
    changed = _array(step(values.take(pa.array(at))))
    order = np.arange(len(values), dtype=np.int64)
    order[at] = len(values) + np.arange(len(at), dtype=np.int64)
    return pa.concat_arrays([values, changed.cast(values.type)]).take(pa.array(order))


def stock_id(code: str) -> str | None:
    """``stock:600000`` for ``600000``, ``600000.SH`` or ``600000.sz``; None otherwise."""
    m = _STOCK_RE.match(code.strip())
    return f"stock:{m.group(1)}" if m else None


def _stock_ref_ids(text: pa.Array) -> pa.Array:
    """:func:`stock_id` of every value, vectorised (null where a value is no stock code)."""
    digits = pc.struct_field(pc.extract_regex(text, _STOCK_RE2), [0])
    return pc.binary_join_element_wise(pa.scalar("stock:"), digits, "")


def _array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean numpy mask from an Arrow boolean column (nulls count as false)."""
    filled = pc.fill_null(values, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def pair_keys(a: pa.Array | pa.ChunkedArray, b: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One text per unordered pair of ids (the smaller id first), so that (a, b) and (b, a)
    find the same listed pair."""
    a_first = pc.less_equal(a, b)
    lo = pc.if_else(a_first, a, b)
    hi = pc.if_else(a_first, b, a)
    return _array(pc.binary_join_element_wise(lo, hi, "\x1f"))


def pairs_within_groups(group_end: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, ...]:
    """Every pair (p, q), p < q, of entries in the same group, for entries sorted by group:
    ``group_end[p]`` is one past the last entry of p's group; entries that are not
    ``eligible`` pair only with earlier ones. Returns the arrays of p and of q.

    >>> pairs_within_groups(np.array([3, 3, 3, 4]), np.ones(4, dtype=bool))
    (array([0, 0, 1]), array([1, 2, 2]))
    """
    pos = np.arange(len(group_end), dtype=np.int64)
    count = np.where(eligible, group_end - 1 - pos, 0)
    total = int(count.sum())
    left = np.repeat(pos, count)
    within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    return left, left + 1 + within


# -- decisions ------------------------------------------------------------------------------

DECISION_COLUMNS = ("a_id", "a_name", "b_id", "b_name", "reason", "decision")
_VALID = {"", "merge", "keep-apart"}
_DECISION_SCHEMA = pa.schema([pa.field(c, pa.string()) for c in DECISION_COLUMNS])


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


class Decisions:
    """The decisions file: pairs already decided, and pairs waiting for a decision.

    The pairs are one Arrow table in file order (:data:`DECISION_COLUMNS`); a pair asked
    again, in either order, keeps its row and its decision. Loads look pairs up a column at a
    time (:meth:`lookup`, :meth:`ask_many`); :meth:`decision`, :meth:`merge_target` and
    :meth:`ask` serve the few rows handled one by one.
    """

    def __init__(self, path: Path | None, rows: pa.Table | None = None) -> None:
        self.path = path
        self.rows: pa.Table = rows if rows is not None else _DECISION_SCHEMA.empty_table()
        self.added = 0
        self._asked: list[pa.Table] = []
        self._single: list[DecisionPair] = []
        self._keys: pa.Array | None = None
        self._decided: dict[frozenset[str], tuple[str, str]] | None = None

    @classmethod
    def load(cls, path: str | Path | None) -> Decisions:
        """Read the file at ``path`` (a missing file is an empty one; ``None`` keeps none)."""
        if path is None:
            return cls(None)
        p = Path(path)
        if not p.exists():
            return cls(p)
        return cls(p, _read_decisions(p))

    # -- lookups ----------------------------------------------------------------------------

    @property
    def keys(self) -> pa.Array:
        """:func:`pair_keys` of the listed pairs, in file order."""
        self._flush()
        if self._keys is None:
            self._keys = pair_keys(self.rows["a_id"], self.rows["b_id"])
        return self._keys

    def lookup(
        self, a: pa.Array | pa.ChunkedArray, b: pa.Array | pa.ChunkedArray
    ) -> tuple[pa.Array, pa.Array]:
        """For each pair (a[i], b[i]): its decision (``""`` when undecided or not listed) and
        the ``a_id`` of its listed row (null when not listed), which a ``merge`` keeps."""
        n = len(a)
        if not n or not self.rows.num_rows:
            return pa.array([""] * n, pa.string()), pa.nulls(n, pa.string())
        pos = pc.index_in(pair_keys(a, b), value_set=self.keys)
        decision = pc.fill_null(_array(self.rows["decision"]).take(pos), "")
        return _array(decision), _array(self.rows["a_id"]).take(pos)

    def _decided_pairs(self) -> dict[frozenset[str], tuple[str, str]]:
        if self._decided is None:
            done = self.rows.filter(pc.not_equal(self.rows["decision"], ""))
            self._decided = {
                frozenset((a, b)): (d, a)
                for a, b, d in zip(done["a_id"].to_pylist(), done["b_id"].to_pylist(),
                                   done["decision"].to_pylist(), strict=True)
            }  # fmt: skip
        return self._decided

    def decision(self, a: str, b: str) -> str:
        """``merge``, ``keep-apart`` or ``""`` (undecided or unknown) for the pair a, b."""
        found = self._decided_pairs().get(frozenset((a, b)))
        return found[0] if found else ""

    def merge_target(self, a: str, b: str) -> str | None:
        """The id both should carry when the pair was marked ``merge``, else None."""
        found = self._decided_pairs().get(frozenset((a, b)))
        return found[1] if found and found[0] == "merge" else None

    # -- asking -----------------------------------------------------------------------------

    def ask(self, pair: DecisionPair) -> None:
        """Add an undecided pair (a pair already in the file keeps its decision)."""
        self._single.append(pair)

    def ask_many(
        self, a_id: pa.Array, a_name: pa.Array, b_id: pa.Array, b_name: pa.Array, reason: str
    ) -> None:
        """Add undecided pairs, a column each (pairs already in the file keep their rows)."""
        if len(a_id):
            n = len(a_id)
            self._asked.append(pa.table({
                "a_id": a_id, "a_name": pc.fill_null(a_name, ""), "b_id": b_id,
                "b_name": pc.fill_null(b_name, ""), "reason": pa.array([reason] * n, pa.string()),
                "decision": pa.array([""] * n, pa.string()),
            }, schema=_DECISION_SCHEMA))  # fmt: skip

    def _flush(self) -> None:
        """Append the pairs asked since the last look, each once and only when new."""
        if self._single:
            self._asked.append(pa.table(
                {c: [getattr(p, c) for p in self._single] for c in DECISION_COLUMNS},
                schema=_DECISION_SCHEMA,
            ))  # fmt: skip
            self._single = []
        if not self._asked:
            return
        new = pa.concat_tables(self._asked)
        self._asked = []
        keys = pair_keys(new["a_id"], new["b_id"])
        first = np.zeros(len(keys), dtype=bool)
        first[pc.index_in(pc.unique(keys), value_set=keys).to_numpy()] = True
        if self.rows.num_rows:
            listed = self._keys if self._keys is not None else pair_keys(
                self.rows["a_id"], self.rows["b_id"])  # fmt: skip
            first &= ~_mask(pc.is_in(keys, value_set=listed))
        fresh = new.filter(pa.array(first))
        if fresh.num_rows:
            self.rows = pa.concat_tables([self.rows, fresh])
            self.added += fresh.num_rows
            self._keys = None

    @property
    def pending(self) -> int:
        """Listed pairs without a decision."""
        self._flush()
        return int(pc.sum(pc.equal(self.rows["decision"], "")).as_py() or 0)

    def save(self) -> None:
        """Write the file back (atomically, UTF-8 with a BOM) when pairs were added."""
        self._flush()
        if self.path is None or not self.added:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        options = pacsv.WriteOptions(quoting_style="needed", quoting_header="none", eol="\r\n")
        with tmp.open("wb") as fh:
            fh.write(codecs.BOM_UTF8)
            pacsv.write_csv(self.rows, fh, write_options=options)
        tmp.replace(self.path)


def _read_decisions(p: Path) -> pa.Table:
    """The rows of a decisions file: decisions normalised and checked, rows without both ids
    left out, and a pair listed twice kept once (at its first place, with its last row)."""
    encoding = detect_encoding(p)
    try:
        table = pacsv.read_csv(
            p,
            read_options=pacsv.ReadOptions(
                encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in DECISION_COLUMNS},
                include_columns=list(DECISION_COLUMNS), include_missing_columns=True,
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )  # fmt: skip
    except pa.ArrowInvalid:  # ragged rows or an empty file: read it as the csv module does
        table = _read_decisions_loosely(p, encoding)
    table = pa.table(
        {c: _array(pc.fill_null(table[c].cast(pa.string()), "")) for c in DECISION_COLUMNS},
        schema=_DECISION_SCHEMA,
    )
    decision = pc.replace_substring(
        pc.utf8_lower(pc.utf8_trim_whitespace(table["decision"])), "_", "-"
    )
    bad = np.flatnonzero(~_mask(pc.is_in(decision, value_set=pa.array(sorted(_VALID)))))
    if len(bad):
        value = decision[int(bad[0])].as_py()
        raise BadInputError.at(
            f"decision {value!r} is not merge, keep-apart or empty",
            file=str(p), row=int(bad[0]) + 2, field="decision", value=value,
        )  # fmt: skip
    table = table.set_column(5, "decision", decision)
    table = table.filter(pc.and_(pc.not_equal(table["a_id"], ""), pc.not_equal(table["b_id"], "")))
    keys = pair_keys(table["a_id"], table["b_id"])
    unique = pc.unique(keys)
    if len(unique) == table.num_rows:
        return table
    first = pc.index_in(unique, value_set=keys).to_numpy()
    last = np.zeros(len(unique), dtype=np.int64)
    np.maximum.at(last, pc.index_in(keys, value_set=unique).to_numpy(), np.arange(len(keys)))
    return table.take(pa.array(last[np.argsort(first, kind="stable")]))


def _read_decisions_loosely(p: Path, encoding: str) -> pa.Table:
    columns: dict[str, list[str]] = {c: [] for c in DECISION_COLUMNS}
    with p.open(encoding=encoding, newline="") as fh:
        for row in csv.DictReader(fh):
            for c in DECISION_COLUMNS:
                value = row.get(c)
                columns[c].append(value if isinstance(value, str) else "")
    return pa.table(columns, schema=_DECISION_SCHEMA)


# -- what the store already holds -----------------------------------------------------------


class EnterpriseIndex:
    """Ids, credit codes and normalised names of the firms in a store (and of a batch being
    built), to resolve references and to merge rows onto stored firms. A later row of the
    same id gives its name; the first firm of a credit code keeps it; names and aliases of
    every row count."""

    def __init__(self, table: pa.Table, *, distinct_ids: bool = False) -> None:
        self.table = table.select(["id", "name", "aliases", "credit_code"]).combine_chunks()
        self._distinct_ids = distinct_ids

    @classmethod
    def of_store(cls, store: GraphStore) -> EnterpriseIndex:
        """The firms of a store (one row per id); only the columns an index uses are read."""
        return cls(store.table("enterprises", ["id", "name", "aliases", "credit_code"]),
                   distinct_ids=True)  # fmt: skip

    @classmethod
    def empty(cls) -> EnterpriseIndex:
        from chainscout.graph.tables import ENTERPRISES

        return cls(ENTERPRISES.empty_table())

    def add(self, table: pa.Table) -> EnterpriseIndex:
        """An index of these firms and ``table``'s (which wins on the same id)."""
        both = pa.concat_tables([self.table, table.select(self.table.column_names).cast(
            self.table.schema)])  # fmt: skip
        return EnterpriseIndex(both)

    @property
    def size(self) -> int:
        """Rows of the index (0 for an empty store)."""
        return int(self.table.num_rows)

    @cached_property
    def ids(self) -> pa.Array:
        """The distinct ids, in first-row order."""
        if self._distinct_ids:
            return _array(self.table["id"])
        return _array(pc.unique(self.table["id"]))

    @cached_property
    def _last_row(self) -> pa.Array:
        """For each of :attr:`ids`, the index of its last row."""
        n = self.table.num_rows
        if self._distinct_ids:
            return pa.array(np.arange(n, dtype=np.int64))
        backwards = _array(self.table["id"]).take(pa.array(np.arange(n - 1, -1, -1)))
        first_back = pc.index_in(self.ids, value_set=backwards).to_numpy()
        return pa.array(n - 1 - first_back)

    @cached_property
    def _credit_codes(self) -> tuple[pa.Array, pa.Array]:
        """Distinct credit codes and the id of the first firm that carries each."""
        coded = self.table.filter(pc.is_valid(self.table["credit_code"]))
        codes = _array(pc.unique(coded["credit_code"]))
        if len(codes) == coded.num_rows:  # each code once (the usual case): in row order
            return codes, _array(coded["id"])
        first = pc.index_in(codes, value_set=_array(coded["credit_code"]))
        return codes, _array(coded["id"]).take(first)

    @cached_property
    def name_keys(self) -> pa.Table:
        """Distinct (normalised full name or alias ``key``, ``id``) of the firms."""
        keys = [_array(normalise_names(self.table["name"]))]
        ids = [_array(self.table["id"])]
        flat = pc.list_flatten(self.table["aliases"])
        if len(flat):
            keys.append(_array(normalise_names(flat)))
            owners = _array(pc.list_parent_indices(self.table["aliases"]))
            ids.append(_array(self.table["id"]).take(owners))
        both = pa.table({"key": pa.concat_arrays(keys), "id": pa.concat_arrays(ids)})
        both = both.filter(pc.and_(pc.is_valid(both["key"]), pc.not_equal(both["key"], "")))
        return both.group_by(["key", "id"], use_threads=False).aggregate([])

    @cached_property
    def _by_key(self) -> tuple[pa.Array, pa.Array, pa.Array]:
        """Distinct name keys, how many firms carry each, and the first of them by id."""
        grouped = self.name_keys.group_by("key").aggregate([("id", "count"), ("id", "min")])
        return (_array(grouped["key"]), _array(grouped["id_count"]),
                _array(grouped["id_min"]))  # fmt: skip

    def has(self, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Which values are ids of known firms."""
        return _mask(pc.is_in(values, value_set=self.ids))

    def names_for(self, ids: pa.Array | pa.ChunkedArray) -> pa.Array:
        """The name of each id (null where the id is not a known firm)."""
        rows = self._last_row.take(pc.index_in(ids, value_set=self.ids))
        return _array(self.table["name"]).take(rows)

    def ids_of_credit_codes(self, codes: pa.Array | pa.ChunkedArray) -> pa.Array:
        """The id of the firm that carries each credit code (null where none does)."""
        known, owner = self._credit_codes
        return owner.take(positions_in(codes, known))

    def candidates(self, keys: pa.Array | pa.ChunkedArray) -> pa.Table:
        """The (key, id) rows of :attr:`name_keys` whose key is one of ``keys``."""
        return self.name_keys.filter(pc.is_in(self.name_keys["key"], value_set=keys))

    def resolve(self, refs: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
        """References (ids, credit codes, stock codes, full or short names) -> the id each one
        means (null when none fits, or several: an uncertain match the caller must not
        settle) and the mask of references that fit several firms."""
        text = _array(pc.utf8_trim_whitespace(refs))
        null = null_text()
        found = pc.if_else(pc.is_in(text, value_set=self.ids), text, null)
        found = pc.coalesce(found, self.ids_of_credit_codes(pc.utf8_upper(text)))
        stock = _stock_ref_ids(text)
        found = pc.coalesce(found, pc.if_else(pc.is_in(stock, value_set=self.ids), stock, null))
        keys, counts, first = self._by_key
        at = pc.index_in(normalise_names(text), value_set=keys)
        count = pc.fill_null(counts.take(at), 0)
        found = pc.coalesce(found, pc.if_else(pc.equal(count, 1), first.take(at), null))
        several = _mask(pc.and_(pc.is_null(found), pc.greater(count, 1)))
        return _array(found), several

    def lookup(self, ref: str) -> tuple[str | None, tuple[str, ...]]:
        """A reference (id, credit code, stock code, full or short name) -> (id, candidates).

        One firm fits: ``(id, (id,))``. None fits: ``(None, ())``. Several fit: ``(None,
        candidates)``, an uncertain match the caller must not settle."""
        found, _ = self.resolve(pa.array([ref], pa.string()))
        hit = found[0].as_py()
        if hit is not None:
            return hit, (hit,)
        key = normalise_name(ref.strip())
        ids = self.candidates(pa.array([key], pa.string()))["id"].to_pylist()
        return None, tuple(sorted(ids))


def merge_duplicate_rows(table: pa.Table, key: str) -> tuple[pa.Table, int]:
    """Fold rows with the same ``key``: a later row's given fields win, lists are united.
    Returns the folded table (first occurrence order) and how many rows were folded away.
    Only the rows of repeated keys go through Python."""
    if table.num_rows == 0:
        return table, 0
    column = _array(table[key])
    distinct = _array(pc.unique(column))
    if len(distinct) == table.num_rows:
        return table, 0
    codes = pc.index_in(column, value_set=distinct).to_numpy(zero_copy_only=False)
    counts = np.bincount(codes, minlength=len(distinct))
    first = pc.index_in(distinct, value_set=column).to_numpy()
    repeated = counts[codes] > 1
    rows = table.take(pa.array(np.flatnonzero(repeated))).to_pylist()
    folded: dict[int, dict[str, object]] = {}
    for code, row in zip(codes[repeated].tolist(), rows, strict=True):
        if code not in folded:
            folded[code] = dict(row)
            continue
        target = folded[code]
        for col, value in row.items():
            if value is None:
                continue
            if isinstance(value, list):
                old = target.get(col) or []
                assert isinstance(old, list)
                target[col] = list(dict.fromkeys([*old, *value]))
            else:
                target[col] = value
    kept_rows = np.sort(first)
    kept = table.take(pa.array(kept_rows))
    is_folded = repeated[kept_rows]
    replacement = pa.Table.from_pylist(
        [folded[c] for c in codes[kept_rows[is_folded]].tolist()], schema=table.schema
    )
    merged = pa.concat_tables([kept.filter(pa.array(~is_folded)), replacement])
    positions = np.concatenate([np.flatnonzero(~is_folded), np.flatnonzero(is_folded)])
    merged = merged.take(pa.array(np.argsort(positions, kind="stable")))
    return merged, int(table.num_rows - len(distinct))


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
