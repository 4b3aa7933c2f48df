"""Reading and validating the YAML decision files (allocation plans, stockpile specs).

Every problem raises :class:`~allychain.errors.ScenarioError` naming the file, the key
(a path such as ``shortfalls[2].amount``), the value found and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from allychain.errors import ScenarioError

__all__ = ["load_yaml", "Spec"]


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Parse a YAML file that must hold a mapping."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: no such file; expected a YAML file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: not valid YAML ({exc}); expected a YAML mapping") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: the top level is {type(data).__name__}; expected a mapping of keys")
    return data


class Spec:
    """Typed access to one mapping of a YAML file, with precise error messages."""

    def __init__(self, data: Any, file: str, key: str = "") -> None:
        self.file, self.key = file, key
        if not isinstance(data, dict):
            self.fail(data, "a mapping of keys")
        self.data: dict[str, Any] = data

    def _k(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def fail(self, value: Any, expected: str, name: str | None = None) -> None:
        key = self._k(name) if name is not None else (self.key or "(top level)")
        raise ScenarioError(f"{self.file}: key '{key}': got {value!r}; expected {expected}")

    def check_keys(self, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for k in self.data:
            if k not in allowed:
                self.fail(k, "one of " + ", ".join(allowed), name=str(k))

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def text(self, name: str, default: Any = ..., choices: Iterable[str] | None = None) -> Any:
        v = self.data.get(name)
        if v is None:
            if default is ...:
                self.fail(None, "a value (required)", name)
            return default
        if isinstance(v, (bool, dict, list)):
            self.fail(v, "a text value", name)
        v = str(v)
        if choices is not None and v not in list(choices):
            self.fail(v, "one of " + ", ".join(choices), name)
        return v

    def num(self, name: str, default: Any = ..., low: float = -math.inf, high: float = math.inf,
            expected: str | None = None) -> Any:
        v = self.data.get(name)
        if v is None:
            if default is ...:
                self.fail(None, (expected or "a number") + " (required)", name)
            return default
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
            self.fail(v, expected or "a finite number", name)
        if not low <= float(v) <= high:
            self.fail(v, expected or f"a number from {low:g} to {high:g}", name)
        return float(v)

    def flag(self, name: str, default: bool = False) -> bool:
        v = self.data.get(name)
        if v is None:
            return default
        if not isinstance(v, bool):
            self.fail(v, "true or false", name)
        return v

    def seq(self, name: str, required: bool = False) -> list[Spec | Any]:
        v = self.data.get(name)
        if v is None:
            if required:
                self.fail(None, "a list (required)", name)
            return []
        if not isinstance(v, list):
            self.fail(v, "a list", name)
        return v

    def records(self, name: str, required: bool = False) -> list[Spec]:
        return [Spec(v, self.file, f"{self._k(name)}[{i}]") for i, v in enumerate(self.seq(name, required))]

    def mapping(self, name: str) -> dict[str, Any]:
        v = self.data.get(name)
        if v is None:
            return {}
        if not isinstance(v, dict):
            self.fail(v, "a mapping", name)
        return v
