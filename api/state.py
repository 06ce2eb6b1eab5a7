"""What the running API holds: the open store, a lock around it, views and rankings it caches."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import anyio

from chainscout.analysis.targets import TargetParams, TargetRanking, rank_targets
from chainscout.graph import GraphStore
from chainscout.graph.view import ChainView
from chainscout.settings import Settings

from .errors import TimeoutError_

__all__ = ["AppState", "hash_key"]

T = TypeVar("T")


def hash_key(key: str) -> str:
    """The SHA-256 hex digest under which an API key is configured (keys are never stored)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class _LRU(OrderedDict[str, object]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_or(self, key: str, make: Callable[[], T]) -> T:
        if key in self:
            self.move_to_end(key)
            return self[key]  # type: ignore[return-value]
        value = make()
        self[key] = value
        while len(self) > self.size:
            self.popitem(last=False)
        return value


class AppState:
    """The store and the caches. One lock serialises store access: the embedded store's
    connection is not shared between threads at once."""

    def __init__(self, settings: Settings, store: GraphStore) -> None:
        self.settings = settings
        self.store = store
        self.lock = threading.RLock()
        self._views = _LRU(8)
        self._rankings = _LRU(32)
        self._pages = _LRU(512)

    async def call(self, fn: Callable[[], T], *, limited: bool = True) -> T:
        """Run a store call in a worker thread, under the lock, within the time limit
        (``api_timeout_seconds``), or without one when not ``limited``."""

        def locked() -> T:
            with self.lock:
                return fn()

        if not limited:
            return await anyio.to_thread.run_sync(locked)
        try:
            with anyio.fail_after(self.settings.api_timeout_seconds):
                return await anyio.to_thread.run_sync(locked, abandon_on_cancel=True)
        except TimeoutError:
            raise TimeoutError_(
                f"The store did not answer within {self.settings.api_timeout_seconds:g} s;"
                " try a narrower request, or raise api_timeout_seconds."
            ) from None

    def view(self, chain: str, region: str) -> ChainView:
        """The view of a chain from a region, cached until the next import."""
        return self._views.get_or(f"{chain}|{region}", lambda: self.store.view(chain, region))

    def ranking(self, chain: str, region: str, params: TargetParams) -> TargetRanking:
        """The full ranking for these parameters, cached: pages are cut from it."""
        key = f"{chain}|{region}|{json.dumps(params.model_dump(mode='json'), sort_keys=True)}"
        return self._rankings.get_or(
            key, lambda: rank_targets(self.view(chain, region), params, limit=None)
        )

    def page(self, key: str) -> tuple[bytes, str] | None:
        """A response body served before for exactly this request (see ``page_key``), and the
        role it needs, if still cached."""
        kept = self._pages.get(key)
        if kept is not None:
            self._pages.move_to_end(key)
        return kept  # type: ignore[return-value]

    def keep_page(self, key: str, body: bytes, role: str = "viewer") -> None:
        """Keep a JSON response body to serve again, until the next write, to callers with
        ``role``."""
        self._pages.get_or(key, lambda: (body, role))

    def invalidate(self) -> None:
        """Forget cached views, rankings and pages (after a write)."""
        self._views.clear()
        self._rankings.clear()
        self._pages.clear()
