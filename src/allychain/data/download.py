"""Fetching public datasets into the user cache (``allychain data download eto``).

The ETO Advanced Semiconductor Supply Chain Dataset is published by CSET's Emerging
Technology Observatory in the public repository ``georgetown-cset/eto-chip-explorer``
(folder ``data/``, licence CC BY-NC 4.0).  :func:`download` fetches its CSV files with
the standard library (``urllib``), shows progress on stderr, checks every file
(non-empty, UTF-8, expected header columns, and the whole folder through
:func:`allychain.data.eto.read_eto`), compares rows and checksums with the copy it
would replace (:mod:`allychain.data.verify`: a table that lost rows is refused),
writes ``checksums.json`` (SHA-256, bytes, rows and change per file, source, time)
and only then moves the folder into place.  A whole download is bounded in time
(``deadline``) and size (``max_bytes``), besides the per-read ``timeout``.  Everything is written to a
temporary sibling folder first, so a failed download never leaves half-written files
and never touches an existing copy.

Where the files go
------------------
``--dest`` when given; otherwise ``$ALLYCHAIN_CACHE_DIR/eto``, else
``$XDG_CACHE_HOME/allychain/eto``, else ``~/.cache/allychain/eto``.
``load("eto")`` (``--data eto``) reads the copy there (:func:`cached_eto_path`).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from allychain.data.verify import compare_releases, previous_records, table_record
from allychain.durable import output_folder, tidy
from allychain.errors import DataError, DownloadError, Problem

__all__ = [
    "download",
    "cache_dir",
    "cached_eto_path",
    "DEFAULT_SOURCES",
    "REQUIRED_FILES",
    "OPTIONAL_FILES",
    "MANIFEST",
    "TIMEOUT",
    "DEADLINE",
    "MAX_BYTES",
    "Limits",
]

log = logging.getLogger(__name__)

DEFAULT_SOURCES: dict[str, str] = {
    "eto": "https://raw.githubusercontent.com/georgetown-cset/eto-chip-explorer/main/data/",
}
REQUIRED_FILES: dict[str, tuple[str, ...]] = {
    "eto": ("stages.csv", "inputs.csv", "providers.csv", "provision.csv", "sequence.csv"),
}
OPTIONAL_FILES: dict[str, tuple[str, ...]] = {
    "eto": ("README.md", "technical_notes.md", "LICENSE.md", "LICENSE"),
}
MANIFEST = "checksums.json"
TIMEOUT = 30.0  # seconds without data before giving up on a connection
DEADLINE = 900.0  # seconds for a whole download
MAX_BYTES = 512 * 2**20  # bytes of all files of a download together (the ETO release has about 10 MB)
_CHUNK = 1 << 16


def cache_dir() -> Path:
    """The allychain cache folder: ``$ALLYCHAIN_CACHE_DIR``, else ``$XDG_CACHE_HOME/allychain``,
    else ``~/.cache/allychain``.  Datasets live in sub-folders named after them."""
    env = os.environ.get("ALLYCHAIN_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "allychain"


def cached_eto_path() -> Path:
    """Folder of the downloaded ETO dataset (what ``--data eto`` reads).

    Raises
    ------
    DataError
        When no downloaded copy exists, saying how to get one.
    """
    path = cache_dir() / "eto"
    tidy(path)  # finish a download killed mid-swap, remove what killed downloads left
    missing = [f for f in REQUIRED_FILES["eto"] if not (path / f).is_file()]
    if missing:
        raise DataError(
            Problem(
                "the ETO dataset has not been downloaded"
                + (f" (missing {', '.join(missing)})" if path.exists() else ""),
                file=str(path),
                expected="run `allychain data download eto` (or copy the ETO CSV files into this folder, "
                "or set ALLYCHAIN_CACHE_DIR, or pass --data <folder>)",
            )
        )
    return path


# -- fetching -----------------------------------------------------------------------------------------------------
def _base_url(source: str | None, dataset: str) -> str:
    base = source or DEFAULT_SOURCES[dataset]
    if "://" not in base:
        local = Path(base).expanduser()
        if not local.is_dir():
            raise DownloadError(f"--source {base!r} is neither an http(s) address nor an existing folder")
        return local.resolve().as_uri() + "/"
    scheme = urllib.parse.urlsplit(base).scheme.lower()
    if scheme not in ("http", "https", "file"):
        raise DownloadError(f"--source {base!r}: unsupported scheme {scheme!r}; expected http, https or file")
    return base if base.endswith("/") else base + "/"


class _NotFound(DownloadError):
    """The server answered 404 for a file."""


@dataclass
class Limits:
    """What one download may cost: an overall deadline and a size cap for all files together.

    Parameters
    ----------
    deadline
        Seconds for the whole download (connections, every file, the checks start
        after); the per-read ``timeout`` alone lets a server dribbling a byte every few
        seconds hold a download forever.
    max_bytes
        Bytes all files together may have; a larger ``Content-Length`` is refused
        before reading and a stream is cut when it passes the cap (an endless stream).
    """

    deadline: float = DEADLINE
    max_bytes: int = MAX_BYTES
    _end: float = field(default=0.0, repr=False)
    _used: int = field(default=0, repr=False)

    def start(self) -> Limits:
        self._end = time.monotonic() + self.deadline
        self._used = 0
        return self

    def left_s(self) -> float:
        return self._end - time.monotonic()

    def take(self, url: str, n: int) -> None:
        self._used += n
        if self._used > self.max_bytes:
            raise DownloadError(f"{url}: the download passed the size limit of {self.max_bytes:,} bytes "
                                "(--max-size); an endless or wrong file? Nothing was replaced")
        if self.left_s() < 0:
            raise DownloadError(f"{url}: the download did not finish within {self.deadline:g} s (--deadline); "
                                "the server is too slow or stalls. Nothing was replaced")


def _fetch(url: str, target: Path, timeout: float, dest: Path, advance: Callable[[int, int | None], None],
           limits: Limits | None = None) -> int:
    """Stream ``url`` into ``target`` within ``limits``; return the number of bytes written."""
    limits = limits or Limits().start()
    req = urllib.request.Request(url, headers={"User-Agent": "allychain (dataset downloader)"})
    offline = f"copy the CSV files into {dest} or pass --source"
    wait = max(0.001, min(timeout, limits.left_s()))
    try:
        with urllib.request.urlopen(req, timeout=wait) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > limits.max_bytes - limits._used:
                raise DownloadError(f"{url}: the server announces {total:,} bytes, more than the size limit of "
                                    f"{limits.max_bytes:,} bytes (--max-size) allows; nothing was replaced")
            advance(0, total)
            done = 0
            with open(target, "wb") as fh:
                while True:
                    limits.take(url, 0)
                    # read1: whatever has arrived (up to a chunk), so the deadline is checked between
                    # the bytes of a server that dribbles; read() would wait for a whole chunk
                    chunk = resp.read1(_CHUNK) if hasattr(resp, "read1") else resp.read(_CHUNK)
                    if not chunk:
                        break
                    limits.take(url, len(chunk))
                    fh.write(chunk)
                    done += len(chunk)
                    advance(len(chunk), total)
            if total is not None and done != total:
                raise DownloadError(f"{url}: transfer ended after {done} of {total} bytes (truncated); try again")
            return done
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 404:
            raise _NotFound(f"{url}: HTTP 404 Not Found; check the address given with --source") from None
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise DownloadError(f"{url}: no answer within {wait:g} s; try again later or {offline}") from None
        raise DownloadError(f"cannot reach {url}: {reason}; you appear to be offline — {offline}") from None
    except TimeoutError:
        raise DownloadError(f"{url}: no data within {wait:g} s; try again later or {offline}") from None
    except (http.client.HTTPException, ConnectionError) as exc:
        raise DownloadError(f"{url}: transfer failed ({type(exc).__name__}: {exc}); try again") from None


class _NoBar:
    """Stands in for a progress display when none is given (same calls as ``rich.progress.Progress``)."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: float | None = None) -> int:
        return 0

    def update(self, task: int, advance: float = 0, total: float | None = None) -> None:
        return None

    def remove_task(self, task: int) -> None:
        return None


def _bar(progress: Any) -> Any:
    """The progress display to use: one given by the caller (the CLI passes a
    ``rich.progress.Progress``; anything with ``add_task``/``update``/``remove_task`` and used
    as a context manager works), else none — the library itself draws nothing."""
    return progress if hasattr(progress, "add_task") else _NoBar()


# -- checking -----------------------------------------------------------------------------------------------------
def _replaceable(dest: Path) -> bool:
    """An existing ``dest`` may be replaced only when it is empty or an earlier download/copy."""
    if not dest.is_dir():
        return False
    names = {p.name for p in dest.iterdir()}
    return not names or MANIFEST in names or "provision.csv" in names


# -- the public function ------------------------------------------------------------------------------------------
def download(
    dataset: str,
    dest: str | Path | None = None,
    source: str | None = None,
    timeout: float = TIMEOUT,
    progress: Any = None,
    deadline: float = DEADLINE,
    max_bytes: int = MAX_BYTES,
    allow_fewer_rows: bool = False,
) -> Path:
    """Download a public dataset, check it, and move it into place.

    Parameters
    ----------
    dataset
        ``"eto"`` (the ETO Advanced Semiconductor Supply Chain Dataset).
    dest
        Folder to hold the files; default ``cache_dir() / dataset``.  An existing
        folder is replaced only when it is empty or holds an earlier copy.
    source
        Base address the file names are appended to (default: the dataset's public
        repository); an ``http(s)://`` or ``file://`` address, or a local folder.
    timeout
        Seconds to wait for a connection or for data before giving up.
    progress
        A progress display (bytes per file): a ``rich.progress.Progress`` or anything with
        its ``add_task``/``update``/``remove_task`` calls (the CLI passes one drawing on
        stderr); ``None`` or ``False``: none.
    deadline
        Seconds the whole download may take.
    max_bytes
        Bytes all files together may have.
    allow_fewer_rows
        Accept tables with fewer rows than the cached copy (see
        :mod:`allychain.data.verify`).

    Returns
    -------
    Path
        The folder holding the checked files and ``checksums.json`` (per file: SHA-256,
        bytes, rows, and ``change`` against the copy it replaced).

    Raises
    ------
    DownloadError
        Unknown dataset, unreachable server (offline), HTTP error such as 404 for a
        required file, a truncated, oversized or non-CSV file, a deadline passed, a
        table with fewer rows than the cached copy, or files that do not read as the
        dataset.  Nothing is left behind and an existing copy is untouched.
    """
    if dataset not in DEFAULT_SOURCES:
        raise DownloadError(f"unknown dataset {dataset!r}; expected one of {', '.join(DEFAULT_SOURCES)}")
    if not (deadline > 0 and max_bytes > 0 and timeout > 0):
        raise DownloadError("--timeout, --deadline and --max-size must be positive")
    target = Path(dest).expanduser() if dest is not None else cache_dir() / dataset
    base = _base_url(source, dataset)
    if target.exists() and not _replaceable(target):
        raise DownloadError(f"{target} exists and does not hold an earlier download; "
                            "choose an empty or new folder with --dest")
    limits = Limits(deadline=deadline, max_bytes=max_bytes).start()
    with output_folder(target, accept=_replaceable, what="--dest") as tmp:
        previous = previous_records(target, REQUIRED_FILES[dataset])
        files = _fetch_all(dataset, base, tmp, target, timeout, limits, progress)
        _check_dataset(dataset, tmp, base)
        changes = compare_releases(previous, {f: r for f, r in files.items() if f in REQUIRED_FILES[dataset]},
                                   allow_fewer_rows=allow_fewer_rows)
        for fname, change in changes.items():
            files[fname]["change"] = change
        manifest = {
            "dataset": dataset,
            "source": base,
            "downloaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": files,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    log.info("downloaded %d files from %s to %s", len(files), base, target)
    return target


def _fetch_all(dataset: str, base: str, tmp: Path, target: Path, timeout: float, limits: Limits,
               progress: Any) -> dict[str, dict[str, Any]]:
    """Fetch and check every file of ``dataset`` into ``tmp``; returns their records."""
    files: dict[str, dict[str, Any]] = {}
    with _bar(progress) as bar:
        wanted = [(f, True) for f in REQUIRED_FILES[dataset]] + [(f, False) for f in OPTIONAL_FILES[dataset]]
        for fname, required in wanted:
            url = urllib.parse.urljoin(base, urllib.parse.quote(fname))
            task = bar.add_task(fname, total=None)

            def advance(n: int, total: int | None, task: Any = task) -> None:
                bar.update(task, advance=n, total=total)

            try:
                _fetch(url, tmp / fname, timeout, target, advance, limits)
            except _NotFound:
                if required:
                    raise
                bar.remove_task(task)
                (tmp / fname).unlink(missing_ok=True)
                log.debug("optional file %s not found; skipped", url)
                continue
            except DownloadError as exc:
                if required or "--deadline" in str(exc) or "--max-size" in str(exc):
                    raise
                bar.remove_task(task)
                (tmp / fname).unlink(missing_ok=True)
                log.warning("optional file skipped: %s", exc)
                continue
            files[fname] = {**table_record(tmp / fname, url), "url": url}
    return files


def _check_dataset(dataset: str, folder: Path, base: str) -> None:
    """The downloaded files must read as the dataset (see :func:`allychain.data.eto.read_eto`)."""
    from allychain.data.eto import read_eto

    try:
        read_eto(folder)
    except DataError as exc:
        shown = "\n".join(f"  - {p.message} ({Path(p.file).name if p.file else ''}"
                          + (f", row {p.row}" if p.row else "") + (f", column '{p.column}'" if p.column else "") + ")"
                          for p in exc.problems[:10])
        more = f"\n  … and {len(exc.problems) - 10} more" if len(exc.problems) > 10 else ""
        raise DownloadError(f"the files downloaded from {base} do not read as the {dataset} dataset "
                            f"({len(exc.problems)} problem(s)); nothing was replaced:\n{shown}{more}") from None
