"""One exception family for allychain.

Every error the library raises on purpose derives from :class:`AllychainError`, so a
caller (the CLI, the REST API) can catch one class and show a clean message instead
of a traceback.  Data errors carry *where* (file, row, column), *what* (the value)
and *what was expected*; several problems found in one pass travel together in
:attr:`DataError.problems`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Problem", "AllychainError", "DataError", "ConsistencyError", "InvariantError", "ScenarioError",
           "show_value", "SpecError", "AllychainDeprecationWarning", "InfeasibleError", "SolverError",
           "DownloadError", "MissingExtraError", "DeviceUnavailableError", "UnknownMemberError", "OutputError",
           "DisclosureError",
           "TextInputError", "WorkspaceUnavailable", "WorkspaceError", "AuthenticationError", "PermissionDenied",
           "NotFound", "Conflict", "PreconditionFailed", "TooManyAttempts", "AuditChainError", "PayloadTooLarge",
           "UnsupportedMediaType", "ResourceLimitError"]

Severity = Literal["error", "warning"]


def _shown(value: Any) -> str:
    """A value as read, for a message: strings quoted, numpy scalars as plain numbers
    (``-1``, never ``np.int64(-1)``)."""
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        try:
            value = item()
        except (TypeError, ValueError):
            pass
    return repr(value)


@dataclass(frozen=True)
class Problem:
    """One finding of a validation pass.

    Parameters
    ----------
    message
        What is wrong, in words a data owner understands.
    file, row, column
        Where.  ``row`` is the 1-based line number in the file as a text editor
        shows it (the header is line 1), or ``None`` where the problem is not
        tied to one row.
    value
        The offending value, as read.
    expected
        What would have been accepted.
    check
        Name of the check that found it (e.g. ``"share_sum"``); empty for
        boundary errors.
    severity
        ``"error"`` (the data cannot be used) or ``"warning"`` (it can, but a
        cross-table check failed; ``strict`` turns it into an error).
    omitted
        For a summary at the end of a capped list: how many further problems of
        the same kind were found but not listed (0 for an ordinary problem).
    """

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: Any = None
    expected: str | None = None
    check: str = ""
    severity: Severity = "error"
    omitted: int = 0

    @property
    def count(self) -> int:
        """How many problems this entry stands for (``omitted`` for a summary, else 1)."""
        return self.omitted or 1

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        loc = self.location()
        text = f"{loc}: {self.message}" if loc else self.message
        if self.value is not None and not (isinstance(self.value, float) and self.value != self.value):
            text += f" (got {_shown(self.value)})"
        if self.expected:
            text += f"; expected {self.expected}"
        if self.check:
            text += f" [{self.check}]"
        return text

    def to_dict(self) -> dict[str, Any]:
        value = self.value
        if value is not None and not isinstance(value, (str, int, float, bool)):
            value = str(value)
        return {
            "severity": self.severity,
            "check": self.check or None,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": value,
            "expected": self.expected,
            "message": self.message,
            "omitted": self.omitted,
        }


class AllychainError(Exception):
    """Base class of every error allychain raises on purpose."""


class DataError(AllychainError):
    """Input data cannot be read or violates the schema (boundary tier).

    Holds every problem found, not just the first; ``str()`` lists them.
    """

    def __init__(self, problems: Problem | str | Iterable[Problem], **where: Any) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, **where)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self._text())

    @property
    def total(self) -> int:
        """Number of problems found, including those counted but not listed (capped lists)."""
        return sum(p.count for p in self.problems)

    def _text(self) -> str:
        if len(self.problems) == 1 and not self.problems[0].omitted:
            return str(self.problems[0])
        head = f"{self.total:,} problems found:"
        shown = [f"  - {p}" for p in self.problems[:50]]
        if len(self.problems) > 50:
            shown.append(f"  … and {len(self.problems) - 50} more")
        return "\n".join([head, *shown])


class ConsistencyError(DataError):
    """A named cross-table check failed while running in strict mode."""


class InvariantError(AllychainError, AssertionError):
    """An internal invariant guard failed: a bug in allychain, not in the data."""


class ScenarioError(AllychainError):
    """A scenario or specification file is invalid."""


def show_value(value: Any, limit: int = 80) -> str:
    """``repr`` of a value for a message, shortened: long texts and collections are cut at
    ``limit`` characters and integers too long to print are described by their digit count."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**18:
        if value.bit_length() < 13_000:
            return f"an integer of {len(str(abs(value)))} digits"
        return f"an integer of about {int(abs(value).bit_length() * 0.30103) + 1} digits"
    if isinstance(value, float) and hasattr(value, "text"):
        return repr(value.text)
    if isinstance(value, float) and value != value:
        return ".nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    try:
        text = repr(value)
    except ValueError:  # pragma: no cover - defensive (int repr limits inside containers)
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SpecError(ScenarioError):
    """One invalid value of a specification file (scenario, Monte Carlo, plan, stockpile).

    The message has one format everywhere: ``FILE: key 'KEY.PATH': got VALUE; expected WHAT``.
    """

    def __init__(self, file: str, key: str, value: Any, expected: str, *, message: str | None = None) -> None:
        self.file, self.key, self.value, self.expected = str(file), key, value, expected
        where = f"{self.file}: key '{key}'" if key else self.file
        text = message if message is not None else f"got {show_value(value)}; expected {expected}"
        super().__init__(f"{where}: {text}")


class AllychainDeprecationWarning(FutureWarning):
    """A deprecated name (a YAML key, an option) was used; the message names its replacement.

    A :class:`FutureWarning` so that people who run allychain, not only developers, see it.
    """


class InfeasibleError(AllychainError):
    """An optimisation problem has no solution; the message says which constraints conflict.

    ``conflicting`` names the constraints of an irreducible conflicting set where the
    model computed one (the allocation's MOU commitments), else it is empty.
    """

    def __init__(self, message: str, conflicting: list[str] | None = None) -> None:
        super().__init__(message)
        self.conflicting = list(conflicting or [])


class SolverError(AllychainError):
    """A solver failed for a reason other than infeasibility."""


class DownloadError(AllychainError):
    """Fetching a dataset failed (offline, bad address, corrupt file)."""


class MissingExtraError(AllychainError, ImportError):
    """An optional part of allychain is not installed; the message names the extra to install."""


class DeviceUnavailableError(AllychainError):
    """A compute device that was asked for (e.g. a CUDA GPU) is not available on this machine."""


class UnknownMemberError(AllychainError, ValueError):
    """A member name or code could not be resolved to a country or firm."""


class OutputError(AllychainError):
    """A result cannot be written where asked: wrong kind of path, not writable, not an
    earlier result (without ``--overwrite``), or another run is writing it."""


class DisclosureError(AllychainError):
    """A release would disclose a confidential figure (or cannot be shown not to); nothing was released.

    ``report`` holds the audit table (one row per audited cell, its attacker interval and
    whether it is safe) where one was computed.
    """

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class TextInputError(AllychainError, ValueError):
    """A document cannot be read as text: too large, binary, undecodable, or an unreadable PDF."""


class WorkspaceUnavailable(AllychainError):
    """The workspace database cannot be used: unreachable, empty, or at another schema revision."""


class WorkspaceError(AllychainError):
    """A workspace request cannot be served (see the subclasses for the HTTP answer)."""

    status = 400
    kind = "workspace-error"
    title = "Request cannot be served"


class AuthenticationError(WorkspaceError):
    """No valid credentials: missing, unknown, expired or revoked token, or a wrong password."""

    status, kind, title = 401, "unauthenticated", "Authentication required"


class PermissionDenied(WorkspaceError):
    """The caller's roles do not allow the action (the permission matrix has no grant)."""

    status, kind, title = 403, "forbidden", "Not permitted"


class NotFound(WorkspaceError):
    """No such object — or one the caller may not know exists (answered the same way)."""

    status, kind, title = 404, "not-found", "Not found"


class Conflict(WorkspaceError):
    """The object already exists or its state does not allow the action."""

    status, kind, title = 409, "conflict", "Conflict"


class PreconditionFailed(WorkspaceError):
    """An If-Match version is stale: someone changed the object since it was read."""

    status, kind, title = 412, "precondition-failed", "Stale version"


class TooManyAttempts(WorkspaceError):
    """Too many failed logins for this account; try again later."""

    status, kind, title = 429, "too-many-attempts", "Too many failed attempts"


class AuditChainError(WorkspaceError):
    """The audit chain does not verify; ``seq`` names the first bad record."""

    status, kind, title = 500, "audit-chain-broken", "Audit chain broken"

    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq


class InvalidRecord(WorkspaceError):
    """A record sent to the workspace (an agreement, an incident) is invalid; ``problems``
    lists every problem, each naming where (``commitments[1].min_share``) and what was expected.
    Nothing is stored."""

    status, kind, title = 422, "invalid-record", "Invalid record"

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class CommitmentConflict(Conflict, InfeasibleError):
    """Commitments that cannot all be honoured at once (the allocation LP is infeasible);
    ``conflicting`` names the smallest conflicting set found."""

    status, kind, title = 409, "commitments-conflict", "Commitments cannot all be honoured"

    def __init__(self, message: str, conflicting: list[str] | None = None) -> None:
        InfeasibleError.__init__(self, message, conflicting)


class PayloadTooLarge(WorkspaceError):
    """An upload exceeds the workspace's size limit."""

    status, kind, title = 413, "payload-too-large", "Upload too large"


class UnsupportedMediaType(WorkspaceError):
    """An upload in a content type the workspace does not take."""

    status, kind, title = 415, "unsupported-media-type", "Unsupported content type"


class ResourceLimitError(AllychainError):
    """A computation would need more memory than allowed; refused before anything is allocated.

    Attributes ``needed`` and ``limit`` are in bytes; the message gives both, what the
    memory would be spent on and how to change the limit (``ALLYCHAIN_MEMORY_LIMIT``).
    """

    def __init__(self, message: str, needed: int = 0, limit: int = 0) -> None:
        super().__init__(message)
        self.needed = needed
        self.limit = limit
