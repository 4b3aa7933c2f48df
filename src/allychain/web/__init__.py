"""The dashboard: static HTML, JavaScript and CSS bundled with allychain.

Served by the API process (``allychain serve``) under ``/``; it talks to ``/api`` and
draws charts with plotly.js, served from the installed ``plotly`` Python package
(``/vendor/plotly.min.js``).  Nothing is loaded from the internet.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["static_dir", "plotly_js", "templates_dir"]


def static_dir() -> Path:
    """Folder of the dashboard's static files."""
    return Path(str(resources.files("allychain.web").joinpath("static")))


def templates_dir() -> Path:
    """Folder of the workspace pages' templates (Jinja2, rendered by the API process)."""
    return Path(str(resources.files("allychain.web").joinpath("templates")))


def plotly_js() -> Path | None:
    """``plotly.min.js`` shipped in the plotly Python package, or ``None`` when plotly is absent."""
    try:
        spec = resources.files("plotly").joinpath("package_data", "plotly.min.js")
    except ModuleNotFoundError:
        return None
    path = Path(str(spec))
    return path if path.is_file() else None
