"""Terminal output of the CLI: consoles that print text verbatim, and the exit-status scheme.

Text that reaches the terminal comes from users' data and files: paths, ids, names,
option values, messages.  Rich would read ``[bold]`` or ``[/]`` in such text as markup
and swallow it or fail with ``MarkupError``, and ``:smile:`` as an emoji code.  Every
console made here therefore has markup, emoji codes and highlighting switched off;
style is given with ``style=`` or :class:`rich.text.Text` parts, never with markup
inside a string.

Exit status (the same for every command; also in ``allychain --help`` and the README):

====  =====================================================================================
0     success
1     the computation ran but failed: infeasible plan, solver failure, no solution, a release
      disclosure control refuses, an audit chain that does not verify
2     usage: unknown command or option, missing argument, option value out of range
3     invalid input: data, scenario, plan or spec files; names the data or allychain must
      resolve (item ids, member names, rule names, chart file types)
4     environment: missing optional extra, download or network failure, unreadable or
      unwritable file or folder, an output in the way or being written by another run,
      not enough memory, a workspace database that cannot be reached or is not migrated
5     not permitted: no valid credentials, a role without the permission, too many attempts
70    internal error: a bug in allychain (the message asks for a report)
130   interrupted (Ctrl-C)
141   the output was closed early (piped into ``head``); nothing is printed, as for SIGPIPE
====  =====================================================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

__all__ = ["EXIT_CODES", "EXIT_HELP", "console", "error", "exit_code_for", "warn"]

OK, FAILED, USAGE, INVALID_INPUT, ENVIRONMENT, NOT_PERMITTED, INTERNAL, INTERRUPTED = 0, 1, 2, 3, 4, 5, 70, 130
BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a program the signal ended

EXIT_CODES: dict[int, str] = {
    OK: "success",
    FAILED: "the computation failed (infeasible, solver failure)",
    USAGE: "usage error (unknown command or option, bad option value)",
    INVALID_INPUT: "invalid input (data, scenario, plan, unknown ids or members)",
    ENVIRONMENT: "environment (missing extra, download, file system, memory)",
    NOT_PERMITTED: "not permitted (credentials, role)",
    INTERNAL: "internal error (a bug: please report it)",
    INTERRUPTED: "interrupted",
    BROKEN_PIPE: "output closed early (e.g. piped into head)",
}

EXIT_HELP = "Exit status: " + "; ".join(f"{code} {what}" for code, what in EXIT_CODES.items()) + "."

BUG_REPORT = ("this is a bug in allychain; please report it with the command you ran and this message "
              "(run again with --verbose for details)")


def console(stderr: bool = False, **kwargs: Any) -> Console:
    """A Rich console that prints strings verbatim (no markup, emoji codes or highlighting)."""
    from rich.console import Console

    kwargs.setdefault("markup", False)
    kwargs.setdefault("emoji", False)
    kwargs.setdefault("highlight", False)
    return Console(stderr=stderr, **kwargs)


def _label(label: str, style: str, message: str, stderr: bool = True) -> None:
    from rich.text import Text

    console(stderr=stderr, soft_wrap=True).print(Text.assemble((label, style), " ", message))


def error(message: str) -> None:
    """Print ``error: MESSAGE`` on stderr; the message is shown as it is."""
    _label("error:", "bold red", message)


def warn(message: str) -> None:
    """Print ``warning: MESSAGE`` on stderr; the message is shown as it is."""
    _label("warning:", "yellow", message)


def exit_code_for(exc: BaseException) -> int:
    """The exit status for an exception that ends a command (see the module's table)."""
    from allychain import errors

    table: list[tuple[type[BaseException], int]] = [
        (errors.InvariantError, INTERNAL),
        (errors.InfeasibleError, FAILED),
        (errors.SolverError, FAILED),
        (errors.DisclosureError, FAILED),
        (errors.AuditChainError, FAILED),
        (errors.AuthenticationError, NOT_PERMITTED),
        (errors.PermissionDenied, NOT_PERMITTED),
        (errors.TooManyAttempts, NOT_PERMITTED),
        (errors.DownloadError, ENVIRONMENT),
        (errors.MissingExtraError, ENVIRONMENT),
        (errors.DeviceUnavailableError, ENVIRONMENT),
        (errors.OutputError, ENVIRONMENT),
        (errors.WorkspaceUnavailable, ENVIRONMENT),
    ]
    for cls, code in table:
        if isinstance(exc, cls):
            return code
    if isinstance(exc, errors.AllychainError):
        return INVALID_INPUT
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED
    if isinstance(exc, (OSError, MemoryError)):
        return ENVIRONMENT
    return INTERNAL
