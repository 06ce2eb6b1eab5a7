"""Ranking metrics for binary labels: AUC, average precision, precision@k and recall@k.

Ties are treated the way a fair random tie-break would on average: AUC counts a tied positive
and negative as half a correct order, average precision steps once per distinct score, and the
at-k metrics count a tie straddling the cutoff by its expected share of positives. So a baseline
that ties many pairs (recency, for one) is neither helped nor hurt by the order the pairs happen
to be stored in.

Example:
    >>> y = np.array([True, False, True, False])
    >>> s = np.array([0.9, 0.8, 0.7, 0.1])
    >>> roc_auc(y, s), round(average_precision(y, s), 4), precision_at_k(y, s, 2)
    (0.75, 0.8333, 0.5)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["average_precision", "precision_at_k", "recall_at_k", "roc_auc"]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


def roc_auc(labels: BoolArray, scores: FloatArray) -> float | None:
    """Probability that a random positive outscores a random negative (ties count one half);
    ``None`` when either class is empty."""
    y = np.asarray(labels, dtype=bool)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    from scipy.stats import rankdata  # scipy.stats takes a second to import: only here

    ranks = rankdata(np.asarray(scores, dtype=np.float64), method="average")
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(labels: BoolArray, scores: FloatArray) -> float | None:
    """Sum over distinct score thresholds of precision times the recall gained there;
    ``None`` when there is no positive."""
    y = np.asarray(labels, dtype=bool)
    n_pos = int(y.sum())
    if n_pos == 0:
        return None
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last_of_group = np.r_[s[1:] != s[:-1], True]
    tp = np.cumsum(y)[last_of_group].astype(np.float64)
    seen = (np.flatnonzero(last_of_group) + 1).astype(np.float64)
    recall_gain = np.diff(np.r_[0.0, tp]) / n_pos
    return float(np.sum(recall_gain * tp / seen))


def _expected_hits_at_k(labels: BoolArray, scores: FloatArray, k: int) -> float:
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    k = min(k, len(y))
    if k <= 0:
        return 0.0
    cutoff = np.sort(s)[::-1][k - 1]
    above = s > cutoff
    tied = s == cutoff
    room = k - int(above.sum())
    return float(y[above].sum() + room * y[tied].sum() / tied.sum())


def precision_at_k(labels: BoolArray, scores: FloatArray, k: int) -> float:
    """Expected share of positives among the ``k`` best-scored items (k capped at the count)."""
    k_eff = min(k, len(labels))
    return _expected_hits_at_k(labels, scores, k) / k_eff if k_eff > 0 else 0.0


def recall_at_k(
    labels: BoolArray, scores: FloatArray, k: int, *, positives: int | None = None
) -> float:
    """Expected share of all positives found among the ``k`` best-scored items.

    ``positives`` counts positives the ranking could not see (outside the scored set) too; by
    default it is the positives among ``labels``."""
    total = int(np.sum(labels)) if positives is None else positives
    return _expected_hits_at_k(labels, scores, k) / total if total > 0 else 0.0
