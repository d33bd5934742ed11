"""Strategy search: which values of a platform's levers do best on its objectives.

``socialsim optimize SPEC`` and :func:`search` ask Optuna (TPE for one
objective, NSGA-II for several) for evaluations, run each with common random
numbers on the sweep executors, and write the Pareto front with a config per
front point (:mod:`~socialsim.strategy.search`), from a validated spec
(:mod:`~socialsim.strategy.spec`).
"""

from socialsim.strategy.search import SearchResult, search
from socialsim.strategy.spec import SearchSpec, load_search_spec, search_spec_from_dict

__all__ = ["SearchResult", "SearchSpec", "load_search_spec", "search", "search_spec_from_dict"]
