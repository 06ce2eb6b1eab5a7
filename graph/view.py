"""Views: the part of the graph one question needs, held as arrays.

A :class:`ChainView` is one chain seen from one home region: the firms in the chain's segments
(local and outside), their segment memberships and the supply links among them. Firms are rows
``0..n-1`` in the order of their ids (every store gives the same rows); segments are columns
``0..m-1`` in upstream-to-downstream order. Attributes are numpy arrays (NaN where unknown);
ids and names are :class:`~chainscout.graph.texts.TextColumn` (strings made when read);
adjacency is CSR over suppliers, and over customers once a question needs it (int32 indices: 12
bytes a link for both directions). A networkx DiGraph is built on demand for what networkx does
well on a bounded graph.

The customer-side CSR is built on first use, not with the view: an analysis of many firms at
once (a search from every local firm, the leakage of every segment) reads the links into them
in one pass over the links instead (:meth:`ChainView.links_into`), so the first command after a
write does not pay for a CSR it may never read. Questions about a few firms (their suppliers,
their neighbourhood) build it once, about 0.2 s per five million links, and read it after.

Analyses vectorise over these arrays; they never loop over networkx attribute dicts.

Example:
    >>> v = ChainView.from_arrays(
    ...     chain=None, home_region="440300", ids=["a", "b", "c"],
    ...     regions=["440305", "320500", None],
    ...     member_firm=[0, 1, 2], member_segment=[0, 0, 1], member_share=[1.0, 1.0, 1.0],
    ...     supplier=[1, 2], customer=[0, 1], segment_ids=["s1", "s2"])
    >>> v.is_local.tolist(), v.suppliers_of(0).tolist(), v.customers_of(1).tolist()
    ([True, False, False], [1], [0])
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from .errors import NotFoundError
from .model import KNOWN_TAGS, Chain, Confidence
from .regions import is_within, region_prefix
from .texts import TextColumn, TextSource

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "CONFIDENCE_CODES",
    "ENV_RATING_CODES",
    "TAG_BITS",
    "ChainView",
    "Memberships",
    "Reverse",
    "SortedLinks",
    "counting_order",
    "csr_positions",
    "link_order",
    "local_mask",
    "reverse_csr",
    "sort_links",
]

#: Bit of each known tag in :attr:`ChainView.tag_bits`.
TAG_BITS: dict[str, int] = {tag: 1 << i for i, tag in enumerate(KNOWN_TAGS)}
#: Code of each environmental rating in :attr:`ChainView.env_rating` (0: unknown).
ENV_RATING_CODES: dict[str, int] = {"A": 1, "B": 2, "C": 3, "D": 4}
#: Code of each link confidence in :attr:`ChainView.link_confidence`.
CONFIDENCE_CODES: dict[str, int] = {c.value: i for i, c in enumerate(Confidence)}

#: Links with at most one step back in this many are sorted by merging their sorted runs
#: (see :func:`link_order`): with one in ten, 2.5 times as fast as counting sorts; with none in
#: order, as fast.
MOSTLY_IN_ORDER = 5

IntArray = npt.NDArray[np.int64]
#: Firm rows and link positions: int32 keeps CSR adjacency in both directions at 12 bytes a link.
IndexArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def local_mask(regions: npt.NDArray[Any] | Sequence[str | None], home_region: str) -> BoolArray:
    """Vectorised :func:`~chainscout.graph.regions.is_within` over region codes (None: unknown)."""
    codes = np.asarray(regions, dtype=object).astype(str)  # None becomes 'None': never inside
    if len(codes) == 0:
        return np.zeros(0, dtype=bool)
    if len(home_region) == 2 and home_region != "CN":
        return np.asarray(codes == home_region)
    six = np.char.str_len(codes) == 6
    if home_region == "CN":
        return np.asarray(six)
    return np.asarray(six & np.char.startswith(codes, region_prefix(home_region)))


def csr_positions(indptr: IntArray, rows: IntArray) -> IntArray:
    """Positions ``indptr[r]:indptr[r + 1]`` of every row in ``rows``, concatenated: the CSR
    entries of many rows at once, vectorised."""
    starts = indptr[rows]
    counts = indptr[rows + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return np.arange(total, dtype=np.int64) + offsets


def counting_order(
    keys: npt.NDArray[np.integer[Any]], size: int
) -> npt.NDArray[np.signedinteger[Any]]:
    """The permutation that sorts ``keys`` (integers in ``[0, size)``) stably, in O(n + size).

    A counting sort, done by scipy's CSR to CSC transposition of a one-row matrix; numpy's
    stable argsort of 32- or 64-bit integers is a comparison sort, several times slower on the
    millions of links of a large view. Positions are int32 while they fit, which halves the
    memory the transposition moves.

    >>> counting_order(np.array([2, 0, 2, 1, 0]), 3).tolist()
    [1, 4, 3, 0, 2]
    """
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    dtype = np.int32 if max(n, size) < 2**31 - 1 else np.int64
    row = sparse.csr_array(
        (np.arange(n, dtype=dtype), np.asarray(keys, dtype=dtype), np.array([0, n], dtype=dtype)),
        shape=(1, size),
    )
    return np.asarray(row.tocsc().data)


def _firm_rows(rows: Sequence[int] | npt.NDArray[np.integer[Any]]) -> npt.NDArray[Any]:
    """Firm rows as an integer array: int32 and int64 arrays as they are, others as int64."""
    if isinstance(rows, np.ndarray) and rows.dtype in (np.int32, np.int64):
        return rows
    return np.asarray(rows, dtype=np.int64)


def link_order(
    supplier: npt.NDArray[np.integer[Any]], customer: npt.NDArray[np.integer[Any]], n_firms: int
) -> npt.NDArray[np.signedinteger[Any]] | None:
    """The permutation that sorts links by (supplier, customer), or None when they are in that
    order already (as a store that keeps them so hands them over).

    Links mostly in order (a store's links after a few later loads: long sorted runs) are
    sorted by numpy's stable sort, a merge sort that runs in about linear time over sorted
    runs; links in no order, by two counting sorts (by customer, then by supplier), which take
    the same time whatever the order.

    >>> link_order(np.array([0, 1, 1]), np.array([2, 0, 1]), 3) is None
    True
    >>> link_order(np.array([1, 0, 1]), np.array([1, 2, 0]), 3).tolist()
    [1, 2, 0]
    """
    e = len(supplier)
    if e < 2:
        return None
    key = supplier.astype(np.int64) * max(n_firms, 1) + customer
    descents = int(np.count_nonzero(key[1:] <= key[:-1]))
    if descents == 0:
        return None
    if descents <= e // MOSTLY_IN_ORDER:
        return np.asarray(np.argsort(key, kind="stable"))
    del key
    by_customer = counting_order(customer, n_firms)
    return np.asarray(by_customer[counting_order(supplier[by_customer], n_firms)])


@dataclass(frozen=True)
class Reverse:
    """CSR over customers of links sorted by supplier: ``indices`` are supplier rows and
    ``links`` the position of each entry in the supplier-sorted links."""

    indptr: IntArray
    indices: IndexArray
    links: IndexArray


def reverse_csr(out_indptr: IntArray, out_indices: IndexArray) -> Reverse:
    """The customer-side CSR of links sorted by supplier, then customer: scipy's CSR to CSC
    transposition, a counting sort that yields the supplier rows and link positions at once
    (half the time of sorting the link positions by customer and gathering suppliers).

    >>> r = reverse_csr(np.array([0, 2, 3, 3]), np.array([1, 2, 2], dtype=np.int32))
    >>> r.indptr.tolist(), r.indices.tolist(), r.links.tolist()
    ([0, 0, 1, 3], [0, 0, 1], [0, 1, 2])
    """
    n, e = len(out_indptr) - 1, len(out_indices)
    dtype = np.int32 if max(n, e) < 2**31 - 1 else np.int64
    by_customer = sparse.csr_array(
        (
            np.arange(e, dtype=dtype),
            np.asarray(out_indices, dtype=dtype),
            np.asarray(out_indptr, dtype=dtype),
        ),
        shape=(n, n),
    ).tocsc()  # stable: suppliers stay in order within a customer
    return Reverse(
        indptr=np.asarray(by_customer.indptr, dtype=np.int64),
        indices=np.asarray(by_customer.indices, dtype=np.int32),
        links=np.asarray(by_customer.data, dtype=np.int32),
    )


@dataclass(frozen=True)
class Memberships:
    """A view's memberships as a firm x segment CSR matrix of shares and, when made already,
    its transpose (:attr:`ChainView.membership_by_segment`)."""

    by_firm: sparse.csr_array
    by_segment: sparse.csr_array | None = None

    @classmethod
    def of(
        cls,
        n_firms: int,
        n_segments: int,
        firm: Sequence[int] | npt.NDArray[np.integer[Any]],
        segment: Sequence[int] | npt.NDArray[np.integer[Any]],
        share: Sequence[float] | FloatArray,
        *,
        transposed: bool = False,
    ) -> Memberships:
        """The matrix of (firm row, segment column, share) triples, a repeated pair summed;
        with ``transposed``, its segment x firm transpose too (a store makes it while it
        waits for the links: every analysis reads it).

        >>> m = Memberships.of(2, 3, [0, 1, 1], [2, 0, 0], [1.0, 0.25, 0.5])
        >>> m.by_firm.toarray().tolist()
        [[0.0, 0.0, 1.0], [0.75, 0.0, 0.0]]
        """
        by_firm = sparse.csr_array(
            (
                np.asarray(share, dtype=np.float64),
                (np.asarray(firm, dtype=np.int64), np.asarray(segment, dtype=np.int64)),
            ),
            shape=(n_firms, n_segments),
        )
        by_firm.sum_duplicates()
        return cls(by_firm, sparse.csr_array(by_firm.T) if transposed else None)


@dataclass(frozen=True)
class SortedLinks:
    """A view's links sorted by (supplier, customer): the CSR over suppliers and the
    attributes in that order (see :func:`sort_links`)."""

    out_indptr: IntArray
    out_indices: IndexArray
    share: FloatArray
    volume: FloatArray
    confidence: npt.NDArray[np.int8]
    last_seen: npt.NDArray[np.int32]
    times_seen: npt.NDArray[np.int16]


def sort_links(
    n_firms: int,
    supplier: Sequence[int] | IntArray | IndexArray,
    customer: Sequence[int] | IntArray | IndexArray,
    *,
    share: Sequence[float] | FloatArray | None = None,
    volume: Sequence[float] | FloatArray | None = None,
    confidence: Sequence[int] | npt.NDArray[np.int8] | None = None,
    last_seen: Sequence[int] | npt.NDArray[np.int32] | None = None,
    times_seen: Sequence[int] | npt.NDArray[np.int16] | None = None,
) -> SortedLinks:
    """The links between ``n_firms`` firm rows, given in any order, as a view holds them.
    Unknown attributes are NaN (share, volume), reported (confidence), -1 (last seen) and 0
    (times seen).

    >>> links = sort_links(3, [1, 0, 1], [2, 2, 0], volume=[5.0, 7.0, 9.0])
    >>> links.out_indptr.tolist(), links.out_indices.tolist(), links.volume.tolist()
    ([0, 1, 3, 3], [2, 0, 2], [7.0, 9.0, 5.0])
    """
    sup, cus = _firm_rows(supplier), _firm_rows(customer)
    e = len(sup)
    order = link_order(sup, cus, n_firms)

    def link(values: Any, dtype: Any, default: float) -> Any:
        arr = np.full(e, default, dtype=dtype) if values is None else np.asarray(values, dtype)
        return arr if order is None else arr[order]

    counts = np.bincount(sup, minlength=n_firms) if e else np.zeros(n_firms, dtype=np.int64)
    out_indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    out_indices = (cus if order is None else cus[order]).astype(np.int32, copy=False)
    del sup, cus
    return SortedLinks(
        out_indptr,
        out_indices,
        link(share, np.float64, np.nan),
        link(volume, np.float64, np.nan),
        link(confidence, np.int8, 0),
        link(last_seen, np.int32, -1),
        link(times_seen, np.int16, 0),
    )


@dataclass(eq=False)
class ChainView:
    """One chain and one home region as arrays (see the module docstring)."""

    chain: Chain | None
    home_region: str
    segment_ids: list[str]
    # firms, one row each
    ids: TextColumn
    names: TextColumn
    regions: npt.NDArray[np.object_]
    is_local: BoolArray
    revenue: FloatArray
    employees: FloatArray
    tag_bits: npt.NDArray[np.int64]
    energy_intensity: FloatArray
    env_rating: npt.NDArray[np.int8]
    rd_share: FloatArray
    investment_intensity: FloatArray  # 万元/亩, NaN when unknown
    tax_per_mu: FloatArray  # 万元/亩 per year, NaN when unknown
    # memberships: firm x segment, value = share of the firm's business
    membership: sparse.csr_array
    # supply links, sorted by (supplier, customer); CSR over suppliers
    out_indptr: IntArray
    out_indices: IndexArray
    link_share: FloatArray
    link_volume: FloatArray
    link_confidence: npt.NDArray[np.int8]
    link_last_seen: npt.NDArray[np.int32]  # days since 1970-01-01, -1 when unknown
    link_times_seen: npt.NDArray[np.int16]

    # -- the customer-side CSR, built on first use -------------------------------------------

    @cached_property
    def _reverse(self) -> Reverse:
        return reverse_csr(self.out_indptr, self.out_indices)

    @property
    def in_indptr(self) -> IntArray:
        """CSR over customers: the suppliers of firm ``c`` are
        ``in_indices[in_indptr[c]:in_indptr[c + 1]]`` (built on first use)."""
        return self._reverse.indptr

    @property
    def in_indices(self) -> IndexArray:
        """Supplier rows of the customer-side CSR (built on first use)."""
        return self._reverse.indices

    @property
    def in_links(self) -> IndexArray:
        """The link index of each entry of the customer-side CSR (built on first use)."""
        return self._reverse.links

    @property
    def has_reverse(self) -> bool:
        """Whether the customer-side CSR is built (reading ``in_*`` builds it)."""
        return "_reverse" in self.__dict__

    def in_degree_of(self, rows: IntArray) -> IntArray:
        """The number of links into each of ``rows`` (distinct rows): their suppliers, counted
        without building the customer-side CSR."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.has_reverse:
            return self.in_indptr[rows + 1] - self.in_indptr[rows]
        into = self.out_indices[self.links_into(rows, build=False)]
        return np.bincount(into, minlength=self.n_firms)[rows]

    # -- sizes -------------------------------------------------------------------------------

    @property
    def n_firms(self) -> int:
        return len(self.ids)

    @property
    def n_segments(self) -> int:
        return len(self.segment_ids)

    @property
    def n_links(self) -> int:
        return len(self.out_indices)

    def nbytes(self) -> int:
        """Bytes held by the numeric arrays (strings not counted)."""
        arrays = [
            self.is_local, self.revenue, self.employees, self.tag_bits, self.energy_intensity,
            self.env_rating, self.rd_share, self.investment_intensity, self.tax_per_mu,
            self.out_indptr, self.out_indices, self.link_share,
            self.link_volume, self.link_confidence, self.link_last_seen, self.link_times_seen,
            self.membership.data, self.membership.indices, self.membership.indptr,
        ]  # fmt: skip
        if self.has_reverse:
            arrays += [self.in_indptr, self.in_indices, self.in_links]
        return int(sum(a.nbytes for a in arrays))

    # -- lookups -----------------------------------------------------------------------------

    @cached_property
    def _index(self) -> dict[str, int]:
        return {str(i): k for k, i in enumerate(self.ids)}

    def index_of(self, enterprise_id: str) -> int:
        """Row of an enterprise id (``KeyError`` when it is not in the view)."""
        return self._index[enterprise_id]

    def rows_of(self, enterprise_ids: Sequence[str]) -> list[int]:
        """Rows of these enterprise ids; ``NotFoundError`` names the first one the view lacks."""
        rows = []
        for firm in enterprise_ids:
            try:
                rows.append(self._index[firm])
            except KeyError:
                chain = self.chain.id if self.chain else "this view"
                raise NotFoundError(
                    "enterprise", firm, where=f"the segments of chain {chain}",
                    hint="Check the id: `chainscout targets` and `chainscout leaders` show ids.",
                ) from None  # fmt: skip
        return rows

    def segment_index(self, segment_id: str) -> int:
        """Column of a segment id; ``NotFoundError`` when the chain has no such segment."""
        try:
            return self.segment_ids.index(segment_id)
        except ValueError:
            chain = self.chain.id if self.chain else "this view"
            raise NotFoundError(
                "segment", segment_id, where=f"chain {chain}",
                hint=f"Its segments: {', '.join(self.segment_ids[:8])}"
                + ("…" if len(self.segment_ids) > 8 else "") + ".",
            ) from None  # fmt: skip

    @cached_property
    def supplier_of_link(self) -> IndexArray:
        """Supplier row of each link (links are sorted by supplier)."""
        return np.repeat(np.arange(self.n_firms, dtype=np.int32), np.diff(self.out_indptr))

    def links_touching(self, rows: IntArray) -> IntArray:
        """Indices of every link with a supplier or a customer in ``rows``, each once."""
        out_pos = csr_positions(self.out_indptr, rows)
        in_pos = csr_positions(self.in_indptr, rows)
        return np.unique(np.concatenate([out_pos, self.in_links[in_pos].astype(np.int64)]))

    def links_into(self, rows: IntArray, *, build: bool = True) -> IntArray:
        """Indices of the links whose customer is one of ``rows`` (distinct rows), ascending.

        Read from the customer-side CSR, which is built first if need be; with ``build=False``
        and no CSR yet, from one pass over the links instead (a few milliseconds a million
        links), which is what an analysis of many firms at once wants.

        >>> v = ChainView.from_arrays(chain=None, home_region="CN", ids=["a", "b", "c"],
        ...     segment_ids=[], supplier=[0, 1, 2], customer=[2, 2, 0])
        >>> v.links_into(np.array([2]), build=False).tolist(), v.has_reverse
        ([0, 1], False)
        >>> v.links_into(np.array([0, 2])).tolist(), v.has_reverse
        ([0, 1, 2], True)
        """
        rows = np.asarray(rows, dtype=np.int64)
        if build or self.has_reverse:
            into = self.in_links[csr_positions(self.in_indptr, rows)]
            return np.sort(into).astype(np.int64, copy=False)
        wanted = np.zeros(self.n_firms, dtype=bool)
        wanted[rows] = True
        if len(rows) and self.is_local[rows].all():  # local firms: read once for all asks
            into_local, n_local = self._links_into_local
            return (
                into_local
                if len(rows) == n_local
                else into_local[wanted[self.out_indices[into_local]]]
            )
        return np.flatnonzero(wanted[self.out_indices])

    @cached_property
    def _links_into_local(self) -> tuple[IntArray, int]:
        """The links into local firms (one pass over the links), and the number of local firms:
        the leakage, the chain leaders and the pull of targets all read them."""
        return np.flatnonzero(self.is_local[self.out_indices]), int(self.is_local.sum())

    def partners_of(self, rows: IntArray, *, build: bool = True) -> IndexArray:
        """Rows at the other end of every link of ``rows`` (distinct rows): their customers,
        then their suppliers, one entry per link (a partner of several rows appears again).
        ``build``: as for :meth:`links_into`."""
        customers = self.out_indices[csr_positions(self.out_indptr, rows)]
        if build or self.has_reverse:
            suppliers = self.in_indices[csr_positions(self.in_indptr, rows)]
        else:
            suppliers = self.supplier_of_link[self.links_into(rows, build=False)]
        return np.concatenate([customers, suppliers])

    def suppliers_of(self, firm: int) -> IndexArray:
        """Rows of the firms that supply ``firm``."""
        return self.in_indices[self.in_indptr[firm] : self.in_indptr[firm + 1]]

    def customers_of(self, firm: int) -> IndexArray:
        """Rows of the firms that ``firm`` supplies."""
        return self.out_indices[self.out_indptr[firm] : self.out_indptr[firm + 1]]

    def firms_in_segment(self, segment: int) -> IntArray:
        """Rows of the firms with a membership in segment column ``segment``."""
        col = self.membership_by_segment
        rows: IntArray = np.asarray(
            col.indices[col.indptr[segment] : col.indptr[segment + 1]], np.int64
        )
        return rows

    @cached_property
    def membership_by_segment(self) -> sparse.csr_array:
        """Memberships transposed: segment x firm, CSR."""
        return sparse.csr_array(self.membership.T)  # as Memberships.of makes it

    @cached_property
    def adjacency(self) -> sparse.csr_array:
        """Supplier x customer adjacency, ones (CSR)."""
        n = self.n_firms
        data = np.ones(self.n_links, dtype=np.float64)
        return sparse.csr_array((data, self.out_indices, self.out_indptr), shape=(n, n))

    def to_networkx(self) -> nx.DiGraph:
        """A DiGraph of the view (nodes are rows, with ``id``/``name``/``local``), built once.

        Use it for bounded work networkx does well (shortest paths, articulation points); keep
        whole-view scoring on the arrays.
        """
        return self._digraph

    @cached_property
    def _digraph(self) -> nx.DiGraph:
        import networkx as nx

        g = nx.DiGraph()
        ids, names = self.ids.objects, self.names.objects
        g.add_nodes_from(
            (i, {"id": str(ids[i]), "name": str(names[i]), "local": bool(self.is_local[i])})
            for i in range(self.n_firms)
        )
        g.add_edges_from(
            zip(self.supplier_of_link.tolist(), self.out_indices.tolist(), strict=True)
        )
        return g

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_arrays(
        cls,
        *,
        chain: Chain | None,
        home_region: str,
        ids: TextSource,
        segment_ids: Sequence[str],
        member_firm: Sequence[int] | IntArray = (),
        member_segment: Sequence[int] | IntArray = (),
        member_share: Sequence[float] | FloatArray = (),
        supplier: Sequence[int] | IntArray | IndexArray | None = None,
        customer: Sequence[int] | IntArray | IndexArray | None = None,
        names: TextSource | None = None,
        regions: Sequence[str | None] | npt.NDArray[np.object_] | None = None,
        revenue: Sequence[float] | FloatArray | None = None,
        employees: Sequence[float] | FloatArray | None = None,
        tag_bits: Sequence[int] | npt.NDArray[np.int64] | None = None,
        energy_intensity: Sequence[float] | FloatArray | None = None,
        env_rating: Sequence[int] | npt.NDArray[np.int8] | None = None,
        rd_share: Sequence[float] | FloatArray | None = None,
        investment_intensity: Sequence[float] | FloatArray | None = None,
        tax_per_mu: Sequence[float] | FloatArray | None = None,
        is_local: Sequence[bool] | BoolArray | None = None,
        link_share: Sequence[float] | FloatArray | None = None,
        link_volume: Sequence[float] | FloatArray | None = None,
        link_confidence: Sequence[int] | npt.NDArray[np.int8] | None = None,
        link_last_seen: Sequence[int] | npt.NDArray[np.int32] | None = None,
        link_times_seen: Sequence[int] | npt.NDArray[np.int16] | None = None,
        links: SortedLinks | None = None,
        memberships: Memberships | None = None,
    ) -> ChainView:
        """Build a view from row-aligned arrays; links in any order (they are sorted here), or
        ``links`` sorted already by :func:`sort_links` (a store sorts them on another thread
        while it reads the firms) instead of ``supplier``, ``customer`` and ``link_*``; and
        ``memberships`` made already instead of ``member_*``.

        ``is_local`` may be given when the caller computed it already (a store, in its query);
        otherwise it is computed from ``regions`` and ``home_region``. Ids and names may be
        Arrow arrays: they stay Arrow until read in full (see :class:`TextColumn`)."""
        n = len(ids)
        nan = np.full(n, np.nan)

        def floats(values: Any, size: int) -> FloatArray:
            if values is None:
                return np.full(size, np.nan)
            return np.asarray(values, dtype=np.float64)

        region_arr = np.asarray(regions if regions is not None else [None] * n, dtype=object)
        if links is None:
            if supplier is None or customer is None:
                raise TypeError("from_arrays needs supplier and customer, or links")
            links = sort_links(
                n,
                supplier,
                customer,
                share=link_share,
                volume=link_volume,
                confidence=link_confidence,
                last_seen=link_last_seen,
                times_seen=link_times_seen,
            )
        elif len(links.out_indptr) != n + 1:
            raise ValueError(f"links sorted for {len(links.out_indptr) - 1} firms, not {n}")
        if memberships is None:
            memberships = Memberships.of(
                n, len(segment_ids), member_firm, member_segment, member_share
            )
        elif memberships.by_firm.shape != (n, len(segment_ids)):
            raise ValueError(
                f"memberships of shape {memberships.by_firm.shape}, not {(n, len(segment_ids))}"
            )
        view = cls(
            chain=chain,
            home_region=home_region,
            segment_ids=list(segment_ids),
            ids=TextColumn(ids),
            names=TextColumn(names if names is not None else ids),
            regions=region_arr,
            is_local=local_mask(region_arr, home_region)
            if is_local is None
            else np.asarray(is_local, dtype=bool),
            revenue=floats(revenue, n),
            employees=floats(employees, n),
            tag_bits=np.zeros(n, np.int64) if tag_bits is None else np.asarray(tag_bits, np.int64),
            energy_intensity=floats(energy_intensity, n) if energy_intensity is not None else nan,
            env_rating=np.zeros(n, np.int8)
            if env_rating is None
            else np.asarray(env_rating, np.int8),
            rd_share=floats(rd_share, n),
            investment_intensity=floats(investment_intensity, n),
            tax_per_mu=floats(tax_per_mu, n),
            membership=memberships.by_firm,
            out_indptr=links.out_indptr,
            out_indices=links.out_indices,
            link_share=links.share,
            link_volume=links.volume,
            link_confidence=links.confidence,
            link_last_seen=links.last_seen,
            link_times_seen=links.times_seen,
        )
        if memberships.by_segment is not None:
            view.__dict__["membership_by_segment"] = memberships.by_segment
        return view

    def with_local(self, rows: Sequence[int] | IntArray) -> ChainView:
        """A copy of the view in which the firms at ``rows`` count as local too (what-if:
        "we land these firms"). Arrays are shared, not copied, except ``is_local``."""
        clone = copy.copy(self)
        clone.__dict__.pop("_digraph", None)
        clone.__dict__.pop("_links_into_local", None)
        local = self.is_local.copy()
        local[np.asarray(rows, dtype=np.int64)] = True
        clone.is_local = local
        return clone

    def is_local_region(self, region: str | None) -> bool:
        """Whether one region code lies inside this view's home region."""
        return is_within(region, self.home_region)
