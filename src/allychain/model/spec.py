"""Typed access to a parsed specification mapping, with one error format.

Every specification file (scenario, Monte Carlo, allocation plan, stockpile) is read by
:mod:`allychain.data.spec` into plain Python values; the capability that owns the file's
meaning then walks it with :class:`Spec`.  Every problem is a
:class:`~allychain.errors.SpecError`: ``FILE: key 'KEY.PATH': got VALUE; expected WHAT``.

Names that were renamed keep working for a while: :meth:`Spec.check_keys` accepts a
mapping ``{old: new}``, reads the old key as the new one and warns with
:class:`~allychain.errors.AllychainDeprecationWarning`.

This module is pure (no I/O): the same checks serve files, API uploads and Python dicts.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from allychain.errors import AllychainDeprecationWarning, SpecError

__all__ = ["Spec", "MAX_INTEGER", "check_values", "names_of"]

#: the largest integer magnitude a specification may hold (2**53: beyond it floats lose units)
MAX_INTEGER = 2**53


def check_values(doc: Any, file: str, key: str = "") -> None:
    """Refuse values no specification can mean: non-finite numbers (``.inf``, ``.nan``,
    ``1e309``) and integers beyond ±2**53, wherever they are, naming the key path.

    Raises
    ------
    SpecError
        For the first such value (depth-first, in file order).
    """
    stack: list[tuple[str, Any]] = [(key, doc)]
    while stack:
        k, v = stack.pop()
        if isinstance(v, bool) or v is None or isinstance(v, str):
            continue
        if isinstance(v, float):
            if not math.isfinite(v):
                raise SpecError(file, k or "(top level)", v, "a finite number (within ±1.8e308; not .inf or .nan)")
        elif isinstance(v, int):
            if abs(v) > MAX_INTEGER:
                raise SpecError(file, k or "(top level)", v, f"an integer within ±{MAX_INTEGER:,} (2**53)")
        elif isinstance(v, Mapping):
            stack.extend((f"{k}.{name}" if k else str(name), val) for name, val in reversed(list(v.items())))
        elif isinstance(v, (list, tuple)):
            stack.extend((f"{k}[{i}]", val) for i, val in reversed(list(enumerate(v))))


def names_of(value: Any) -> tuple[str, ...] | None:
    """A name or a list of names as a tuple of texts; ``None`` when ``value`` is neither."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, int) and not isinstance(value, bool):
        return (str(value),)
    if isinstance(value, list) and all(isinstance(x, str) or (isinstance(x, int) and not isinstance(x, bool))
                                       for x in value):
        return tuple(str(x) for x in value)
    return None


class Spec:
    """Typed access to one mapping of a specification, with precise error messages.

    Parameters
    ----------
    data
        The mapping (anything else is reported as "expected a mapping of keys").
    file
        The file (or "uploaded scenario") the mapping comes from, for messages.
    key
        The key path of this mapping inside the file (``shocks[2]``); empty at the top.
    """

    def __init__(self, data: Any, file: str, key: str = "") -> None:
        self.file, self.key = str(file), key
        if data is None and key == "":
            data = {}
        if not isinstance(data, Mapping):
            self.fail(data, "a mapping of keys")
        self.data: dict[str, Any] = {str(k): v for k, v in data.items()}

    # -- messages -------------------------------------------------------------------------
    def path(self, name: str | None = None) -> str:
        """The key path of ``name`` in this mapping (or of the mapping itself)."""
        if name is None:
            return self.key or "(top level)"
        return f"{self.key}.{name}" if self.key else name

    def fail(self, value: Any, expected: str, name: str | None = None) -> NoReturn:
        """Raise a :class:`SpecError` for ``value`` at ``name`` (or at this mapping)."""
        raise SpecError(self.file, self.path(name), value, expected)

    # -- keys -----------------------------------------------------------------------------
    def check_keys(self, allowed: Iterable[str], renamed: Mapping[str, str] | None = None) -> None:
        """Refuse unknown keys; read renamed ones under their new name, with a warning.

        ``renamed`` maps an old key to its new name; giving both is an error.
        """
        allowed = list(allowed)
        for old, new in (renamed or {}).items():
            if old not in self.data:
                continue
            if new in self.data:
                self.fail(self.data[old], f"only one of '{new}' and its old name '{old}'", old)
            warnings.warn(f"{self.file}: key '{self.path(old)}' is deprecated; call it '{new}'",
                          AllychainDeprecationWarning, stacklevel=3)
            self.data[new] = self.data.pop(old)
        for k in self.data:
            if k not in allowed:
                self.fail(self.data[k], "one of the keys " + ", ".join(allowed), k)

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    # -- values ---------------------------------------------------------------------------
    def text(self, name: str, default: Any = ..., choices: Iterable[str] | None = None) -> Any:
        """A text value (numbers are accepted as their text); ``choices`` limits it."""
        v = self.data.get(name)
        if v is None:
            if default is ...:
                self.fail(None, "a value (required)", name)
            return default
        if isinstance(v, (bool, dict, list, float)):
            self.fail(v, "a text value", name)
        v = str(v)
        if choices is not None and v not in (choices := list(choices)):
            self.fail(v, "one of " + ", ".join(choices), name)
        return v

    def num(self, name: str, default: Any = ..., low: float = -math.inf, high: float = math.inf,
            expected: str | None = None) -> Any:
        """A finite number from ``low`` to ``high`` (inclusive), as a float."""
        v = self.data.get(name)
        if v is None:
            if default is ...:
                self.fail(None, (expected or "a number") + " (required)", name)
            return default
        return self.number(v, name, low, high, expected)

    def number(self, v: Any, name: str, low: float = -math.inf, high: float = math.inf,
               expected: str | None = None) -> float:
        """Check one value (found under ``name``) as :meth:`num` does."""
        rng = (f" from {low:g} to {high:g}" if math.isfinite(low) and math.isfinite(high) else
               f" >= {low:g}" if math.isfinite(low) else f" <= {high:g}" if math.isfinite(high) else "")
        exp = expected or f"a finite number{rng}"
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.fail(v, exp, name)
        if isinstance(v, int) and abs(v) > 2**53:
            self.fail(v, exp, name)
        f = float(v)
        if not math.isfinite(f) or not low <= f <= high:
            self.fail(v, exp, name)
        return f

    def integer(self, name: str, default: Any = ..., low: int | None = None, high: int | None = None,
                expected: str | None = None) -> Any:
        """A whole number (``3`` or ``3.0``) from ``low`` to ``high``, as an int."""
        v = self.data.get(name)
        if v is None:
            if default is ...:
                self.fail(None, (expected or "an integer") + " (required)", name)
            return default
        lo = -math.inf if low is None else low
        hi = math.inf if high is None else high
        rng = (f" from {low} to {high}" if low is not None and high is not None else
               f" >= {low}" if low is not None else f" <= {high}" if high is not None else "")
        exp = expected or f"a whole number{rng}"
        f = self.number(v, name, lo, hi, exp)
        if f != int(f):
            self.fail(v, exp, name)
        return int(f)

    def flag(self, name: str, default: bool = False) -> bool:
        v = self.data.get(name)
        if v is None:
            return default
        if not isinstance(v, bool):
            self.fail(v, "true or false", name)
        return v

    def names(self, name: str) -> tuple[str, ...]:
        """A name or a list of names (empty when absent)."""
        out = names_of(self.data.get(name))
        if out is None:
            self.fail(self.data.get(name), "a name or a list of names", name)
        return out

    def seq(self, name: str, required: bool = False) -> list[Any]:
        v = self.data.get(name)
        if v is None:
            if required:
                self.fail(None, "a list (required)", name)
            return []
        if not isinstance(v, list):
            self.fail(v, "a list", name)
        return v

    def records(self, name: str, required: bool = False) -> list[Spec]:
        """The mappings of the list under ``name``, each as a :class:`Spec`."""
        return [Spec(v, self.file, f"{self.path(name)}[{i}]") for i, v in enumerate(self.seq(name, required))]

    def mapping(self, name: str) -> dict[str, Any]:
        v = self.data.get(name)
        if v is None:
            return {}
        if not isinstance(v, Mapping):
            self.fail(v, "a mapping", name)
        return {str(k): x for k, x in v.items()}

    def sub(self, name: str) -> Spec:
        """The mapping under ``name`` as a :class:`Spec` (empty when absent)."""
        return Spec(self.mapping(name), self.file, self.path(name))
