"""Atomic folder replacement (kept for imports; the mechanism is :mod:`allychain.durable`)."""

from __future__ import annotations

from allychain.durable import replace_folder

__all__ = ["replace_folder"]
