"""``allychain serve``: the REST API and the dashboard in one process (needs allychain[server])."""

from __future__ import annotations

import typer

from allychain.errors import AllychainError, MissingExtraError

__all__ = ["serve_cmd"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (default: this machine only)."),
    port: int = typer.Option(8000, "--port", "-p", min=0, max=65535, help="Port (0: any free port)."),
    data: str = typer.Option("builtin", "--data", "-d", help="builtin, eto, a folder, or a '+' combination."),
    members: str = typer.Option("KOR,NLD", "--members", "-m", help="Default members of the analyses."),
    workers: int = typer.Option(2, "--jobs", min=1, max=16, help="Threads running scenario and report jobs."),
    log_level: str = typer.Option("warning", "--log-level", help="uvicorn log level (info shows each request)."),
    workspace: str | None = typer.Option(
        None, "--workspace", help="Serve the alliance workspace (/api/ws, dashboard pages /ws) from this database: a "
        "URL (postgresql+psycopg://…, sqlite:///…) or 'default' for the embedded one; the URL may come from "
        "$ALLYCHAIN_DB with 'env'.", show_default=False),
    allow_host: list[str] = typer.Option([], "--allow-host",
                                         help="Host name the server answers besides the loopback names (repeat; "
                                              "also ALLYCHAIN_ALLOWED_HOSTS). Other Host headers get 400."),
) -> None:
    """Serve the API (/api, /openapi.json) and the dashboard (/) — no internet needed.

    The data are loaded once at start-up; analysis answers are cached per parameter set.
    With --workspace the confidential workspace is served too (Bearer tokens, login).
    """
    try:
        import uvicorn
    except ImportError:
        raise MissingExtraError("allychain serve needs the server extra: pip install 'allychain[server]'") from None
    from allychain.api.app import create_app

    ws_url = None
    if workspace is not None:
        from allychain.store import resolve_url

        ws_url = resolve_url(None if workspace in ("default", "env") else workspace)
    names = list(allow_host)
    if host not in LOOPBACK and host not in ("0.0.0.0", "::"):
        names.append(host)  # the address it listens on is a name it serves
    app = create_app(data=data, members=members, workers=workers, workspace=ws_url, allowed_hosts=names)
    if host not in LOOPBACK:
        typer.echo(f"warning: listening on {host}: the public analyses (/api) have no authentication; serve it "
                   "behind a TLS proxy", err=True)
        if host in ("0.0.0.0", "::") and not allow_host:
            typer.echo("note: only requests for localhost/127.0.0.1 are answered; name the server's host names "
                       "with --allow-host", err=True)
    if ws_url is not None:
        from allychain.store import redact

        typer.echo(f"allychain: workspace {redact(ws_url)} at /api/ws and /ws/login", err=True)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"allychain: serving {data} on http://{shown}:{port}/ (API at /api, schema at /openapi.json); "
               "Ctrl+C stops", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=log_level in ("info", "debug"))


def main() -> None:
    """``python -m allychain.cli.serve`` (the same options as ``allychain serve``)."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(serve_cmd)
    try:
        app()
    except AllychainError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
