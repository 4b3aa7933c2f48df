"""The ``allychain`` command line: parse → call the public Python API → render.

Results go to stdout, logs and progress to stderr.  Every ending — a usage error, an
error allychain raises on purpose, anything unexpected — is shown as a message, never a
traceback, and the exit status follows one scheme (:mod:`allychain.cli.console`):
0 success, 1 failed computation, 2 usage, 3 invalid input, 4 environment, 70 internal
error, 130 interrupted.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import typer

from allychain.cli.console import BROKEN_PIPE, EXIT_HELP, INVALID_INPUT
from allychain.cli.options import positive
from allychain.cli.render import Format, emit
from allychain.errors import AllychainError

__all__ = ["SHOWN_PROBLEMS", "app", "data_validate", "data_info", "data_download", "data_export", "data_generate", "items_cmd",
           "show_cmd", "demo_cmd", "main"]

logger = logging.getLogger(__name__)
SHOWN_PROBLEMS = 50  # problems listed on the terminal; --format json lists all

app = typer.Typer(
    name="allychain",
    help="Map, stress-test and defend an alliance's shared semiconductor supply chain.",
    epilog=EXIT_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are shown as written ('allychain[sim]' stays whole)
)
data_app = typer.Typer(help="Data: validate, describe, download, generate.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(data_app, name="data")


def _register_capabilities() -> None:
    """Sub-command groups of the capability layers (each module imports its heavy
    libraries lazily, inside the commands)."""
    from allychain.cli import analyze, optimize

    app.add_typer(analyze.app, name="analyze")
    app.add_typer(optimize.app, name="optimize")
    from allychain.cli import simulate as simulate_cli

    app.command("simulate")(simulate_cli.simulate_cmd)
    app.command("montecarlo")(simulate_cli.montecarlo_cmd)
    from allychain.cli import report as report_cli
    from allychain.cli import serve as serve_cli

    app.command("report")(report_cli.report_cmd)
    app.command("serve")(serve_cli.serve_cmd)
    from allychain.cli import workspace as workspace_cli
    from allychain.cli import (
        workspace_agreements,  # noqa: F401 - registers workspace agreement …
        workspace_dialogues,  # noqa: F401 - registers workspace dialogue …
        workspace_incidents,  # noqa: F401 - registers workspace incident …
        workspace_publish,  # noqa: F401 - registers publish, aggregates, releases
    )

    app.add_typer(workspace_cli.app, name="workspace")
    from allychain.cli import watch as watch_cli

    app.add_typer(watch_cli.app, name="watch")
    from allychain.cli import talent as talent_cli

    app.add_typer(talent_cli.app, name="talent")
    from allychain.cli import hindcast as hindcast_cli

    app.command("hindcast")(hindcast_cli.hindcast_cmd)
    from allychain.cli import energy as energy_cli

    app.add_typer(energy_cli.app, name="energy")


_register_capabilities()


def _plain_help(t: typer.Typer) -> None:
    """Show every help text as written: no Rich markup in any group, present or added later
    (a help text saying ``pip install 'allychain[pdf]'`` must keep its brackets)."""
    t.rich_markup_mode = None
    for group in t.registered_groups:
        if group.typer_instance is not None:
            _plain_help(group.typer_instance)


_plain_help(app)

DataOpt = typer.Option("builtin", "--data", "-d", help="builtin, eto, a folder, or a '+' combination (builtin+eto).")
FormatOpt = typer.Option(Format.table, "--format", "-f", help="Output format.")


def _err(message: str) -> None:
    from allychain.cli.console import error

    error(message)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details to stderr.")) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


@data_app.command("validate")
def data_validate(
    path: str = typer.Argument(..., help="Folder (native or ETO format) or '+' combination to validate."),
    strict: bool = typer.Option(False, "--strict", help="Treat consistency warnings as errors."),
    fmt: Format = FormatOpt,
) -> None:
    """Check a dataset; exit 0 when valid, 3 with the problems listed otherwise.

    The terminal shows the first 50 problems and how many more there are; ``--format json``
    lists every one.
    """
    from allychain.data.load import load
    from allychain.errors import DataError
    from allychain.model.checks import consistency_check

    try:
        n = load(path)
        found = consistency_check(n, strict=strict)
    except DataError as exc:
        problems = exc.problems
        if fmt == Format.json:
            emit({"valid": False, "problems": [p.to_dict() for p in problems]}, fmt)
        else:
            _err(f"{path}: {exc.total} problem(s)")
            for p in problems[:SHOWN_PROBLEMS]:
                typer.echo(f"  - {p}", err=True)
            if len(problems) > SHOWN_PROBLEMS:
                typer.echo(f"  … and {len(problems) - SHOWN_PROBLEMS} more (--format json lists every problem)",
                           err=True)
        raise typer.Exit(INVALID_INPUT) from None
    if fmt == Format.json:
        emit({"valid": True, "warnings": [p.to_dict() for p in found]}, fmt)
        return
    for p in found:
        typer.echo(f"warning: {p}", err=True)
    typer.echo(f"{path}: valid ({len(found)} warning(s)) — {n!r}")


@data_app.command("info")
def data_info(data: str = DataOpt, fmt: Format = FormatOpt) -> None:
    """Counts of items, providers, countries, firms, share rows; years present."""
    from allychain.data.load import load
    from allychain.model.info import info

    emit(info(load(data)), fmt, title=f"data: {data}")


@data_app.command("download")
def data_download(
    dataset: str = typer.Argument(..., help="Dataset to fetch: eto."),
    dest: Path | None = typer.Option(None, "--dest", help="Folder to store the files (default: user cache)."),
    source: str | None = typer.Option(
        None, "--source", help="Base address of the CSV files (http(s)://…/ or a local folder); "
        "default: the public repository georgetown-cset/eto-chip-explorer, folder data/."),
    timeout: float = typer.Option(30.0, "--timeout", callback=positive,
                                  help="Seconds to wait for the server before giving up."),
    deadline: float = typer.Option(900.0, "--deadline", callback=positive, help="Seconds the whole download may take."),
    max_size: float = typer.Option(512.0, "--max-size", callback=positive, help="Megabytes all files together may have."),
    allow_fewer_rows: bool = typer.Option(False, "--allow-fewer-rows",
                                          help="Accept tables with fewer rows than the cached copy."),
) -> None:
    """Fetch a public dataset into the user cache, with progress and checks.

    Files go to a temporary folder, are checked (UTF-8, columns, the whole dataset
    reads) and only then replace the cached copy.  Prints the folder on stdout.
    """
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    from allychain.data.download import download

    bar = Progress(TextColumn("{task.description}", markup=False),  # file names as written, brackets included
                   BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                   console=Console(stderr=True, markup=False, emoji=False, highlight=False), transient=False)
    path = download(dataset, dest=dest, source=source, timeout=timeout, progress=bar, deadline=deadline,
                    max_bytes=int(max_size * 2**20), allow_fewer_rows=allow_fewer_rows)
    _show_release(path)
    if dataset == "eto":
        typer.echo("ETO Advanced Semiconductor Supply Chain Dataset — CSET Emerging Technology Observatory, "
                   "licence CC BY-NC 4.0 (non-commercial use; attribute CSET/ETO).", err=True)
    typer.echo(str(path))


def _show_release(path: Path) -> None:
    """Rows, checksum and change of each downloaded table, on stderr."""
    import json

    from allychain.data.download import MANIFEST

    try:
        files = json.loads((path / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError):
        return
    for name, rec in files.items():
        if "rows" in rec:
            typer.echo(f"  {name}: {rec['rows']:,} rows, sha256 {rec['sha256'][:16]}…, {rec.get('change', 'new')}",
                       err=True)


@data_app.command("export")
def data_export(
    dest: Path = typer.Argument(..., help="Folder to write (native format)."),
    data: str = DataOpt,
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing folder."),
) -> None:
    """Write the loaded data as a native-format folder (for editing or sharing your own data)."""
    from allychain.data.load import load
    from allychain.data.native import check_destination, write_native

    check_destination(dest, overwrite)  # before the data is loaded; FileExistsError: exit status 4
    out = write_native(load(data), dest, overwrite=overwrite)
    typer.echo(str(out))


@data_app.command("generate")
def data_generate(
    sites: int = typer.Option(..., "--sites", min=50, help="Number of sites (nodes); about six supply links per site."),
    out: Path = typer.Option(..., "--out", help="Folder to write (native site-network format)."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed gives the same network."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing native-format folder."),
) -> None:
    """Write a synthetic firm-scale site network (tiers, bills of materials, power-law supplier
    degree, concentrated countries; invented numbers) for tests and benchmarks."""
    from allychain.data.native import check_destination
    from allychain.data.synthetic import write_firm_network

    check_destination(out, overwrite)  # before any work; FileExistsError: exit status 4
    typer.echo(str(write_firm_network(sites, out, seed=seed, overwrite=overwrite)))


@app.command("items")
def items_cmd(
    data: str = DataOpt,
    kind: str | None = typer.Option(None, "--kind", help="Only items of this kind (tool, material, raw_material …)."),
    fmt: Format = FormatOpt,
) -> None:
    """List the items of the value chain."""
    from allychain.data.load import load
    from allychain.model.views import item_table

    t = item_table(load(data), kind=kind)
    emit(t, fmt, title="items")


@app.command("show")
def show_cmd(
    item: str = typer.Argument(..., help="Item or stage id or name (case-insensitive)."),
    data: str = DataOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Providers and shares of one item, with years and sources; for a stage, its items."""
    from allychain.data.load import load
    from allychain.model.views import find_item, find_stage, item_shares, item_table

    n = load(data)
    try:
        item_id = find_item(n, item)
    except AllychainError:
        stage_id = find_stage(n, item)
        if stage_id is None:
            raise
        stage_name = dict(zip(n.stages["stage_id"].astype(str), n.stages["name"].astype(str), strict=True))[stage_id]
        t = item_table(n, stage=stage_id)
        emit(t if fmt != Format.json else {"stage_id": stage_id, "stage_name": stage_name, "items": t}, fmt,
             title=f"stage {stage_name} ({stage_id}): {len(t)} item(s)")
        return
    t = item_shares(n, item_id)
    name = n.item_names().get(item_id, item_id)
    emit(t if fmt != Format.json else {"item_id": item_id, "item_name": name, "shares": t}, fmt,
         title=f"{name} ({item_id})")


@app.command("demo")
def demo_cmd(
    data: str = DataOpt,
    members: str = typer.Option("KOR,NLD", "--members", "-m", help="Alliance members (ISO alpha-3 or names)."),
    out: Path | None = typer.Option(None, "--out", help="Folder for the charts and tables (default: a new temporary folder)."),
) -> None:
    """The main job end to end: analysis, disruption runs and decisions for an alliance (default KOR+NLD)."""
    from allychain.cli.demo import run_demo

    run_demo(data, members=members, out=out)


def _is_click_exception(exc: BaseException, name: str = "ClickException") -> bool:
    """True for click's exceptions, whichever click raised them: the ``click`` package or the
    copy that typer 0.29+ vendors as ``typer._click`` (the classes differ, the names do not)."""
    return any(cls.__name__ == name and cls.__module__.endswith("click.exceptions") for cls in type(exc).__mro__)


def _exit_status(exc: BaseException) -> int:
    """Show ``exc`` as a message (never a traceback) and return the exit status for it."""
    from allychain.cli.console import BUG_REPORT, INTERNAL, INTERRUPTED, USAGE, error, exit_code_for

    if isinstance(exc, SystemExit):
        if type(sys.stdout).__name__ == "PacifyFlushWrapper":  # click met a closed pipe and exits 1
            return BROKEN_PIPE
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    if _is_click_exception(exc, "Abort") or isinstance(exc, KeyboardInterrupt):
        error("interrupted")
        return INTERRUPTED
    if _is_click_exception(exc):
        exc.show()  # type: ignore[attr-defined]  # usage line, the message and a hint at --help
        return USAGE
    code = exit_code_for(exc)
    if isinstance(exc, AllychainError):
        error(str(exc))
        if code == INTERNAL:  # an invariant guard: allychain's fault, not the input's
            error(BUG_REPORT)
    elif isinstance(exc, MemoryError):
        error("not enough memory for this computation; try a smaller input, fewer steps or fewer runs")
    elif isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        error(f"{where}{exc.strerror or exc}")
    else:
        logger.debug("internal error", exc_info=exc)
        error(f"internal error ({type(exc).__name__}: {exc})")
        error(BUG_REPORT)
    return code


def _plain_deprecations() -> None:
    """Renamed YAML keys and options are reported as one plain line on stderr
    (``warning: FILE: key 'K' is deprecated; call it 'N'``), not with Python's source line."""
    import warnings

    from allychain.errors import AllychainDeprecationWarning

    shown = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: object = None, line: str | None = None) -> None:
        if issubclass(category, AllychainDeprecationWarning):
            sys.stderr.write(f"warning: {message}\n")
        else:
            shown(message, category, filename, lineno, file, line)  # type: ignore[arg-type]

    warnings.showwarning = show


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: usage errors, allychain errors and anything unexpected end
    with a message on stderr and the exit status of :mod:`allychain.cli.console`, never with a
    traceback."""
    _plain_deprecations()
    try:
        # with standalone_mode=False click returns (not raises) the code of a typer.Exit, and
        # raises usage errors instead of printing them, so that one place handles every ending
        rc = app(args=argv, prog_name="allychain", standalone_mode=False)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (`allychain items -f csv | head`): stop quietly, as a program
        # killed by SIGPIPE would; stdout is pointed at /dev/null so the final flush is silent
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(BROKEN_PIPE)
    except BaseException as exc:  # noqa: BLE001 - the last-resort handler of the command line
        sys.exit(_exit_status(exc))
    sys.exit(rc if isinstance(rc, int) else 0)
