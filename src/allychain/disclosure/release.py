"""Releases and the release log: protect a table together with everything already published.

A :class:`Release` is one published table: every cell's true value, whether it was
published or suppressed, its sensitivity and protection levels, the equations, the rules
and a fingerprint.  The :class:`ReleaseLog` is the ordered list of releases (a plain,
JSON-serialisable data structure; the workspace stores it with the submissions, because it
holds confidential true values).

**Linked releases.**  A reader may hold every earlier release.  :func:`release` therefore
builds one *joint* problem over all releases in the log plus the new table: a cell is
identified by (table name, key, true value), so a cell that is unchanged between releases
is one variable (the attacker is assumed to know it is unchanged), while a corrected cell
gets a new variable tied to the old one only through the equations of each release.
Secondary suppression then protects every sensitive cell of every release in the joint
problem — cells published earlier can no longer be withheld — and the auditor solves the
attacker's LPs on the joint problem.  Differencing a corrected release against the original,
or two tables that share cells, therefore reveals no sensitive cell beyond its protection
levels.  (The size of a correction to a *published* cell is visible by design.)

Every release runs the auditor; if any sensitive cell of any release could be narrowed
below its protection levels, :class:`~allychain.errors.DisclosureError` is raised and the
log is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from allychain.disclosure.audit import AuditReport, attacker_intervals, protection_met
from allychain.disclosure.optimal import optimal_suppression
from allychain.disclosure.suppress import cell_costs, pattern_suppression
from allychain.disclosure.table import Table
from allychain.errors import DisclosureError

__all__ = ["Release", "ReleaseLog", "release", "audit_releases"]

log = logging.getLogger(__name__)

OPTIMAL_MAX_CELLS = 300
"""Largest number of cells that may be withheld for which ``method="auto"`` uses the exact MIP."""

_CELL_COLUMNS = ["value", "contributors", "sensitive", "reason", "lpl", "upl", "status"]


@dataclass(frozen=True)
class Release:
    """One released table.

    Attributes
    ----------
    id
        Sequence label within its log (``"r1"``, ``"r2"``, …).
    table
        The table's name (cells with the same name and key are the same cells).
    keys
        Key columns of the cells.
    cells
        Key columns, ``value`` (true, confidential), ``contributors``, ``sensitive``,
        ``reason``, ``lpl``, ``upl`` and ``status`` (``"published"`` or ``"suppressed"``).
    equations
        The table's additivity equations over ``cells``.
    meta
        Rules, objective, fingerprint, audit summary, and what the caller adds (e.g. the
        submission versions the table was built from).
    """

    id: str
    table: str
    keys: tuple[str, ...]
    cells: pd.DataFrame
    equations: sp.csr_matrix
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def suppressed(self) -> np.ndarray:
        return (self.cells["status"] == "suppressed").to_numpy()

    def published(self) -> pd.DataFrame:
        """What leaves: key columns, ``value`` (NaN where suppressed) and ``status``.

        Primary and secondary suppressions look the same; no contributor count is shown
        for suppressed cells.
        """
        out = self.cells[[*self.keys, "value", "status"]].copy()
        out.loc[out["status"] == "suppressed", "value"] = np.nan
        return out.reset_index(drop=True)

    def cell_ids(self) -> list[tuple[Any, ...]]:
        k = self.cells[list(self.keys)].astype(str).itertuples(index=False, name=None)
        return [(self.table, *t, float(v)) for t, v in zip(k, self.cells["value"], strict=True)]

    def to_dict(self) -> dict[str, Any]:
        E = self.equations.tocoo()
        cells = self.cells[[*self.keys, *_CELL_COLUMNS]]
        return {"id": self.id, "table": self.table, "keys": list(self.keys),
                "cells": json.loads(cells.to_json(orient="records")),
                "equations": {"shape": list(E.shape), "row": E.row.tolist(), "col": E.col.tolist(),
                              "data": E.data.tolist()},
                "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Release:
        eq = d["equations"]
        E = sp.csr_matrix((eq["data"], (eq["row"], eq["col"])), shape=tuple(eq["shape"]))
        cells = pd.DataFrame.from_records(d["cells"])
        keys = tuple(d["keys"])
        for k in keys:
            cells[k] = cells[k].astype(str)
        return cls(id=d["id"], table=d["table"], keys=keys, cells=cells, equations=E, meta=dict(d.get("meta", {})))


@dataclass(frozen=True)
class ReleaseLog:
    """Every release so far, oldest first (immutable: :meth:`append` returns a new log)."""

    releases: tuple[Release, ...] = ()

    def append(self, r: Release) -> ReleaseLog:
        return ReleaseLog((*self.releases, r))

    def next_id(self) -> str:
        return f"r{len(self.releases) + 1}"

    def __len__(self) -> int:
        return len(self.releases)

    def to_dict(self) -> dict[str, Any]:
        return {"releases": [r.to_dict() for r in self.releases]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReleaseLog:
        return cls(tuple(Release.from_dict(r) for r in d.get("releases", [])))


@dataclass
class _Joint:
    """All releases' cells as variables (one per cell id and value) and their equations."""

    ids: list[tuple[Any, ...]]
    values: np.ndarray
    equations: sp.csr_matrix
    sensitive: np.ndarray
    lpl: np.ndarray
    upl: np.ndarray
    published: np.ndarray   # known to the attacker from an earlier release
    suppressed: np.ndarray  # withheld in an earlier release (and never published)
    maps: list[np.ndarray]  # per block: column index of each of its cells


def _joint(blocks: Sequence[tuple[list[tuple[Any, ...]], pd.DataFrame, sp.csr_matrix]]) -> _Joint:
    index: dict[tuple[Any, ...], int] = {}
    maps = []
    for ids, _, _ in blocks:
        maps.append(np.array([index.setdefault(i, len(index)) for i in ids], dtype=int))
    N = len(index)
    vals, sens = np.zeros(N), np.zeros(N, dtype=bool)
    lpl, upl = np.zeros(N), np.zeros(N)
    pub, sup = np.zeros(N, dtype=bool), np.zeros(N, dtype=bool)
    eqs = []
    for (_, cells, E), m in zip(blocks, maps, strict=True):
        vals[m] = cells["value"].to_numpy(dtype=float)
        sens[m] |= cells["sensitive"].to_numpy(dtype=bool)
        lpl[m] = np.maximum(lpl[m], cells["lpl"].to_numpy(dtype=float))
        upl[m] = np.maximum(upl[m], cells["upl"].to_numpy(dtype=float))
        if "status" in cells:
            st = cells["status"].to_numpy()
            pub[m] |= st == "published"
            sup[m] |= st == "suppressed"
        P = sp.csr_matrix((np.ones(len(m)), (np.arange(len(m)), m)), shape=(len(m), N))
        eqs.append(sp.csr_matrix(E) @ P)
    E = sp.vstack(eqs).tocsr() if eqs else sp.csr_matrix((0, N))
    return _Joint(list(index), vals, E, sens, lpl, upl, pub, sup & ~pub, maps)


def _joint_report(j: _Joint, withheld: np.ndarray) -> AuditReport:
    return _joint_audit(j, withheld)[0]


def _joint_audit(j: _Joint, withheld: np.ndarray) -> tuple[AuditReport, np.ndarray]:
    lo, hi = attacker_intervals(j.values, j.equations, withheld)
    ok = protection_met(j.values, lo, hi, j.lpl, j.upl) | ~j.sensitive
    show = withheld | j.sensitive
    rows = [j.ids[i] for i in np.flatnonzero(show)]
    df = pd.DataFrame({"table": [r[0] for r in rows], "cell": [" × ".join(map(str, r[1:-1])) for r in rows],
                       "value": j.values[show], "sensitive": j.sensitive[show], "lpl": j.lpl[show],
                       "upl": j.upl[show], "suppressed": withheld[show], "lower": lo[show], "upper": hi[show],
                       "safe": ok[show]})
    return AuditReport(df), ok


def audit_releases(log_: ReleaseLog) -> AuditReport:
    """Joint audit of everything in a log: each sensitive cell's interval given all releases."""
    j = _joint([(r.cell_ids(), r.cells, r.equations) for r in log_.releases])
    return _joint_report(j, ~j.published)


def release(table: Table, log_: ReleaseLog = ReleaseLog(), *, objective: str = "value", method: str = "auto",
            time_limit: float = 60.0,
            meta: Mapping[str, Any] | None = None, release_id: str | None = None) -> tuple[Release, AuditReport]:
    """Protect ``table`` jointly with the releases in ``log_``, audit, and return the release.

    Parameters
    ----------
    table
        The assessed table (:func:`~allychain.disclosure.table.margin_table`).
    log_
        Earlier releases (unchanged by this call; append the result yourself once it is
        stored).
    objective
        ``"value"`` (minimise the suppressed value, default) or ``"count"``.
    method
        ``"pattern"`` (LP patterns, any size), ``"optimal"`` (exact MIP with attacker cuts;
        falls back to patterns if not proven within ``time_limit``) or ``"auto"`` (optimal
        up to :data:`OPTIMAL_MAX_CELLS` cells that may be withheld, patterns above).
    time_limit
        Seconds allowed to the exact method.
    meta
        JSON-able facts to record with the release (e.g. submission versions).
    release_id
        Label (default: the log's next ``r<n>``).

    Returns
    -------
    (Release, AuditReport)
        The release and the joint audit it passed.

    Raises
    ------
    DisclosureError
        A sensitive cell cannot be protected, or the audit finds a cell that can be
        narrowed below its protection levels; ``error.report`` holds the audit.
    """
    new_cells = table.cells.assign(status="new")
    blocks = [(r.cell_ids(), r.cells, r.equations) for r in log_.releases]
    ids_new = [(*cid, float(v)) for cid, v in zip(table.cell_ids(), table.values, strict=True)]
    j = _joint([*blocks, (ids_new, new_cells, table.equations)])
    mine = j.maps[-1]
    in_new = np.zeros(len(j.values), dtype=bool)
    in_new[mine] = True
    empty = np.zeros(len(j.values), dtype=bool)
    empty[mine[table.empty]] = True
    allowed = ~j.published & ~(empty & in_new & ~j.suppressed)
    labels = [f"{i[0]}[{' × '.join(map(str, i[1:-1]))}]" for i in j.ids]
    cost = cell_costs(j.values, objective)
    out = np.flatnonzero(j.sensitive & j.published)
    if len(out):
        raise DisclosureError(f"release of {table.name or 'the table'} refused: sensitive cell(s) "
                              f"{', '.join(labels[i] for i in out[:5])} already published in an earlier release "
                              "with the same value; they can no longer be protected")
    if method not in ("auto", "pattern", "optimal"):
        raise ValueError(f"method must be 'auto', 'pattern' or 'optimal', got {method!r}")
    forced = j.suppressed & ~in_new  # withheld before and not in this table: stays unknown
    targets = j.sensitive & ~j.published
    used = "pattern"
    exact = None
    if method == "optimal" or (method == "auto" and int(allowed.sum()) <= OPTIMAL_MAX_CELLS):
        exact = optimal_suppression(j.values, j.equations, targets, j.lpl, j.upl, allowed=allowed, cost=cost,
                                    forced=forced, time_limit=time_limit)
    if exact is not None and exact.proven:
        withheld, used = exact.mask.copy(), "optimal"
    else:
        withheld = pattern_suppression(j.values, j.equations, targets, j.lpl, j.upl,
                                       allowed=allowed, suppressed=forced, cost=cost, labels=labels)
    withheld &= ~j.published
    report, ok = _joint_audit(j, withheld)
    for _ in range(2):  # numerical slack: re-protect what the audit flags, reusing withheld cells
        bad = np.flatnonzero(j.sensitive & withheld & ~ok)
        if report.safe or not len(bad):
            break
        withheld = pattern_suppression(j.values, j.equations, j.sensitive & ~j.published, j.lpl, j.upl,
                                       allowed=allowed, suppressed=withheld, cost=cost, labels=labels,
                                       targets=bad.tolist())
        report, ok = _joint_audit(j, withheld)
    if not report.safe:
        bad = report.unsafe
        names = ", ".join(f"{t}[{c}]" for t, c in zip(bad["table"][:5], bad["cell"][:5], strict=True))
        raise DisclosureError(f"release of {table.name or 'the table'} refused: {report.summary()} ({names})",
                              report=report)
    cells = table.cells.copy()
    cells["status"] = np.where(withheld[mine], "suppressed", "published")
    n_sup = int(withheld[mine].sum())
    info: dict[str, Any] = {"rules": table.meta.get("rules", {}), "objective": objective, "method": used,
                            "fingerprint": table.fingerprint(),
            "cells": len(cells), "sensitive": int(cells["sensitive"].sum()), "suppressed": n_sup,
            "suppressed_value": float(cells.loc[withheld[mine], "value"].sum()),
            "linked_releases": [r.id for r in log_.releases], "audit": report.summary(), **dict(meta or {})}
    info["hash"] = hashlib.sha256(json.dumps({"fingerprint": info["fingerprint"],
                                              "status": cells["status"].tolist()}).encode()).hexdigest()
    rel = Release(id=release_id or log_.next_id(), table=table.name, keys=table.keys,
                  cells=cells[[*table.keys, *_CELL_COLUMNS]].reset_index(drop=True),
                  equations=table.equations, meta=info)
    log.info("release %s of %s: %d of %d cells suppressed (%d sensitive); %s", rel.id, table.name, n_sup,
             len(cells), info["sensitive"], report.summary())
    return rel, report

