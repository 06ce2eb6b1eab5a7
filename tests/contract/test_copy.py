"""``chainscout copy`` both ways: the demo city copied into each store and back is unchanged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainscout.cli.copy import copy_store
from chainscout.graph import EmbeddedStore, GraphStore

Snap = Callable[[GraphStore], dict[str, Any]]


def test_copy_into_a_store_and_back_keeps_everything(
    store: GraphStore, reference: GraphStore, snap: Snap
) -> None:
    want = snap(reference)
    written = copy_store(reference, store, batch_rows=700)
    assert written["enterprises"] == want["counts"].enterprises
    assert snap(store) == want
    with EmbeddedStore(":memory:") as back:
        copy_store(store, back)
        assert snap(back) == want
    copy_store(reference, store)
    assert snap(store) == want
