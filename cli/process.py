"""Settings of the ``chainscout`` command's own process, made before a command runs.

**Small pages for numpy's arrays.** numpy asks the kernel for transparent huge pages for every
array of 4 MB or more (``madvise``). Where the kernel's THP ``defrag`` setting is ``madvise``,
the default of many distributions, the first touch of such an array may have to compact memory
before a huge page can be handed out. A command touches all its memory for the first time:
on a view of 1,000,000 firms and 5,000,000 links, the first ranking of a new process spent about
twice the system time with huge pages and took about a second longer
(``benchmarks/bench_targets.py`` prints that call as a command meets it). Later calls in the
same process ran at the same speed either way, so the command turns the advice off for its own
process. A library caller keeps numpy's default; ``NUMPY_MADVISE_HUGEPAGE`` (numpy's own
switch, read when numpy is imported) is left to decide when it is set.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import cast


def _hugepage_switch() -> Callable[[bool], bool] | None:
    """numpy's run-time switch of the huge-page advice, where this numpy has one."""
    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):  # numpy 2, numpy 1
        try:
            multiarray = importlib.import_module(name)
        except ImportError:
            continue
        switch = getattr(multiarray, "_set_madvise_hugepage", None)
        return cast("Callable[[bool], bool] | None", switch)
    return None


def prefer_small_pages() -> bool:
    """Turn off numpy's huge-page advice for this process, unless ``NUMPY_MADVISE_HUGEPAGE``
    says otherwise; True when it was turned off here."""
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return False
    switch = _hugepage_switch()
    if switch is None:
        return False
    switch(False)
    return True
