"""Durable outputs: every result file or folder is written whole or not at all.

Every command that writes a result (``simulate --out``, ``montecarlo --out``,
``report --out/--pdf``, ``--plot`` charts, ``data export``, ``data download``) goes
through this module:

1. :func:`check_output` — before any work: a folder where a file is expected (or the
   reverse), a parent that is a file, a place that cannot be written, or a non-empty
   destination that is not an earlier allychain result (unless ``overwrite``) is a
   clear :class:`~allychain.errors.OutputError`.
2. :func:`lock_output` — one writer per destination.  A second process (or thread)
   writing the same destination fails at once with a message naming it; the lock is an
   ``fcntl.flock`` on the sibling ``.<name>.lock``, released by the kernel when a process
   dies, so a killed run never leaves a stale lock behind.
3. :func:`output_folder` / :func:`output_file` — the result is written into a hidden
   temporary sibling (``.<name>.tmp-XXXXXXXX``) and swapped into place only once it is
   complete.  A file is swapped by one ``rename``.  A folder is swapped with Linux's
   ``renameat2(RENAME_EXCHANGE)``, which exchanges the two names in one step, so the
   destination is never missing; where that call is not available, the two renames go
   through fixed names (``.<name>.ready``, ``.<name>.old``) that :func:`recover`
   understands, and the next writer finishes or undoes a swap that a kill interrupted.
4. Leftovers of killed runs (``.tmp-*``, ``.old``, ``.ready``, ``.download-*`` and the
   hidden siblings of earlier allychain versions) are removed by the next writer of the
   same destination, while it holds the lock.

Modes are kept: a replaced file or folder gets the mode of the one it replaces, a new
one the process's default (``0o666``/``0o777`` less the umask) — never ``mkstemp``'s
``0o600``/``0o700``.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import logging
import os
import re
import secrets
import shutil
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from allychain.errors import OutputError

__all__ = [
    "check_output",
    "lock_output",
    "output_folder",
    "output_file",
    "replace_folder",
    "recover",
    "tidy",
    "is_result_folder",
    "same_format",
    "MARKER",
]

log = logging.getLogger(__name__)

MARKER = ".allychain-result.json"
"""File inside every result folder allychain writes: what wrote it and when."""

Kind = Literal["file", "folder"]
Accept = Callable[[Path], bool]

# -- checks -------------------------------------------------------------------------------------------------------


def is_result_folder(path: Path, kind: str | None = None) -> bool:
    """Whether ``path`` holds a result folder written by allychain (of ``kind``, if given)."""
    try:
        m = json.loads((path / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(m, dict) and m.get("writer") == "allychain" and (kind is None or m.get("kind") == kind)


_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".pdf": (b"%PDF-",),
    ".svg": (b"<?xml", b"<svg", b"<!DOCTYPE svg"),
    ".html": (b"<!doctype html", b"<html"),
    ".htm": (b"<!doctype html", b"<html"),
}


def same_format(path: Path) -> bool:
    """Whether an existing file is of the kind its suffix names (a chart over a chart, a
    pack over a pack), so that ``--plot items.csv`` never replaces a table.  Files with
    other suffixes are accepted."""
    sig = _SIGNATURES.get(path.suffix.lower())
    if sig is None:
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(512).lstrip().lower()
    except OSError:
        return False
    return not head or any(head.startswith(s.lower()) for s in sig)


def _nearest_existing(path: Path) -> Path:
    p = path
    while not p.exists() and not p.is_symlink() and p != p.parent:
        p = p.parent
    return p


def check_output(path: str | Path, kind: Kind, *, overwrite: bool = False, accept: Accept | None = None,
                 what: str = "output", overwrite_flag: str | None = "--overwrite") -> Path:
    """Check a destination before any work starts; return it as an absolute :class:`Path`.

    Parameters
    ----------
    path
        The destination file or folder.
    kind
        ``"file"`` or ``"folder"``: what will be written there.
    overwrite
        Replace an existing destination even when it is not an earlier result.
    accept
        Whether an existing destination is an earlier result of this command (then it
        is replaced without ``overwrite``).  Default: a folder with allychain's
        :data:`MARKER`, or an empty folder; a file of the format its suffix names
        (:func:`same_format`).
    what
        The option or argument, for messages (``"--out"``).
    overwrite_flag
        The command's option that sets ``overwrite``, named in the message; ``None``
        where there is none (the message then says to remove the file).

    Raises
    ------
    OutputError
        A folder where a file is expected or the reverse, a symbolic link, a parent
        that is not a folder, a place that cannot be written, or a non-empty
        destination that is not an earlier result (without ``overwrite``).
    """
    p = Path(os.path.abspath(Path(path).expanduser()))
    if p.name in ("", ".", ".."):
        raise OutputError(f"{what} {str(path)!r}: name a {kind} to write, not {str(path)!r}")
    if p.is_symlink():
        raise OutputError(f"{what} {str(p)!r} is a symbolic link; name the {kind} itself")
    cwd = os.path.abspath(os.getcwd())
    if kind == "folder" and (cwd == str(p) or cwd.startswith(str(p).rstrip(os.sep) + os.sep)):
        raise OutputError(f"{what} {str(path)!r} is the current folder or holds it; name a folder below it, "
                          "e.g. ./results")
    if p.exists():
        if kind == "file" and p.is_dir():
            raise OutputError(f"{what} {str(p)!r} is a folder; a file name is expected here")
        if kind == "folder" and not p.is_dir():
            raise OutputError(f"{what} {str(p)!r} is a file; a folder is expected here")
        if kind == "file" and not p.is_file():
            raise OutputError(f"{what} {str(p)!r} is not a regular file (a pipe or device); choose another name")
        if accept is not None:
            ok = accept(p)
        else:
            ok = same_format(p) if kind == "file" else (not any(p.iterdir()) or is_result_folder(p))
        if not ok and not overwrite:
            shown = "holds other files" if kind == "folder" else "does not look like an earlier result"
            fix = f"pass {overwrite_flag} to replace it" if overwrite_flag else "remove it to replace it"
            raise OutputError(f"{what} {str(p)!r} exists and {shown}; choose another {kind} or {fix}")
    base = _nearest_existing(p.parent)
    if not base.is_dir():
        raise OutputError(f"{what} {str(p)!r}: {str(base)!r} is not a folder")
    probe = base / f".allychain-probe-{secrets.token_hex(8)}"
    try:  # what the writer will do; os.access says yes to root on read-only or virtual file systems
        os.mkdir(probe)
        os.rmdir(probe)
    except OSError as exc:
        raise OutputError(f"{what} {str(p)!r}: cannot write in {str(base)!r} "
                          f"({exc.strerror or type(exc).__name__})") from None
    return p


# -- locking ------------------------------------------------------------------------------------------------------

_held: dict[Path, tuple[int, int, int]] = {}  # path → (thread id, depth, fd)
_held_guard = threading.Lock()


def _lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def _try_flock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: the O_EXCL lock file alone
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _acquire(path: Path) -> int:
    lp = _lock_path(path)
    for _ in range(20):
        fd = os.open(lp, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_flock(fd):
            os.close(fd)
            raise OutputError(f"{str(path)!r} is being written by another allychain run (lock {lp.name}); "
                              "wait for it to finish or choose another destination")
        # the holder before us may have removed the lock file after we opened it
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lp))
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)
    raise OutputError(f"{str(path)!r}: could not take the lock {lp.name}; try again")  # pragma: no cover


@contextlib.contextmanager
def lock_output(path: str | Path) -> Iterator[Path]:
    """Hold the one-writer lock of ``path`` (re-entrant in the same thread).

    Raises
    ------
    OutputError
        Another process or thread holds it.
    """
    p = Path(os.path.abspath(Path(path).expanduser()))
    me = threading.get_ident()
    with _held_guard:
        owner = _held.get(p)
        if owner is not None and owner[0] != me:
            raise OutputError(f"{str(p)!r} is being written by another job in this process; "
                              "wait for it to finish or choose another destination")
        if owner is None:
            try:
                p.parent.mkdir(parents=True, exist_ok=True)
                fd = _acquire(p)
            except OutputError:
                raise
            except OSError as exc:
                raise OutputError(f"{str(p)!r}: cannot write in {str(p.parent)!r} "
                                  f"({exc.strerror or type(exc).__name__})") from None
            _held[p] = (me, 1, fd)
        else:
            _held[p] = (me, owner[1] + 1, owner[2])
    try:
        yield p
    finally:
        with _held_guard:
            tid, depth, fd = _held[p]
            if depth > 1:
                _held[p] = (tid, depth - 1, fd)
            else:
                del _held[p]
                with contextlib.suppress(OSError):
                    os.unlink(_lock_path(p))
                os.close(fd)


# -- swapping -----------------------------------------------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_exchange_fn: Any = None


def _exchange(a: Path, b: Path) -> bool:
    """Exchange two paths in one step (Linux ``renameat2``); False where not supported."""
    global _exchange_fn
    if not sys.platform.startswith("linux"):
        return False
    if _exchange_fn is None:
        try:
            fn = ctypes.CDLL(None, use_errno=True).renameat2
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            fn.restype = ctypes.c_int
            _exchange_fn = fn
        except (AttributeError, OSError):
            _exchange_fn = False
    if _exchange_fn is False:
        return False
    if _exchange_fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _ready(path: Path) -> Path:
    return path.with_name(f".{path.name}.ready")


def _old(path: Path) -> Path:
    return path.with_name(f".{path.name}.old")


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def replace_folder(tmp: Path, path: Path) -> None:
    """Put the finished folder ``tmp`` at ``path``, replacing what is there.

    The caller holds :func:`lock_output` on ``path``.  With ``renameat2`` the two are
    exchanged in one step; otherwise ``tmp`` becomes ``.<name>.ready``, ``path`` moves
    to ``.<name>.old`` and ``.ready`` to ``path`` — :func:`recover` completes these
    steps after a kill.  The earlier folder is deleted only when the new one is in place.
    """
    if not path.exists() and not path.is_symlink():
        os.replace(tmp, path)
        return
    if _exchange(tmp, path):
        _remove(tmp)  # now the earlier folder
        return
    ready, old = _ready(path), _old(path)
    _remove(ready)
    _remove(old)
    os.replace(tmp, ready)
    os.replace(path, old)
    try:
        os.replace(ready, path)
    except BaseException:
        os.replace(old, path)
        raise
    _remove(old)


_LEGACY = re.compile(r"\.[a-z0-9_]{8}\.(tmp|old)$|\.download-[a-z0-9_]{8}$")


def recover(path: Path) -> None:
    """Finish or undo a swap a kill interrupted, and remove leftovers of killed runs.

    Call with the lock of ``path`` held.  A complete new folder (``.<name>.ready``)
    is moved into place when the destination is missing; otherwise an earlier one
    (``.<name>.old``) is put back.  Then every hidden sibling of ``path`` that only a
    killed writer can have left (``.tmp-*``, ``.ready``, ``.old``, ``.download-*``,
    earlier versions' ``.XXXXXXXX.tmp``/``.old`` and ``<name>.part``) is deleted.
    """
    ready, old = _ready(path), _old(path)
    if not path.exists() and not path.is_symlink():
        for src in (ready, old):
            if src.exists():
                log.warning("completing an interrupted write of %s", path)
                os.replace(src, path)
                break
    prefix = f".{path.name}."
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if name == f"{path.name}.part":
            _remove(path.parent / name)
            continue
        if not name.startswith(prefix):
            continue
        rest = name[len(prefix) - 1:]
        if rest.startswith(".tmp-") or rest in (".ready", ".old") or _LEGACY.fullmatch(rest):
            log.info("removing %s left by an interrupted run", name)
            _remove(path.parent / name)


def tidy(path: str | Path) -> None:
    """:func:`recover` ``path`` if no one is writing it (for readers: a download killed
    between its renames, or the leftovers of killed runs, are dealt with on the next read).
    Does nothing when another run holds the lock or the folder cannot be written."""
    p = Path(os.path.abspath(Path(path).expanduser()))
    if not p.parent.is_dir():
        return
    with contextlib.suppress(OutputError, OSError), lock_output(p):
        recover(p)


# -- the context managers -----------------------------------------------------------------------------------------


def _fresh_name(path: Path, suffix: str = "") -> Path:
    return path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}{suffix}")


def _mode_of(path: Path) -> int | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return stat.S_IMODE(st.st_mode)


@contextlib.contextmanager
def output_folder(path: str | Path, *, overwrite: bool = False, accept: Accept | None = None,
                  kind: str | None = None, what: str = "output") -> Iterator[Path]:
    """Write a result folder whole or not at all.

    Yields an empty temporary sibling folder; when the block ends without an error it
    replaces ``path`` (see :func:`replace_folder`), with :data:`MARKER` added when
    ``kind`` is given.  On an error the temporary folder is removed and ``path`` is
    as it was.  Holds :func:`lock_output` throughout.

    Raises
    ------
    OutputError
        See :func:`check_output` and :func:`lock_output`.
    """
    with lock_output(path) as p:
        recover(p)
        check_output(p, "folder", overwrite=overwrite, accept=accept, what=what)
        p.parent.mkdir(parents=True, exist_ok=True)
        mode = _mode_of(p)
        tmp = _fresh_name(p)
        os.mkdir(tmp)  # the default mode (0o777 less the umask), not mkdtemp's 0o700
        try:
            if mode is not None:
                os.chmod(tmp, mode)
            yield tmp
            if kind is not None:
                from allychain import __version__

                (tmp / MARKER).write_text(json.dumps({
                    "writer": "allychain", "kind": kind, "version": __version__,
                    "written_at": datetime.now(UTC).isoformat(timespec="seconds")}) + "\n", encoding="utf-8")
            replace_folder(tmp, p)
        except BaseException:
            _remove(tmp)
            raise


@contextlib.contextmanager
def output_file(path: str | Path, *, overwrite: bool = False, accept: Accept | None = None,
                what: str = "output", overwrite_flag: str | None = "--overwrite") -> Iterator[Path]:
    """Write a result file whole or not at all.

    Yields a temporary sibling path (not yet created) with the same suffix; when the
    block ends without an error, the file written there replaces ``path`` in one
    rename, keeping the mode of the file it replaces.

    Raises
    ------
    OutputError
        See :func:`check_output` and :func:`lock_output`; also when the block wrote
        nothing.
    """
    with lock_output(path) as p:
        recover(p)
        check_output(p, "file", overwrite=overwrite, accept=accept, what=what, overwrite_flag=overwrite_flag)
        mode = _mode_of(p)
        tmp = _fresh_name(p, p.suffix)
        try:
            yield tmp
            if not tmp.is_file():
                raise OutputError(f"{str(p)!r}: nothing was written")
            if mode is not None:
                os.chmod(tmp, mode)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, p)
        except BaseException:
            _remove(tmp)
            raise

