"""A plug-in mechanism written outside the package, for the tests: a daily flash sale.

Each day the sale picks one domestic product and one platform, cuts the
product's price there by ``depth`` for the day, and pushes it to the
platform's users who need something of its category, each seeing it with
probability ``hours / 24`` (the sale lasts a few hours). It counts the
orders and GMV of the sale's product on its platform.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from socialsim.columns import MetricColumn
from socialsim.enums import Source
from socialsim.mechanisms.component import Component, ComponentSection
from socialsim.mechanisms.offers import Offers


class FlashSaleConfig(ComponentSection):
    """A daily flash sale."""

    depth: float = Field(default=0.5, gt=0, lt=1, description="Price cut of the sale.")
    hours: float = Field(default=4.0, gt=0, le=24, description="How long it runs each day.")


class FlashSale(Component):
    """One product on one platform at a deep discount for a few hours a day."""

    name = "flash_sale"
    config_model = FlashSaleConfig
    columns = (
        MetricColumn.count("flash_sale_orders", "orders of today's flash-sale product"),
        MetricColumn.total("flash_sale_gmv", "RMB of those orders"),
    )

    def start_day(self, day):
        catalogue = self.model.world.catalogue
        weight = catalogue.need_rate / catalogue.need_rate.sum()
        self.category = int(self.rng.choice(weight.size, p=weight))
        self.product = int(catalogue.random_listed(np.array([self.category]), 0.0, self.rng)[0])
        self.platform = int(self.rng.integers(len(self.model.world.platforms.names)))
        price = self.model.prices.price
        price[self.platform, self.product] = np.round(
            price[self.platform, self.product] * (1 - self.config.depth), 2
        )

    def offers(self, day):
        state = self.model.state
        users = np.flatnonzero(state.uses[:, self.platform] & state.need[:, self.category])
        seen = users[self.rng.random(users.size) < self.config.hours / 24]
        return Offers.build(seen, self.category, self.product, Source.SEARCH, 0.0, self.platform)

    def shipped(self, day, orders, price):
        sale = (orders.platform == self.platform) & (orders.product == self.product)
        day.add("flash_sale_orders", int(sale.sum()))
        day.add("flash_sale_gmv", float(price[sale].sum()))
