"""Daigou and their clients."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim import ConfigError, ModelConfig
from socialsim.enums import Role
from socialsim.world import build_world
from tests.conftest import rng


@pytest.fixture(scope="module")
def world():
    cfg = ModelConfig.small(10_000).with_overrides(
        {"daigou.n_shoppers": 200, "daigou.extra_clients": 50.0, "daigou.trust": 0.7}
    )
    return build_world(cfg, rng(5))


def test_daigou_are_online_consumers_with_their_own_role(world):
    shopper = world.daigou.shopper
    assert world.daigou.n == 200 and np.unique(shopper).size == 200
    assert (world.role[shopper] == Role.DAIGOU).all()
    assert world.population.online[shopper].all()
    # No one holds two roles: daigou are not KOCs or store owners.
    assert not np.isin(shopper, world.stores.owner).any()


def test_clients_are_every_friend_plus_contacts_across_the_country(world):
    adj = world.network.adjacency
    clients = world.daigou.clients
    sizes = np.diff(clients.indptr)
    elsewhere = []
    for d, who in enumerate(world.daigou.shopper.tolist()):
        mine = clients.indices[clients.indptr[d] : clients.indptr[d + 1]]
        friends = adj.indices[adj.indptr[who] : adj.indptr[who + 1]]
        assert np.isin(friends, mine).all()
        assert who not in mine
        contacts = np.setdiff1d(mine, friends)
        elsewhere.append(world.population.city[contacts] != world.population.city[who])
    extra = sizes - np.diff(adj.indptr)[world.daigou.shopper]
    # Lomax with shape 2 and mean 50 has median 50 (sqrt(2) - 1), about 21, and a heavy
    # tail: the busiest daigou have many times the median's clients.
    assert 16 < np.median(extra) < 26 and extra.max() > 8 * np.median(extra)
    assert clients.data.mean() == pytest.approx(0.7, abs=0.03)
    # WeChat contacts come from anywhere: almost all live in another city than their daigou.
    assert np.concatenate(elsewhere).mean() > 0.9


def test_more_daigou_than_eligible_consumers_is_a_clear_error():
    cfg = ModelConfig.small(1_000).with_overrides(
        {f"population.tiers.{k}.online_share": 0.01 for k in range(1, 7)}
        | {"stores.n_owners": 0, "influencers.n_kocs": 0, "daigou.n_shoppers": 100}
    )
    with pytest.raises(ConfigError, match=r"daigou\.n_shoppers: must not exceed the \d+ online"):
        build_world(cfg, rng(1))
