"""Settings of the ``chainscout`` command's own process, made before a command runs.

**Small pages for numpy's arrays.** numpy asks the kernel for transparent huge pages for every
array of 4 MB or more (``madvise``), and a command touches all its memory for the first time.
Measured on a view of 1,000,000 firms and 5,000,000 links, on a two-core virtual machine whose
kernel has THP set to ``madvise``: with huge pages, the first ranking of a new process took up
to a second longer, with twice the system time, whenever the process before it had used small
pages (a median of 2.92 s against 1.84 s, eight processes of each in turn); run back to back,
huge-page processes were as fast as small-page ones. The kernel counted no compaction stall,
so the cost lies in where it finds free huge pages, outside the process. Otherwise the two
were about as fast, first call or later ones, so the command turns the advice off for its own
process, and its time no longer depends on what ran before it. A library caller keeps numpy's
default; ``NUMPY_MADVISE_HUGEPAGE`` (numpy's own switch, read when numpy is imported) decides
when set.
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
