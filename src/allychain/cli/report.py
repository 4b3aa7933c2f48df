"""``allychain report``: the dialogue briefing pack (self-contained HTML, optional PDF)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from allychain.cli.options import MAX_YEAR, MIN_YEAR
from allychain.errors import AllychainError, MissingExtraError

if TYPE_CHECKING:  # pragma: no cover
    from allychain.model.network import Network

__all__ = ["report_cmd"]


def report_cmd(
    members: str = typer.Option("KOR,NLD", "--members", "-m", help="Comma-separated members: ISO 3166 alpha-3 codes, "
                                                                   "country names or an alliance id."),
    data: str = typer.Option("builtin", "--data", "-d", help="builtin, eto, a folder, or a '+' combination."),
    scenario: list[Path] | None = typer.Option(None, "--scenario", "-s", help="Scenario YAML to run and include "
                                                                                "(repeat for several)."),
    out: Path = typer.Option(Path("brief.html"), "--out", "-o", help="HTML file to write."),
    pdf: Path | None = typer.Option(None, "--pdf", help="Also write a PDF (needs allychain[pdf])."),
    year: int | None = typer.Option(None, "--year", min=MIN_YEAR, max=MAX_YEAR, help="Use shares of this year (default: latest per item)."),
    no_decisions: bool = typer.Option(False, "--no-decisions", help="Leave out unprotected nodes (TTS < TTR)."),
    title: str | None = typer.Option(None, "--title", help="Title of the pack."),
    candidates: str = typer.Option("like-minded", "--candidates",
                                   help="Partner candidate pool: like-minded (default), all, or grouping ids and "
                                        "countries joined by ',' (union) or '&' (intersection)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an --out/--pdf file that is not an earlier "
                                                              "pack."),
) -> None:
    """Write the briefing pack: summary, chokepoints, dependencies, alliance, partners, scenarios, methods.

    The HTML file holds every style and chart inline and opens offline.
    """
    from contextlib import ExitStack

    from allychain.cli.console import console
    from allychain.data.spec import read_scenario
    from allychain.durable import check_output, lock_output

    err = console(stderr=True)

    for p, what in ((out, "--out"), (pdf, "--pdf")):
        if p is not None and not p.parent.exists():
            raise AllychainError(f"folder {str(p.parent)!r} of the {what} file does not exist")
        if p is not None:
            check_output(p, "file", overwrite=overwrite, what=what)
    if pdf is not None and Path(pdf).resolve() == Path(out).resolve():
        raise AllychainError("--out and --pdf name the same file")
    if pdf is not None:
        from allychain.report.pdf import pdf_available

        if not pdf_available():
            raise MissingExtraError("--pdf needs WeasyPrint: pip install 'allychain[pdf]'")
    scenarios = [read_scenario(s) for s in scenario or []]  # validate before the long part
    with ExitStack() as held:  # one writer per file, from here to the end
        for p in (out, pdf):
            if p is not None:
                held.enter_context(lock_output(p))
        _report(members, data, scenarios, out, pdf, year, no_decisions, title, overwrite, err, candidates)


def _report(members: str, data: str, scenarios: list[Any], out: Path, pdf: Path | None, year: int | None,
            no_decisions: bool, title: str | None, overwrite: bool, err: Any,
            candidates: str = "like-minded") -> None:
    from allychain.data.load import load
    from allychain.report.briefing import build_briefing, write_briefing

    err.print(f"loading {data} …", style="dim")
    network = load(data)
    loaded: dict[str, Network] = {}

    def network_for(spec: str | None) -> Network:
        if spec is None or spec == data:
            return network
        if spec not in loaded:
            loaded[spec] = load(spec)
        return loaded[spec]

    def progress(fraction: float, message: str) -> None:
        err.print(f"{fraction:4.0%} {message}", style="dim")

    pack = build_briefing(network, members, scenarios=scenarios, data_label=data, year=year,
                          decisions=not no_decisions, progress=progress, network_for=network_for, title=title,
                          candidates=candidates)
    write_briefing(pack, out, overwrite=overwrite)
    typer.echo(str(out))
    if pdf is not None:
        from allychain.report.briefing import render_html
        from allychain.report.pdf import html_to_pdf

        html_to_pdf(render_html(pack), pdf, overwrite=overwrite)
        typer.echo(str(pdf))
