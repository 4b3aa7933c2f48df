"""The flow network of a share network: one derivation for every capability.

A share network (items, providers, market shares, relations) says who makes what and
what goes into what, but not who ships to whom.  :func:`flow_network` turns it into
provider × item nodes with their inputs — the one reading that the simulation
(:func:`allychain.simulate.networks.from_share_network`) and the TTS/TTR model
(:func:`allychain.optimize.country.site_network`) are both built from, so a scenario's
losses and the TTS/TTR table of the same alliance are computed on the same chain.

Choices (each documented in docs/architecture.md, "The flow network"):

* **Units** — every item's world output is 1 per period: a node's ``share`` is its
  fraction of world supply of its item.
* **Which rows** — :func:`~allychain.model.views.share_snapshot` with ``prefer_known``:
  per item one coherent (dataset, year) — the requested or latest year holding a known
  share, then the leftmost dataset of a ``+`` combination (dataset precedence).
  Geographic rows (countries, regions, aggregates) at ``granularity="country"``; an item
  with no geographic row but firm rows uses the firms' shares summed by home country.
  At ``granularity="firm"`` the firm rows.  Shares summing above 100 % are rescaled.
* **The unknown part** — ``1 − Σ known shares`` of each item (the whole item when no
  share is known, including rows whose share is empty) is a node of provider
  :data:`UNKNOWN` (``ROW/<item>``: "rest of world / unknown location").  Unknown is not
  zero and not spread over the known providers.
* **Process steps** — an item of kind ``process`` with no share of its own happens where
  the items it goes into are made (their shares, averaged); basis ``inherited``.
* **Inputs** — ``source goes_into target`` makes ``source`` an input of ``target``;
  ``variant is_type_of category`` makes the variant an input of its category (a
  category's output needs each of its variants: no substitution between variants, the
  cautious reading).  ``is_type_of="ignore"`` leaves variants unlinked.  An input's world
  output is split equally over the items it goes into: ``quantity = 1 / k``.
* **Finals** — items that go into nothing are final outputs (final demand 1).
* **Ids** — ``PROVIDER/ITEM`` everywhere (``KOR/dram``, ``ROW/neon``).
* **Local inputs** (only when asked: ``inputs=`` or ``network.meta["inputs"]``) — labour and
  electricity come from the consumer's own country, never from a world market.  A table
  of (``input_id``, ``kind``, ``item_id``) rows names which items draw which input (each row
  sourced by its caller, e.g. :func:`allychain.data.inputs.builtin_inputs`); the input
  becomes an item of its own with one node per country making a consuming item
  (``KOR/electricity``, ``ROW/electricity`` for the unknown part), whose share is what that
  country's consuming nodes draw: ``Σ_t q_t · share_c(t)`` with ``q_t = 1/k`` over the
  ``k`` items it goes into (the same split as every input: the unit stays one period of
  world supply, not kWh or workers).  Its input rows have ``scope = "local"``: the
  consumers connect ``(c, t)`` to ``(c, input)`` only.  Items without a row are not
  linked (the caller lists them as not covered).  Without inputs nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from allychain.errors import AllychainError
from allychain.model.network import Network
from allychain.model.views import share_snapshot

__all__ = ["FlowNetwork", "flow_network", "node_id", "UNKNOWN", "IS_TYPE_OF", "INPUT_KINDS", "INPUT_COLUMNS"]

#: kinds of local inputs (from the consumer's own country)
INPUT_KINDS = ("labour", "electricity")

#: columns of the local-input table given to :func:`flow_network`
INPUT_COLUMNS = ["input_id", "kind", "item_id"]

#: provider id of the unknown part of a market ("rest of world / unknown location")
UNKNOWN = "ROW"

#: how ``is_type_of`` relations are read: the variant is an input of its category, or ignored
IS_TYPE_OF = ("input", "ignore")

NODE_COLUMNS = ["node_id", "provider_id", "item_id", "country", "share", "basis"]


def node_id(provider: str, item: str) -> str:
    """The id of a provider × item node: ``PROVIDER/ITEM``."""
    return f"{provider}/{item}"


@dataclass(frozen=True)
class FlowNetwork:
    """Provider × item nodes and the inputs between items.

    Attributes
    ----------
    nodes
        One row per node: ``node_id``, ``provider_id``, ``item_id``, ``country``
        (the provider's country; :data:`UNKNOWN` for the unknown part), ``share``
        (fraction of world supply of the item, 0–1) and ``basis`` (``known``,
        ``firm home country``, ``inherited`` or ``unknown``).  Ordered by item (in
        the order of ``items``), then provider.
    inputs
        One row per (item, input): ``item_id``, ``input_id``, ``kind`` (the
        relation, or ``labour``/``electricity``), ``quantity`` (units of input per
        unit of item) and ``scope`` (``world``: from every provider in proportion to
        its share; ``local``: from the consumer's own country).
    items
        Every item of the network, in its order.
    finals
        Items that go into no other item (final outputs).
    choices
        The options used (granularity, year, is_type_of, firm_shares, inputs).
    kinds
        item → its kind (``items.kind``), where given.
    local
        Local input items → their kind (``labour`` or ``electricity``); empty unless asked.
    """

    nodes: pd.DataFrame
    inputs: pd.DataFrame
    items: list[str]
    finals: list[str]
    choices: dict[str, Any] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    local: dict[str, str] = field(default_factory=dict)

    def producers(self) -> dict[str, dict[str, float]]:
        """item → {provider: share}."""
        out: dict[str, dict[str, float]] = {it: {} for it in self.items}
        for p, it, s in zip(self.nodes["provider_id"], self.nodes["item_id"], self.nodes["share"], strict=True):
            out[it][p] = float(s)
        return out

    def unknown(self) -> pd.Series:
        """The unknown part of each item's market (fraction; 0 where fully known)."""
        u = self.nodes[self.nodes["provider_id"] == UNKNOWN].set_index("item_id")["share"]
        return u.reindex(self.items).fillna(0.0)


def _shares(network: Network, granularity: str, year: int | None, firm_shares: bool) -> pd.DataFrame:
    """Known positive shares (percent) per item and provider, with basis and country."""
    if granularity == "firm":
        f = share_snapshot(network, level="firm", year=year, prefer_known=True)
        f = f[f["share"].notna() & (f["share"] > 0)]
        return f.assign(country=f["provider_country"].astype(object), basis="known")
    s = share_snapshot(network, level="country", year=year, prefer_known=True)
    s = s[s["share"].notna() & (s["share"] > 0)].assign(country=lambda d: d["provider_id"], basis="known")
    if firm_shares:
        f = share_snapshot(network, level="firm", year=year, prefer_known=True)
        f = f[f["share"].notna() & (f["share"] > 0) & f["provider_country"].notna()
              & ~f["item_id"].isin(set(s["item_id"]))]
        if len(f):
            home = f["provider_country"].astype(str)
            s = pd.concat([s, f.assign(provider_id=home, country=home, basis="firm home country")],
                          ignore_index=True)
    return s


def _links(network: Network, items: list[str], is_type_of: str) -> pd.DataFrame:
    kinds = ["goes_into", "is_type_of"] if is_type_of == "input" else ["goes_into"]
    rel = network.relations
    rel = rel[rel["kind"].isin(kinds)].astype({"source": str, "target": str, "kind": str})
    known = set(items)
    rel = rel[rel["source"].isin(known) & rel["target"].isin(known) & (rel["source"] != rel["target"])]
    rel = rel.drop_duplicates(["source", "target"])
    fanout = rel.groupby("source")["target"].transform("count")
    return pd.DataFrame({"item_id": rel["target"].to_numpy(), "input_id": rel["source"].to_numpy(),
                         "kind": rel["kind"].to_numpy(), "quantity": 1.0 / fanout.to_numpy(dtype=float),
                         "scope": "world"})


def _check_local(table: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    missing = [c for c in INPUT_COLUMNS if c not in table.columns]
    if missing:
        raise AllychainError(f"inputs table: missing column(s) {', '.join(missing)}; expected "
                             + ", ".join(INPUT_COLUMNS))
    t = table[INPUT_COLUMNS].astype(str).drop_duplicates(["input_id", "item_id"])
    bad = sorted(set(t["kind"]) - set(INPUT_KINDS))
    if bad:
        raise AllychainError(f"inputs table: kind {', '.join(bad)}; expected one of {', '.join(INPUT_KINDS)}")
    clash = sorted(set(t["input_id"]) & set(items))
    if clash:
        raise AllychainError(f"inputs table: input {', '.join(clash)} is already an item of the network; "
                             "expected a new id (e.g. electricity, labour)")
    if (t.groupby("input_id")["kind"].nunique() > 1).any():
        raise AllychainError("inputs table: one input_id with two kinds; expected one kind per input")
    return t[t["item_id"].isin(set(items))]


def _local_inputs(rows: list[tuple[str, str, str, str, float, str]], table: pd.DataFrame
                  ) -> tuple[list[tuple[str, str, str, str, float, str]], pd.DataFrame, dict[str, str]]:
    """Nodes and input rows of the local inputs: per input, one node per country making a
    consuming item, with the share its consuming nodes draw (q_t = 1/k)."""
    nodes = pd.DataFrame(rows, columns=NODE_COLUMNS)
    new_rows: list[tuple[str, str, str, str, float, str]] = []
    links = []
    kinds: dict[str, str] = {}
    for inp, g in table.groupby("input_id", sort=True):
        q = 1.0 / len(g)
        kinds[str(inp)] = str(g["kind"].iloc[0])
        use = nodes[nodes["item_id"].isin(set(g["item_id"]))]
        per = use.groupby(["provider_id", "country"], sort=True)["share"].sum() * q
        for (p, c), v in per.items():
            new_rows.append((node_id(str(p), str(inp)), str(p), str(inp), str(c), float(v),
                             "unknown" if p == UNKNOWN else "input"))
        links.append(pd.DataFrame({"item_id": g["item_id"].to_numpy(), "input_id": str(inp),
                                   "kind": kinds[str(inp)], "quantity": q, "scope": "local"}))
    return new_rows, pd.concat(links, ignore_index=True) if links else pd.DataFrame(), kinds


def _inherit(shares: dict[str, dict[str, float]], kinds: dict[str, str], items: list[str],
             targets: dict[str, list[str]]) -> set[str]:
    """Process steps without shares take the average shares of the items they go into."""
    inherited: set[str] = set()
    for _ in range(len(items)):  # a chain of process steps needs one pass per link
        changed = False
        for it in items:
            if shares.get(it) or kinds.get(it) != "process":
                continue
            known = [shares[t] for t in targets.get(it, []) if shares.get(t)]
            if known:
                acc: dict[str, float] = {}
                for sh in known:
                    for c, v in sh.items():
                        if c != UNKNOWN:
                            acc[c] = acc.get(c, 0.0) + v / len(known)
                shares[it] = acc
                inherited.add(it)
                changed = True
        if not changed:
            break
    return inherited


def flow_network(network: Network, *, granularity: str = "country", year: int | None = None,
                 is_type_of: str = "input", firm_shares: bool = True,
                 inputs: pd.DataFrame | None = None) -> FlowNetwork:
    """The provider × item flow network of a share network (see the module notes).

    Parameters
    ----------
    network
        A network with ``items``, ``providers``, ``shares`` and ``relations``.
    granularity
        ``"country"`` (geographic providers; firm rows only where an item has no
        geographic row) or ``"firm"``.
    year
        Share year (default: the latest with a known share, per item).
    is_type_of
        ``"input"`` (a variant is an input of its category) or ``"ignore"``.
    firm_shares
        At country granularity, use firms' home countries for items with firm rows only.
    inputs
        Local inputs (labour, electricity): columns :data:`INPUT_COLUMNS`, one row per
        input and consuming item (see the module notes).  Default: ``network.meta["inputs"]``
        when the network carries one (:func:`allychain.data.inputs.with_inputs`), else none.

    Raises
    ------
    AllychainError
        When the network has no items, or an option is unknown.
    """
    if granularity not in ("country", "firm"):
        raise AllychainError(f"granularity {granularity!r}; expected country or firm")
    if is_type_of not in IS_TYPE_OF:
        raise AllychainError(f"is_type_of {is_type_of!r}; expected one of {', '.join(IS_TYPE_OF)}")
    table = inputs if inputs is not None else network.meta.get("inputs")
    items = list(dict.fromkeys(str(i) for i in network.items["item_id"]))
    if not items:
        raise AllychainError(f"network {network.name!r} has no items")
    s = _shares(network, granularity, year, firm_shares)
    s = s.assign(item_id=s["item_id"].astype(str), provider_id=s["provider_id"].astype(str))
    g = s.groupby(["item_id", "provider_id"], as_index=False, sort=False).agg(
        share=("share", "sum"), country=("country", "first"), basis=("basis", "first"))
    shares: dict[str, dict[str, float]] = {}
    country: dict[str, Any] = {}
    basis: dict[tuple[str, str], str] = {}
    for it, p, v, c, b in zip(g["item_id"], g["provider_id"], g["share"], g["country"], g["basis"], strict=True):
        shares.setdefault(it, {})[p] = float(v) / 100.0
        country[p] = c
        basis[(it, p)] = b
    for it, sh in shares.items():
        tot = sum(sh.values())
        if tot > 1:
            shares[it] = {p: v / tot for p, v in sh.items()}
    inputs = _links(network, items, is_type_of)
    targets: dict[str, list[str]] = {}
    for src, tgt in zip(inputs["input_id"], inputs["item_id"], strict=True):
        targets.setdefault(src, []).append(tgt)
    kinds = dict(zip(network.items["item_id"].astype(str), network.items["kind"].astype(str), strict=False))
    inherited = _inherit(shares, kinds, items, targets)
    rows = []
    for it in items:
        sh = shares.get(it, {})
        for p in sorted(sh):
            b = "inherited" if it in inherited else basis.get((it, p), "known")
            rows.append((node_id(p, it), p, it, country.get(p, p), sh[p], b))
        rest = 1.0 - sum(sh.values())
        if rest > 1e-9:
            rows.append((node_id(UNKNOWN, it), UNKNOWN, it, UNKNOWN, rest, "unknown"))
    finals = [it for it in items if it not in targets]
    local: dict[str, str] = {}
    if table is not None and len(table):
        extra, links, local = _local_inputs(rows, _check_local(table, items))
        rows += extra
        items = items + sorted(local)
        if len(links):
            inputs = pd.concat([inputs, links], ignore_index=True)
    nodes = pd.DataFrame(rows, columns=NODE_COLUMNS)
    return FlowNetwork(nodes=nodes, inputs=inputs.reset_index(drop=True), items=items, finals=finals,
                       choices={"granularity": granularity, "year": year, "is_type_of": is_type_of,
                                "firm_shares": firm_shares, "inputs": sorted(local)},
                       kinds={k: v for k, v in kinds.items() if k in set(items) and v != "nan"}, local=local)
