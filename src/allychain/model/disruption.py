"""The vocabulary of disruptions, shared by scenarios, Monte Carlo and TTS/TTR.

A **shock** (:class:`Shock`) hits a :class:`Target` — nodes, countries, items, providers, or
any intersection of them — and removes ``loss_fraction`` of its capacity from step ``onset``
for ``duration`` steps, then recovers along a :class:`Recovery` profile.  A
:class:`TradeRestriction` hits a trade link instead: the flows of some items from exporting
countries to importing ones are limited to ``licensed_fraction`` of normal.

The same names are used in every file, in the CLI, the REST API and the docs:

==================  =====================================================================
key                 meaning
==================  =====================================================================
``nodes``           node ids (``KOR/dram``: provider ``/`` item)
``countries``       ISO 3166 alpha-3 codes (or the regions of an IO table)
``items``           item ids (the sectors of an IO table)
``providers``       provider ids (countries at country granularity, firms at firm granularity)
``loss_fraction``   share of capacity lost, a fraction from 0 to 1
``onset``           first step of the shock
``duration``        steps at full loss
``recovery``        ``{profile: linear|exponential|step, steps: N}``
==================  =====================================================================

Older names are still read with an :class:`~allychain.errors.AllychainDeprecationWarning`:
``region``, ``regions`` and ``country`` for ``countries``; ``products``, ``sectors`` and
``product`` for ``items``; ``node`` for ``nodes``; ``loss`` for ``loss_fraction``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from allychain.model.spec import Spec

__all__ = ["PROFILES", "Target", "Recovery", "Shock", "TradeRestriction", "TARGET_KEYS", "TARGET_RENAMED",
           "read_target", "read_recovery", "read_shock"]

#: recovery profiles after the full-loss phase
PROFILES = ("linear", "exponential", "step")

#: the keys that name what is hit
TARGET_KEYS = ("nodes", "countries", "items", "providers")

#: previous names of the target keys → current names
TARGET_RENAMED = {"region": "countries", "regions": "countries", "country": "countries", "products": "items",
                  "sectors": "items", "product": "items", "node": "nodes"}


@dataclass(frozen=True)
class Target:
    """What a shock hits: the union of ``nodes`` and of the nodes matching every one of
    ``countries``, ``items`` and ``providers`` that is given (an intersection)."""

    nodes: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (self.nodes or self.countries or self.items or self.providers)

    @property
    def kind(self) -> str:
        """``node``, ``country``, ``item``, ``provider`` or a ``+`` combination (``country+item``)."""
        parts = [k for k, v in (("node", self.nodes), ("country", self.countries), ("item", self.items),
                                ("provider", self.providers)) if v]
        return "+".join(parts) or "nothing"


@dataclass(frozen=True)
class Recovery:
    """How capacity comes back after the full-loss phase: ``profile`` over ``steps``."""

    profile: str = "step"
    steps: int = 0


@dataclass(frozen=True)
class Shock:
    """A capacity loss: ``loss_fraction`` (0–1) of ``target`` from ``onset`` for
    ``duration`` steps, then ``recovery``."""

    target: Target
    loss_fraction: float
    onset: int = 0
    duration: int = 1
    recovery: Recovery = field(default_factory=Recovery)
    name: str = ""


@dataclass(frozen=True)
class TradeRestriction:
    """A trade link cut back: flows of ``items`` (all when empty) from ``exporters`` to
    ``importers`` (``*``: everyone else) limited to ``licensed_fraction`` (0–1) of normal
    from ``onset`` for ``duration`` steps (``None``: to the end)."""

    exporters: tuple[str, ...]
    importers: tuple[str, ...]
    items: tuple[str, ...] = ()
    licensed_fraction: float = 0.0
    onset: int = 0
    duration: int | None = None
    name: str = ""


def read_target(spec: Spec, required: bool = True) -> Target:
    """The target keys of ``spec`` (after :meth:`Spec.check_keys` with
    :data:`TARGET_RENAMED`) as a :class:`Target`."""
    t = Target(**{k: spec.names(k) for k in TARGET_KEYS})
    if required and t.is_empty():
        spec.fail(dict(spec.data), "at least one of " + ", ".join(TARGET_KEYS) + " naming what is hit")
    return t


def read_recovery(spec: Spec, name: str = "recovery") -> Recovery:
    """``recovery: {profile, steps}`` (or a number of steps, recovered linearly)."""
    v = spec.data.get(name)
    if v is None:
        return Recovery()
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return Recovery("linear", spec.integer(name, low=0, expected="a number of steps >= 0"))
    rec = spec.sub(name)
    rec.check_keys(("profile", "steps"))
    prof = rec.text("profile", "linear", choices=PROFILES)
    steps = rec.integer("steps", 0 if prof == "step" else ..., low=0, expected="a number of steps >= 0")
    return Recovery(prof, steps)


def read_shock(spec: Spec, extra: tuple[str, ...] = ()) -> Shock:
    """One entry of a ``shocks`` list (keys: the target keys, ``loss_fraction``, ``onset``,
    ``duration``, ``recovery``, ``name``)."""
    spec.check_keys((*TARGET_KEYS, "loss_fraction", "onset", "duration", "recovery", "name", *extra),
                    {**TARGET_RENAMED, "loss": "loss_fraction"})
    return Shock(target=read_target(spec),
                 loss_fraction=spec.num("loss_fraction", low=0, high=1,
                                        expected="the share of capacity lost, a fraction from 0 to 1"),
                 onset=spec.integer("onset", 0, low=0, expected="a step >= 0"),
                 duration=spec.integer("duration", 1, low=0, expected="a number of steps >= 0"),
                 recovery=read_recovery(spec), name=spec.text("name", ""))
