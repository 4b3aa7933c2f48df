"""watch is a capability: it imports no other capability and no adapter (the linking lives in services)."""

from __future__ import annotations

import ast
from pathlib import Path

import allychain.watch

FORBIDDEN = ("allychain.analysis", "allychain.simulate", "allychain.optimize", "allychain.api", "allychain.cli",
             "allychain.report", "allychain.services", "allychain.web")


def test_watch_imports_no_other_capability() -> None:
    root = Path(allychain.watch.__file__).parent
    bad = []
    for py in root.rglob("*.py"):
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            bad += [f"{py.name}: {n}" for n in names if n.startswith(FORBIDDEN)]
    assert not bad, bad
