"""``allychain workspace publish KIND``, ``workspace aggregates KIND`` and ``workspace releases``.

Thin commands over :mod:`allychain.workspace.publish` (registered on the ``workspace``
command group); the caller authenticates with ``$ALLYCHAIN_TOKEN`` like every workspace
command, and the same permission matrix applies as in the REST API.
"""

from __future__ import annotations

import typer

from allychain.cli.render import Format, emit
from allychain.cli.workspace import DbOpt, FormatOpt, _me, _show, _store, app

__all__: list[str] = []


def _rows(out: dict, fmt: Format, title: str) -> None:  # type: ignore[type-arg]
    import pandas as pd

    if fmt == Format.json:
        emit(out, fmt)
        return
    emit(pd.DataFrame(out["rows"], columns=["item", "country", "value", "status"]), fmt, title=title)
    if fmt == Format.table:
        typer.echo(f"release {out['id']} of {out['table']} ({out['created_at']}): {out['suppressed']} of "
                   f"{out['cells']} cells withheld; {out['organisations']} organisations contributed; "
                   f"{out['audit']}", err=True)


@app.command("publish")
def publish_cmd(
    kind: str = typer.Argument(..., help="capacity, inventory_days or sourcing."),
    period: str | None = typer.Option(None, "--period", help="Capacity period or sourcing year (default: latest)."),
    min_frequency: int = typer.Option(3, "--min-frequency", help="Fewer contributing organisations: sensitive."),
    p: float = typer.Option(10.0, "--p", help="p% rule parameter, in percent."),
    method: str = typer.Option("auto", "--method", help="Secondary suppression: auto, pattern or optimal."),
    db: str | None = DbOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Publish a disclosure-controlled aggregate of the current submissions (stewards).

    Sensitive cells and the complementary cells that protect them are withheld; the
    release is audited together with every earlier release of the same table and
    refused if any sensitive figure could be narrowed below its protection level.
    """
    from allychain.disclosure import PrimaryRules
    from allychain.workspace.publish import publish

    store = _store(db)
    rules = PrimaryRules(min_frequency=min_frequency, p=p)
    _rows(publish(store, _me(store), kind, period=period, rules=rules, method=method), fmt, f"{kind} (published)")


@app.command("aggregates")
def aggregates_cmd(
    kind: str = typer.Argument(..., help="capacity, inventory_days or sourcing."),
    release: str | None = typer.Option(None, "--release", help="A release id (default: the latest)."),
    db: str | None = DbOpt,
    fmt: Format = FormatOpt,
) -> None:
    """A published aggregate: item, country, value (empty where withheld), status."""
    from allychain.workspace.publish import aggregates

    store = _store(db)
    _rows(aggregates(store, _me(store), kind, release), fmt, kind)


@app.command("releases")
def releases_cmd(kind: str | None = typer.Option(None, "--kind", help="Only this aggregate."),
                 db: str | None = DbOpt, fmt: Format = FormatOpt) -> None:
    """Releases of aggregates, oldest first (stewards also see the submission versions used)."""
    from allychain.workspace.publish import list_releases

    store = _store(db)
    out = list_releases(store, _me(store), kind)
    if fmt != Format.json:
        cols = ["id", "kind", "table", "seq", "created_at", "cells", "sensitive", "suppressed", "organisations",
                "submissions", "method", "linked_releases"]
        out = [{k: r.get(k) for k in cols} for r in out]
    _show(out, fmt, "releases")
