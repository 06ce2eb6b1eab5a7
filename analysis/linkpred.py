"""Supply-link prediction on a dated supply network: which supplier-customer links appear next.

The input is a :class:`DatedLinks`: one row per (supplier, customer, snapshot) sighting, the
snapshots being dated reports of the same network (e.g. half-year disclosures). Everything here
is a pure function of such arrays: vectorised over pairs with numpy and scipy sparse, no I/O,
deterministic for a given seed.

Features (:data:`FEATURES`), all measured relative to the last snapshot ``t`` of the network they
are given, so that one fitted model applies to any later window:

- **timing**: snapshots since the pair was last seen (``gap``) and since first seen (``age``),
  an exponentially weighted sighting count (half-life one snapshot), and the sighting history
  smoothed with decays 0.1, 0.5 and 0.7;
- **persistence**: how many snapshots held the pair, the share of snapshots since its first
  sighting that held it, the current streak, the number of separate runs, and whether it was
  present in each of the last ten snapshots;
- **degrees**: each firm's out- and in-degree in the last four snapshots, whether it appeared
  at all in each of the last six (and a smoothed count of them), the share of its snapshots in
  which it appeared, the share of its links kept from one snapshot to the next (``t-1`` to
  ``t``, ``t-2`` to ``t-1``) and from a year before (``t-2`` to ``t``, ``t-3`` to ``t-1``),
  its partners so far and the share of them present at ``t``;
- **shared partners**: over the union of all snapshots, common neighbours and Adamic-Adar and
  resource-allocation indices on the undirected graph, two-step supply paths
  ``supplier -> x -> customer``, preferential attachment (supplier out-degree times customer
  in-degree) and whether the reverse link was ever seen.

The learned combination (:func:`fit_link_model`) is three gradient-boosted tree models: one for
pairs seen before, one for never-seen pairs of known firms (the candidates a search near a firm
finds), and one for never-seen pairs of any two firms, either perhaps new to the network (the
pairs a list of links is measured against when non-links are drawn at random). All are fitted
on *earlier windows only*: for every snapshot ``w`` up to the last training snapshot, features
from snapshots up to ``w - h`` (``h`` the forecast horizon) are labelled by snapshot ``w``.
Applied to the network up to the last training snapshot, it predicts ``h`` snapshots ahead; no
row of the target snapshot is read.
A seen pair's score is the mean of two ranks among the pairs scored: by the seen-pair trees and
by its smoothed sighting history (:func:`smoothed_history`, the decay chosen on the latest
training window). Reports can differ by season (an annual report lists more suppliers than a
half-year one), so the seen-pair trees are fitted either on every window or only on the
windows a whole number of years before the target, whichever ranks the last training window
better when fitted on the windows before it; the same rule decides for any split.

Candidates: every pair seen before is scored. Never-seen pairs cannot all be scored (N² of
them), so :func:`sample_new_pairs` draws a bounded set: half two-hop pairs (firms with a common
partner, the pairs shared-partner indices can rank) and half uniform pairs of a firm that has
supplied and a firm that has bought, never seen together. Sampling is seeded.

Example:
    >>> links = DatedLinks.from_arrays(
    ...     supplier=[0, 0, 1, 0, 1, 2], customer=[1, 2, 2, 1, 2, 0], snapshot=[0, 0, 0, 1, 1, 1],
    ...     dates=["2020-06-30", "2020-12-31"])
    >>> links.n_snapshots, links.n_nodes, links.keys_at(1).tolist()
    (2, 3, [1, 5, 6])
    >>> f = pair_features(links, np.array([0, 0]), np.array([1, 2]))
    >>> f[:, FEATURES.index("gap")].tolist(), f[:, FEATURES.index("times_seen")].tolist()
    ([0.0, 1.0], [2.0, 1.0])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from scipy import sparse

from chainscout.graph.errors import BadInputError

from ._metrics import roc_auc

__all__ = [
    "FEATURES",
    "DatedLinks",
    "LinkModel",
    "LinkPrediction",
    "PairHistory",
    "PairScore",
    "adamic_adar",
    "common_neighbours",
    "fit_link_model",
    "pair_features",
    "pair_history",
    "predict_links",
    "preferential_attachment",
    "resource_allocation",
    "sample_any_pairs",
    "sample_new_pairs",
    "smoothed_history",
    "two_step_paths",
]

#: Which never-seen pairs a score is for: pairs of known firms, or pairs of any two firms.
NewPairs = Literal["known", "any"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: How many of the most recent snapshots get a presence flag of their own.
RECENT_FLAGS = 10

#: How many of the most recent snapshots get a per-firm degree (both roles) of their own.
DEGREE_LAGS = 4

#: How many of the most recent snapshots get a per-firm activity flag of their own.
ACTIVITY_LAGS = 6

#: Decays of the smoothed sighting histories given to the trees as features.
SMOOTHING_FEATURES = (0.1, 0.5, 0.7)

#: Names of the columns of :func:`pair_features`, in order.
FEATURES: tuple[str, ...] = (
    # timing and persistence of the pair
    "gap",
    "age",
    "times_seen",
    "seen_share",
    "streak",
    "runs",
    "recency_weighted",
    *(f"seen_lag{k}" for k in range(RECENT_FLAGS)),
    # degrees and activity of the two firms
    "supplier_out_degree",
    "supplier_out_degree_prev",
    "customer_in_degree",
    "customer_in_degree_prev",
    "supplier_active",
    "supplier_active_prev",
    "customer_active",
    "customer_active_prev",
    "supplier_active_share",
    "customer_active_share",
    "supplier_retention",
    "customer_retention",
    # more of the same, further back and in the other role
    *(f"supplier_out_degree_lag{k}" for k in range(2, DEGREE_LAGS)),
    *(f"customer_in_degree_lag{k}" for k in range(2, DEGREE_LAGS)),
    *(f"supplier_in_degree_lag{k}" for k in range(DEGREE_LAGS)),
    *(f"customer_out_degree_lag{k}" for k in range(DEGREE_LAGS)),
    *(f"supplier_active_lag{k}" for k in range(2, ACTIVITY_LAGS)),
    *(f"customer_active_lag{k}" for k in range(2, ACTIVITY_LAGS)),
    "supplier_activity_weighted",
    "customer_activity_weighted",
    "supplier_retention_yoy",
    "customer_retention_yoy",
    "supplier_retention_prev",
    "customer_retention_prev",
    "supplier_retention_yoy_prev",
    "customer_retention_yoy_prev",
    "supplier_partners",
    "customer_partners",
    "supplier_links_now",
    "customer_links_now",
    *(f"smoothed_{d}" for d in SMOOTHING_FEATURES),
    # shared partners over the union of snapshots
    "common_neighbours",
    "adamic_adar",
    "resource_allocation",
    "two_step_paths",
    "preferential_attachment",
    "reverse_seen",
)


def _unique(values: IntArray) -> IntArray:
    """Sorted distinct values (a sort and a mask: faster here than ``np.unique`` on int64)."""
    arr = np.sort(np.asarray(values, dtype=np.int64), kind="stable")
    if len(arr) < 2:
        return arr
    keep = np.empty(len(arr), dtype=bool)
    keep[0] = True
    np.not_equal(arr[1:], arr[:-1], out=keep[1:])
    return arr[keep]


def _member(values: IntArray, sorted_keys: IntArray) -> BoolArray:
    """Whether each value occurs in ``sorted_keys`` (sorted, distinct): a binary search."""
    values = np.asarray(values, dtype=np.int64)
    if len(sorted_keys) == 0:
        return np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return np.asarray(sorted_keys[pos] == values)


def _ints(values: Any, what: str) -> IntArray:
    arr = np.asarray(values)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise BadInputError.at("must be integers", field=what)
    return np.asarray(arr, dtype=np.int64).reshape(-1)


@dataclass(frozen=True, eq=False)
class DatedLinks:
    """A dated supply network: link ``i`` from ``supplier[i]`` to ``customer[i]`` was seen in
    snapshot ``snapshot[i]`` (an index into ``dates``, oldest first). No self-loops, no
    duplicate sightings; firms are ``0..n_nodes-1``. Build with :meth:`from_arrays`."""

    supplier: IntArray
    customer: IntArray
    snapshot: IntArray
    dates: tuple[dt.date, ...]
    n_nodes: int

    @classmethod
    def from_arrays(
        cls,
        *,
        supplier: Sequence[int] | IntArray,
        customer: Sequence[int] | IntArray,
        snapshot: Sequence[int] | IntArray,
        dates: Sequence[dt.date | str],
        n_nodes: int | None = None,
    ) -> DatedLinks:
        """Validate and normalise: sorted by (snapshot, supplier, customer), duplicates merged.

        Raises :class:`BadInputError` for unequal lengths, negative ids, self-loops, snapshot
        indices outside ``dates`` or dates that do not increase."""
        sup, cus, snap = (
            _ints(supplier, "supplier"),
            _ints(customer, "customer"),
            _ints(snapshot, "snapshot"),
        )
        if not len(sup) == len(cus) == len(snap):
            raise BadInputError("supplier, customer and snapshot must have the same length")
        days = tuple(d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for d in dates)
        if any(b <= a for a, b in pairwise(days)):
            raise BadInputError("snapshot dates must increase strictly")
        if len(sup) and (min(sup.min(), cus.min()) < 0):
            raise BadInputError.at("firm ids must be non-negative", field="supplier/customer")
        if len(snap) and (snap.min() < 0 or snap.max() >= len(days)):
            raise BadInputError.at("snapshot index outside the dates given", field="snapshot")
        loops = np.flatnonzero(sup == cus)
        if len(loops):
            raise BadInputError.at(
                f"{len(loops)} self-loop(s), e.g. firm {int(sup[loops[0]])}: drop them first",
                field="supplier/customer",
            )
        top = int(max(sup.max(), cus.max())) + 1 if len(sup) else 0
        n = top if n_nodes is None else int(n_nodes)
        if n < top:
            raise BadInputError(f"n_nodes={n} but firm id {top - 1} occurs")
        key = _unique((snap * max(n, 1) + sup) * max(n, 1) + cus)
        n2 = max(n, 1) ** 2
        return cls(
            supplier=(key % n2) // max(n, 1),
            customer=key % max(n, 1),
            snapshot=key // n2,
            dates=days,
            n_nodes=n,
        )

    @property
    def n_snapshots(self) -> int:
        return len(self.dates)

    @property
    def last(self) -> int:
        """Index of the last snapshot (-1 for a network with no snapshots)."""
        return len(self.dates) - 1

    def index_of(self, date: dt.date) -> int:
        """Index of the snapshot dated ``date``; a :class:`BadInputError` listing the dates
        when there is none."""
        try:
            return self.dates.index(date)
        except ValueError:
            shown = ", ".join(d.isoformat() for d in self.dates)
            raise BadInputError(f"no snapshot dated {date.isoformat()}; have {shown}") from None

    def until(self, t: int) -> DatedLinks:
        """The network as known at snapshot ``t``: snapshots ``0..t`` only (same firm ids).

        Every feature is computed on such a prefix, which is what keeps a later snapshot from
        leaking into a prediction."""
        if t < -1 or t > self.last:
            raise BadInputError(f"snapshot index {t} outside 0..{self.last}")
        keep = self.snapshot <= t
        return DatedLinks(
            self.supplier[keep],
            self.customer[keep],
            self.snapshot[keep],
            self.dates[: t + 1],
            self.n_nodes,
        )

    def pair_keys(self, supplier: IntArray, customer: IntArray) -> IntArray:
        """One integer per (supplier, customer) pair: ``supplier * n_nodes + customer``."""
        return np.asarray(supplier, np.int64) * self.n_nodes + np.asarray(customer, np.int64)

    def keys_at(self, t: int) -> IntArray:
        """Sorted pair keys of the links in snapshot ``t``."""
        keep = self.snapshot == t
        return _unique(self.pair_keys(self.supplier[keep], self.customer[keep]))

    def seen_keys(self) -> IntArray:
        """Sorted pair keys of every pair seen in any snapshot."""
        return _unique(self.pair_keys(self.supplier, self.customer))


@dataclass(frozen=True, eq=False)
class PairHistory:
    """Which snapshot held which pair: ``presence[i, t]`` for pair ``keys[i]`` (sorted)."""

    keys: IntArray
    presence: npt.NDArray[np.bool_]


def pair_history(links: DatedLinks) -> PairHistory:
    """Presence matrix of every pair seen in ``links``, one column per snapshot."""
    all_keys = links.pair_keys(links.supplier, links.customer)
    keys = _unique(all_keys)
    inverse = np.searchsorted(keys, all_keys)
    presence = np.zeros((len(keys), links.n_snapshots), dtype=bool)
    presence[inverse, links.snapshot] = True
    return PairHistory(keys=keys, presence=presence)


# -- shared partners -------------------------------------------------------------------------


def _union_adjacency(links: DatedLinks) -> sparse.csr_array:
    """Supplier x customer adjacency (ones) of the union of all snapshots."""
    keys = links.seen_keys()
    n = links.n_nodes
    return sparse.csr_array(
        (np.ones(len(keys)), (keys // max(n, 1), keys % max(n, 1))), shape=(n, n)
    )


def _undirected(adj: sparse.csr_array) -> sparse.csr_array:
    both = (adj + adj.T).tocsr()
    both.data[:] = 1.0
    return both


def _rowwise(
    left: sparse.csr_array,
    right: sparse.csr_array,
    u: IntArray,
    v: IntArray,
    weights: FloatArray | None = None,
    batch: int = 50_000,
) -> FloatArray:
    """``sum_z left[u_i, z] * right[v_i, z] * weights[z]`` for each pair, in bounded batches."""
    out = np.zeros(len(u))
    for start in range(0, len(u), batch):
        stop = start + batch
        prod = left[u[start:stop]].multiply(right[v[start:stop]])
        prod = sparse.csr_array(prod)
        if weights is not None:
            out[start:stop] = prod @ weights
        else:
            out[start:stop] = np.asarray(prod.sum(axis=1)).ravel()
    return out


def common_neighbours(links: DatedLinks, u: IntArray, v: IntArray) -> FloatArray:
    """Firms that trade (either way) with both ``u`` and ``v`` in any snapshot."""
    m = _undirected(_union_adjacency(links))
    return _rowwise(m, m, np.asarray(u), np.asarray(v))


def adamic_adar(links: DatedLinks, u: IntArray, v: IntArray) -> FloatArray:
    """Adamic-Adar: common partners weighted by 1/log(degree), on the undirected union."""
    m = _undirected(_union_adjacency(links))
    return _rowwise(m, m, np.asarray(u), np.asarray(v), _inverse_log_degree(m))


def resource_allocation(links: DatedLinks, u: IntArray, v: IntArray) -> FloatArray:
    """Resource allocation: common partners weighted by 1/degree, on the undirected union."""
    m = _undirected(_union_adjacency(links))
    return _rowwise(m, m, np.asarray(u), np.asarray(v), _inverse_degree(m))


def two_step_paths(links: DatedLinks, u: IntArray, v: IntArray) -> FloatArray:
    """Supply paths ``u -> x -> v`` (u supplies a supplier of v), over the union."""
    a = _union_adjacency(links)
    return _rowwise(a, sparse.csr_array(a.T), np.asarray(u), np.asarray(v))


def preferential_attachment(links: DatedLinks, u: IntArray, v: IntArray) -> FloatArray:
    """Preferential attachment in the supply direction: out-degree(u) x in-degree(v), union."""
    a = _union_adjacency(links)
    out_deg = np.diff(a.indptr).astype(np.float64)
    in_deg = np.bincount(a.indices, minlength=links.n_nodes).astype(np.float64)
    return np.asarray(out_deg[np.asarray(u)] * in_deg[np.asarray(v)])


def _inverse_log_degree(m: sparse.csr_array) -> FloatArray:
    deg = np.diff(m.indptr).astype(np.float64)
    with np.errstate(divide="ignore"):
        w = 1.0 / np.log(deg)
    w[deg < 2] = 0.0  # a common partner has degree >= 2; guard the log anyway
    return np.asarray(w)


def _inverse_degree(m: sparse.csr_array) -> FloatArray:
    deg = np.diff(m.indptr).astype(np.float64)
    return np.asarray(np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0))


# -- features --------------------------------------------------------------------------------


def _node_activity(links: DatedLinks) -> dict[str, FloatArray]:
    """Per-firm degrees and activity in the latest snapshots, and over all snapshots.

    Keys: ``out``/``in`` and ``out_prev``/``in_prev`` (degrees at ``t`` and ``t-1``),
    ``out_lag{k}``/``in_lag{k}`` for ``k < DEGREE_LAGS``, ``active``/``active_prev`` and
    ``active_lag{k}`` for ``k < ACTIVITY_LAGS``, ``activity_weighted`` (activity smoothed with
    decay 0.5), ``active_share``, and retention rates of each firm's links as a supplier and as
    a customer: ``retention_*`` (``t-1`` to ``t``, 0 without links at ``t-1``), and ``_yoy``
    (``t-2`` to ``t``), ``_prev`` (``t-2`` to ``t-1``), ``_yoy_prev`` (``t-3`` to ``t-1``),
    those three -1 when the firm had no link at the earlier snapshot."""
    n, t = links.n_nodes, links.last
    out: dict[str, FloatArray] = {}
    for lag in range(max(DEGREE_LAGS, ACTIVITY_LAGS)):
        at = links.snapshot == t - lag
        if lag < DEGREE_LAGS:
            out[f"out_lag{lag}"] = np.bincount(links.supplier[at], minlength=n).astype(np.float64)
            out[f"in_lag{lag}"] = np.bincount(links.customer[at], minlength=n).astype(np.float64)
        if lag < ACTIVITY_LAGS:
            active = np.zeros(n)
            active[links.supplier[at]] = 1.0
            active[links.customer[at]] = 1.0
            out[f"active_lag{lag}"] = active
    for tag, lag in (("", 0), ("_prev", 1)):
        out[f"out{tag}"] = out[f"out_lag{lag}"]
        out[f"in{tag}"] = out[f"in_lag{lag}"]
        out[f"active{tag}"] = out[f"active_lag{lag}"]
    # snapshots in which each firm appears, over snapshots since it first appeared
    firm = np.concatenate((links.supplier, links.customer))
    snap = np.concatenate((links.snapshot, links.snapshot))
    pairs = _unique(firm * max(links.n_snapshots, 1) + snap)
    firm_of, snap_of = pairs // max(links.n_snapshots, 1), pairs % max(links.n_snapshots, 1)
    count = np.bincount(firm_of, minlength=n).astype(np.float64)
    first = np.full(n, t + 1, dtype=np.int64)
    np.minimum.at(first, firm_of, snap_of)
    span = (t - first + 1).astype(np.float64)
    out["active_share"] = np.divide(count, span, out=np.zeros(n), where=span > 0)
    recency = np.power(0.5, (t - snap_of).astype(np.float64))
    out["activity_weighted"] = np.bincount(firm_of, weights=recency, minlength=n).astype(np.float64)
    for tag, a, b, missing in (
        ("", t - 1, t, 0.0),
        ("_yoy", t - 2, t, -1.0),
        ("_prev", t - 2, t - 1, -1.0),
        ("_yoy_prev", t - 3, t - 1, -1.0),
    ):
        for side, rate in zip(
            ("supplier", "customer"), _retention(links, a, b, missing), strict=True
        ):
            out[f"retention_{side}{tag}"] = rate
    return out


def _retention(links: DatedLinks, a: int, b: int, missing: float) -> tuple[FloatArray, FloatArray]:
    """Share of each firm's links of snapshot ``a`` present again at ``b``, as a supplier and as
    a customer; ``missing`` for a firm with no link at ``a`` (or when ``a`` is before the first
    snapshot)."""
    n = links.n_nodes
    prev = links.keys_at(a) if a >= 0 else np.zeros(0, np.int64)
    kept = _member(prev, links.keys_at(b)).astype(np.float64)
    rates = []
    for ids in (prev // max(n, 1), prev % max(n, 1)):
        total = np.bincount(ids, minlength=n).astype(np.float64)
        stay = np.bincount(ids, weights=kept, minlength=n)
        rates.append(np.divide(stay, total, out=np.full(n, missing), where=total > 0))
    return rates[0], rates[1]


def _timing(presence: npt.NDArray[np.bool_]) -> dict[str, FloatArray]:
    """Timing and persistence columns from a presence matrix (pairs x snapshots)."""
    n_pairs, n_snap = presence.shape
    idx = np.arange(n_snap)
    t = n_snap - 1
    last = np.where(presence, idx, -1).max(axis=1, initial=-1)
    first = np.where(presence, idx, n_snap).min(axis=1, initial=n_snap)
    count = presence.sum(axis=1).astype(np.float64)
    span = np.maximum(t - first + 1, 1).astype(np.float64)
    reverse = presence[:, ::-1]
    streak = np.where(reverse.all(axis=1), n_snap, np.argmin(reverse, axis=1)) if n_snap else 0
    starts = presence.copy()
    starts[:, 1:] &= ~presence[:, :-1]
    cols: dict[str, FloatArray] = {
        "gap": (t - last).astype(np.float64),
        "age": (t - first).astype(np.float64),
        "times_seen": count,
        "seen_share": count / span,
        "streak": np.asarray(streak, dtype=np.float64) * np.ones(n_pairs),
        "runs": starts.sum(axis=1).astype(np.float64),
        "recency_weighted": presence.astype(np.float64) @ (0.5 ** (t - idx)),
    }
    for k in range(RECENT_FLAGS):
        cols[f"seen_lag{k}"] = (
            presence[:, t - k].astype(np.float64) if t - k >= 0 else np.zeros(n_pairs)
        )
    return cols


def pair_features(
    links: DatedLinks,
    supplier: IntArray,
    customer: IntArray,
    *,
    history: PairHistory | None = None,
) -> FloatArray:
    """Feature matrix (pairs x :data:`FEATURES`) of the pairs ``supplier[i] -> customer[i]``,
    computed from ``links`` alone, relative to its last snapshot.

    A pair never seen gets ``gap`` = number of snapshots (further back than any seen pair) and
    zeros for the other timing and persistence columns."""
    u = np.asarray(supplier, dtype=np.int64)
    v = np.asarray(customer, dtype=np.int64)
    hist = history if history is not None else pair_history(links)
    keys = links.pair_keys(u, v)
    pos = np.searchsorted(hist.keys, keys)
    pos_clipped = np.minimum(pos, max(len(hist.keys) - 1, 0))
    seen = (
        (pos < len(hist.keys)) & (hist.keys[pos_clipped] == keys)
        if len(hist.keys)
        else (np.zeros(len(keys), dtype=bool))
    )
    timing = _timing(hist.presence[pos_clipped[seen]]) if len(hist.keys) else {}
    cols: dict[str, FloatArray] = {}
    for name in FEATURES[: 7 + RECENT_FLAGS]:
        col = np.full(len(u), float(links.n_snapshots) if name == "gap" else 0.0)
        if name in timing:
            col[seen] = timing[name]
        cols[name] = col
    node = _node_activity(links)
    cols.update(
        supplier_out_degree=node["out"][u],
        supplier_out_degree_prev=node["out_prev"][u],
        customer_in_degree=node["in"][v],
        customer_in_degree_prev=node["in_prev"][v],
        supplier_active=node["active"][u],
        supplier_active_prev=node["active_prev"][u],
        customer_active=node["active"][v],
        customer_active_prev=node["active_prev"][v],
        supplier_active_share=node["active_share"][u],
        customer_active_share=node["active_share"][v],
        supplier_retention=node["retention_supplier"][u],
        customer_retention=node["retention_customer"][v],
        supplier_activity_weighted=node["activity_weighted"][u],
        customer_activity_weighted=node["activity_weighted"][v],
    )
    for k in range(DEGREE_LAGS):
        if k >= 2:
            cols[f"supplier_out_degree_lag{k}"] = node[f"out_lag{k}"][u]
            cols[f"customer_in_degree_lag{k}"] = node[f"in_lag{k}"][v]
        cols[f"supplier_in_degree_lag{k}"] = node[f"in_lag{k}"][u]
        cols[f"customer_out_degree_lag{k}"] = node[f"out_lag{k}"][v]
    for k in range(2, ACTIVITY_LAGS):
        cols[f"supplier_active_lag{k}"] = node[f"active_lag{k}"][u]
        cols[f"customer_active_lag{k}"] = node[f"active_lag{k}"][v]
    for tag in ("_yoy", "_prev", "_yoy_prev"):
        cols[f"supplier_retention{tag}"] = node[f"retention_supplier{tag}"][u]
        cols[f"customer_retention{tag}"] = node[f"retention_customer{tag}"][v]
    # each firm's pairs seen so far, and the share of them present in the last snapshot
    n = links.n_nodes
    now = (
        hist.presence[:, links.last].astype(np.float64)
        if links.n_snapshots
        else np.zeros(len(hist.keys))
    )
    for side, ids, firms in (
        ("supplier", hist.keys // max(n, 1), u),
        ("customer", hist.keys % max(n, 1), v),
    ):
        partners = np.bincount(ids, minlength=n).astype(np.float64)
        present = np.bincount(ids, weights=now, minlength=n)
        cols[f"{side}_partners"] = partners[firms]
        cols[f"{side}_links_now"] = np.divide(
            present, partners, out=np.zeros(n), where=partners > 0
        )[firms]
    for d in SMOOTHING_FEATURES:
        col = np.zeros(len(u))
        if len(hist.keys):
            col[seen] = smoothed_history(hist.presence[pos_clipped[seen]], d)
        cols[f"smoothed_{d}"] = col
    a = _union_adjacency(links)
    m = _undirected(a)
    cols["common_neighbours"] = _rowwise(m, m, u, v)
    cols["adamic_adar"] = _rowwise(m, m, u, v, _inverse_log_degree(m))
    cols["resource_allocation"] = _rowwise(m, m, u, v, _inverse_degree(m))
    cols["two_step_paths"] = _rowwise(a, sparse.csr_array(a.T), u, v)
    out_deg = np.diff(a.indptr).astype(np.float64)
    in_deg = np.bincount(a.indices, minlength=links.n_nodes).astype(np.float64)
    cols["preferential_attachment"] = out_deg[u] * in_deg[v]
    reverse = links.pair_keys(v, u)
    cols["reverse_seen"] = _member(reverse, hist.keys).astype(np.float64)
    return (
        np.column_stack([cols[name] for name in FEATURES])
        if len(u)
        else np.zeros((0, len(FEATURES)))
    )


# -- candidates ------------------------------------------------------------------------------


def sample_new_pairs(links: DatedLinks, n: int, *, seed: int = 0) -> IntArray:
    """Up to ``n`` distinct pair keys never seen in ``links``: half two-hop pairs (a supplier and
    a firm one common partner away), half uniform pairs of a firm that has supplied and a firm
    that has bought. Sorted; seeded, so the same call gives the same pairs."""
    rng = np.random.default_rng(seed)
    seen = links.seen_keys()
    if n <= 0 or len(seen) == 0:
        return np.zeros(0, dtype=np.int64)
    m = _undirected(_union_adjacency(links))
    deg = np.diff(m.indptr)
    sellers = _unique(links.supplier)
    buyers = _unique(links.customer)
    want_hop = n // 2
    # two-hop: a random seller x, a random partner z of x, a random partner y of z
    draw = 4 * want_hop + 16
    x = sellers[rng.integers(0, len(sellers), draw)]
    z = m.indices[m.indptr[x] + (rng.random(draw) * deg[x]).astype(np.int64)]
    y = m.indices[m.indptr[z] + (rng.random(draw) * deg[z]).astype(np.int64)]
    hop = _unique(links.pair_keys(x[x != y], y[x != y]))
    hop = hop[~_member(hop, seen)]
    hop = rng.permutation(hop)[:want_hop]
    want_random = n - len(hop)
    draw = 2 * want_random + 16
    ru = sellers[rng.integers(0, len(sellers), draw)]
    rv = buyers[rng.integers(0, len(buyers), draw)]
    rand = _unique(links.pair_keys(ru[ru != rv], rv[ru != rv]))
    rand = rand[~_member(rand, seen) & ~_member(rand, np.sort(hop))]
    rand = rng.permutation(rand)[:want_random]
    return np.sort(np.concatenate((hop, rand)))


def sample_any_pairs(
    n_nodes: int, n: int, *, exclude: IntArray, seed: int | Sequence[int] = 0
) -> IntArray:
    """Up to ``n`` distinct keys of ordered pairs of two firms drawn uniformly from all firms
    ``0..n_nodes-1``, none of them in ``exclude`` (sorted pair keys). Sorted; seeded.

    Unlike :func:`sample_new_pairs`, either firm may never have been seen in a link: these are
    the pairs a list of links is measured against when non-links are drawn at random, and what
    the any-pair trees of :func:`fit_link_model` learn to rank.

    Example:
        >>> keys = sample_any_pairs(4, 5, exclude=np.array([1, 2, 3]))
        >>> len(keys), bool(np.isin(keys, [1, 2, 3]).any()), bool((keys // 4 == keys % 4).any())
        (5, False, False)
    """
    if n <= 0 or n_nodes < 2:
        return np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    draw = 2 * n + 16
    u = rng.integers(0, n_nodes, draw, dtype=np.int64)
    v = rng.integers(0, n_nodes, draw, dtype=np.int64)
    keys = _unique(u[u != v] * n_nodes + v[u != v])
    keys = keys[~_member(keys, exclude)]
    return np.sort(rng.permutation(keys)[:n])


def _known_firms(links: DatedLinks) -> BoolArray:
    known = np.zeros(links.n_nodes, dtype=bool)
    known[links.supplier] = True
    known[links.customer] = True
    return known


# -- the learned combination -----------------------------------------------------------------


#: Tree models fitted at once (each on one thread of its own).
FIT_THREADS = 2

#: Decays tried for the smoothed sighting history, fitted on the latest training window.
DECAYS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def smoothed_history(presence: npt.NDArray[np.bool_], decay: float) -> FloatArray:
    """Exponentially smoothed sightings: ``sum_t presence[:, t] * decay**(last - t)``.

    With a decay of 0.5 or less this orders pairs by their presence pattern read from the most
    recent snapshot back (a later sighting outweighs all earlier ones together)."""
    n_snap = presence.shape[1]
    weights = decay ** (n_snap - 1 - np.arange(n_snap, dtype=np.float64))
    return np.asarray(presence.astype(np.float64) @ weights)


@dataclass(eq=False)
class LinkModel:
    """The fitted predictor and how it was fitted.

    A pair seen before is scored by the mean of its ranks by the seen-pair trees and by its
    smoothed sighting history (``decay`` fitted on the latest training window), among the seen
    pairs scored together; a pair never seen is scored by the new-pair trees, fitted on pairs of
    known firms near each other, or by the any-pair trees (``any_model``), fitted on pairs of
    any two firms, either perhaps never seen in a link. ``windows`` are
    the snapshot indices used as training targets; ``horizon`` the snapshots between the last
    feature snapshot and the target. ``seen_windows`` are the targets the seen-pair trees were
    fitted on, by ``seen_rule`` ("all windows" or "same season"), chosen by ``validation_auc``
    on the last training window (empty when there was no choice to make)."""

    seen_model: Any
    new_model: Any
    decay: float
    horizon: int
    windows: list[int]
    seed: int
    any_model: Any = None
    rows: dict[str, int] = field(default_factory=dict)
    seen_windows: list[int] = field(default_factory=list)
    seen_rule: str = "all windows"
    seen_combine: str = "rank mean"
    validation_auc: dict[str, float] = field(default_factory=dict)

    def score(
        self,
        links: DatedLinks,
        supplier: IntArray,
        customer: IntArray,
        *,
        seen: BoolArray,
        new_pairs: NewPairs = "known",
    ) -> FloatArray:
        """Scores of the pairs as links ``horizon`` snapshots after ``links``; ``seen`` marks
        the pairs seen before. Higher is likelier. See :meth:`score_features` for
        ``new_pairs``."""
        hist = pair_history(links)
        features = pair_features(links, supplier, customer, history=hist)
        return self.score_features(
            features,
            seen=seen,
            history=hist,
            keys=links.pair_keys(supplier, customer),
            new_pairs=new_pairs,
        )

    def score_features(
        self,
        features: FloatArray,
        *,
        seen: BoolArray,
        history: PairHistory,
        keys: IntArray,
        new_pairs: NewPairs = "known",
    ) -> FloatArray:
        """Scores from a precomputed :func:`pair_features` matrix and the pairs' history.

        ``new_pairs="known"``: never-seen pairs are scored by the new-pair trees, and seen and
        never-seen scores are on separate scales (compare within each group only).
        ``new_pairs="any"``: never-seen pairs may join any two firms and are scored by the
        any-pair trees; the scores are on one scale, every seen pair (1 to 2) above every
        never-seen pair (0 to 1). In every half-year of GDES from 2016 to 2022, 37–68% of the
        pairs seen before were links of the next snapshot, against about one in a million
        never-seen pairs, so no never-seen pair is put above a seen one."""
        from threadpoolctl import threadpool_limits

        unseen_model = self.any_model if new_pairs == "any" else self.new_model
        out = np.zeros(len(features))
        with threadpool_limits(1):  # deterministic and fast on a shared machine
            for mask, model in ((seen, self.seen_model), (~seen, unseen_model)):
                if mask.any() and model is not None:
                    out[mask] = model.predict_proba(features[mask])[:, 1]
        if seen.any():
            rows = np.searchsorted(history.keys, keys[seen])
            level = smoothed_history(history.presence[rows], self.decay)
            combine = _history_first if self.seen_combine == "history first" else _seen_score
            out[seen] = combine(out[seen], level)
            if new_pairs == "any":
                ranks = np.unique(out[seen], return_inverse=True)[1]
                out[seen] = 1.0 + (ranks + 1) / (ranks.max() + 1)
        return out


def _booster(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    # fixed size and no early stopping: no internal random split, so a seed fixes the model
    return HistGradientBoostingClassifier(
        max_iter=150,
        learning_rate=0.1,
        max_leaf_nodes=31,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
    )


def _fit_decay(links: DatedLinks, horizon: int) -> float:
    """The decay whose smoothed history best ranks the last snapshot's links (AUC) from the
    snapshots up to ``horizon`` before it; ties go to the smaller decay."""
    past = links.until(links.last - horizon)
    hist = pair_history(past)
    labels = _member(hist.keys, links.keys_at(links.last))
    best, best_auc = DECAYS[0], -1.0
    for decay in DECAYS:
        auc = roc_auc(labels, smoothed_history(hist.presence, decay))
        if auc is not None and auc > best_auc + 1e-12:
            best, best_auc = decay, auc
    return best


@dataclass(frozen=True, eq=False)
class _Window:
    """Training rows of one window (target snapshot ``target``): seen pairs with their sighting
    history, never-seen pairs of known firms, and never-seen pairs of any two firms."""

    target: int
    x_seen: FloatArray
    y_seen: BoolArray
    presence: npt.NDArray[np.bool_]
    x_new: FloatArray
    y_new: BoolArray
    x_any: FloatArray
    y_any: BoolArray


def _snapshots_per_year(dates: Sequence[dt.date]) -> int:
    """Snapshots in a year at the network's typical spacing (the median gap), at least one."""
    if len(dates) < 2:
        return 1
    gaps = [(b - a).days for a, b in pairwise(dates)]
    return max(1, round(365.25 / float(np.median(gaps))))


def _same_season(windows: Sequence[int], target: int, period: int) -> list[int]:
    """The windows whose target lies a whole number of years before ``target``."""
    return [w for w in windows if (target - w) % period == 0]


def _seen_score(trees: FloatArray, level: FloatArray) -> FloatArray:
    """A seen pair's score: the mean of its rank among the pairs scored by the trees and by its
    smoothed history (both in [0, 1], ties at their average rank)."""
    from scipy.stats import rankdata

    m = len(trees)
    if m == 0:
        return np.zeros(0)
    both = rankdata(trees, method="average") + rankdata(level, method="average")
    return np.asarray(both / (2.0 * m))


def _history_first(trees: FloatArray, level: FloatArray) -> FloatArray:
    """A seen pair's score ordered by its smoothed history first, the trees within a tie."""
    distinct = np.unique(level)
    return np.asarray(np.searchsorted(distinct, level) + trees, dtype=np.float64)


def _at_most(keys: IntArray, cap: int, rng: np.random.Generator) -> IntArray:
    """``keys`` (sorted), or a seeded sample of ``cap`` of them, sorted, when there are more."""
    return np.sort(rng.choice(keys, cap, replace=False)) if len(keys) > cap else keys


def _window_rows(
    links: DatedLinks, target: int, horizon: int, *, neg_ratio: int, max_rows: int, seed: int
) -> _Window:
    """Training rows of one window: features up to ``target - horizon``, labels at ``target``."""
    rng = np.random.default_rng([seed, target])
    past = links.until(target - horizon)
    hist = pair_history(past)
    truth = links.keys_at(target)
    n = links.n_nodes

    def rows(keys: IntArray) -> tuple[FloatArray, BoolArray]:
        return pair_features(past, keys // n, keys % n, history=hist), _member(keys, truth)

    seen_keys = _at_most(hist.keys, max_rows, rng)
    x_seen, y_seen = rows(seen_keys)
    known = _known_firms(past)
    unseen = truth[~_member(truth, hist.keys)]
    cap = max_rows // (neg_ratio + 1)  # never-seen links per window
    fresh = _at_most(unseen[known[unseen // n] & known[unseen % n]], cap, rng)
    negatives = sample_new_pairs(past, neg_ratio * max(len(fresh), 1), seed=seed + target)
    x_new, y_new = rows(np.union1d(fresh, negatives))
    # any two firms: every never-seen link of the target, a firm new or not, against pairs
    # drawn uniformly from all firms
    unseen = _at_most(unseen, cap, rng)
    drawn = sample_any_pairs(
        n,
        neg_ratio * max(len(unseen), 1),
        exclude=np.union1d(hist.keys, truth),
        seed=[seed, target, 1],
    )
    x_any, y_any = rows(np.union1d(unseen, drawn))
    presence = hist.presence[np.searchsorted(hist.keys, seen_keys)]
    return _Window(target, x_seen, y_seen, presence, x_new, y_new, x_any, y_any)


def fit_link_model(
    links: DatedLinks,
    *,
    horizon: int = 1,
    min_history: int = 2,
    neg_ratio: int = 5,
    max_rows_per_window: int = 60_000,
    seed: int = 0,
) -> LinkModel:
    """Fit the seen-pair, new-pair and any-pair models on every window of ``links`` (see the
    module docstring): each snapshot ``w`` with at least ``min_history`` snapshots before
    ``w - horizon + 1`` is one target. Only ``links`` is read, so pass the network up to the
    last snapshot that may be used for training.

    Rows per window are capped (a seeded sample) to keep fitting time bounded; new pairs are the
    window's never-seen links between known firms plus ``neg_ratio`` times as many sampled
    never-seen pairs (:func:`sample_new_pairs`); any pairs are all the window's never-seen links
    plus ``neg_ratio`` times as many never-seen pairs drawn uniformly from all firms
    (:func:`sample_any_pairs`)."""
    if horizon < 1:
        raise BadInputError("horizon must be at least one snapshot")
    windows = [w for w in range(links.n_snapshots) if w - horizon + 1 >= min_history]
    if not windows:
        raise BadInputError(
            f"need at least {min_history + horizon} snapshots to fit a model; "
            f"have {links.n_snapshots}"
        )
    parts = {
        w: _window_rows(
            links, w, horizon, neg_ratio=neg_ratio, max_rows=max_rows_per_window, seed=seed
        )
        for w in windows
    }

    # Each fit runs on one thread and is seeded, so fitting two at once changes no model.
    with ThreadPoolExecutor(max_workers=FIT_THREADS) as pool:

        def fit_seen(ws: Sequence[int]) -> Future[Any]:
            x = np.vstack([parts[w].x_seen for w in ws])
            y = np.concatenate([parts[w].y_seen for w in ws])
            return pool.submit(_fit_trees, x, y, seed)

        decay = _fit_decay(links, horizon)
        period = _snapshots_per_year(links.dates)
        target = links.last + horizon
        # Seen pairs: train on every window, or only on the windows of the target's season
        # (reports that differ by season, e.g. annual against half-year ones). The choice is
        # made on the last training window, each rule fitted on the windows before it.
        last = windows[-1]
        earlier = [w for w in windows if w < last]
        seasonal = _same_season(earlier, last, period)
        trial = (
            {"all windows": fit_seen(earlier), "same season": fit_seen(seasonal)}
            if period > 1 and len(seasonal) >= 2 and len(seasonal) < len(earlier)
            else {}
        )
        new_model = pool.submit(
            _fit_trees,
            np.vstack([parts[w].x_new for w in windows]),
            np.concatenate([parts[w].y_new for w in windows]),
            seed,
        )
        any_model = pool.submit(
            _fit_trees,
            np.vstack([parts[w].x_any for w in windows]),
            np.concatenate([parts[w].y_any for w in windows]),
            seed,
        )
        rule, combine, validation = "all windows", "rank mean", {}
        if trial:
            validation = _validate_seen(
                {name: f.result() for name, f in trial.items()}, parts[last], decay
            )
            best = max(validation, key=lambda k: (validation[k], k))
            rule, combine = best.split(", ")
        seen_windows = _same_season(windows, target, period) if rule == "same season" else windows
        if not seen_windows:
            seen_windows, rule = windows, "all windows"
        seen_model = fit_seen(seen_windows)
        return LinkModel(
            seen_model=seen_model.result(),
            new_model=new_model.result(),
            any_model=any_model.result(),
            decay=decay,
            horizon=horizon,
            windows=windows,
            seed=seed,
            rows={
                "seen": sum(len(parts[w].y_seen) for w in seen_windows),
                "new": sum(len(parts[w].y_new) for w in windows),
                "any": sum(len(parts[w].y_any) for w in windows),
            },
            seen_windows=seen_windows,
            seen_rule=rule,
            seen_combine=combine,
            validation_auc=validation,
        )


def _fit_trees(x: FloatArray, y: BoolArray, seed: int) -> Any:
    """Trees fitted on one thread (set in the fitting thread itself), or ``None`` when the
    labels hold one class only (nothing to learn: scores fall back to zero)."""
    from threadpoolctl import threadpool_limits

    if y.all() or not y.any():
        return None
    with threadpool_limits(1):
        return _booster(seed).fit(x, y)


def _validate_seen(models: dict[str, Any], held: _Window, decay: float) -> dict[str, float]:
    """AUC on the held-out window of each seen-pair model (by rule) and each way of combining
    its trees with the smoothed history."""
    from threadpoolctl import threadpool_limits

    level = smoothed_history(held.presence, decay)
    out: dict[str, float] = {}
    for name, model in models.items():
        trees = np.zeros(len(held.y_seen))
        if model is not None:
            with threadpool_limits(1):
                trees = model.predict_proba(held.x_seen)[:, 1]
        for how, score in (
            ("rank mean", _seen_score(trees, level)),
            ("history first", _history_first(trees, level)),
        ):
            auc = roc_auc(held.y_seen, score)
            out[f"{name}, {how}"] = round(auc, 4) if auc is not None else -1.0
    return out


# -- results at the boundary -----------------------------------------------------------------


class PairScore(BaseModel):
    """One predicted link with the facts behind its score."""

    model_config = ConfigDict(frozen=True)

    supplier: int
    customer: int
    score: float
    seen_before: bool
    factors: dict[str, float]
    reason: str


class LinkPrediction(BaseModel):
    """The top predicted links after the last snapshot of a network."""

    model_config = ConfigDict(frozen=True)

    as_of: dt.date
    horizon: int
    seen_pairs: int
    new_candidates: int
    top: list[PairScore]


#: Factors reported with each predicted link (a subset of :data:`FEATURES`).
REPORTED = ("gap", "times_seen", "streak", "common_neighbours", "two_step_paths", "reverse_seen")


def _reason(row: dict[str, float], dates: tuple[dt.date, ...], seen: bool) -> str:
    parts = []
    if seen:
        last = dates[len(dates) - 1 - int(row["gap"])]
        parts.append(
            f"seen in {int(row['times_seen'])} of {len(dates)} snapshots, last {last.isoformat()}"
        )
    else:
        parts.append("never seen")
    if row["common_neighbours"]:
        parts.append(f"{int(row['common_neighbours'])} shared partner(s)")
    if row["two_step_paths"]:
        parts.append(f"{int(row['two_step_paths'])} two-step supply path(s)")
    if row["reverse_seen"]:
        parts.append("the reverse link was seen")
    return "; ".join(parts)


def predict_links(
    links: DatedLinks,
    model: LinkModel,
    *,
    k: int = 100,
    new_candidates: int = 100_000,
    seed: int = 0,
) -> LinkPrediction:
    """The ``k`` most likely links ``model.horizon`` snapshots after the last one of ``links``:
    all pairs seen before and ``new_candidates`` sampled never-seen pairs are scored, and the
    best are returned with their factors. Ties are broken by pair (supplier, then customer)."""
    hist = pair_history(links)
    n = links.n_nodes
    new = sample_new_pairs(links, new_candidates, seed=seed)
    keys = np.concatenate((hist.keys, new))
    seen = np.zeros(len(keys), dtype=bool)
    seen[: len(hist.keys)] = True
    features = pair_features(links, keys // n, keys % n, history=hist)
    scores = model.score_features(features, seen=seen, history=hist, keys=keys)
    order = np.lexsort((keys, -scores))[:k]
    top = []
    for i in order.tolist():
        row = {name: float(features[i, FEATURES.index(name)]) for name in REPORTED}
        top.append(
            PairScore(
                supplier=int(keys[i] // n),
                customer=int(keys[i] % n),
                score=round(float(scores[i]), 6),
                seen_before=bool(seen[i]),
                factors=row,
                reason=_reason(row, links.dates, bool(seen[i])),
            )
        )
    return LinkPrediction(
        as_of=links.dates[-1],
        horizon=model.horizon,
        seen_pairs=len(hist.keys),
        new_candidates=len(new),
        top=top,
    )
