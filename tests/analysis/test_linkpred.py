"""Link prediction on hand-made dated networks: features with known values, candidates, the
fitted model's determinism and that nothing of a later snapshot leaks into it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainscout.analysis import linkpred
from chainscout.analysis._metrics import roc_auc
from chainscout.analysis.linkpred import (
    FEATURES,
    DatedLinks,
    LinkPrediction,
    adamic_adar,
    common_neighbours,
    fit_link_model,
    pair_features,
    pair_history,
    predict_links,
    preferential_attachment,
    resource_allocation,
    sample_any_pairs,
    sample_new_pairs,
    smoothed_history,
    two_step_paths,
)
from chainscout.graph.errors import BadInputError


def net(rows: list[tuple[int, int, int]], dates: list[str], n: int | None = None) -> DatedLinks:
    sup, cus, snap = zip(*rows, strict=True) if rows else ((), (), ())
    return DatedLinks.from_arrays(
        supplier=list(sup), customer=list(cus), snapshot=list(snap), dates=dates, n_nodes=n
    )


DATES4 = ["2020-06-30", "2020-12-31", "2021-06-30", "2021-12-31"]


def col(f: np.ndarray, name: str) -> list[float]:
    return f[:, FEATURES.index(name)].tolist()


def synthetic(seed: int, n: int = 80, snapshots: int = 7) -> DatedLinks:
    """Persistent links that drop out now and then, plus a few new ones each snapshot."""
    rng = np.random.default_rng(seed)
    base_u = rng.integers(0, n, 200)
    base_v = rng.integers(0, n, 200)
    keep = base_u != base_v
    base_u, base_v = base_u[keep], base_v[keep]
    strength = rng.random(len(base_u))
    rows = []
    for t in range(snapshots):
        on = rng.random(len(base_u)) < strength
        rows += [(int(a), int(b), t) for a, b in zip(base_u[on], base_v[on], strict=True)]
        extra_u = rng.integers(0, n, 15)
        extra_v = (extra_u + rng.integers(1, n, 15)) % n
        rows += [(int(a), int(b), t) for a, b in zip(extra_u, extra_v, strict=True)]
    dates = [f"{2015 + t // 2}-{'06-30' if t % 2 == 0 else '12-31'}" for t in range(snapshots)]
    return net(rows, dates, n)


# -- the network ------------------------------------------------------------------------------


def test_from_arrays_sorts_and_merges_duplicates() -> None:
    links = net([(1, 2, 1), (0, 1, 0), (0, 1, 0)], ["2020-06-30", "2020-12-31"])
    assert links.supplier.tolist() == [0, 1]
    assert links.snapshot.tolist() == [0, 1]
    assert links.n_nodes == 3


@pytest.mark.parametrize(
    ("rows", "dates", "message"),
    [
        ([(1, 1, 0)], ["2020-06-30"], "self-loop"),
        ([(0, 1, 0)], ["2020-12-31", "2020-06-30"], "increase"),
        ([(0, 1, 2)], ["2020-06-30"], "snapshot index"),
        ([(-1, 1, 0)], ["2020-06-30"], "non-negative"),
    ],
)
def test_bad_networks_are_refused_with_a_reason(
    rows: list[tuple[int, int, int]], dates: list[str], message: str
) -> None:
    with pytest.raises(BadInputError, match=message):
        net(rows, dates)


def test_until_keeps_only_earlier_snapshots() -> None:
    links = net([(0, 1, 0), (0, 1, 1), (1, 2, 2)], DATES4[:3])
    past = links.until(1)
    assert past.n_snapshots == 2 and past.snapshot.max() == 1 and past.n_nodes == 3
    with pytest.raises(BadInputError, match="no snapshot dated"):
        links.index_of(__import__("datetime").date(2022, 1, 1))


# -- features with known values ---------------------------------------------------------------


def test_timing_and_persistence_features_by_hand() -> None:
    # pair 0->1 seen in snapshots 0, 1, 3; pair 0->2 in 0 only; pair 1->2 in 2, 3
    links = net([(0, 1, 0), (0, 1, 1), (0, 1, 3), (0, 2, 0), (1, 2, 2), (1, 2, 3)], DATES4)
    f = pair_features(links, np.array([0, 0, 1, 2]), np.array([1, 2, 2, 0]))
    assert col(f, "gap") == [0, 3, 0, 4]  # the never-seen pair 2->0 is further back than all
    assert col(f, "age") == [3, 3, 1, 0]
    assert col(f, "times_seen") == [3, 1, 2, 0]
    assert col(f, "seen_share") == [0.75, 0.25, 1.0, 0.0]
    assert col(f, "streak") == [1, 0, 2, 0]
    assert col(f, "runs") == [2, 1, 1, 0]
    assert col(f, "seen_lag0") == [1, 0, 1, 0]
    assert col(f, "seen_lag1") == [0, 0, 1, 0]
    assert col(f, "recency_weighted")[0] == pytest.approx(1 + 0.25 + 0.125)
    # degrees in the last snapshot (3): 0->1 and 1->2
    assert col(f, "supplier_out_degree") == [1, 1, 1, 0]
    assert col(f, "customer_in_degree") == [1, 1, 1, 0]
    # snapshot 2 holds only 1->2: firms 1 and 2 were active there (in any role), 0 was not
    assert col(f, "supplier_active_prev") == [0, 0, 1, 1]
    # firm 1 had one link (1->2) at snapshot 2 and kept it at 3
    assert col(f, "supplier_retention")[2] == 1.0
    assert col(f, "reverse_seen") == [0, 0, 0, 1]  # 2->0 is the reverse of 0->2


def test_firm_persistence_features_by_hand() -> None:
    # the same network: 0->1 in snapshots 0, 1, 3; 0->2 in 0; 1->2 in 2, 3
    links = net([(0, 1, 0), (0, 1, 1), (0, 1, 3), (0, 2, 0), (1, 2, 2), (1, 2, 3)], DATES4)
    f = pair_features(links, np.array([0, 0, 1, 2]), np.array([1, 2, 2, 0]))
    # a year back (snapshot 1 to 3): firm 0's one supplier link 0->1 came back; 1 and 2 had none
    assert col(f, "supplier_retention_yoy") == [1.0, 1.0, -1.0, -1.0]
    # snapshot 1 to 2: customer 1 lost its link 0->1; customers 2 and 0 had none at 1
    assert col(f, "customer_retention_prev") == [0.0, -1.0, -1.0, -1.0]
    # pairs so far per firm, and the share of them present in the last snapshot
    assert col(f, "supplier_partners") == [2, 2, 1, 0]
    assert col(f, "customer_partners") == [1, 2, 2, 0]
    assert col(f, "supplier_links_now") == [0.5, 0.5, 1.0, 0.0]
    # in the last snapshot firm 0 buys from nobody, firms 1 and 2 from one firm each
    assert col(f, "supplier_in_degree_lag0") == [0, 0, 1, 1]
    assert col(f, "supplier_active_lag3") == [1, 1, 1, 1]  # all three traded in snapshot 0
    assert col(f, "smoothed_0.5") == [1.375, 0.125, 1.5, 0.0]
    assert col(f, "seen_lag9") == [0, 0, 0, 0]  # before the first snapshot


def test_firm_features_read_no_later_snapshot() -> None:
    links = synthetic(6)
    t = 4
    later = links.until(t + 2)
    h = pair_history(links.until(t))
    n = links.n_nodes
    u, v = h.keys // n, h.keys % n
    a = pair_features(links.until(t), u, v)
    # the same prefix cut from a longer network gives the same columns
    b = pair_features(later.until(t), u, v)
    assert np.array_equal(a, b)
    # and a firm feature measured at t differs from the one measured a snapshot later
    c = pair_features(later.until(t + 1), u, v)
    assert not np.array_equal(
        a[:, FEATURES.index("supplier_links_now")], c[:, FEATURES.index("supplier_links_now")]
    )


def test_seasons_come_from_the_snapshot_dates() -> None:
    from chainscout.analysis.linkpred import _same_season, _snapshots_per_year

    half_years = [dt.date(2020 + i // 2, 6 if i % 2 == 0 else 12, 30) for i in range(6)]
    assert _snapshots_per_year(half_years) == 2
    assert _snapshots_per_year([dt.date(2015 + i, 12, 31) for i in range(4)]) == 1
    assert _snapshots_per_year(half_years[:1]) == 1
    assert _same_season([2, 3, 4, 5], 6, 2) == [2, 4]


def seasonal(seed: int, n: int = 80, snapshots: int = 10) -> DatedLinks:
    """Half-year snapshots where some links are reported in December only."""
    rng = np.random.default_rng(seed)
    u = rng.integers(0, n, 300)
    v = (u + rng.integers(1, n, 300)) % n
    december_only = rng.random(300) < 0.5
    strength = rng.random(300)
    rows = []
    for t in range(snapshots):
        on = rng.random(300) < strength
        if t % 2 == 0:  # June
            on &= ~december_only
        rows += [(int(a), int(b), t) for a, b in zip(u[on], v[on], strict=True)]
    dates = [f"{2015 + t // 2}-{'06-30' if t % 2 == 0 else '12-31'}" for t in range(snapshots)]
    return net(rows, dates, n)


def test_the_seen_pair_windows_are_chosen_on_the_last_training_window() -> None:
    links = seasonal(7)
    past = links.until(8)  # predicts snapshot 9, a December
    model = fit_link_model(past, seed=0)
    checked = model.validation_auc
    assert {k.split(", ")[0] for k in checked} == {"all windows", "same season"}
    best = max(checked, key=lambda k: (checked[k], k))
    assert f"{model.seen_rule}, {model.seen_combine}" == best
    assert model.seen_rule == "same season"
    assert model.seen_windows and all((9 - w) % 2 == 0 for w in model.seen_windows)
    assert set(model.seen_windows) <= set(model.windows)
    h = pair_history(past)
    n = links.n_nodes
    labels = np.isin(h.keys, links.keys_at(9))
    scores = model.score(past, h.keys // n, h.keys % n, seen=np.ones(len(h.keys), dtype=bool))
    history = roc_auc(labels, smoothed_history(h.presence, model.decay))
    auc = roc_auc(labels, scores)
    assert auc is not None and history is not None and auc > history


def test_shared_partner_indices_by_hand() -> None:
    # 0->1, 1->2, 0->3, 3->2, 4->2: pair 0->2 has two-step paths via 1 and 3
    links = net([(0, 1, 0), (1, 2, 0), (0, 3, 0), (3, 2, 0), (4, 2, 0)], ["2021-12-31"])
    u, v = np.array([0, 0]), np.array([2, 4])
    # undirected degrees: 0:2, 1:2, 2:3, 3:2, 4:1; partners of 0 = {1,3}, of 2 = {1,3,4}
    assert common_neighbours(links, u, v).tolist() == [2.0, 0.0]
    assert adamic_adar(links, u, v)[0] == pytest.approx(2 / np.log(2))
    assert resource_allocation(links, u, v)[0] == pytest.approx(1.0)
    assert two_step_paths(links, u, v).tolist() == [2.0, 0.0]
    # out-degree of 0 is 2; in-degree of 2 is 3, of 4 is 0
    assert preferential_attachment(links, u, v).tolist() == [6.0, 0.0]
    f = pair_features(links, u, v)
    assert col(f, "common_neighbours") == [2.0, 0.0]
    assert col(f, "two_step_paths") == [2.0, 0.0]


def test_smoothed_history_orders_by_the_latest_sighting_first() -> None:
    presence = np.array([[1, 1, 0], [0, 0, 1], [1, 0, 1]], dtype=bool)
    s = smoothed_history(presence, 0.5)
    assert s.tolist() == [0.75, 1.0, 1.25]
    assert np.argsort(-s).tolist() == [2, 1, 0]


def test_history_presence_matrix() -> None:
    links = net([(0, 1, 0), (0, 1, 2), (2, 1, 1)], DATES4[:3])
    h = pair_history(links)
    assert h.keys.tolist() == [1, 7]
    assert h.presence.astype(int).tolist() == [[1, 0, 1], [0, 1, 0]]


# -- candidates ------------------------------------------------------------------------------


def test_sampled_new_pairs_are_never_seen_distinct_and_seeded() -> None:
    links = synthetic(1)
    a = sample_new_pairs(links, 300, seed=4)
    b = sample_new_pairs(links, 300, seed=4)
    assert a.tolist() == b.tolist()
    assert len(np.unique(a)) == len(a) <= 300
    assert not np.isin(a, links.seen_keys()).any()
    n = links.n_nodes
    assert (a // n != a % n).all()  # no self-loops
    assert len(a) > 150
    assert sample_new_pairs(links, 0).tolist() == []


@settings(max_examples=60, deadline=None)
@given(
    n_nodes=st.integers(0, 40),
    n=st.integers(-1, 200),
    excluded=st.lists(st.integers(0, 1599), max_size=60),
    seed=st.integers(0, 2**16),
)
def test_pairs_of_any_firms_are_distinct_excluded_and_seeded(
    n_nodes: int, n: int, excluded: list[int], seed: int
) -> None:
    exclude = np.unique(np.asarray(excluded, dtype=np.int64))
    keys = sample_any_pairs(n_nodes, n, exclude=exclude, seed=seed)
    assert keys.tolist() == sample_any_pairs(n_nodes, n, exclude=exclude, seed=seed).tolist()
    assert keys.tolist() == sorted(set(keys.tolist()))  # sorted and distinct
    assert len(keys) <= max(n, 0)
    assert not np.isin(keys, exclude).any()
    if len(keys):
        assert keys.min() >= 0 and keys.max() < n_nodes * n_nodes
        assert (keys // n_nodes != keys % n_nodes).all()  # two different firms


def test_pairs_of_any_firms_reach_firms_never_seen() -> None:
    links = synthetic(1, n=80)
    room = DatedLinks.from_arrays(  # 120 more firms, in the index but in no link yet
        supplier=links.supplier,
        customer=links.customer,
        snapshot=links.snapshot,
        dates=links.dates,
        n_nodes=200,
    )
    keys = sample_any_pairs(room.n_nodes, 500, exclude=room.seen_keys(), seed=0)
    assert len(keys) == 500
    firms = np.concatenate((keys // 200, keys % 200))
    assert (firms >= 80).mean() > 0.4  # drawn from all firms, not only those in links


# -- the fitted model --------------------------------------------------------------------------


def seen_and_any_pairs(seed: int) -> tuple[DatedLinks, np.ndarray, np.ndarray]:
    """The first six snapshots of a synthetic network, every pair seen in them and as many
    pairs of any two firms never seen; which of them were seen."""
    past = synthetic(seed, n=80).until(5)
    seen_keys = pair_history(past).keys
    drawn = sample_any_pairs(past.n_nodes, len(seen_keys), exclude=seen_keys, seed=seed)
    keys = np.union1d(seen_keys, drawn)
    return past, keys, np.isin(keys, seen_keys)


def test_fitting_models_two_at_a_time_changes_no_score(monkeypatch: pytest.MonkeyPatch) -> None:
    past, keys, seen = seen_and_any_pairs(6)
    n = past.n_nodes

    def scores() -> list[np.ndarray]:
        model = fit_link_model(past, seed=0)
        return [
            model.score(past, keys // n, keys % n, seen=seen, new_pairs=how)
            for how in ("known", "any")
        ]

    monkeypatch.setattr(linkpred, "FIT_THREADS", 1)
    one = scores()
    monkeypatch.setattr(linkpred, "FIT_THREADS", 2)
    two = scores()
    assert all(np.array_equal(a, b) for a, b in zip(one, two, strict=True))


def test_pairs_of_any_firms_are_scored_on_one_scale_seen_pairs_first() -> None:
    past, keys, seen = seen_and_any_pairs(7)
    n = past.n_nodes
    model = fit_link_model(past, seed=0)
    s = model.score(past, keys // n, keys % n, seen=seen, new_pairs="any")
    assert s[seen].min() > 1.0 >= s[~seen].max() >= 0.0
    assert model.rows["any"] > 0
    # within seen pairs the order is the one of the separate-scale score
    known = model.score(past, keys // n, keys % n, seen=seen)
    order_any = np.argsort(s[seen], kind="stable")
    assert (np.diff(known[seen][order_any]) >= 0).all()


def test_model_is_deterministic_for_a_seed() -> None:
    links = synthetic(2)
    past = links.until(5)
    h = pair_history(past)
    n = past.n_nodes
    seen = np.ones(len(h.keys), dtype=bool)
    s1 = fit_link_model(past, seed=3).score(past, h.keys // n, h.keys % n, seen=seen)
    s2 = fit_link_model(past, seed=3).score(past, h.keys // n, h.keys % n, seen=seen)
    assert np.array_equal(s1, s2)


def test_changing_the_target_snapshot_changes_no_training_feature_or_score() -> None:
    links = synthetic(3)
    t = 5
    # the same history, with a different snapshot after t
    other_rows = [(0, 1, 6), (2, 3, 6), (4, 5, 6)]
    keep = links.snapshot <= t
    rows = list(
        zip(
            links.supplier[keep].tolist(),
            links.customer[keep].tolist(),
            links.snapshot[keep].tolist(),
            strict=True,
        )
    )
    altered = net(rows + other_rows, list(map(str, links.dates)), links.n_nodes)
    a, b = links.until(t), altered.until(t)
    h = pair_history(a)
    n = links.n_nodes
    u, v = h.keys // n, h.keys % n
    assert np.array_equal(pair_features(a, u, v), pair_features(b, u, v))
    seen = np.ones(len(u), dtype=bool)
    ma, mb = fit_link_model(a, seed=0), fit_link_model(b, seed=0)
    assert ma.windows == mb.windows and max(ma.windows) == t
    assert (ma.seen_windows, ma.validation_auc) == (mb.seen_windows, mb.validation_auc)
    assert np.array_equal(ma.score(a, u, v, seen=seen), mb.score(b, u, v, seen=seen))


def test_the_model_learns_persistence_on_a_synthetic_network() -> None:
    from chainscout.analysis.backtest import roc_auc

    links = synthetic(4, snapshots=8)
    past = links.until(6)
    model = fit_link_model(past, seed=0)
    h = pair_history(past)
    n = links.n_nodes
    labels = np.isin(h.keys, links.keys_at(7))
    scores = model.score(past, h.keys // n, h.keys % n, seen=np.ones(len(h.keys), dtype=bool))
    auc = roc_auc(labels, scores)
    assert auc is not None and auc > 0.7


def test_too_short_a_network_cannot_be_fitted() -> None:
    with pytest.raises(BadInputError, match="at least 3 snapshots"):
        fit_link_model(net([(0, 1, 0), (0, 1, 1)], DATES4[:2]))


def test_predict_links_returns_reasons() -> None:
    links = synthetic(5)
    model = fit_link_model(links, seed=0)
    pred = predict_links(links, model, k=10, new_candidates=200, seed=0)
    assert isinstance(pred, LinkPrediction)
    assert len(pred.top) == 10 and pred.as_of == links.dates[-1]
    assert [p.score for p in pred.top] == sorted((p.score for p in pred.top), reverse=True)
    best = pred.top[0]
    assert best.seen_before and "seen in" in best.reason and "times_seen" in best.factors
    assert pred == predict_links(links, model, k=10, new_candidates=200, seed=0)
