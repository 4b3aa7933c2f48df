"""The briefing pack as PDF, through WeasyPrint (the ``pdf`` extra).

WeasyPrint lays out the same HTML with its print styles (A4 pages, page numbers,
no breaks inside figures and table rows); the SVG charts stay vector graphics.
"""

from __future__ import annotations

from pathlib import Path

from allychain.errors import MissingExtraError

__all__ = ["html_to_pdf", "pdf_available"]


def pdf_available() -> bool:
    """Whether WeasyPrint can be imported (its system libraries included)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def html_to_pdf(html: str, path: str | Path, overwrite: bool = False) -> Path:
    """Write ``html`` (a self-contained document) as a PDF file, whole or not at all
    (:func:`allychain.durable.output_file`); returns the path.

    Raises
    ------
    AllychainError
        When WeasyPrint is not installed (``pip install 'allychain[pdf]'``) or its
        system libraries (Pango) are missing.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise MissingExtraError(f"PDF output needs WeasyPrint: pip install 'allychain[pdf]' ({exc})") from None
    from allychain.durable import output_file

    path = Path(path)
    with output_file(path, overwrite=overwrite, what="--pdf") as tmp:
        weasyprint.HTML(string=html, base_url=None).write_pdf(str(tmp))
    return path
