"""The backtest: metrics on tiny examples by hand, their invariants, the recency baselines on a
hand-made network, determinism, and one run of the command on the real GDES snapshots."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainscout.analysis.backtest import (
    PREDICTOR,
    BacktestReport,
    average_precision,
    backtest_links,
    precision_at_k,
    recall_at_k,
    roc_auc,
)
from chainscout.analysis.linkpred import DatedLinks
from chainscout.cli import main
from chainscout.graph.errors import BadInputError

GDES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "gdes"

# -- metrics by hand ---------------------------------------------------------------------------


def test_auc_counts_ties_as_half() -> None:
    y = np.array([True, False, True, False])
    assert roc_auc(y, np.array([4.0, 3.0, 2.0, 1.0])) == 0.75
    assert roc_auc(y, np.array([1.0, 1.0, 1.0, 1.0])) == 0.5
    assert roc_auc(y, np.array([2.0, 2.0, 1.0, 0.0])) == pytest.approx((0.5 + 1 + 0 + 1) / 4)
    assert roc_auc(np.array([True, True]), np.array([1.0, 2.0])) is None


def test_average_precision_by_hand() -> None:
    y = np.array([True, False, True, False])
    # hits at ranks 1 and 3: (1/1 + 2/3) / 2
    assert average_precision(y, np.array([4.0, 3.0, 2.0, 1.0])) == pytest.approx(5 / 6)
    # all tied: one threshold, precision 1/2 at recall 1
    assert average_precision(y, np.ones(4)) == pytest.approx(0.5)
    assert average_precision(np.zeros(3, dtype=bool), np.ones(3)) is None


def test_precision_and_recall_at_k_by_hand() -> None:
    y = np.array([True, False, True, False, False])
    s = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    assert precision_at_k(y, s, 1) == 1.0
    assert precision_at_k(y, s, 3) == pytest.approx(2 / 3)
    assert recall_at_k(y, s, 1) == 0.5
    assert recall_at_k(y, s, 3) == 1.0
    assert recall_at_k(y, s, 3, positives=4) == 0.5  # positives outside the scored set count
    # a tie across the cutoff counts by its expected share: 2 of 4 tied items are positives
    assert precision_at_k(y, np.array([1.0, 1.0, 1.0, 1.0, 0.0]), 2) == 0.5
    assert precision_at_k(y, s, 100) == pytest.approx(2 / 5)  # k beyond the count


labels_and_scores = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.booleans(), min_size=n, max_size=n).filter(lambda y: 0 < sum(y) < len(y)),
        st.lists(
            st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=n, max_size=n
        ),
    )
)


@given(labels_and_scores)
@settings(max_examples=100, deadline=None)
def test_metric_invariants(data: tuple[list[bool], list[float]]) -> None:
    y = np.array(data[0])
    s = np.array(data[1])
    perfect = y.astype(float)
    assert roc_auc(y, perfect) == 1.0
    assert roc_auc(y, -perfect) == 0.0
    assert average_precision(y, perfect) == pytest.approx(1.0)
    auc = roc_auc(y, s)
    assert auc is not None and 0.0 <= auc <= 1.0
    assert roc_auc(y, -s) == pytest.approx(1 - auc)
    assert roc_auc(y, 2 * s) == pytest.approx(auc)  # rank-based: a monotone map keeps it
    ap = average_precision(y, s)
    assert ap is not None and 0.0 < ap <= 1.0 + 1e-9
    for k in (1, 2, len(y), len(y) + 5):
        p = precision_at_k(y, s, k)
        r = recall_at_k(y, s, k)
        assert 0.0 <= p <= 1.0 and 0.0 <= r <= 1.0
    assert recall_at_k(y, s, len(y)) == pytest.approx(1.0)
    assert precision_at_k(y, s, len(y)) == pytest.approx(y.mean())


# -- the backtest on a hand-made network -------------------------------------------------------

DATES = [
    dt.date(2020 + i // 2, 6 if i % 2 == 0 else 12, 30 if i % 2 == 0 else 31) for i in range(5)
]


def hand_network(
    target: list[tuple[int, int]], beyond: tuple[tuple[int, int], ...] = ()
) -> DatedLinks:
    # A = 0->1 seen at 0 and 2; B = 2->3 at 1; C = 4->5 at 0; D = 1->2 at 2
    rows = [(0, 1, 0), (0, 1, 2), (2, 3, 1), (4, 5, 0), (1, 2, 2)]
    rows += [(u, v, 3) for u, v in target] + [(u, v, 4) for u, v in beyond]
    sup, cus, snap = zip(*rows, strict=True)
    return DatedLinks.from_arrays(
        supplier=list(sup), customer=list(cus), snapshot=list(snap), dates=DATES, n_nodes=6
    )


def method(report: BacktestReport, group: str, name: str) -> float | None:
    g = next(g for g in report.groups if g.group == group)
    return next(m.auc for m in g.methods if m.method == name)


def test_recency_baselines_rank_as_computed_by_hand() -> None:
    # the target holds A, B and one new link 0->3 between known firms
    report = backtest_links(
        hand_network([(0, 1), (2, 3), (0, 3)]), train_until=DATES[2], predict=DATES[3], k=(1, 2)
    )
    seen = next(g for g in report.groups if g.group == "seen")
    assert (seen.pairs, seen.positives) == (4, 2)
    # recency: A and D (gap 0) tie above B (gap 1) above C (gap 2); A, B positive
    # pairs (pos, neg): (A,C) 1, (A,D) 0.5, (B,C) 1, (B,D) 0 -> 2.5 / 4
    assert method(report, "seen", "most recently seen") == 0.625
    # recency + count: A (seen twice) > D > B > C -> only (B,D) is out of order
    assert method(report, "seen", "recency + count") == 0.75
    assert report.training_targets == [DATES[2]]  # fitted on 2020-06 .. 2021-06 only
    assert report.target_links == 3 and report.cold_start_links == 0
    new = next(g for g in report.groups if g.group == "new")
    assert new.positives == 1
    # all three target links against twice as many drawn non-links of the 30 ordered pairs
    every = next(g for g in report.groups if g.group == "all")
    assert (every.pairs, every.positives) == (9, 3)
    assert method(report, "all", "random") is not None


def test_the_report_does_not_depend_on_what_lies_beyond_the_target() -> None:
    target = [(0, 1), (2, 3), (0, 3)]
    a = backtest_links(
        hand_network(target, ((0, 1),)), train_until=DATES[2], predict=DATES[3], seed=1
    )
    b = backtest_links(
        hand_network(target, ((4, 5), (1, 0))), train_until=DATES[2], predict=DATES[3], seed=1
    )
    assert a == b  # snapshot 4 differs and is neither used for fitting nor as the target


def test_dates_must_be_snapshots_in_order() -> None:
    links = hand_network([(0, 1)])
    with pytest.raises(BadInputError, match="no snapshot dated 2021-01-01"):
        backtest_links(links, train_until=dt.date(2021, 1, 1), predict=DATES[3])
    with pytest.raises(BadInputError, match="must come after"):
        backtest_links(links, train_until=DATES[3], predict=DATES[2])


def test_the_backtest_is_deterministic() -> None:
    links = hand_network([(0, 1), (2, 3), (0, 3)])
    first = backtest_links(links, train_until=DATES[2], predict=DATES[3], seed=7)
    assert first == backtest_links(links, train_until=DATES[2], predict=DATES[3], seed=7)


# -- real data ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_gdes_backtest_command_on_a_short_window(capsys: pytest.CaptureFixture[str]) -> None:
    """The command on GDES, fitted up to 2017-12 and predicting 2018-06 (about 15 s; the full
    2022 run takes about two minutes)."""
    if not GDES.is_dir():
        pytest.skip("GDES snapshots not found at ../shared/data/gdes beside the repository")
    with pytest.raises(SystemExit) as done:
        main(
            [
                "backtest", "gdes", str(GDES), "--train-until", "2017-12-31",
                "--predict", "2018-06-30", "--k", "100", "--format", "json",
            ]
        )  # fmt: skip
    assert done.value.code == 0
    out = json.loads(capsys.readouterr().out)  # JSON alone on stdout
    assert out["train_until"] == "2017-12-31" and out["predict"] == "2018-06-30"
    assert len(out["self_loops_dropped"]) > 0
    groups = {g["group"]: g for g in out["groups"]}
    seen = {m["method"]: m["auc"] for m in groups["seen"]["methods"]}
    new = {m["method"]: m["auc"] for m in groups["new"]["methods"]}
    assert set(groups["seen"]["predictor_beats_baselines"]) == set(seen) - {PREDICTOR}
    assert new[PREDICTOR] > max(new["Adamic-Adar"], new["preferential attachment"])
    every = {m["method"]: m["auc"] for m in groups["all"]["methods"]}
    assert groups["all"]["positives"] == out["target_links"]  # cold-start links included
    assert groups["all"]["pairs"] == 3 * out["target_links"]  # two drawn non-links per link
    assert set(groups["all"]["predictor_beats_baselines"]) == set(every) - {PREDICTOR}
    assert 0.45 < seen["random"] < 0.55
