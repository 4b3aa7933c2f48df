"""``allychain optimize …`` commands (decisions)."""

import typer

app = typer.Typer(help="Decide: time-to-survive vs time-to-recover, emergency allocation, stockpile sizing.",
                  no_args_is_help=True)
