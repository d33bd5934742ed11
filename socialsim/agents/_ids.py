"""Agent ids per model that do not keep the model alive (Mesa 3.3).

Mesa 3.3 numbers agents with ``mesa.Agent._ids``, a class-level
``defaultdict`` keyed by the model. It holds every model ever built, with all
its arrays, for the life of the process: a sweep worker doing hundreds of runs
grew about 0.5 MB per 300-consumer run until it ran out of memory. Mesa 3.5
numbers agents in ``Model.register_agent`` instead (mesa#3179, fixed by
mesa#3180). Our agent classes get a weak-keyed table of the same counters: the
same ids in the same order, and a finished model can be freed.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

__all__ = ["AGENT_IDS"]


class _IdCounters(weakref.WeakKeyDictionary):
    """``model -> itertools.count(1)``, created on first use, dropped with the model."""

    def __getitem__(self, model: Any) -> itertools.count:
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = itertools.count(1)
            self[model] = counter
            return counter


AGENT_IDS = _IdCounters()
"""The one table shared by every socialsim agent class, as Mesa shares ``Agent._ids``:
ids stay unique across agent types within a model. Unused under Mesa 3.5."""
