"""``allychain analyze …`` commands (alliance analysis)."""

import typer

app = typer.Typer(help="Alliance analysis: concentration, chokepoints, dependencies, alliance view, partners.",
                  no_args_is_help=True)
