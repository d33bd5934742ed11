"""What a model gives back: its tables, totals, agents' results and graphs.

:class:`ModelResults` is the results API of
:class:`~socialsim.model.SocialCommerceModel` (which inherits it): the step,
platform and tier tables and the order log (:mod:`socialsim.recording`),
the mechanisms' own tables (group sizes, KOL income, store owners, campaign
creators), the run's summary, and the social and follow graphs as networkx.
It reads the model's components; it computes nothing of the simulation.
"""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from socialsim._csr import entry_rows
from socialsim._version import __version__
from socialsim.mechanisms.pricing import PriceBook

__all__ = ["ModelResults"]

_BUILTIN_TABLES = frozenset({"runs", "steps", "platforms", "tiers", "orders"})


class ModelResults:
    """The results API of a model (a mixin of :class:`~socialsim.model.SocialCommerceModel`)."""

    # set by the model
    world: Any
    config: Any
    seed: int | None
    steps: int
    build_seconds: float
    step_seconds: float
    recording: Any
    checkout: Any
    audience: Any
    campaign: Any
    group_buying: Any
    livestream: Any
    stores: Any
    pricing: Any
    table_mechanisms: list[Any]
    made_to_order: Any

    @property
    def campaign_product(self) -> int:
        """The product a marketing campaign promotes (chosen without a random draw)."""
        return self.campaign.product

    @property
    def campaign_category(self) -> str:
        """The category of :attr:`campaign_product`."""
        return self.campaign.category

    @property
    def prices(self) -> PriceBook:
        """Today's prices: ``prices.price[platform, product]``, set each morning."""
        return self.pricing.book

    def step_metrics(self) -> pd.DataFrame:
        """One row per step run so far; see :mod:`socialsim.metrics` for the columns.

        With ``run.start_date`` set, a ``date`` column (``datetime64``, a day)
        follows ``step``: step ``s`` falls on ``start_date + (s - 1)`` days.
        """
        frame = self.recording.steps.frame()
        start = self.config.run.start_date
        if start is not None:
            days = pd.to_timedelta(frame["step"].to_numpy() - 1, unit="D")
            frame.insert(1, "date", pd.Timestamp(start) + days)
        return frame

    def component_tables(self) -> dict[str, pd.DataFrame]:
        """Return the mechanisms' own long tables so far, by name.

        Each mechanism may keep tables of its own, one row per day and item
        (:meth:`~socialsim.mechanisms.component.Component.tables`): the brands'
        (:meth:`brand_metrics`), the export regions' and any plug-in's. A run
        writes each as ``<name>.parquet``.

        Raises
        ------
        RuntimeError
            If two mechanisms name a table alike, or one takes a built-in table's name.
        """
        out: dict[str, pd.DataFrame] = {}
        for mechanism in self.table_mechanisms:
            for name, frame in mechanism.tables().items():
                if name in out or name in _BUILTIN_TABLES:
                    raise RuntimeError(
                        f"{type(mechanism).__name__} names a table {name!r}, which is taken"
                    )
                out[name] = frame
        return out

    def group_sizes(self) -> pd.Series:
        """How many completed groups had each number of members, so far."""
        return self.group_buying.size_counts()

    def current_followers(self, creator: int) -> tuple[np.ndarray, np.ndarray]:
        """Return a creator's current followers and their trust in it today.

        Livestreams win KOLs followers and lose them some, and returns cut
        trust, so these differ from the world's follow matrix as built
        (``world.influencers.follows``, also what :attr:`follow_graph` shows).
        """
        return self.audience.current(creator)

    def platform_metrics(self) -> pd.DataFrame:
        """One row per step and platform: GMV, orders, buyers, users, active users, members.

        See :data:`socialsim.metrics.PLATFORM_COLUMNS`; ``active_users`` bought
        on the platform in the last 30 days.
        """
        return self.recording.platforms.frame()

    def tier_metrics(self) -> pd.DataFrame:
        """One row per step and city tier: consumers, customers, orders, feeds, memberships.

        See :data:`socialsim.metrics.TIER_COLUMNS`. Orders count the buyer's
        tier (a daigou order the client's); ``active_members / members`` is the
        30-day member retention: the share of the tier's members (on any
        platform, at the end of the step) who placed an order that shipped in
        the 30 days up to and including the step.
        """
        return self.recording.tiers.frame()

    def campaign_creators(self) -> pd.DataFrame:
        """Return the creators a campaign can sponsor, with what it bought from each so far.

        One row per creator with a campaign class: ``creator`` (index; KOLs
        first), ``kind`` (kol, koc), ``campaign_class`` (head, mid, koc),
        ``followers`` (current), ``posts`` (sponsored posts), ``fees`` (RMB),
        ``orders`` and ``gmv`` (RMB) attributed to its sponsored posts, and
        ``commission`` (RMB). All zero without a campaign.
        """
        return self.campaign.creators_table()

    def orders(self) -> pd.DataFrame:
        """Every order shipped so far (empty if ``run.record_orders`` is off).

        See :data:`socialsim.metrics.ORDER_COLUMNS`.
        """
        return self.order_log.frame()

    def kol_income(self) -> pd.DataFrame:
        """Each KOL's income so far: commission on kept livestream orders plus slot fees."""
        return self.livestream.income_table()

    def store_owners(self) -> pd.DataFrame:
        """Every store owner: platform, recruiter, tree, level, join step and income so far."""
        return self.stores.owners_table()

    def summary(self) -> dict[str, Any]:
        """Run totals and provenance: seed, config hash, versions, wall time."""
        rows = self.recording.steps.rows
        tiers = self.world.population.tier_counts()
        n_tiers = tiers.size
        # the step table's column sums, without building it (as pandas sums: pairwise)
        gmv = float(np.sum(np.array([r["gmv"] for r in rows], dtype=np.float64)))
        orders = int(sum(r["orders"] for r in rows))
        export_gmv = float(np.sum(np.array([r["export_gmv"] for r in rows], dtype=np.float64)))
        exports = self.config.exports
        return {
            "socialsim_version": __version__,
            "mesa_version": version("mesa"),
            "numpy_version": np.__version__,
            "seed": self.seed,
            "config_hash": self.config.config_hash(),
            "steps": int(self.steps),
            "n_consumers": self.world.n_consumers,
            "n_edges": self.world.network.n_edges,
            "n_kols": self.world.influencers.n_kols,
            "n_kocs": int(self.world.influencers.n - self.world.influencers.n_kols),
            "n_store_owners": self.world.stores.n,
            "gmv": gmv,
            "orders": orders,
            "average_order_value": gmv / orders if orders else None,
            "customers": int(self.checkout.customers_by_tier.sum()),
            "penetration": float(self.checkout.customers_by_tier.sum() / self.world.n_consumers),
            "penetration_by_tier": {
                f"t{k}": float(self.checkout.customers_by_tier[k - 1] / max(tiers[k - 1], 1))
                for k in range(1, n_tiers + 1)
            },
            # overseas orders through the export channel: not part of gmv and orders
            "export_channel": exports.channel if exports.enabled else None,
            "export_orders": int(sum(r["export_orders"] for r in rows)),
            "export_gmv": export_gmv,
            "build_seconds": round(self.build_seconds, 4),
            "step_seconds": round(self.step_seconds, 4),
        }

    # ------------------------------------------------------------------ graphs

    @cached_property
    def graph(self) -> nx.Graph:
        """The social graph as networkx (built on first access; see :meth:`World.to_networkx`)."""
        return self.world.to_networkx()

    @cached_property
    def follow_graph(self) -> nx.DiGraph:
        """Who followed whom at the start, as a networkx DiGraph, edges from creator to follower.

        See :meth:`current_followers` for today's followers.

        KOL nodes are ``("kol", k)``; consumers (KOCs included) are their
        indices. Edge attribute ``trust`` is the follower's trust in the creator.
        """
        creators = self.world.influencers
        follows = creators.follows
        graph = nx.DiGraph()
        node = [("kol", k) if c < 0 else int(c) for k, c in enumerate(creators.consumer.tolist())]
        rows = entry_rows(follows.indptr)
        graph.add_nodes_from(node[k] for k in range(creators.n_kols))
        graph.add_edges_from(
            (node[k], int(i), {"trust": float(w)})
            for k, i, w in zip(
                rows.tolist(), follows.indices.tolist(), follows.data.tolist(), strict=True
            )
        )
        return graph
