"""``allychain demo``: the main job end to end on the built-in data."""

from __future__ import annotations

from rich.console import Console

from allychain.cli.render import Format, emit


def run_demo(data: str = "builtin") -> None:
    from allychain.data.load import load
    from allychain.model.checks import consistency_check
    from allychain.model.info import info

    err = Console(stderr=True)
    out = Console()
    err.print(f"[dim]loading {data} …[/]")
    n = load(data)
    warnings = consistency_check(n)
    out.rule(f"[bold]allychain demo[/] — {n.name}")
    i = info(n)
    out.print(
        f"{i['items']} items, {i['providers']} providers ({i['countries']} countries, {i['firms']} firms), "
        f"{i['share_rows']} share rows ({i['share_rows_unknown']} unknown), years {i['years']}; "
        f"{len(warnings)} consistency warning(s)"
    )
    from allychain.model.views import item_table

    t = item_table(n)
    emit(t.head(40), Format.table, title="value-chain items (first 40)")
