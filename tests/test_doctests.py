"""The examples in the public docstrings run and print what they say.

Every module of the package is searched for ``>>>`` examples; each module that has
some is one test case, so a failing example names its module.  Modules are found by
walking the package, not listed by hand, so a new example cannot be forgotten.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import allychain


def _modules_with_examples() -> list[str]:
    found = []
    for info in pkgutil.walk_packages(allychain.__path__, prefix="allychain."):
        spec = importlib.util.find_spec(info.name)
        origin = getattr(spec, "origin", None) if spec else None
        if origin and origin.endswith(".py"):
            with open(origin, encoding="utf-8") as fh:
                if ">>>" in fh.read():
                    found.append(info.name)
    return sorted(found)


MODULES = _modules_with_examples()


def test_examples_are_found() -> None:
    # the package documents its public functions with examples; finding few means the walk broke
    assert len(MODULES) >= 5, MODULES
    runnable = 0
    finder = doctest.DocTestFinder(exclude_empty=True)
    for name in MODULES:
        for t in finder.find(importlib.import_module(name), name):
            runnable += sum(1 for ex in t.examples if not ex.options.get(doctest.SKIP))
    assert runnable >= 20, runnable


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name) if t.examples]
    assert tests, f"{name} mentions '>>>' but no runnable example was found"
    for t in tests:
        runner.run(t, out=lambda s: None)
    result = runner.summarize(verbose=False)
    if result.failed:
        # rerun to collect the report for the assertion message
        lines: list[str] = []
        runner2 = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        for t in tests:
            runner2.run(t, out=lines.append)
        pytest.fail("".join(lines))
    if result.attempted == 0:
        pytest.skip(f"{name}: every example is marked '+SKIP' (needs the ETO data or runs for long)")
