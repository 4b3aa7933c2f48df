"""``allychain watch lead``: the members' combined world share, rank and lead margin per item across the
data years and releases (:func:`allychain.watch.lead.lead`), with alerts when the share or the margin falls
past a threshold."""

from __future__ import annotations

import json
import sys

import typer

from allychain.cli.render import Format

__all__ = ["lead_cmd"]

_TABLE = ["item_id", "item_name", "previous", "previous_member_shares", "latest", "member_shares",
          "alliance_share", "alliance_share_high", "rank", "top_outside", "top_outside_share", "margin",
          "change_low", "change_high", "catching_up", "gain_low", "alerts"]


def lead_cmd(
    members: str = typer.Option("KOR,NLD", "--members", "-m", help="Members (codes, names, an alliance)."),
    data: str = typer.Option("builtin", "--data", "-d", help="Network whose share rows of several years or "
                             "releases are compared, e.g. builtin+eto."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table, json (items, vintages, alerts) or "
                               "csv (one row per item)."),
    plot: str | None = typer.Option(None, "--plot", help="Also write a chart to this file (.png or .svg)."),
    share_fall: float = typer.Option(10.0, "--share-fall", min=0.0, help="Alert when the alliance's share "
                                     "certainly fell by at least this many points between two vintages."),
    margin_floor: float = typer.Option(20.0, "--margin-floor", min=0.0, help="Alert when the lead margin over "
                                       "the largest outside country falls below this many points."),
    alerts_only: bool = typer.Option(False, "--alerts-only", help="Show only the items with an alert."),
) -> None:
    """Technology lead: the alliance's world share and rank per item, who is catching up, and alerts."""
    from allychain.data.load import load
    from allychain.watch.lead import LeadRules, lead

    if plot:
        from allychain.report.charts import check_plot_path

        check_plot_path(plot)
    res = lead(load(data), members, LeadRules(share_fall=share_fall, margin_floor=margin_floor))
    items = res.items[res.items["alerts"].ne("")] if alerts_only and len(res.items) else res.items
    typer.echo(f"{len(items)} item(s), {len(res.alerts)} alert(s); members {', '.join(res.members)}", err=True)
    for a in res.alerts:
        typer.echo(f"alert [{a['severity']}] {a['item_name']}: {a['message']} ({a['from']} → {a['to']})", err=True)
    if fmt == Format.json:
        out = res.to_dict()
        if alerts_only:
            keep = set(items["item_id"]) if len(items) else set()
            out["items"] = [r for r in out["items"] if r["item_id"] in keep]
            out["vintages"] = [r for r in out["vintages"] if r["item_id"] in keep]
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        from allychain.cli.render import emit

        emit(items.reindex(columns=_TABLE), fmt, title="technology lead")
    if plot:
        from allychain.report.watch_charts import lead_chart

        lead_chart(items, res.vintages, plot)
        typer.echo(f"chart written to {plot}", err=True)
