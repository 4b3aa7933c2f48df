"""``allychain demo``: the main job end to end on the built-in data.

It loads and checks the data, then runs each capability layer on the Korea–Netherlands
alliance case: the alliance analysis, the disruption simulation and the decisions.
"""

from __future__ import annotations

from rich.console import Console

from allychain.cli import analyze


def run_demo(data: str = "builtin", members: str = "KOR,NLD") -> None:
    from allychain.data.load import load
    from allychain.model.checks import consistency_check
    from allychain.model.info import info

    err = Console(stderr=True)
    out = Console()
    err.print(f"[dim]loading {data} …[/]")
    n = load(data)
    warnings = consistency_check(n)
    out.rule(f"[bold]allychain demo[/] — {n.name}, alliance {members}")
    i = info(n)
    out.print(
        f"Data: {i['items']} items, {i['providers']} providers ({i['countries']} countries, {i['firms']} firms), "
        f"{i['share_rows']} share rows of which {i['share_rows_unknown']} with unknown share, years "
        f"{i['years'][0] if i['years'] else '—'}–{i['years'][-1] if i['years'] else '—'}; "
        f"{len(warnings)} consistency warning(s)."
    )
    out.rule("1 · Analyse: where is the chain concentrated, what do we depend on?")
    analyze.demo(n, out, members=members)
