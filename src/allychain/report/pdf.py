"""The briefing pack as PDF, through WeasyPrint (the ``pdf`` extra).

WeasyPrint lays out the same HTML with its print styles (A4 pages, page numbers,
no breaks inside figures and table rows); the SVG charts stay vector graphics.
"""

from __future__ import annotations

from pathlib import Path

from allychain.errors import AllychainError

__all__ = ["html_to_pdf", "pdf_available"]


def pdf_available() -> bool:
    """Whether WeasyPrint can be imported (its system libraries included)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def html_to_pdf(html: str, path: str | Path) -> Path:
    """Write ``html`` (a self-contained document) as a PDF file; returns the path.

    Raises
    ------
    AllychainError
        When WeasyPrint is not installed (``pip install 'allychain[pdf]'``) or its
        system libraries (Pango) are missing.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise AllychainError(f"PDF output needs WeasyPrint: pip install 'allychain[pdf]' ({exc})") from None
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    weasyprint.HTML(string=html, base_url=None).write_pdf(str(tmp))
    tmp.replace(path)
    return path
