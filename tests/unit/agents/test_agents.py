"""Agents are Mesa agents and views on the model's arrays."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.agents import KOC, KOL, Brand, Consumer, MicroStoreOwner, PersonalShopper
from socialsim.enums import BrandChannel, KOLSegment, Origin, Positioning, Role, ShopperStatus


@pytest.fixture(scope="module")
def model():
    model = SocialCommerceModel(ModelConfig.small(), rng=4)
    model.run(5)
    return model


def test_every_consumer_is_a_registered_mesa_agent(model):
    n = model.world.n_consumers
    assert len(model.consumers) == n
    assert len(model.agents) == n + len(model.kols) + len(model.brands)
    assert all(isinstance(a, mesa.Agent) for a in model.agents)
    by_type = model.agents_by_type
    assert len(by_type[KOC]) == model.config.influencers.n_kocs
    assert len(by_type[MicroStoreOwner]) == model.config.stores.n_owners
    assert len(by_type[PersonalShopper]) == model.config.daigou.n_shoppers > 0
    assert len(by_type[KOL]) == model.config.influencers.n_kols


def test_roles_and_types_agree_with_world(model):
    for agent in model.consumers[:200]:
        assert agent.role == Role(int(model.world.role[agent.index]))
    kocs = model.consumers.kocs()
    assert all(isinstance(a, KOC) and isinstance(a, Consumer) for a in kocs)
    owners = model.consumers.store_owners()
    assert all(isinstance(a, MicroStoreOwner) for a in owners)


def test_consumer_attributes_read_the_arrays(model):
    i = 17
    c = model.consumers[i]
    pop, state = model.world.population, model.state
    assert c.tier == pop.tier[i] and c.city == pop.city[i]
    assert c.income == pytest.approx(float(pop.income[i]))
    assert c.status == ShopperStatus(int(state.status[i]))
    assert np.array_equal(c.friends, model.world.network.friends(i))
    assert [f.index for f in c.friend_agents()] == c.friends.tolist()
    assert set(c.needs) == set(model.world.catalogue.category_names)
    c.budget_left = 12.5
    assert state.budget_left[i] == pytest.approx(12.5)
    assert c.orders == state.orders[i]
    assert "Consumer(index=17" in repr(c) or "KOC(index=17" in repr(c)


def test_creator_agents(model):
    kol = model.kols[0]
    assert isinstance(kol.segment, KOLSegment)
    assert kol.follower_count == len(kol.followers) > 0
    assert 0 < kol.mean_trust < 1
    koc = model.consumers.kocs()[0]
    assert set(koc.strong_ties.tolist()) <= set(koc.followers.tolist())
    owner = model.consumers.store_owners()[0]
    assert np.array_equal(owner.customers, owner.strong_ties)
    for daigou in model.consumers.daigou():
        assert daigou.role == Role.DAIGOU and set(daigou.friends) <= set(daigou.clients)
        spent = model.state.cross_border_spent[daigou.index]
        assert daigou.quota_left == pytest.approx(model.config.cross_border.annual_limit - spent)


def test_large_worlds_create_consumer_agents_on_first_access():
    cfg = ModelConfig.small().with_overrides({"agents.eager_consumer_limit": 100})
    model = SocialCommerceModel(cfg, rng=1)
    creators = cfg.influencers.n_kocs + cfg.stores.n_owners + cfg.daigou.n_shoppers
    assert model.consumers.created == creators
    before = len(model.agents)
    a = model.consumers[1999]
    assert model.consumers[1999] is a and model.consumers[-1] is a
    assert len(model.agents) == before + (0 if a.role != Role.CONSUMER else 1)
    with pytest.raises(IndexError):
        model.consumers[2000]
    with pytest.raises(TypeError):
        model.consumers["x"]  # type: ignore[index]


def test_brand_agents_read_the_world_and_the_brands_decisions(model):
    assert len(model.agents_by_type[Brand]) == model.world.brands.n_brands == len(model.brands)
    brands = model.world.brands
    for b, agent in enumerate(model.brands):
        assert agent.name == brands.names[b]
        assert agent.positioning == Positioning(int(brands.positioning[b]))
        assert agent.origin == Origin(int(brands.origin[b]))
        assert (model.world.catalogue.brand[agent.products] == b).all()
        listed = model.brand_rules.listed[:, b]
        assert agent.platforms == [
            name for name, on in zip(model.world.platforms.names, listed, strict=True) if on
        ]
    premium = next(a for a in model.brands if a.positioning == Positioning.PREMIUM)
    # a premium brand has a channel on Pinduoduo but keeps off it (group prices undercut it)
    assert premium.channels["pinduoduo"] == BrandChannel.MARKETPLACE
    assert "pinduoduo" not in premium.platforms
    assert sum(a.orders for a in model.brands) == int(model.step_metrics()["orders"].sum())
    assert "Brand(" in repr(premium)
