"""The application factory: one network loaded at start-up, the API, the dashboard.

>>> from allychain.api import create_app
>>> app = create_app(data="builtin")
>>> app.title
'allychain'

``/api/…`` answers JSON (errors as ``application/problem+json``); ``/openapi.json``
describes it; ``/`` serves the dashboard (static files bundled with allychain, no
internet needed).  Swagger UI is not served: it would load its assets from a CDN.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from allychain.api.hosts import HostAllowList
from allychain.api.hosts import allowed_hosts as hosts_allowed
from allychain.api.jobs import JobManager
from allychain.api.problems import install_handlers
from allychain.api.state import AppState
from allychain.model.network import Network

__all__ = ["create_app", "DEFAULT_MEMBERS"]

log = logging.getLogger(__name__)

DEFAULT_MEMBERS = ["KOR", "NLD"]


def create_app(data: str | Network = "builtin", members: str | list[str] | None = None,
               workers: int = 2, workspace: Any = None, allowed_hosts: Iterable[str] | None = None,
               max_jobs: int = 32, max_jobs_per_client: int = 8) -> FastAPI:
    """Build the FastAPI application.

    Parameters
    ----------
    data
        A ``--data`` specification (``builtin``, ``eto``, a folder, ``a+b``) or a
        loaded :class:`~allychain.model.network.Network`; loaded once, here.
    members
        Default members of the analyses (codes, names or an alliance id; default
        KOR,NLD).
    workers
        Threads running jobs (scenario runs, briefing packs).
    workspace
        A workspace database URL (or an open :class:`allychain.store.Store`): serves
        the workspace API under ``/api/ws/`` and its dashboard pages under ``/ws/``.
        Without one the server has no workspace and no authentication.
    allowed_hosts
        Host names the server answers besides the loopback names (and those in
        ``$ALLYCHAIN_ALLOWED_HOSTS``); a request for any other Host gets 400
        (:mod:`allychain.api.hosts`, against DNS rebinding).
    max_jobs, max_jobs_per_client
        Jobs queued or running at once, in all and per client; more get 429.

    Raises
    ------
    DataError
        If the data cannot be loaded (before the server starts listening).
    """
    from allychain import __version__ as version
    from allychain.data.load import load
    from allychain.model.members import resolve_members

    t0 = time.perf_counter()
    network = load(data)
    label = data if isinstance(data, str) else network.name
    mem = resolve_members(members or DEFAULT_MEMBERS, network)
    jobs = JobManager(workers=workers, max_active=max_jobs, max_per_client=max_jobs_per_client)
    state = AppState(network=network, data=label, members=mem, jobs=jobs, load_seconds=time.perf_counter() - t0)
    app = FastAPI(
        title="allychain",
        version=version,
        description="Map and stress-test an alliance's semiconductor supply chain: network, analyses, scenario "
                    "jobs and briefing packs. Shares are in percent; null means unknown or not assessable, never "
                    "zero. Errors are application/problem+json (RFC 9457).",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.allychain = state
    install_handlers(app)
    # outermost: a request for a foreign Host never reaches a route (every router, now and later)
    app.add_middleware(HostAllowList, allowed=hosts_allowed(allowed_hosts))

    from allychain.api import (
        routes_analysis,
        routes_energy,
        routes_jobs,
        routes_network,
        routes_talent,
        routes_watch,
    )

    app.include_router(routes_network.router)
    app.include_router(routes_analysis.router)
    app.include_router(routes_analysis.decisions)
    app.include_router(routes_jobs.router)
    app.include_router(routes_watch.router)
    app.include_router(routes_talent.router)
    app.include_router(routes_energy.router)
    if workspace is not None:
        _mount_workspace(app, workspace)
    _mount_web(app)

    log.info("allychain API ready on %s (%.2f s)", network, time.perf_counter() - t0)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    app.state.allychain.jobs.shutdown()


def _mount_workspace(app: FastAPI, workspace: Any) -> None:
    from allychain.api import routes_ws
    from allychain.store import Store, open_store

    store = workspace if isinstance(workspace, Store) else open_store(str(workspace))
    routes_ws.install(app, store)
    from allychain.workspace.validation import reference_items

    reference_items()  # read once at start-up, not in the first upload
    from allychain.api import routes_ws_pages

    routes_ws_pages.install(app)


def _mount_web(app: FastAPI) -> None:
    from allychain import web

    static = web.static_dir()
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        path = web.plotly_js()
        if path is None:
            return Response("/* plotly is not installed: charts are unavailable */", media_type="text/javascript")
        return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(static / "index.html", media_type="text/html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(static / "favicon.svg", media_type="image/svg+xml")
