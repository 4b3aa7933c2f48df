"""Reading input files safely: regular files only, inside the folder they belong to.

:func:`read_input` is the one way the readers of data folders (native format, ETO,
manifests, input-output tables) read a file's bytes:

- **Containment.** With ``root``, the file's real path (every symbolic link resolved,
  in the folder and in the file name) must lie inside the real path of ``root``.  A
  table that is a link to ``/etc/passwd``, or a manifest entry through a linked
  sub-folder that leads elsewhere, is refused before a byte is read — so nothing of an
  outside file can reach a message.  Links that stay inside the folder are fine.
- **Regular files only.** The file is opened without blocking (``O_NONBLOCK``) and the
  open descriptor is checked with ``fstat``: a FIFO, device or socket named as a table
  is refused at once instead of blocking the reader forever, and the check cannot be
  raced by swapping the file between a check and the read.
- **Size.** With ``max_bytes``, a larger file is refused before it is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from allychain.errors import DataError, Problem

__all__ = ["read_input", "inside", "check_inside"]


def inside(path: str | Path, root: str | Path) -> bool:
    """Whether the real path of ``path`` lies within the real path of ``root``."""
    real, base = os.path.realpath(path), os.path.realpath(root)
    try:
        return os.path.commonpath([real, base]) == base
    except ValueError:  # different drives
        return False


def check_inside(path: str | Path, root: str | Path, what: str = "file") -> None:
    """Raise :class:`DataError` when ``path`` resolves to a place outside ``root``."""
    if not inside(path, root):
        raise DataError(Problem(f"{what} leads outside the data folder (through a symbolic link)", file=str(path),
                                expected=f"a file inside {root} (links may only point within the folder)"))


def read_input(path: str | Path, *, root: str | Path | None = None, max_bytes: int | None = None,
               what: str = "file") -> bytes:
    """The bytes of a regular file, checked as described in the module docstring.

    Parameters
    ----------
    path
        The file.
    root
        The data folder ``path`` must stay inside (after resolving links); ``None``
        for no containment check.
    max_bytes
        Largest size accepted, in bytes; ``None`` for no limit.
    what
        What the file is, for messages ("table", "manifest").

    Raises
    ------
    DataError
        Missing, outside ``root``, not a regular file, larger than ``max_bytes``, or
        unreadable; the problem names the file and never quotes its content.
    """
    name = str(path)
    if not os.path.lexists(path):
        raise DataError(Problem("file not found", file=name, expected=f"an existing {what}"))
    if root is not None:
        check_inside(path, root, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise DataError(Problem("file not found (a link to nothing?)", file=name, expected=f"an existing {what}")) \
            from None
    except OSError as exc:
        raise DataError(Problem(f"cannot open file: {exc.strerror or exc}", file=name,
                                expected=f"a readable {what}")) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise DataError(Problem("a folder, not a file", file=name, expected=f"a {what}"))
        if not stat.S_ISREG(st.st_mode):
            raise DataError(Problem("not a regular file (a pipe, device or socket)", file=name,
                                    expected=f"a {what} stored as a regular file"))
        if max_bytes is not None and st.st_size > max_bytes:
            raise DataError(Problem(f"file too large: {st.st_size:,} bytes", file=name,
                                    expected=f"at most {max_bytes:,} bytes"))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise DataError(Problem(f"cannot read file: {exc.strerror or exc}", file=name,
                                expected=f"a readable {what}")) from None
    finally:
        os.close(fd)
