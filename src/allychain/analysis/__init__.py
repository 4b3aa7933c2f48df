"""Alliance analysis: concentration, chokepoints, dependencies through all tiers, the
alliance view, partner recommendation and coverage statements.

Every function takes a :class:`~allychain.model.network.Network` first and returns
DataFrames (or a dict of them); nothing here reads files or prints.  See
docs/analysis.md for the measures, their formulas, default thresholds and sources.
"""

from allychain.analysis.alliance import (
    alliance_report,
    alliance_shares,
    complementarity,
    complementarity_matrix,
    shared_dependencies,
)
from allychain.analysis.chokepoints import RULE_NAMES, ChokepointRules, chokepoints
from allychain.analysis.concentration import concentration
from allychain.analysis.coverage import coverage, coverage_text
from allychain.analysis.dependencies import (
    CRITICAL_SHARE,
    DependencyRules,
    dependencies,
    dependency_report,
    member_roots,
)
from allychain.analysis.partners import best_partners, partners
from allychain.analysis.pools import DEFAULT_POOL, candidate_pool, country_groupings, groupings
from allychain.analysis.requirements import closure, requirement_graph
from allychain.analysis.severity import score_components, severity, severity_report
from allychain.analysis.snapshot import share_matrix

__all__ = [
    "concentration",
    "chokepoints",
    "ChokepointRules",
    "RULE_NAMES",
    "dependencies",
    "dependency_report",
    "member_roots",
    "CRITICAL_SHARE",
    "DependencyRules",
    "alliance_shares",
    "alliance_report",
    "complementarity",
    "complementarity_matrix",
    "shared_dependencies",
    "partners",
    "best_partners",
    "candidate_pool",
    "severity",
    "severity_report",
    "score_components",
    "country_groupings",
    "groupings",
    "DEFAULT_POOL",
    "coverage",
    "coverage_text",
    "requirement_graph",
    "closure",
    "share_matrix",
]
