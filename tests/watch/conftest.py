"""Fixtures of the watch tests: the built-in network, and a socket layer that refuses every connection."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

pytest.importorskip("spacy", reason="the watch extra (spaCy, rapidfuzz, dateparser) is not installed")

HERE = Path(__file__).resolve().parent
CORPUS = sorted(HERE.glob("corpus_*.yaml"))


class NetworkAccessError(AssertionError):
    pass


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a socket (internet or loopback) fails the test: every watch test runs offline."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise NetworkAccessError("network access attempted during extraction")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(scope="session")
def builtin():
    import allychain

    return allychain.load("builtin")
