"""What the store and view tests share."""

from __future__ import annotations

import dataclasses

import numpy as np

from chainscout.graph import ChainView


def field_values(view: ChainView) -> dict[str, object]:
    """Every field of a view as plain comparable values (arrays with their dtype)."""
    out: dict[str, object] = {}
    for f in dataclasses.fields(ChainView):
        value = getattr(view, f.name)
        if hasattr(value, "tocsr"):
            value = [(p, getattr(value, p).dtype.str, getattr(value, p).tolist())
                     for p in ("data", "indices", "indptr")] + [value.shape]  # fmt: skip
        elif hasattr(value, "dtype"):
            array = np.asarray(value)
            value = (array.dtype.str, array.shape, [
                None if isinstance(x, float) and np.isnan(x) else x for x in array.tolist()
            ])  # fmt: skip
        out[f.name] = value
    return out
