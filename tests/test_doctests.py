"""The examples in the docstrings run, and say what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import chainscout

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(chainscout.__path__, prefix="chainscout.")
    if not m.name.startswith(("chainscout.tests", "chainscout.benchmarks", "chainscout.scripts"))
    and ".__main__" not in m.name
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
