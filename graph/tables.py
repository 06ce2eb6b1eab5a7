"""Columnar batches: how enterprises and links travel in bulk between loaders and stores.

A :class:`GraphBatch` holds up to four Arrow tables with fixed schemas. Loaders at the scale of
millions of rows build these directly and validate them with vectorised checks
(:meth:`GraphBatch.problems`) instead of one pydantic object per row; small writes convert model
objects with :func:`batch_from_models`. A store writes one batch in one transaction.

A text column may also arrive dictionary-encoded (``dictionary<int32, string>``): a loader that
has resolved millions of link ends against the known ids passes them as positions into those
ids, so that a store maps each distinct id once instead of each link end. The values are the
same; :func:`plain_strings` decodes such columns for code that wants plain text.

Example:
    >>> from chainscout.graph.model import Enterprise, Supplies
    >>> b = batch_from_models([Enterprise(id="a", name="甲"), Enterprise(id="b", name="乙"),
    ...                        Supplies(supplier="a", customer="b")])
    >>> b.enterprises.num_rows, b.supplies.num_rows, b.problems()
    (2, 1, [])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .codes import ALPHABET
from .errors import Problem
from .model import (
    Confidence,
    Enterprise,
    Industry,
    IndustryLink,
    InSegment,
    InvestsIn,
    Makes,
    ProductLink,
    ProductRelation,
    Supplies,
)
from .regions import PROVINCES, _country_codes

__all__ = [
    "ENTERPRISES",
    "INDUSTRIES",
    "INDUSTRY_LINKS",
    "INVESTMENTS",
    "MAKES",
    "MEMBERSHIPS",
    "PRODUCT_LINKS",
    "SCHEMAS",
    "SUPPLIES",
    "BatchItem",
    "GraphBatch",
    "bad_credit_codes",
    "batch_from_models",
    "encoded_text",
    "enterprises_to_models",
    "invalid_credit_codes",
    "invalid_regions",
    "plain_strings",
    "supplies_to_models",
    "text_bytes",
]

ENTERPRISES = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("aliases", pa.list_(pa.string())),
        pa.field("credit_code", pa.string()),
        pa.field("region", pa.string()),
        pa.field("address", pa.string()),
        pa.field("revenue", pa.float64()),
        pa.field("employees", pa.int64()),
        pa.field("tags", pa.list_(pa.string())),
        pa.field("industries", pa.list_(pa.string())),
        pa.field("energy_intensity", pa.float64()),
        pa.field("env_rating", pa.string()),
        pa.field("rd_share", pa.float64()),
        pa.field("investment_intensity", pa.float64()),
        pa.field("tax_per_mu", pa.float64()),
        pa.field("contact", pa.string()),
        pa.field("phone", pa.string()),
        pa.field("source", pa.string()),
    ]
)
SUPPLIES = pa.schema(
    [
        pa.field("supplier", pa.string(), nullable=False),
        pa.field("customer", pa.string(), nullable=False),
        pa.field("share", pa.float64()),
        pa.field("volume", pa.float64()),
        pa.field("source", pa.string()),
        pa.field("since", pa.date32()),
        pa.field("seen", pa.list_(pa.date32())),
        pa.field("confidence", pa.string(), nullable=False),
    ]
)
MEMBERSHIPS = pa.schema(
    [
        pa.field("enterprise", pa.string(), nullable=False),
        pa.field("segment", pa.string(), nullable=False),
        pa.field("share", pa.float64(), nullable=False),
    ]
)
INVESTMENTS = pa.schema(
    [
        pa.field("investor", pa.string(), nullable=False),
        pa.field("investee", pa.string(), nullable=False),
        pa.field("share", pa.float64()),
    ]
)

MAKES = pa.schema(
    [
        pa.field("enterprise", pa.string(), nullable=False),
        pa.field("product", pa.string(), nullable=False),
        pa.field("share", pa.float64()),
    ]
)
PRODUCT_LINKS = pa.schema(
    [
        pa.field("product", pa.string(), nullable=False),
        pa.field("related", pa.string(), nullable=False),
        pa.field("relation", pa.string(), nullable=False),
    ]
)
INDUSTRIES = pa.schema(
    [
        pa.field("code", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("level", pa.int32(), nullable=False),
        pa.field("parent", pa.string()),
        pa.field("scheme", pa.string()),
    ]
)
INDUSTRY_LINKS = pa.schema(
    [
        pa.field("industry", pa.string(), nullable=False),
        pa.field("upstream", pa.string(), nullable=False),
        pa.field("weight", pa.float64()),
    ]
)

#: The tables of a batch, by name, in the order a store writes them.
SCHEMAS: dict[str, pa.Schema] = {
    "enterprises": ENTERPRISES,
    "supplies": SUPPLIES,
    "memberships": MEMBERSHIPS,
    "investments": INVESTMENTS,
    "makes": MAKES,
    "product_links": PRODUCT_LINKS,
    "industries": INDUSTRIES,
    "industry_links": INDUSTRY_LINKS,
}


def _empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


@dataclass
class GraphBatch:
    """Enterprises and links to write together, all or nothing."""

    enterprises: pa.Table = field(default_factory=lambda: _empty(ENTERPRISES))
    supplies: pa.Table = field(default_factory=lambda: _empty(SUPPLIES))
    memberships: pa.Table = field(default_factory=lambda: _empty(MEMBERSHIPS))
    investments: pa.Table = field(default_factory=lambda: _empty(INVESTMENTS))
    makes: pa.Table = field(default_factory=lambda: _empty(MAKES))
    product_links: pa.Table = field(default_factory=lambda: _empty(PRODUCT_LINKS))
    industries: pa.Table = field(default_factory=lambda: _empty(INDUSTRIES))
    industry_links: pa.Table = field(default_factory=lambda: _empty(INDUSTRY_LINKS))

    def __post_init__(self) -> None:
        for name, schema in SCHEMAS.items():
            setattr(self, name, _conform(getattr(self, name), schema))

    def tables(self) -> dict[str, pa.Table]:
        """The batch's tables by name (see :data:`SCHEMAS`)."""
        return {name: getattr(self, name) for name in SCHEMAS}

    @property
    def rows(self) -> int:
        """Rows in all tables."""
        return sum(t.num_rows for t in self.tables().values())

    def problems(self, limit: int = 1000) -> list[Problem]:
        """Vectorised checks of every field a store relies on; ``row`` is the 1-based index in
        the table named by ``file`` (``enterprises``, ``supplies``...). Empty when all is well."""
        found: list[Problem] = []
        e = self.enterprises
        _require(found, e, "enterprises", ["id", "name"])
        for col in ("revenue", "employees", "energy_intensity"):
            _flag(found, "enterprises", col, e, pc.less(e[col], 0), "must not be negative")
        _flag(found, "enterprises", "rd_share", e, _outside_unit(e["rd_share"]), "must be 0-1")
        for col in ("investment_intensity", "tax_per_mu"):
            _flag(found, "enterprises", col, e, _negative_or_not_finite(e[col]),
                  "must be a finite number, 0 or more")  # fmt: skip
        _flag(
            found,
            "enterprises",
            "region",
            e,
            _bad_regions(e["region"]),
            "is not a 6-digit division code or an ISO 3166 country code",
        )
        _flag(
            found,
            "enterprises",
            "credit_code",
            e,
            bad_credit_codes(e["credit_code"]),
            "is not a valid unified social credit code (18 characters, check character)",
        )
        _flag(
            found,
            "enterprises",
            "env_rating",
            e,
            _not_in(e["env_rating"], ["A", "B", "C", "D"]),
            "is not one of A, B, C, D",
        )
        _flag(found, "enterprises", "id", e, _duplicated(e["id"]), "appears twice in the batch")
        s = self.supplies
        _require(found, s, "supplies", ["supplier", "customer"])
        _flag(
            found,
            "supplies",
            "customer",
            s,
            _same(s["supplier"], s["customer"]),
            "is the supplier itself (a self-loop)",
        )
        _flag(found, "supplies", "share", s, _outside_unit(s["share"]), "must be 0-1")
        _flag(found, "supplies", "volume", s, pc.less(s["volume"], 0), "must not be negative")
        _flag(
            found,
            "supplies",
            "confidence",
            s,
            _not_in(s["confidence"], [c.value for c in Confidence]),
            "is not one of reported, inferred, predicted",
        )
        m = self.memberships
        _require(found, m, "memberships", ["enterprise", "segment"])
        _flag(found, "memberships", "share", m, _outside_unit(m["share"]), "must be 0-1")
        i = self.investments
        _require(found, i, "investments", ["investor", "investee"])
        _flag(
            found,
            "investments",
            "investee",
            i,
            pc.equal(i["investor"], i["investee"]),
            "is the investor itself (a self-loop)",
        )
        _flag(found, "investments", "share", i, _outside_unit(i["share"]), "must be 0-1")
        k = self.makes
        _require(found, k, "makes", ["enterprise", "product"])
        _flag(found, "makes", "share", k, _outside_unit(k["share"]), "must be 0-1")
        pl = self.product_links
        _require(found, pl, "product_links", ["product", "related"])
        _flag(found, "product_links", "relation", pl,
              _not_in(pl["relation"], [r.value for r in ProductRelation]),
              "is not one of upstream_material, subtype, downstream")  # fmt: skip
        _flag(found, "product_links", "related", pl, pc.equal(pl["product"], pl["related"]),
              "is the product itself (a self-loop)")  # fmt: skip
        ind = self.industries
        _require(found, ind, "industries", ["code", "name"])
        _flag(found, "industries", "code", ind, _duplicated(ind["code"]), "appears twice")
        il = self.industry_links
        _require(found, il, "industry_links", ["industry", "upstream"])
        _flag(
            found, "industry_links", "weight", il, pc.less(il["weight"], 0), "must not be negative"
        )
        found.sort(key=lambda p: (p.file or "", p.row or 0, p.field or ""))
        return found[:limit]

    @staticmethod
    def concat(batches: Iterable[GraphBatch]) -> GraphBatch:
        """One batch holding the rows of all ``batches``, in order."""
        parts = list(batches)
        return GraphBatch(
            **{
                name: pa.concat_tables(
                    [plain_strings(getattr(b, name)) for b in parts] or [_empty(schema)]
                )
                for name, schema in SCHEMAS.items()
            }
        )


def _is_encoded_text(type_: pa.DataType, wanted: pa.DataType) -> bool:
    """True for a dictionary-encoded column whose values have the text type ``wanted``."""
    return bool(
        pa.types.is_dictionary(type_)
        and pa.types.is_string(wanted)
        and type_.value_type.equals(wanted)
    )


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Reorder and cast ``table`` to ``schema``; missing optional columns become nulls. A
    dictionary-encoded text column stays encoded (see the module docstring)."""
    if table.schema.equals(schema):
        return table
    columns = []
    fields = []
    for f in schema:
        if f.name in table.column_names:
            col = table[f.name]
            if _is_encoded_text(col.type, f.type):
                columns.append(col)
                fields.append(pa.field(f.name, col.type, nullable=f.nullable))
                continue
            columns.append(col.cast(f.type))
        elif f.nullable:
            columns.append(pa.nulls(table.num_rows, f.type))
        else:
            raise ValueError(f"a {schema.names[0]} table needs a column {f.name!r}")
        fields.append(f)
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def plain_strings(table: pa.Table) -> pa.Table:
    """``table`` with its dictionary-encoded text columns decoded (others as they are)."""
    encoded = [i for i, f in enumerate(table.schema) if pa.types.is_dictionary(f.type)]
    for i in encoded:
        f = table.schema.field(i)
        table = table.set_column(
            i, pa.field(f.name, f.type.value_type, nullable=f.nullable),
            table.column(i).cast(f.type.value_type),
        )  # fmt: skip
    return table


def encoded_text(col: pa.ChunkedArray | pa.Array) -> pa.DictionaryArray | None:
    """The column as one dictionary array when it is dictionary-encoded, else None."""
    if not pa.types.is_dictionary(col.type):
        return None
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    assert isinstance(arr, pa.DictionaryArray)
    return arr


def _blank(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """True where a text value is null, empty or only white space (no trimmed copy made)."""
    return pc.or_(pc.is_null(col), pc.fill_null(pc.or_(pc.equal(col, ""), pc.utf8_is_space(col)),
                                                False))  # fmt: skip


def _same(a: pa.ChunkedArray, b: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """Element-wise equality of two text columns; for two encoded over one dictionary, on
    their positions."""
    da, db = encoded_text(a), encoded_text(b)
    if da is not None and db is not None and da.dictionary.equals(db.dictionary):
        return pc.equal(da.indices, db.indices)
    return pc.equal(a, b)


def _rows(mask: pa.ChunkedArray | pa.Array | np.ndarray) -> np.ndarray:
    """Indices where a boolean mask is true (nulls count as false)."""
    if isinstance(mask, np.ndarray):
        return np.flatnonzero(mask)
    filled = pc.fill_null(mask, False)
    return np.flatnonzero(np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool))


def _flag(
    found: list[Problem],
    name: str,
    col: str,
    table: pa.Table,
    mask: pa.ChunkedArray | np.ndarray,
    why: str,
) -> None:
    column = table[col]
    for r in _rows(mask)[:200]:
        value = column[int(r)].as_py()
        found.append(
            Problem(
                reason=f"{col} {value!r} {why}",
                file=name,
                row=int(r) + 1,
                field=col,
                value=None if value is None else str(value),
            )
        )


def _require(found: list[Problem], table: pa.Table, name: str, cols: list[str]) -> None:
    for col in cols:
        c = table[col]
        coded = encoded_text(c)
        if coded is not None:  # check each distinct value once
            blank = np.asarray(pc.fill_null(_blank(coded.dictionary), True).to_numpy(
                zero_copy_only=False), dtype=bool)  # fmt: skip
            at = np.asarray(pc.fill_null(coded.indices, 0).to_numpy(zero_copy_only=False))
            missing: pa.ChunkedArray | pa.Array | np.ndarray = np.asarray(
                coded.is_null().to_numpy(zero_copy_only=False), dtype=bool
            )
            if len(blank):
                missing = missing | blank[at]
        else:
            missing = _blank(c)
        for r in _rows(missing)[:200]:
            found.append(
                Problem(
                    reason=f"required field {col} is empty", file=name, row=int(r) + 1, field=col
                )
            )


def _not_in(col: pa.ChunkedArray, allowed: list[str]) -> pa.ChunkedArray:
    """True where a value is present and not one of ``allowed``."""
    return pc.and_(pc.is_valid(col), pc.invert(pc.is_in(col, pa.array(allowed))))


def _outside_unit(col: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.or_(pc.less(col, 0), pc.greater(col, 1))


def _negative_or_not_finite(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """True where a number is present and is below 0, infinite or NaN."""
    return pc.and_(pc.is_valid(col), pc.or_(pc.less(col, 0), pc.invert(pc.is_finite(col))))


def _duplicated(col: pa.ChunkedArray) -> np.ndarray:
    """True for every row whose value already appeared in an earlier row."""
    if len(col) == 0:
        return np.zeros(0, dtype=bool)
    if len(pc.unique(col)) == len(col):
        return np.zeros(len(col), dtype=bool)
    values = np.asarray(col.to_numpy(zero_copy_only=False)).astype(str)
    _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    return np.asarray(first[inverse] != np.arange(len(values)))


def _bad_regions(col: pa.ChunkedArray) -> pa.ChunkedArray:
    division = pc.match_substring_regex(col, r"^\d{6}$")
    province_ok = pc.is_in(pc.utf8_slice_codeunits(col, 0, 2), pa.array(list(PROVINCES)))
    country_ok = pc.is_in(col, pa.array(sorted(_country_codes())))
    good = pc.or_(pc.and_(division, province_ok), country_ok)
    return pc.and_(pc.is_valid(col), pc.invert(good))


def invalid_regions(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Vectorised region check for loaders: True where a value is present and is neither a
    6-digit division code nor an ISO 3166 country code (the rule of :meth:`GraphBatch.problems`)."""
    mask = pc.fill_null(_bad_regions(col), False)
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def invalid_credit_codes(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Vectorised GB 32100 check for loaders: True where a value is present and is not a valid
    unified social credit code (upper-case the column first)."""
    return bad_credit_codes(col)


_LOOKUP = np.full(256, -1, dtype=np.int8)
for _i, _ch in enumerate(ALPHABET):
    _LOOKUP[ord(_ch)] = _i
_WEIGHTS = np.array(
    [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int32
)


def bad_credit_codes(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """True where a value is present and is not a valid unified social credit code: the
    GB 32100 rule of ``graph.codes``, on the bytes of the whole column at once, the codes 18
    bytes long as an 18-column matrix (any other length, or a character outside the alphabet,
    is bad). Upper-case the column first.

    >>> bad_credit_codes(pa.array(["91350100M000100Y43", "91350100M000100Y44", None, "x"]))
    array([False,  True, False,  True])
    """
    values = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    bad = np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=bool)
    sized = np.flatnonzero(np.asarray(pc.fill_null(pc.equal(pc.binary_length(values), 18),
                                                   False), dtype=bool))  # fmt: skip
    if not len(sized):
        return bad
    chars = _LOOKUP[_code_bytes(values, sized)]
    check = (31 - (chars[:, :17].astype(np.int32) @ _WEIGHTS) % 31) % 31
    ok = (chars.min(axis=1) >= 0) & (check == chars[:, 17])
    bad[sized[ok]] = False
    return bad


def text_bytes(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of a string column's values, one after another, read from the
    column's own buffer (no copy), and where each value starts in them (and one past the
    last), for checks that work byte by byte over a whole column.

    >>> data, bounds = text_bytes(pa.array(["ab", None, "深"]).slice(0))
    >>> bytes(data), bounds.tolist()
    (b'ab\xe6\xb7\xb1', [0, 2, 2, 5])
    """
    n = len(text)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset : text.offset + n + 1]
    start, end = int(offsets[0]), int(offsets[-1])
    data = text.buffers()[2]
    if data is None:
        return np.zeros(0, dtype=np.uint8), offsets - start
    return np.frombuffer(data, dtype=np.uint8)[start:end], offsets - start


def _code_bytes(values: pa.Array, sized: np.ndarray) -> np.ndarray:
    """The bytes of the 18-byte values at ``sized`` as an 18-column matrix: the text's own
    buffer when every value is 18 bytes long (a column of credit codes), else a copy."""
    if len(sized) == len(values) and pa.types.is_string(values.type):
        return text_bytes(values)[0].reshape(-1, 18)
    fixed = pc.cast(values.take(pa.array(sized)), pa.binary(18))
    raw = np.frombuffer(fixed.buffers()[1], dtype=np.uint8)
    return raw[fixed.offset * 18 : (fixed.offset + len(sized)) * 18].reshape(-1, 18)


#: Model objects that a batch can carry, and the table each goes to.
BatchItem = (
    Enterprise | Supplies | InSegment | InvestsIn | Makes | ProductLink | Industry | IndustryLink
)
_TABLE_OF: dict[type, str] = {
    Enterprise: "enterprises",
    Supplies: "supplies",
    InSegment: "memberships",
    InvestsIn: "investments",
    Makes: "makes",
    ProductLink: "product_links",
    Industry: "industries",
    IndustryLink: "industry_links",
}


def batch_from_models(items: Iterable[BatchItem]) -> GraphBatch:
    """Collect validated model objects into one batch (the path for small writes)."""
    rows: dict[str, list[dict[str, object]]] = {name: [] for name in SCHEMAS}
    for item in items:
        name = _TABLE_OF.get(type(item))
        if name is None:
            raise TypeError(f"cannot write {type(item).__name__} in a graph batch")
        row = item.model_dump(mode="python")
        for key, value in row.items():
            if isinstance(value, tuple):
                row[key] = list(value)
            elif isinstance(value, StrEnum):
                row[key] = value.value
        rows[name].append(row)
    return GraphBatch(
        **{name: pa.Table.from_pylist(rows[name], schema=SCHEMAS[name]) for name in SCHEMAS}
    )


def enterprises_to_models(table: pa.Table) -> list[Enterprise]:
    """Model objects for the rows of an enterprise table (for reads of a few rows)."""
    out = []
    for row in table.select(ENTERPRISES.names).to_pylist():
        row["aliases"] = tuple(row["aliases"] or ())
        row["tags"] = tuple(row["tags"] or ())
        row["industries"] = tuple(row["industries"] or ())
        out.append(Enterprise.model_validate({k: v for k, v in row.items() if v is not None}))
    return out


def supplies_to_models(table: pa.Table) -> list[Supplies]:
    """Model objects for the rows of a supplies table."""
    out = []
    for row in table.select(SUPPLIES.names).to_pylist():
        row["seen"] = tuple(row["seen"] or ())
        out.append(Supplies.model_validate({k: v for k, v in row.items() if v is not None}))
    return out
