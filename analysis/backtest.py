"""Backtest of supply-link prediction: hide the future, predict it, measure.

Given a dated supply network, :func:`backtest_links` keeps the snapshots up to ``train_until``,
fits the predictor on windows inside them only
(:func:`~chainscout.analysis.linkpred.fit_link_model`; the report names the windows the
seen-pair model was fitted on and how that choice scored on the last training window), scores
pairs as links of the ``predict`` snapshot, and compares with what that snapshot holds.
Two groups are measured apart, because they are different questions:

- **seen**: every pair seen in a snapshot up to ``train_until``: will the link be reported again?
- **new**: pairs never seen up to ``train_until``. All of them cannot be scored, so the group is
  the target's new links between firms already known, plus ``neg_ratio`` times as many sampled
  never-seen pairs (half two-hop, half uniform; see
  :func:`~chainscout.analysis.linkpred.sample_new_pairs`). Links of firms never seen before
  cannot be predicted from the network at all; they are counted in ``cold_start_links``.
- **all**: every link of the ``predict`` snapshot, cold-start links included, against
  ``all_neg_ratio`` (2) times as many pairs of two firms drawn uniformly from all firms that are
  not links of it (:func:`~chainscout.analysis.linkpred.sample_any_pairs`). This is how the
  published figure on GDES was measured (Xiang et al., 2025: a random fifth of one snapshot's
  links against twice as many uniformly drawn non-links), except that their model was fitted
  on the other links of that same snapshot and this one sees only the past. The predictor
  scores these pairs on one scale, seen pairs first
  (:meth:`~chainscout.analysis.linkpred.LinkModel.score_features` with ``new_pairs="any"``).

Next to the predictor, baselines computed in the same run on the same pairs: random scores,
preferential attachment, Adamic-Adar, and for seen pairs "most recently seen" and a plain mix
of recency and count (recency first, then the number of snapshots holding the pair). Metrics:
AUC, average precision, precision@k and recall@k (:mod:`~chainscout.analysis._metrics`).

Everything is seeded: the same network, dates and seed give the same report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from chainscout.graph.errors import BadInputError

from ._metrics import average_precision, precision_at_k, recall_at_k, roc_auc
from .linkpred import (
    FEATURES,
    BoolArray,
    DatedLinks,
    FloatArray,
    IntArray,
    NewPairs,
    _known_firms,
    _member,
    fit_link_model,
    pair_features,
    pair_history,
    sample_any_pairs,
    sample_new_pairs,
)

__all__ = [
    "PREDICTOR",
    "BacktestReport",
    "GroupResult",
    "MethodScore",
    "average_precision",
    "backtest_links",
    "precision_at_k",
    "recall_at_k",
    "roc_auc",
]

#: Name of the project's predictor in a report.
PREDICTOR = "chainscout"

Group = Literal["seen", "new", "all"]


class MethodScore(BaseModel):
    """One method's metrics on one group of pairs (``None``: undefined, one class empty)."""

    model_config = ConfigDict(frozen=True)

    method: str
    auc: float | None
    average_precision: float | None
    precision_at: dict[int, float]
    recall_at: dict[int, float]


class GroupResult(BaseModel):
    """The pairs of one group, how many became links, and each method's metrics."""

    model_config = ConfigDict(frozen=True)

    group: Group
    pairs: int
    positives: int
    methods: list[MethodScore]
    best_baseline: str | None
    predictor_beats_baselines: list[str]


class BacktestReport(BaseModel):
    """What was hidden, how the predictor was fitted, and how each method did."""

    model_config = ConfigDict(frozen=True)

    train_until: dt.date
    predict: dt.date
    horizon: int
    training_targets: list[dt.date]
    seen_training_targets: list[dt.date]
    seen_windows_rule: str
    seen_combine: str
    seen_validation_auc: dict[str, float]
    decay: float
    training_rows: dict[str, int]
    seed: int
    k: list[int]
    target_links: int
    cold_start_links: int
    groups: list[GroupResult]


def _score(
    method: str, labels: BoolArray, scores: FloatArray, ks: Sequence[int], positives: int
) -> MethodScore:
    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 4)

    return MethodScore(
        method=method,
        auc=r(roc_auc(labels, scores)),
        average_precision=r(average_precision(labels, scores)),
        precision_at={k: round(precision_at_k(labels, scores, k), 4) for k in ks},
        recall_at={k: round(recall_at_k(labels, scores, k, positives=positives), 4) for k in ks},
    )


def _group(
    group: Group,
    labels: BoolArray,
    methods: dict[str, FloatArray],
    ks: Sequence[int],
    positives: int,
) -> GroupResult:
    scored = [_score(name, labels, s, ks, positives) for name, s in methods.items()]
    baselines = [m for m in scored if m.method != PREDICTOR]
    ours = next(m for m in scored if m.method == PREDICTOR)
    with_auc = [m for m in baselines if m.auc is not None]
    best = max(with_auc, key=lambda m: m.auc or 0.0).method if with_auc else None
    beats = [
        m.method
        for m in baselines
        if ours.auc is not None and m.auc is not None and ours.auc > m.auc
    ]
    return GroupResult(
        group=group,
        pairs=len(labels),
        positives=int(labels.sum()),
        methods=scored,
        best_baseline=best,
        predictor_beats_baselines=beats,
    )


def backtest_links(
    links: DatedLinks,
    *,
    train_until: dt.date,
    predict: dt.date,
    k: Sequence[int] = (100, 1000),
    neg_ratio: int = 5,
    all_neg_ratio: int = 2,
    max_rows_per_window: int = 40_000,
    seed: int = 0,
) -> BacktestReport:
    """Fit on snapshots up to ``train_until``, predict the snapshot dated ``predict``, measure.

    Only ``links.until(train_until)`` reaches the predictor and the baselines; the ``predict``
    snapshot supplies labels and nothing else. Raises :class:`BadInputError` when a date is
    not a snapshot or ``predict`` is not after ``train_until``."""
    t = links.index_of(train_until)
    p = links.index_of(predict)
    if p <= t:
        raise BadInputError(
            f"--predict {predict.isoformat()} must come after --train-until "
            f"{train_until.isoformat()}"
        )
    if any(x < 1 for x in k):
        raise BadInputError("every k must be at least 1")
    if neg_ratio < 1 or all_neg_ratio < 1:
        raise BadInputError("sampled pairs per link must be at least 1")
    horizon = p - t
    past = links.until(t)
    model = fit_link_model(
        past, horizon=horizon, max_rows_per_window=max_rows_per_window, seed=seed
    )
    truth = links.keys_at(p)
    n = links.n_nodes
    hist = pair_history(past)
    known = _known_firms(past)
    cold = int((~(known[truth // n] & known[truth % n])).sum())

    rng = np.random.default_rng(seed)
    groups: list[GroupResult] = []

    def measure(group: Group, keys: IntArray, seen: BoolArray, new_pairs: NewPairs) -> None:
        labels = _member(keys, truth)
        x = pair_features(past, keys // n, keys % n, history=hist)
        col = {name: x[:, i] for i, name in enumerate(FEATURES)}
        methods = {
            PREDICTOR: model.score_features(
                x, seen=seen, history=hist, keys=keys, new_pairs=new_pairs
            )
        }
        if seen.any():  # recency says nothing of pairs never seen
            recency = -col["gap"]
            methods["most recently seen"] = recency
            methods["recency + count"] = recency + col["times_seen"] / (past.n_snapshots + 1)
        methods["Adamic-Adar"] = col["adamic_adar"]
        methods["preferential attachment"] = col["preferential_attachment"]
        methods["random"] = rng.random(len(keys))
        groups.append(_group(group, labels, methods, k, int(labels.sum())))

    measure("seen", hist.keys, np.ones(len(hist.keys), dtype=bool), "known")
    # never-seen pairs: the target's new links between known firms, plus sampled negatives
    fresh = truth[~_member(truth, hist.keys)]
    fresh_known = fresh[known[fresh // n] & known[fresh % n]]
    negatives = sample_new_pairs(past, neg_ratio * max(len(fresh_known), 1), seed=seed + p)
    new_keys = np.union1d(fresh_known, negatives)
    measure("new", new_keys, np.zeros(len(new_keys), dtype=bool), "known")
    # every link of the target against pairs of any two firms drawn uniformly
    drawn = sample_any_pairs(n, all_neg_ratio * len(truth), exclude=truth, seed=[seed, p, 2])
    all_keys = np.union1d(truth, drawn)
    measure("all", all_keys, _member(all_keys, hist.keys), "any")
    return BacktestReport(
        train_until=train_until,
        predict=predict,
        horizon=horizon,
        training_targets=[links.dates[w] for w in model.windows],
        seen_training_targets=[links.dates[w] for w in model.seen_windows],
        seen_windows_rule=model.seen_rule,
        seen_combine=model.seen_combine,
        seen_validation_auc=model.validation_auc,
        decay=model.decay,
        training_rows=model.rows,
        seed=seed,
        k=list(k),
        target_links=len(truth),
        cold_start_links=cold,
        groups=groups,
    )
