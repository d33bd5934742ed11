"""Daigou requests: clients ask their personal shopper for an import they need.

Each day every (daigou, client) pair meets with probability ``contact_rate``
(the client sees the daigou's WeChat posts or messages the daigou). A client
who then has open needs in categories with imported products asks for one of
them, chosen uniformly. The model turns each request into an offer of an
imported product on the cheapest cross-border platform, at the platform's price
plus the daigou's service fee. The daigou places the order under its own name,
so the order counts against the *daigou's* personal cross-border quota (RMB
5,000 per order, RMB 26,000 a year), and a busy daigou runs into it.

References
----------
.. [1] Jing Daily (2019), "On WeChat, Daigou Get Creative to Skirt New
   E-Commerce Law".
.. [2] Ningbo Customs Q&A; HKTDC Research: the personal quota since 2019.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from socialsim._csr import entry_rows
from socialsim.columns import MetricColumn
from socialsim.enums import Source
from socialsim.mechanisms.component import Component, platform_values
from socialsim.mechanisms.offers import Offers
from socialsim.streams import mix_keys

if TYPE_CHECKING:
    from socialsim.day import Day

__all__ = ["Daigou", "DaigouRequests", "daigou_requests"]


@dataclass(frozen=True, eq=False)
class DaigouRequests:
    """Today's requests, one per contacted client with an open need for an import.

    Attributes
    ----------
    client : ndarray of int64
        Who asks.
    daigou : ndarray of int64
        Which daigou is asked (row of the client matrix).
    category : ndarray of int64
        The category of the need.
    trust : ndarray of float32
        The client's trust in the daigou.
    """

    client: np.ndarray
    daigou: np.ndarray
    category: np.ndarray
    trust: np.ndarray

    def __len__(self) -> int:
        return int(self.client.shape[0])


def daigou_requests(
    clients: sparse.csr_array,
    need: np.ndarray,
    import_categories: np.ndarray,
    contact_rate: float,
    rng: np.random.Generator | Sequence[np.random.Generator],
    entry_start: np.ndarray | None = None,
) -> DaigouRequests:
    """Draw today's requests from clients to their daigou.

    Parameters
    ----------
    clients : scipy.sparse.csr_array, shape (n_daigou, n_consumers)
        Each daigou's clients, valued by the client's trust in it.
    need : ndarray of bool, shape (n_consumers, n_categories)
        Open needs.
    import_categories : ndarray of bool, shape (n_categories,)
        Categories that have imported products.
    contact_rate : float
        Daily probability that a client and its daigou are in touch.
    rng : numpy.random.Generator or sequence of numpy.random.Generator
        Source of randomness: one, or in a batched ensemble one per run.
    entry_start : ndarray of int, shape (K + 1,), optional
        With one generator per run: where each run's entries of `clients`
        start (the daigou are laid out run by run, so each run's entries are
        one block), and their total. Each run draws for its own entries from
        its own generator, in the order it draws alone.

    Returns
    -------
    DaigouRequests

    Examples
    --------
    Daigou 0 has clients 1 and 2; only client 2 has a need in an import
    category (1), so with certain contact it is the only request.

    >>> clients = sparse.csr_array(np.array([[0, 0.8, 0.6]], dtype=np.float32))
    >>> need = np.array([[0, 0], [1, 0], [0, 1]], dtype=bool)
    >>> r = daigou_requests(clients, need, np.array([False, True]), 1.0, np.random.default_rng(0))
    >>> r.client.tolist(), r.daigou.tolist(), r.category.tolist()
    ([2], [0], [1])
    """
    columns = np.flatnonzero(import_categories)
    if entry_start is None:
        contacted = np.flatnonzero(rng.random(clients.nnz) < contact_rate)
    else:
        # each run's contacts from its own stream, for its own block of entries
        contact = [g.random(int(entry_start[k + 1] - entry_start[k])) for k, g in enumerate(rng)]
        contacted = np.flatnonzero(np.concatenate(contact) < contact_rate)
    daigou = entry_rows(clients.indptr)[contacted]
    client = clients.indices[contacted].astype(np.int64)
    wants = need[np.ix_(client, columns)]
    # A uniformly random open import need of each client: the largest of random keys.
    if entry_start is None:
        drawn = rng.random(wants.shape, dtype=np.float32)
    else:
        # then each run's keys, for its contacted clients (still a block: entries are run by run)
        bounds = np.searchsorted(contacted, entry_start)
        drawn = np.concatenate(
            [
                g.random((int(bounds[k + 1] - bounds[k]), columns.size), dtype=np.float32)
                for k, g in enumerate(rng)
            ]
        )
    keys = np.where(wants, drawn, np.float32(-1))
    asks = wants.any(axis=1)
    pick = columns[np.argmax(keys, axis=1)] if columns.size else np.zeros(client.size, np.int64)
    return DaigouRequests(
        client=client[asks],
        daigou=daigou[asks],
        category=pick[asks].astype(np.int64),
        trust=clients.data[contacted][asks].astype(np.float32),
    )


class Daigou(Component):
    """Personal shoppers who buy imports for their clients, for a fee, under their own quota.

    Parameters: ``daigou.contact_rate`` and ``service_fee`` (the world holds
    the daigou and their clients). Day by day: clients in touch with their
    daigou ask for an import they need, quoted on the cheapest cross-border
    platform at its price plus the fee (:meth:`offers`, phase 5); clients who
    buy pay the fee to their daigou (:meth:`charge_fees`, phase 7), and the
    daigou places the order, under its own quota.

    References
    ----------
    .. [1] Jing Daily (2019); see the module docstring.
    """

    name = "daigou"
    batch_ready = True
    columns = (
        MetricColumn.total(
            "daigou_fees", "RMB of service fees clients paid their daigou today (not in gmv)"
        ),
    )

    def __init__(self, model: Any, config: Any = None, rng: Any = None) -> None:
        super().__init__(model, config, rng)
        world = model.world
        cbec = platform_values(model.config, world.platforms.names, "cross_border.enabled", bool)
        #: the platforms that sell imports, where a daigou buys
        self.platforms = np.flatnonzero(cbec)
        catalogue = world.catalogue
        by_category = catalogue.category[catalogue.cross_border]
        #: the categories that have imported products
        self.import_categories = np.bincount(by_category, minlength=catalogue.n_categories) > 0

    def offers(self, day: Day) -> Offers:
        """Clients ask their daigou for an import; it quotes the cheapest cross-border platform.

        The offer's price is the platform's plus the daigou's service fee (a
        negative discount); ``ref`` is the daigou, who places the order under
        its own quota.
        """
        daigou, catalogue = self.model.world.daigou, self.model.world.catalogue
        if daigou.n == 0 or self.platforms.size == 0:
            return Offers.empty()
        cfg, runs = self.model.config.daigou, self.model.runs
        entry_start = None
        if runs.batched:  # each run's entries (its daigou's, run by run) from its own stream
            entry_start = daigou.clients.indptr[runs.layout.daigou.start].astype(np.int64)
        asks = daigou_requests(
            daigou.clients,
            self.model.state.need,
            self.import_categories,
            cfg.contact_rate,
            self.generators(day, "ask"),
            entry_start,
        )
        run = runs.of_consumers(asks.client)
        # keys of each ask's client and daigou in its own run
        ask_key = mix_keys(
            runs.local_consumer(asks.client, run), runs.local("daigou", asks.daigou), asks.category
        )
        if run is None:
            product = catalogue.random_listed(
                asks.category, 1.0, self.keyed(day, "product", ask_key)
            )
        else:
            # imports only (share 1): each among its own run's products
            product = catalogue.random_listed(
                asks.category,
                1.0,
                self.keyed(day, "product", ask_key, run=run),
                run=run,
                product_run=runs.layout.product.run,
            )
        prices = self.model.prices.price[np.ix_(self.platforms, product)]
        platform = self.platforms[np.argmin(prices, axis=0)]
        return Offers.build(
            asks.client,
            asks.category,
            product,
            Source.DAIGOU,
            asks.trust,
            platform,
            discount=-cfg.service_fee,
            ref=daigou.shopper[asks.daigou],
        )

    def charge_fees(self, day: Day, purchases: Offers, paid: np.ndarray) -> np.ndarray:
        """Clients pay their daigou's fee; return what each purchase pays the platform."""
        by_daigou = purchases.source == Source.DAIGOU
        if not by_daigou.any():
            return paid
        to_platform = paid / (1.0 + purchases.service_fee())
        fee = (paid - to_platform)[by_daigou]
        buyer = purchases.consumer[by_daigou]
        np.subtract.at(self.model.state.budget_left, buyer, fee)
        runs = self.model.runs
        run = runs.of_consumers(buyer)
        if run is None:
            day.total["daigou_fees"] += float(fee.sum(dtype=np.float64))
        else:  # each run's fees summed as that run alone sums them (float32 into float64)
            fees = np.zeros(runs.n, dtype=np.float64)
            for k in np.unique(run).tolist():
                fees[k] = fee[run == k].sum(dtype=np.float64)
            day.add("daigou_fees", fees)
        return to_platform
