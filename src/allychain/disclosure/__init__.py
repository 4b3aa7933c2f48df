"""Statistical disclosure control for aggregates of members' confidential figures.

Pure functions over tables (no database, no web; HiGHS through :mod:`allychain.lp`):

* :mod:`~allychain.disclosure.rules` — primary rules (minimum frequency, p%, (n,k)) at
  holding level and the protection levels they imply;
* :mod:`~allychain.disclosure.table` — item × country tables with marginal totals (and an
  optional item hierarchy) as cells plus additivity equations;
* :mod:`~allychain.disclosure.suppress` — secondary suppression (LP deviation patterns,
  minimising the withheld value or count);
* :mod:`~allychain.disclosure.audit` — the attacker's LPs: every suppressed cell's
  feasible interval and whether it is safe;
* :mod:`~allychain.disclosure.release` — releases and the release log; linked releases
  are protected and audited jointly; an unsafe release raises
  :class:`~allychain.errors.DisclosureError`;
* :mod:`~allychain.disclosure.noise` — differentially private counts (OpenDP) with a
  privacy budget, for counts with many contributors (not for dominated magnitude tables).

Typical use::

    table = margin_table(contributions, PrimaryRules(), name="capacity")
    rel, report = release(table, log)      # raises DisclosureError if unsafe
    log = log.append(rel)
    rel.published()                        # item, country, value (NaN if suppressed), status

See docs/disclosure.md for the rules, their sources and the attacker model.
"""

from allychain.disclosure.audit import AuditReport, attacker_intervals, audit
from allychain.disclosure.noise import PrivacyBudget, noisy_counts
from allychain.disclosure.release import Release, ReleaseLog, audit_releases, release
from allychain.disclosure.rules import PrimaryRules, assess_cells
from allychain.disclosure.suppress import pattern_suppression
from allychain.disclosure.table import TOTAL, Table, item_hierarchy, margin_table

__all__ = ["TOTAL", "AuditReport", "PrimaryRules", "PrivacyBudget", "Release", "ReleaseLog", "Table", "assess_cells",
           "attacker_intervals", "audit", "audit_releases", "item_hierarchy", "margin_table", "noisy_counts",
           "pattern_suppression", "release"]
