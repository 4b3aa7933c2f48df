"""REST API (FastAPI): the network, every analysis, scenario jobs and briefing packs.

Needs the ``server`` extra (fastapi, uvicorn, jinja2, plotly).  Start it with
``allychain serve`` or build the application with :func:`create_app`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def create_app(*args: Any, **kwargs: Any) -> Any:
    """See :func:`allychain.api.app.create_app`."""
    from allychain.api.app import create_app as _create

    return _create(*args, **kwargs)
