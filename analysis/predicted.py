"""Supply links a view's own network predicts between outside and local firms (candidate source d).

A supply network is close to bipartite in its roles: suppliers of a firm rarely supply each
other, and two firms that share customers are competitors, not future partners. So the index
here counts **paths of length three**, the pattern that predicts links in such networks (the
"L3" principle of Kovács et al., 2019) rather than shared neighbours: outside firm ``o`` is
expected to supply local firm ``l`` when ``o`` already supplies firms ``c`` that buy from the
same suppliers ``s`` as ``l`` (``o → c ← s → l``: ``l`` resembles ``o``'s customers). Each path
counts ``1 / sqrt(k_c · k_s)`` (``k`` the degree of the middle firms), so paths through hubs
count little. The same holds the other way round for outside customers of local firms.

Only pairs with no link between them in either direction are predicted. Scores become a
relative strength in (0, 1]: the strongest predicted pair is 1. They are not calibrated
probabilities; ``rank_targets`` uses them as the weight of a predicted link in the pull factor
and marks the firms ``found_by: predicted``. Ties are broken by row, so results are stable.

Example (``O`` supplies ``C``; ``S`` supplies ``C`` and the local firm ``L``)::

    >>> from chainscout.graph.view import ChainView
    >>> v = ChainView.from_arrays(
    ...     chain=None, home_region="349900", ids=["O", "C", "S", "L"], segment_ids=[],
    ...     member_firm=[], member_segment=[], member_share=[],
    ...     regions=["320500", "320500", "320500", "349900"],
    ...     supplier=[0, 2, 2], customer=[1, 1, 3])
    >>> [(v.ids[p.supplier], v.ids[p.customer], p.probability) for p in predicted_links(v)]
    [('O', 'L', 1.0)]
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy import sparse

from chainscout.graph.view import ChainView

__all__ = ["PredictedLink", "predicted_links"]


class PredictedLink(BaseModel):
    """A link the predictor expects: ``supplier`` → ``customer`` (view rows), with its
    probability or, from :func:`predicted_links`, its relative strength (both 0-1)."""

    model_config = ConfigDict(frozen=True)

    supplier: int
    customer: int
    probability: float = Field(ge=0, le=1)


def _l3(adj: sparse.csr_array, rows: np.ndarray, cols: np.ndarray) -> sparse.coo_array:
    """L3 supplier → customer scores from supplier ``rows`` to customer ``cols``."""
    degree = np.asarray(adj.sum(axis=0)).ravel() + np.asarray(adj.sum(axis=1)).ravel()
    weight = sparse.diags_array(_inv_sqrt(degree))
    a_c = sparse.csr_array(adj @ weight)  # o -> c, divided by sqrt(k_c)
    a_s = sparse.csr_array(weight @ adj)  # s -> l, divided by sqrt(k_s)
    right = sparse.csr_array(a_s[:, cols])  # s x local
    middle = sparse.csr_array(adj.T) @ right  # c x local: Σ_s a[s,c] a[s,l] / sqrt(k_s)
    return sparse.coo_array(sparse.csr_array(a_c[rows]) @ middle)


def _inv_sqrt(degree: np.ndarray) -> np.ndarray:
    out = np.zeros(len(degree))
    np.divide(1.0, np.sqrt(degree), out=out, where=degree > 0)
    return out


def predicted_links(view: ChainView, *, limit: int = 50) -> list[PredictedLink]:
    """The ``limit`` strongest predicted supply links between an outside and a local firm of
    ``view`` that are not linked yet, strongest first (see the module docstring)."""
    if limit <= 0 or view.n_links == 0:
        return []
    adj = view.adjacency
    outside = np.flatnonzero(~view.is_local)
    local = np.flatnonzero(view.is_local)
    if not len(outside) or not len(local):
        return []
    parts = []
    for supplier_rows, customer_rows, outside_supplies in (
        (outside, local, True),
        (local, outside, False),
    ):
        scores = _l3(adj, supplier_rows, customer_rows)
        s, c = supplier_rows[scores.row], customer_rows[scores.col]
        parts.append((s, c, scores.data, outside_supplies))
    sup = np.concatenate([p[0] for p in parts])
    cus = np.concatenate([p[1] for p in parts])
    score = np.concatenate([p[2] for p in parts])
    keep = (score > 0) & (sup != cus)
    sup, cus, score = sup[keep], cus[keep], score[keep]
    n = np.int64(view.n_firms)
    existing = view.supplier_of_link.astype(np.int64) * n + view.out_indices
    linked = np.isin(sup * n + cus, existing) | np.isin(cus * n + sup, existing)
    sup, cus, score = sup[~linked], cus[~linked], score[~linked]
    if not len(score):
        return []
    order = np.lexsort((cus, sup, -score))[:limit]
    top = float(score[order[0]])
    return [
        PredictedLink(
            supplier=int(sup[i]), customer=int(cus[i]), probability=round(float(score[i]) / top, 4)
        )
        for i in order
    ]
