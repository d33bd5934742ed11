"""The consumers of a model as a sequence of agents, created eagerly or on first access."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, overload

import numpy as np

from socialsim.agents.consumer import Consumer
from socialsim.agents.daigou import PersonalShopper
from socialsim.agents.influencers import KOC
from socialsim.agents.store_owner import MicroStoreOwner

if TYPE_CHECKING:
    from socialsim.agents.host import AgentHost

__all__ = ["ConsumerAgents"]


class ConsumerAgents(Sequence[Consumer]):
    """``model.consumers``: consumer ``i`` is ``model.consumers[i]``.

    KOCs, store owners and daigou appear as :class:`~socialsim.agents.KOC`,
    :class:`~socialsim.agents.MicroStoreOwner` and
    :class:`~socialsim.agents.PersonalShopper`. In large worlds (over
    ``agents.eager_consumer_limit`` consumers) an agent is created, and joins
    ``model.agents``, the first time it is accessed; iterating creates them all.

    Parameters
    ----------
    model : AgentHost
        The model.
    eager : bool
        Create every agent now.
    roles : bool
        When not `eager`, still create the KOCs, store owners and daigou now (a
        few thousand at most), so that ``model.agents`` lists them; a sweep's
        worker, which never looks at agents, creates none.
    """

    def __init__(self, model: AgentHost, eager: bool, *, roles: bool = True) -> None:
        self._model = model
        n = model.world.n_consumers
        self._agents: list[Consumer | None] = [None] * n
        creators = model.world.influencers
        self._koc_of = {int(c): k for k, c in enumerate(creators.consumer) if c >= 0}
        self._store_of = {int(o): s for s, o in enumerate(model.world.stores.owner)}
        self._daigou_of = {int(o): d for d, o in enumerate(model.world.daigou.shopper)}
        if eager:
            for i in range(n):
                self._make(i)
        elif roles:
            for i in (*self._koc_of, *self._store_of, *self._daigou_of):
                self._make(i)

    def _make(self, i: int) -> Consumer:
        if i in self._koc_of:
            agent: Consumer = KOC(self._model, i, self._koc_of[i])
        elif i in self._store_of:
            agent = MicroStoreOwner(self._model, i, self._store_of[i])
        elif i in self._daigou_of:
            agent = PersonalShopper(self._model, i, self._daigou_of[i])
        else:
            agent = Consumer(self._model, i)
        self._agents[i] = agent
        return agent

    def __len__(self) -> int:
        return len(self._agents)

    @overload
    def __getitem__(self, i: int) -> Consumer: ...
    @overload
    def __getitem__(self, i: slice) -> list[Consumer]: ...
    def __getitem__(self, i: int | slice) -> Consumer | list[Consumer]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if isinstance(i, (np.integer, int)) and not isinstance(i, bool):
            j = int(i)
            if j < 0:
                j += len(self._agents)
            if not 0 <= j < len(self._agents):
                raise IndexError(f"consumer index {i} out of range 0..{len(self._agents) - 1}")
            agent = self._agents[j]
            return agent if agent is not None else self._make(j)
        raise TypeError(f"consumer indices must be integers or slices, not {type(i).__name__}")

    def __iter__(self) -> Iterator[Consumer]:
        for i in range(len(self._agents)):
            yield self[i]

    @property
    def created(self) -> int:
        """How many consumer agents exist so far."""
        return sum(a is not None for a in self._agents)

    def kocs(self) -> list[KOC]:
        """Return the KOC agents, by creator index."""
        agents = [self[i] for i in self._koc_of]
        return sorted(agents, key=lambda a: a.creator_index)  # type: ignore[return-value, union-attr]

    def store_owners(self) -> list[MicroStoreOwner]:
        """Return the store owner agents, by store index."""
        return [self[i] for i in self._store_of]  # type: ignore[misc]

    def daigou(self) -> list[PersonalShopper]:
        """Return the daigou agents, by daigou index."""
        return [self[i] for i in self._daigou_of]  # type: ignore[misc]
