"""Talent: the semiconductor workforce as a stock-flow model (pure; imports only errors, schema and model).

* :mod:`~allychain.talent.params` — the workforce parameter table (schema in
  ``schema/talent.csv``; built-in rows in ``talent/tables/`` citing public sources) and its
  boundary checks;
* :mod:`~allychain.talent.stockflow` — stocks, inflows, outflows, demand and the gap per
  country, skill level and year (:func:`project`), programmes as data (:class:`Programme`);
* :mod:`~allychain.talent.sensitivity` — one-at-a-time elasticities of the gap;
* :mod:`~allychain.talent.programmes` — the programme specification's parser;
* :mod:`~allychain.talent.effect` — the gap with and without programmes;
* :mod:`~allychain.talent.capacity` — demand from capacity (workers per unit of capacity by stage).

See docs/talent.md.
"""

from allychain.talent.capacity import demand_from_capacity
from allychain.talent.effect import programme_effect
from allychain.talent.params import builtin_sources, builtin_workforce, validated
from allychain.talent.programmes import parse_programmes
from allychain.talent.sensitivity import sensitivity
from allychain.talent.stockflow import Programme, Projection, project

__all__ = ["Programme", "Projection", "builtin_sources", "builtin_workforce", "demand_from_capacity",
           "parse_programmes", "project", "sensitivity", "validated", "programme_effect"]

