"""Precision and recall of the extractor on an annotated set of texts.

An evaluation file is YAML: a list of texts, each with ``id``, ``split`` (``tune`` or
``heldout``), ``date`` (document date), ``source`` (title, publisher, year, url of the
public source the text paraphrases), ``text`` and the expected ``events`` (``type``,
``items``, ``unlinked``, ``imposing``, ``targeted``, ``locations``, ``firms``,
``announced``, ``effective``).  Distractors have ``events: []``.

Scores are micro-averaged over (text, value) pairs, each field taken as the union over
a text's events (so they do not depend on how events are split or merged):

* ``type``: event types; ``items``: item ids; ``firms``: firm ids;
* ``countries``: (role, code) with role imposing, targeted or location;
* ``dates``: (role, ISO value) with role announced or effective;
* ``unlinked``: names reported as not linked (lower case);
* ``documents``: whether a text has any event at all (distractors are its negatives).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from allychain.errors import AllychainError
from allychain.model.network import Network

__all__ = ["FIELDS", "Score", "load_corpus", "expected_pairs", "predicted_pairs", "evaluate"]

FIELDS = ("type", "items", "countries", "dates", "firms", "unlinked", "documents")
_REQUIRED = ("id", "split", "text", "events", "source")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 3), "recall": round(self.recall, 3), "f1": round(self.f1, 3),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


def load_corpus(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Texts of one or more evaluation files, checked (ids unique, sources complete)."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for p in paths:
        rows = yaml.safe_load(Path(p).read_text(encoding="utf-8")) or []
        for n, r in enumerate(rows, start=1):
            missing = [k for k in _REQUIRED if k not in r]
            src = r.get("source") or {}
            missing += [f"source.{k}" for k in ("title", "publisher", "year", "url") if not src.get(k)]
            if missing:
                raise AllychainError(f"{p}: text {n} ({r.get('id')}) lacks {', '.join(missing)}")
            if r["id"] in seen:
                raise AllychainError(f"{p}: text id {r['id']!r} appears twice")
            seen.add(r["id"])
            out.append(r)
    return out


def _iso(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def expected_pairs(text: dict[str, Any]) -> dict[str, set[Any]]:
    """The expected (value) sets of one annotated text, per field."""
    out: dict[str, set[Any]] = {f: set() for f in FIELDS}
    for ev in text["events"]:
        out["type"].add(ev["type"])
        out["items"].update(ev.get("items") or [])
        out["firms"].update(ev.get("firms") or [])
        out["unlinked"].update(str(u).lower() for u in ev.get("unlinked") or [])
        for role, key in (("imposing", "imposing"), ("targeted", "targeted"), ("location", "locations")):
            out["countries"].update((role, c) for c in ev.get(key) or [])
        for role in ("announced", "effective"):
            if ev.get(role) is not None:
                out["dates"].add((role, _iso(ev[role])))
    if text["events"]:
        out["documents"].add("event")
    return out


def predicted_pairs(events: list[Any]) -> dict[str, set[Any]]:
    """The same sets from extracted :class:`~allychain.watch.events.Event` objects."""
    out: dict[str, set[Any]] = {f: set() for f in FIELDS}
    for ev in events:
        out["type"].add(ev.type)
        out["items"].update(ev.item_ids)
        out["firms"].update(m.id for m in ev.firms)
        out["unlinked"].update(m.text.lower() for m in ev.unlinked)
        for role, ms in (("imposing", ev.imposing), ("targeted", ev.targeted), ("location", ev.locations)):
            out["countries"].update((role, m.id) for m in ms)
        for role in ("announced", "effective"):
            d = getattr(ev, role)
            if d is not None:
                out["dates"].add((role, d.value))
    if events:
        out["documents"].add("event")
    return out


def evaluate(network: Network, corpus: list[dict[str, Any]], split: str | None = None,
             language: str = "en") -> dict[str, Any]:
    """Scores per field (see module docstring) and the errors per text.

    Returns
    -------
    dict
        ``texts`` (count), ``scores`` (field → precision, recall, f1, tp, fp, fn),
        ``errors`` (per text id: field → missed and spurious values), ``sentences``.
    """
    from allychain.watch.extract import extract

    scores = {f: Score() for f in FIELDS}
    errors: dict[str, dict[str, Any]] = {}
    texts = [t for t in corpus if split is None or t["split"] == split]
    sentences = 0
    for t in texts:
        x = extract(network, t["text"], date=_iso(t.get("date")), language=language, document=t["id"])
        sentences += x.sentences
        exp, got = expected_pairs(t), predicted_pairs(x.events)
        for f in FIELDS:
            s = scores[f]
            s.tp += len(exp[f] & got[f])
            s.fp += len(got[f] - exp[f])
            s.fn += len(exp[f] - got[f])
            if exp[f] != got[f]:
                errors.setdefault(t["id"], {})[f] = {"missed": sorted(map(str, exp[f] - got[f])),
                                                     "spurious": sorted(map(str, got[f] - exp[f]))}
    return {"split": split or "all", "texts": len(texts), "sentences": sentences,
            "scores": {f: s.to_dict() for f, s in scores.items()}, "errors": errors}
