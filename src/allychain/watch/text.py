"""Documents in: plain text, HTML (BeautifulSoup) and PDF (pypdf, optional), with limits.

Every reader returns the text that spans index into.  Input is refused with a clear
:class:`~allychain.errors.TextInputError` when it is larger than the limit
(:data:`MAX_CHARS` characters of text, :data:`MAX_BYTES` bytes of input), when it
looks binary (NUL bytes or many control characters) or when it is not valid text in
UTF-8 or Windows-1252.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata

from allychain.errors import MissingExtraError, TextInputError

__all__ = ["MAX_CHARS", "MAX_BYTES", "read_document", "check_text", "html_to_text", "pdf_to_text"]

log = logging.getLogger(__name__)

#: Most characters of text one document may have (about 400 pages); split longer ones
MAX_CHARS = 1_000_000
#: Most bytes one input file may have (HTML and PDF carry markup besides their text)
MAX_BYTES = 20_000_000
_CONTROL_SHARE = 0.05
_HTML_SNIFF = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body|<p[\s>]|<div[\s>]|<article[\s>])", re.I)


def _control_share(text: str) -> float:
    sample = text[:100_000]
    if not sample:
        return 0.0
    bad = sum(1 for ch in sample if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\r\t\f")
    return bad / len(sample)


def check_text(text: str, name: str = "text", max_chars: int = MAX_CHARS) -> str:
    """``text`` unchanged when it is within the limit and looks like text.

    Raises
    ------
    TextInputError
        When it has more than ``max_chars`` characters, or over 5 % control characters.
    """
    if len(text) > max_chars:
        raise TextInputError(f"{name}: {len(text):,} characters; the limit is {max_chars:,} per document "
                             "(split the text, or raise the limit with max_chars / --max-chars)")
    share = _control_share(text)
    if share > _CONTROL_SHARE:
        raise TextInputError(f"{name}: looks like binary data ({share:.0%} control characters); "
                             "give plain text, HTML or PDF")
    return text


def html_to_text(data: bytes | str) -> str:
    """The visible text of an HTML page (scripts, styles and templates dropped; blocks on new lines)."""
    try:
        from bs4 import BeautifulSoup
    except ImportError:
        raise MissingExtraError("reading HTML needs BeautifulSoup: pip install 'allychain[watch]'") from None

    soup = BeautifulSoup(data, "html.parser")
    for tag in soup(["script", "style", "template", "noscript", "head"]):
        tag.decompose()
    text = soup.get_text("\n")
    return re.sub(r"\n\s*\n+", "\n\n", re.sub(r"[ \t\r\f\v]+", " ", text)).strip()


def pdf_to_text(data: bytes, name: str = "document") -> str:
    """The text layer of a PDF (pypdf, the optional ``watch-pdf`` extra); pages separated by blank lines."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:
        raise MissingExtraError(f"{name}: reading PDF needs pypdf: pip install 'allychain[watch-pdf]'") from None
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [p.extract_text() or "" for p in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise TextInputError(f"{name}: not a readable PDF ({exc})") from None
    text = "\n\n".join(pages).strip()
    if not text:
        log.warning("%s: the PDF has no text layer (scanned?); nothing to read", name)
    return text


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:65_536]:
        raise TextInputError(f"{name}: looks like binary data (NUL bytes); give plain text, HTML or PDF")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise TextInputError(f"{name}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
        log.warning("%s: not UTF-8; read as Windows-1252", name)
        return text


def read_document(data: bytes | str, name: str = "text", kind: str | None = None,
                  max_chars: int = MAX_CHARS) -> str:
    """The text of one document.

    Parameters
    ----------
    data
        File content (bytes) or text.
    name
        Used in messages (a file name).
    kind
        ``text``, ``html`` or ``pdf``; default: from the name's suffix, else sniffed
        (``%PDF-`` magic, a leading HTML tag).

    Raises
    ------
    TextInputError
        Too large, binary, undecodable, or a PDF without pypdf.
    """
    if isinstance(data, bytes) and len(data) > MAX_BYTES:
        raise TextInputError(f"{name}: {len(data):,} bytes; the limit is {MAX_BYTES:,} bytes per document")
    low = name.lower()
    if kind is None:
        raw = data if isinstance(data, bytes) else data[:200].encode("utf-8", "replace")
        if low.endswith(".pdf") or raw[:5] == b"%PDF-":
            kind = "pdf"
        elif low.endswith((".html", ".htm", ".xhtml")) or _HTML_SNIFF.match(raw[:500]):
            kind = "html"
        else:
            kind = "text"
    if kind == "pdf":
        if not isinstance(data, bytes):
            raise TextInputError(f"{name}: a PDF must be given as bytes")
        text = pdf_to_text(data, name)
    else:
        text = _decode(data, name) if isinstance(data, bytes) else data
        if kind == "html":
            if len(text) > max_chars * 5:
                raise TextInputError(f"{name}: {len(text):,} characters of HTML; the limit is {max_chars * 5:,}")
            text = html_to_text(text)
        elif kind != "text":
            raise TextInputError(f"{name}: unknown document kind {kind!r}; expected text, html or pdf")
    return check_text(text, name, max_chars)
