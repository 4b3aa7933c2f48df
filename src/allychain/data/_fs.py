"""Atomic folder replacement shared by the writers (native format, downloader)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["replace_folder"]


def replace_folder(tmp: Path, path: Path) -> None:
    """Move the finished folder ``tmp`` to ``path``; an existing ``path`` is moved aside
    first, put back if the move fails, and deleted only once the new folder is in place."""
    if not path.exists():
        os.replace(tmp, path)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
    os.rmdir(old)
    os.replace(path, old)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.replace(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)
