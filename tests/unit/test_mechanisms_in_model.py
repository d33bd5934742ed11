"""The mechanisms inside the model's step: known answers on tiny hand-built worlds.

Each world has one tier, one category with one product of price 20 and one
platform ("plain"); the tests switch on the mechanism under test and make the
decisions they need certain with large logits (+-60).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.enums import Channel, ShopperStatus, Source
from socialsim.mechanisms.campaign import Campaign
from socialsim.mechanisms.resellers import ResellerTree
from tests.conftest import one_tier_config, path_graph

CERTAIN, NEVER = 60.0, -60.0
PLAIN = "platforms.plain"


def model_of(n: int, graph: nx.Graph | None = None, seed: int = 1, **overrides: object):
    overrides = {"behaviour.return_rate": 0.0, **overrides}
    graph = path_graph(n) if graph is None else graph
    return SocialCommerceModel(one_tier_config(n, **overrides), rng=seed, graph=graph)


def group_world(**overrides: object) -> SocialCommerceModel:
    """Consumers 0 - 1: 0 searches and always starts a group of two; 1 is not online."""
    model = model_of(
        2,
        **{
            f"{PLAIN}.group_buying.enabled": True,
            f"{PLAIN}.group_buying.preference": CERTAIN,
            f"{PLAIN}.group_buying.join_open_group": 0.0,
            f"{PLAIN}.group_buying.share_to": 1,
            "behaviour.conversion.base_search": CERTAIN,
            **overrides,
        },
    )
    model.state.status[1] = ShopperStatus.OFFLINE  # reached only by the shared group
    return model


# --------------------------------------------------------------------------- group buying


def test_a_two_person_group_completes_and_ships_both_orders():
    model = group_world(**{"behaviour.conversion.base_group_share": CERTAIN})
    budget = model.state.budget_left.copy()
    model.step()
    orders = model.orders()
    assert sorted(orders["buyer"]) == [0, 1]
    assert set(orders["channel"]) == {"group"}
    assert orders["group_id"].nunique() == 1 and (orders["group_id"] >= 0).all()
    assert orders["price_paid"].tolist() == [15.0, 15.0]  # 20 less the 25 % group discount
    row = model.step_metrics().iloc[0]
    assert (row.groups_started, row.groups_completed, row.groups_expired) == (1, 1, 0)
    assert row.orders_group == 2 and row.gmv_group == 30.0
    np.testing.assert_allclose(model.state.budget_left, budget - 15.0)
    assert (model.state.status == ShopperStatus.CUSTOMER).all()
    assert model.group_sizes().to_dict() == {2: 1}


def test_an_unfilled_group_refunds_exactly_what_was_paid():
    model = group_world(**{"behaviour.conversion.base_group_share": NEVER})
    budget = float(model.state.budget_left[0])
    model.step()
    row = model.step_metrics().iloc[0]
    assert (row.groups_started, row.groups_completed, row.groups_expired) == (1, 0, 1)
    assert row.orders == 0 and len(model.orders()) == 0
    assert row.group_refunds_value == 15.0  # what the initiator paid, no more, no less
    assert model.state.budget_left[0] == budget
    assert model.state.need[0, 0]  # the need is open again
    assert model.state.status[0] != ShopperStatus.CUSTOMER
    penalty = model.config.platforms["plain"].group_buying.failure_penalty
    assert model.state.group_propensity[0] == pytest.approx(penalty)


def test_nobody_completes_a_group_with_themselves():
    # Windows of three days: consumer 0 buys the same product on days 1 and 2 and browses
    # open groups; its own group must not count as a second member.
    model = group_world(
        **{
            "behaviour.conversion.base_group_share": NEVER,
            f"{PLAIN}.group_buying.window_days": 3,
            f"{PLAIN}.group_buying.join_open_group": 1.0,
        }
    )
    model.run(2)
    m = model.step_metrics()
    assert m["groups_started"].tolist() == [1, 1]
    assert m["groups_completed"].sum() == 0 and len(model.orders()) == 0


# --------------------------------------------------------------------------- cross-border


def test_the_26001st_yuan_of_cross_border_spending_in_a_year_is_blocked():
    model = model_of(
        3,
        graph=nx.empty_graph(3),
        **{
            "catalogue.categories.food_farm.cross_border_share": 1.0,
            f"{PLAIN}.cross_border.enabled": True,
            f"{PLAIN}.cross_border.search_share": 1.0,
            "behaviour.conversion.base_search": CERTAIN,
        },
    )
    assert model.world.catalogue.cross_border.all()
    # The product's goods value is 20 (plus 9.1 % tax, which the quota does not count).
    model.state.cross_border_spent[:] = [26_000 - 20 + 1, 26_000 - 20, 0.0]
    model.step()
    orders = model.orders()
    assert sorted(orders["buyer"]) == [1, 2]  # 26,001 is blocked; exactly 26,000 is not
    assert orders["price_paid"].iloc[0] == pytest.approx(20 * 1.091, abs=0.01)
    row = model.step_metrics().iloc[0]
    assert row.cbec_blocked_orders == 1 and row.cbec_orders == 2
    assert model.state.cross_border_spent[1] == 26_000
    assert model.state.need[0, 0]  # a blocked order leaves the need open
    # A new quota year starts the count again.
    model.state.cross_border_spent[0] = 26_000 - 20 + 1
    model.config = model.config.with_overrides({"behaviour.conversion.base_search": NEVER})
    while model.steps < model.config.cross_border.year_days:
        model.step()
    model.config = model.config.with_overrides({"behaviour.conversion.base_search": CERTAIN})
    model.step()
    assert 0 in model.orders().query(f"step == {model.steps}")["buyer"].tolist()


def daigou_world(**overrides: object) -> SocialCommerceModel:
    """Three friends; one is a daigou whose two clients always ask for the import."""
    graph = nx.complete_graph(3)
    nx.set_node_attributes(graph, 1, "tier")
    nx.set_node_attributes(graph, "A", "city")
    return model_of(
        3,
        graph=graph,
        **{
            "catalogue.categories.food_farm.cross_border_share": 1.0,
            f"{PLAIN}.cross_border.enabled": True,
            "daigou.n_shoppers": 1,
            "daigou.extra_clients": 0.0,
            "daigou.contact_rate": 1.0,
            "daigou.service_fee": 0.1,
            "behaviour.conversion.base_daigou": CERTAIN,
            "behaviour.conversion.base_search": NEVER,
            "behaviour.conversion.base_word_of_mouth": NEVER,
            **overrides,
        },
    )


def test_a_daigou_buys_for_its_clients_under_its_own_quota():
    model = daigou_world()
    (daigou,) = model.world.daigou.shopper.tolist()
    clients = [c for c in range(3) if c != daigou]
    budget = model.state.budget_left.copy()
    model.step()
    orders = model.orders()
    assert sorted(orders["buyer"]) == clients and set(orders["source"]) == {"daigou"}
    # The platform is paid its price plus tax; the client also pays the daigou's 10 % fee.
    with_tax = 20 * 1.091
    np.testing.assert_allclose(orders["price_paid"], with_tax, atol=0.01)
    np.testing.assert_allclose(model.state.budget_left[clients], budget[clients] - 1.1 * with_tax)
    assert model.state.budget_left[daigou] == budget[daigou]
    row = model.step_metrics().iloc[0]
    assert row.orders_daigou == 2 and row.gmv == pytest.approx(2 * with_tax, abs=0.01)
    assert row.daigou_fees == pytest.approx(2 * 0.1 * with_tax, abs=0.01)
    # The quota counts the goods value (no tax, no fee) against the daigou, not the clients.
    assert model.state.cross_border_spent[daigou] == pytest.approx(40.0)
    assert (model.state.cross_border_spent[clients] == 0).all()
    assert model.state.uses[daigou, 0]


def test_a_daigou_at_its_annual_quota_cannot_buy_and_the_clients_needs_stay_open():
    model = daigou_world()
    (daigou,) = model.world.daigou.shopper.tolist()
    clients = [c for c in range(3) if c != daigou]
    model.state.cross_border_spent[daigou] = 26_000 - 30  # room for one 20-yuan order only
    model.step()
    assert len(model.orders()) == 1
    assert model.step_metrics().iloc[0].cbec_blocked_orders == 1
    assert model.state.need[clients, 0].sum() == 1  # the blocked client still needs it
    assert model.state.cross_border_spent[daigou] == pytest.approx(26_000 - 10)


def test_no_daigou_means_no_daigou_orders():
    model = daigou_world(**{"daigou.n_shoppers": 0})
    model.run(3)
    assert model.step_metrics()["orders_daigou"].sum() == 0


# --------------------------------------------------------------------------- micro-stores


def store_world(max_levels: int, **overrides: object) -> SocialCommerceModel:
    """A recruitment chain 0 <- 1 <- 2 <- 3; owner 3's only friend, 4, buys from its store."""
    graph = nx.empty_graph(5)
    graph.add_edge(3, 4)
    nx.set_node_attributes(graph, 1, "tier")
    nx.set_node_attributes(graph, "A", "city")
    model = model_of(
        5,
        graph=graph,
        **{
            f"{PLAIN}.micro_stores.enabled": True,
            f"{PLAIN}.micro_stores.commission_rates": [0.1, 0.05, 0.02],
            f"{PLAIN}.micro_stores.max_levels": max_levels,
            f"{PLAIN}.micro_stores.promote_rate": 1.0,
            f"{PLAIN}.micro_stores.activity_sigma": 0.0,
            f"{PLAIN}.micro_stores.recruit_rate": 0.0,
            "behaviour.conversion.base_search": NEVER,
            "behaviour.conversion.base_store": CERTAIN,
            **overrides,
        },
    )
    tree = ResellerTree.initial(5, founders=np.array([0]))
    for recruit in (1, 2, 3):
        tree.add_owners(np.array([recruit]), np.array([recruit - 1]), step=0)
    model.stores.tree = tree
    model.stores.owner_platform[:4] = 0
    return model


@pytest.mark.parametrize(("max_levels", "expected"), [(1, [0, 0, 0, 2]), (2, [0, 0, 1, 2])])
def test_no_commission_flows_beyond_max_levels(max_levels, expected):
    model = store_world(max_levels)
    model.step()
    orders = model.orders()
    assert orders["buyer"].tolist() == [4] and orders["channel"].tolist() == ["store"]
    assert orders["source"].tolist() == ["store_owner"]
    owners = model.store_owners().set_index("owner")
    # 10 % of 20 to the seller, 5 % to its recruiter, 2 % (level 3) to nobody
    assert owners["income_selling"].tolist() == pytest.approx(expected)
    assert model.step_metrics()["store_commissions"].iloc[0] == pytest.approx(sum(expected))


def test_the_one_level_regulation_stops_commission_up_the_tree():
    model = store_world(
        3,
        **{
            f"{PLAIN}.micro_stores.regulation.step": 1,
            f"{PLAIN}.micro_stores.regulation.only_if_flagged": False,
        },
    )
    model.run(2)  # day 1 pays three levels, then the regulator acts; day 2 pays the seller only
    owners = model.store_owners().set_index("owner")
    assert owners["income_selling"].tolist() == pytest.approx([0, 0.4, 1.0, 4.0])
    assert model.step_metrics()["regulations"].tolist() == [1, 0]


@pytest.mark.parametrize(("activity", "orders"), [(0.0, 0), (1.0, 1)])
def test_an_owner_promotes_with_its_own_activity(activity, orders):
    # owner 3 promotes every day at activity 1 (promote_rate 1), never at activity 0
    model = store_world(3)
    model.stores.activity[3] = activity
    model.step()
    assert len(model.orders()) == orders


def test_owner_activity_is_a_mean_one_lognormal_with_the_configured_spread():
    config = ModelConfig.small(4_000)
    spread = SocialCommerceModel(config, rng=3).stores.activity
    logs = np.log(spread)
    assert logs.mean() == pytest.approx(-2.0, abs=0.15)  # -sigma^2 / 2 for sigma 2
    assert logs.std() == pytest.approx(2.0, abs=0.1)
    even = config.with_overrides({"platforms.yunji.micro_stores.activity_sigma": 0.0})
    assert np.all(SocialCommerceModel(even, rng=3).stores.activity == 1.0)


def recruiting_world(seed: int, **overrides: object) -> SocialCommerceModel:
    """Founder 0 - 1 - 2 on a path of strong ties; store fees cost nothing in the logit."""
    graph = nx.path_graph(3)
    nx.set_node_attributes(graph, 1, "tier")
    nx.set_node_attributes(graph, "A", "city")
    model = model_of(
        3,
        graph=graph,
        seed=seed,
        **{
            f"{PLAIN}.micro_stores.enabled": True,
            f"{PLAIN}.micro_stores.promote_rate": 0.0,
            f"{PLAIN}.micro_stores.activity_sigma": 0.0,
            f"{PLAIN}.micro_stores.recruit_rate": 1.0,
            f"{PLAIN}.micro_stores.referral_reward": 0.0,
            f"{PLAIN}.micro_stores.accept_fee_weight": 0.0,
            f"{PLAIN}.micro_stores.accept_base": 0.0,
            "behaviour.conversion.base_search": NEVER,
            **overrides,
        },
    )
    model.stores.tree = ResellerTree.initial(3, founders=np.array([0]))
    model.stores.owner_platform[:] = -1
    model.stores.owner_platform[0] = 0
    return model


@pytest.mark.parametrize("final", [0.0, 1.0])
def test_a_final_refusal_is_never_pitched_again(final):
    # Owner 0 pitches 1 every day and 1 accepts half the time: with final refusals
    # 1 joins on day 1 or never; otherwise it keeps being asked and joins later too.
    joined_late = joined_never = 0
    for seed in range(40):
        model = recruiting_world(
            seed, **{f"{PLAIN}.micro_stores.refusal_final": final, f"{PLAIN}.micro_stores.fee": 0.0}
        )
        model.run(6)
        step = model.stores.tree.joined_step[1]
        joined_never += step < 0
        joined_late += step > 1
    if final:
        assert joined_late == 0 and joined_never > 10
    else:
        assert joined_late > 10 and joined_never < 3


def test_a_recruit_who_has_not_earned_its_fee_back_pitches_worse():
    # 1 joins from founder 0 (who paid nothing); 1 then pitches 2 with its income so far,
    # net of its fee, in the logit: weight 10 x (0 - 100) / 100 = -10 when the fee is 100.
    def recruits_of_one(fee: float) -> int:
        joined = 0
        for seed in range(30):
            model = recruiting_world(
                seed,
                **{
                    f"{PLAIN}.micro_stores.fee": fee,
                    f"{PLAIN}.micro_stores.accept_income_weight": 10.0,
                    f"{PLAIN}.micro_stores.accept_base": 5.0,
                },
            )
            model.run(5)
            joined += int(model.stores.tree.joined_step[2] >= 0)
        return joined

    assert recruits_of_one(0.0) == 30  # sigmoid(5): 2 joins within days
    assert recruits_of_one(100.0) <= 3  # sigmoid(-5) a day, for at most four days


# --------------------------------------------------------------------------- membership


def test_price_protection_refunds_exactly_the_difference():
    model = model_of(
        2,
        graph=nx.empty_graph(2),
        **{
            f"{PLAIN}.membership.enabled": True,
            f"{PLAIN}.membership.discount": 0.05,
            f"{PLAIN}.membership.join_rate": 0.0,
            f"{PLAIN}.promotions.depth": 0.2,
            f"{PLAIN}.promotions.days": 5,
            "behaviour.conversion.base_search": CERTAIN,
        },
    )
    model.state.member[0, 0] = True  # consumer 0 is a member, 1 is not
    model.state.member_until[0, 0] = 10_000
    model.step()
    assert model.orders()["price_paid"].tolist() == [19.0, 20.0]  # member price 20 * 0.95
    model.prices.promo_rate[:] = 1.0  # tomorrow the product goes on promotion: 20 -> 16
    budget = model.state.budget_left.copy()
    model.config = model.config.with_overrides({"behaviour.conversion.base_search": NEVER})
    model.step()
    refund = 19.0 - 16.0 * 0.95  # what the member paid less today's member price
    assert model.step_metrics()["price_protection_refunds"].iloc[1] == pytest.approx(refund)
    assert model.state.budget_left[0] == pytest.approx(budget[0] + refund)
    assert model.state.budget_left[1] == budget[1]  # no refund without membership


def test_joining_a_membership_charges_its_fee_once():
    model = model_of(
        2,
        graph=nx.empty_graph(2),
        **{
            f"{PLAIN}.membership.enabled": True,
            f"{PLAIN}.membership.fee": 50.0,
            f"{PLAIN}.membership.join_rate": 1.0,
            "behaviour.conversion.base_search": CERTAIN,
        },
    )
    model.step()  # both buy for 20; a member saving 5 % of that could not repay 50 a year...
    assert not model.state.member.any()
    model.state.recent_spend[0, 0] = 5_000.0  # ...but consumer 0 now spends a lot
    before = model.state.budget_left.copy()
    model.config = model.config.with_overrides({"behaviour.conversion.base_search": NEVER})
    model.step()
    assert model.state.member[:, 0].tolist() == [True, False]
    assert model.state.budget_left.tolist() == [before[0] - 50.0, before[1]]
    row = model.step_metrics().iloc[1]
    assert (row.members_joined, row.members, row.membership_fees) == (1, 1, 50.0)
    model.step()  # members do not pay again
    assert model.state.budget_left[0] == before[0] - 50.0


def member_world(**overrides: object) -> SocialCommerceModel:
    """Consumers 0 and 1, both members of "plain" (fee 50, 5 % off) from day 1 to `until`."""
    model = model_of(
        2,
        graph=nx.empty_graph(2),
        **{
            f"{PLAIN}.membership.enabled": True,
            f"{PLAIN}.membership.fee": 50.0,
            f"{PLAIN}.membership.discount": 0.05,
            f"{PLAIN}.membership.join_rate": 0.0,
            **overrides,
        },
    )
    model.state.member[:, 0] = True
    return model


def test_a_term_s_value_is_the_member_price_s_savings_and_the_refunds():
    model = member_world(
        **{
            f"{PLAIN}.promotions.depth": 0.2,
            f"{PLAIN}.promotions.days": 5,
            "behaviour.conversion.base_search": CERTAIN,
        }
    )
    model.state.member_until[:, 0] = 10_000
    model.step()
    assert model.orders()["price_paid"].tolist() == [19.0, 19.0]
    # 19 at the member price is 20 at the platform's: 1 saved each
    np.testing.assert_allclose(model.membership.value[:, 0], [1.0, 1.0], rtol=1e-6)
    model.prices.promo_rate[:] = 1.0  # tomorrow 20 -> 16: 19 - 15.2 refunded to each
    model.config = model.config.with_overrides({"behaviour.conversion.base_search": NEVER})
    model.step()
    np.testing.assert_allclose(model.membership.value[:, 0], [1.0 + 3.8] * 2, rtol=1e-6)


def test_at_the_end_of_a_term_members_renew_by_the_value_they_received():
    model = member_world(
        **{
            f"{PLAIN}.membership.renewal": True,
            f"{PLAIN}.membership.renewal_sharpness": 100.0,  # all but certain either way
            f"{PLAIN}.membership.term_days": 5,
            "behaviour.conversion.base_search": NEVER,
        }
    )
    model.state.member_until[:, 0] = 3  # the term ends with day 3
    model.membership.value[:, 0] = [60.0, 40.0]  # more and less than the fee of 50
    model.run(3)
    assert model.state.member[:, 0].all()
    budget = model.state.budget_left.copy()
    model.step()  # day 4: consumer 0 renews for days 4 to 8, consumer 1 lapses
    assert model.state.member[:, 0].tolist() == [True, False]
    assert model.state.member_until[0, 0] == 8
    assert model.state.budget_left.tolist() == [budget[0] - 50.0, budget[1]]
    assert model.membership.value[:, 0].tolist() == [0.0, 0.0]  # a new term; none
    row = model.step_metrics().iloc[3]
    assert (row.members_renewed, row.members_lapsed, row.membership_fees) == (1, 1, 50.0)
    assert row.members == 1
    model.run(5)  # day 9: the renewed term gave nothing, so it lapses too
    metrics = model.step_metrics()
    assert metrics["members_lapsed"].tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert metrics["members_renewed"].sum() == 1 and not model.state.member.any()


def test_without_renewal_a_membership_lapses_with_its_term():
    model = member_world(
        **{f"{PLAIN}.membership.term_days": 5, "behaviour.conversion.base_search": NEVER}
    )
    model.state.member_until[:, 0] = 3
    model.membership.value[:, 0] = [60.0, 40.0]  # whatever the term gave
    model.run(4)
    assert not model.state.member.any()
    metrics = model.step_metrics()
    assert metrics["members"].tolist() == [2, 2, 2, 0]
    assert metrics["members_lapsed"].tolist() == [0, 0, 0, 2]
    assert metrics["members_renewed"].sum() == 0


def test_loyalty_moves_members_and_only_members_to_the_platform():
    model = member_world(
        **{
            f"{PLAIN}.membership.loyalty_shift": 10.0,
            "behaviour.conversion.base_search": -7.0,  # 0.1 % a day, 95 % with loyalty
        }
    )
    model.state.member[1, 0] = False
    model.state.member_until[:, 0] = 10_000
    model.run(5)
    bought = model.orders()["buyer"].value_counts()
    assert bought.get(0, 0) >= 3 and bought.get(1, 0) == 0


def protected_world(window_days: int, on_promotion: bool = False) -> SocialCommerceModel:
    """Consumer 0 is a member, 1 is not; both would buy, but wait for a promotion."""
    model = member_world(
        **{
            f"{PLAIN}.membership.price_protection_days": window_days,
            f"{PLAIN}.promotions.rate": 1e-9,  # promotions run, but none starts
            f"{PLAIN}.promotions.wait_shift": -10.0,
            "behaviour.need_patience_days": 7.0,
            "behaviour.conversion.base_search": 5.0,
        }
    )
    model.state.member[1, 0] = False
    model.state.member_until[:, 0] = 10_000
    if on_promotion:
        model.prices.promo_until[:] = 10_000
    return model


def test_price_protection_lets_members_buy_at_full_price_instead_of_waiting():
    protected = protected_world(window_days=30)
    protected.run(5)
    assert protected.orders()["buyer"].tolist() == [0] * 5  # the non-member waits
    unprotected = protected_world(window_days=0)
    unprotected.run(5)
    assert len(unprotected.orders()) == 0  # without protection the member waits too
    sale = protected_world(window_days=0, on_promotion=True)
    sale.run(5)
    assert sorted(sale.orders()["buyer"].tolist()) == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]


def test_a_new_member_s_term_runs_term_days():
    model = member_world(
        **{
            f"{PLAIN}.membership.join_rate": 1.0,
            f"{PLAIN}.membership.term_days": 10,
            "behaviour.conversion.base_search": NEVER,
        }
    )
    model.state.member[:, 0] = False
    model.state.recent_spend[0, 0] = 5_000.0
    model.step()
    assert model.state.member[:, 0].tolist() == [True, False]
    assert model.state.member_until[0, 0] == 1 + 10 - 1  # days 2 to 10, and the rest of day 1


# --------------------------------------------------------------------------- returns


def test_returned_orders_are_refunded_after_return_days():
    model = model_of(
        2,
        graph=nx.empty_graph(2),
        **{
            "behaviour.return_rate": 1.0,
            "behaviour.return_days": 3,
            "catalogue.quality_concentration": 1e6,  # quality at the mean: returned at the rate
            "behaviour.conversion.base_search": CERTAIN,
        },
    )
    model.step()
    budget = model.state.budget_left.copy()
    model.config = model.config.with_overrides({"behaviour.conversion.base_search": NEVER})
    model.run(3)
    metrics = model.step_metrics()
    assert metrics["returns"].tolist() == [0, 0, 0, 2]
    assert metrics["refunds_value"].iloc[3] == pytest.approx(40.0)
    np.testing.assert_allclose(model.state.budget_left, budget + 20.0)
    assert model.orders()["returned"].tolist() == [True, True]


# --------------------------------------------------------------------------- the default world


@pytest.fixture(scope="module")
def small_default_runs():
    """The small world with every default platform, twice over seeds (read-only)."""
    runs = []
    for seed in (1, 2):
        model = SocialCommerceModel(ModelConfig.small(5_000), rng=seed)
        model.run(40)
        runs.append(model)
    return runs


def test_a_social_feed_exposure_converts_more_often_than_an_algorithmic_one(small_default_runs):
    for model in small_default_runs:
        m = model.step_metrics()
        social = m["orders_feed_social"].sum() / m["exposures_feed_social"].sum()
        algorithmic = m["orders_feed_algorithmic"].sum() / m["exposures_feed_algorithmic"].sum()
        assert social > 2 * algorithmic


def test_a_lower_quality_product_gets_fewer_koc_driven_purchases():
    # Two worlds alike but for the catalogue's quality: honest reviews talk poor products down.
    def koc_conversion(quality: float) -> float:
        config = ModelConfig.small(5_000).with_overrides(
            {
                **{
                    f"catalogue.categories.{c}.mean_quality": quality
                    for c in ModelConfig().catalogue.categories
                },
                "catalogue.quality_concentration": 200.0,
            }
        )
        model = SocialCommerceModel(config, rng=3)
        model.run(40)
        m = model.step_metrics()
        return m["orders_koc"].sum() / m["koc_posts"].sum()

    assert koc_conversion(0.3) < 0.6 * koc_conversion(0.8)


ALL = tuple(ModelConfig().platforms)


def everywhere(key: str, value: object) -> dict[str, object]:
    return {f"platforms.{name}.{key}": value for name in ALL}


@pytest.mark.parametrize(
    ("switch", "gone"),
    [
        ("group_buying.enabled", ["orders_group", "groups_started", "kanjia_clicks"]),
        ("livestream.enabled", ["orders_livestream", "livestream_sessions", "kol_commission"]),
        ("micro_stores.enabled", ["orders_store", "store_commissions", "store_recruits"]),
        ("membership.enabled", ["members", "member_gmv", "membership_fees"]),
        ("cross_border.enabled", ["cbec_orders", "cbec_tax"]),
    ],
)
def test_switching_a_mechanism_off_removes_its_orders(small_default_runs, switch, gone):
    # Active at defaults in at least one of the two replications (few members join a
    # small world in 40 days, and some of them buy nothing on the platform afterwards).
    on = pd.concat([run.step_metrics() for run in small_default_runs])
    assert (on[gone].sum() > 0).all(), "the mechanism must be active at defaults"
    config = ModelConfig.small(5_000).with_overrides(everywhere(switch, False))
    model = SocialCommerceModel(config, rng=1)
    model.run(40)
    off = model.step_metrics()
    assert (off[gone].sum() == 0).all()
    assert off["orders"].sum() > 0


def test_switching_feeds_off_removes_feed_orders(small_default_runs):
    on = small_default_runs[0].step_metrics()
    assert on["orders_feed_social"].sum() > 0 and on["orders_feed_algorithmic"].sum() > 0
    model = SocialCommerceModel(
        ModelConfig.small(5_000).with_overrides(everywhere("feed.kind", "none")), rng=1
    )
    model.run(40)
    off = model.step_metrics()
    assert off[["orders_feed_social", "orders_feed_algorithmic"]].sum().sum() == 0


# --------------------------------------------------------------------------- livestreams


def live_platforms() -> list[str]:
    config = ModelConfig()
    return [name for name, row in config.platforms.items() if row.livestream.enabled]


def test_followers_churn_after_bad_sessions_and_grow_after_good_ones():
    streaming = live_platforms()
    churn = {
        **{f"platforms.{p}.livestream.daily_churn": 1.0 for p in streaming},
        **{f"platforms.{p}.livestream.follower_growth": 0.0 for p in streaming},
    }
    model = SocialCommerceModel(ModelConfig.small(3_000).with_overrides(churn), rng=5)
    home = model.world.platforms.kol_platform
    names = model.world.platforms.names
    live = np.array([names[p] in streaming for p in home])
    before = [model.kols[k].follower_count for k in range(len(home))]
    model.step()
    after = [model.kols[k].follower_count for k in range(len(home))]
    assert all(a == 0 for a, on in zip(after, live, strict=True) if on)  # everyone left
    assert all(a == b for a, b, on in zip(after, before, live, strict=True) if not on)
    assert model.step_metrics()["followers_lost"].iloc[0] == sum(np.array(before)[live])

    every_session_good = {
        **{f"platforms.{p}.livestream.good_session_conversion": 0.0 for p in streaming},
        **{f"platforms.{p}.livestream.follower_growth": 5.0 for p in streaming},
        **{f"platforms.{p}.livestream.daily_churn": 0.0 for p in streaming},
    }
    model = SocialCommerceModel(ModelConfig.small(3_000).with_overrides(every_session_good), rng=5)
    model.run(20)
    m = model.step_metrics()
    assert m["followers_lost"].sum() == 0 and m["followers_gained"].sum() > 0
    assert m["kol_followers"].is_monotonic_increasing
    # New followers start using the KOL's platform.
    home = model.world.platforms.kol_platform
    for k in np.flatnonzero(home >= 0)[:20]:
        assert model.state.uses[model.kols[k].followers, home[k]].all()


def test_livestream_buyers_are_served_from_limited_stock():
    streaming = live_platforms()
    scarce = {
        **{f"platforms.{p}.livestream.stock_share": 1e-9 for p in streaming},  # one unit each
        **{f"platforms.{p}.livestream.products_per_session": 1 for p in streaming},
        "behaviour.conversion.base_livestream": CERTAIN,
    }
    model = SocialCommerceModel(ModelConfig.small(3_000).with_overrides(scarce), rng=6)
    # 15 days: sessions in a world this small draw one or two viewers, so a few days
    # may pass without two buyers wanting the same unit.
    model.run(15)
    m = model.step_metrics()
    # one product per session, one unit of it: at most one order per session
    assert (m["orders_livestream"] <= m["livestream_sessions"]).all()
    assert m["livestream_stockouts"].sum() > 0
    orders = model.orders().query("channel == 'livestream'")
    assert (orders["source"] == "streamer").all()


# --------------------------------------------------------------------------- marketing campaigns

CLASSES = ("head", "mid", "koc")
FEES = {"head": 0.10, "mid": 0.06, "koc": 0.08}  # the defaults, RMB per follower


def campaign_config(**campaign: object) -> ModelConfig:
    """The small world with a heavier KOL tail, so that every class has creators (seed 1)."""
    return ModelConfig.small().with_overrides(
        {
            "influencers.kol_follower_exponent": 0.6,
            **{f"campaign.{key}": value for key, value in campaign.items()},
        }
    )


def campaign_run(steps: int = 12, seed: int = 1, **campaign: object) -> SocialCommerceModel:
    model = SocialCommerceModel(campaign_config(**campaign), rng=seed)
    model.run(steps)
    return model


def only(cls: str) -> dict[str, float]:
    return {f"split.{c}": float(c == cls) for c in CLASSES}


def assert_same_run(a: SocialCommerceModel, b: SocialCommerceModel) -> None:
    for table in ("step_metrics", "orders", "platform_metrics", "tier_metrics"):
        pd.testing.assert_frame_equal(getattr(a, table)(), getattr(b, table)(), check_exact=True)


def test_every_class_has_creators_in_the_campaign_world():
    # The campaign tests below rely on it.
    classes = campaign_run(steps=0).campaign_creators()["campaign_class"]
    assert classes.value_counts().to_dict() == {"koc": 40, "mid": 8, "head": 2}


def test_a_zero_budget_changes_nothing():
    without = SocialCommerceModel(ModelConfig.small(), rng=3)
    without.run(10)
    zero = ModelConfig.small().with_overrides(
        {
            "campaign.budget": 0.0,
            "campaign.category": "household",
            "campaign.start_step": 2,
            **{f"campaign.{k}": v for k, v in only("koc").items()},
        }
    )
    with_section = SocialCommerceModel(zero, rng=3)
    with_section.run(10)
    assert_same_run(without, with_section)
    assert (without.step_metrics()[[c.name for c in Campaign.columns]] == 0).all().all()


def test_a_campaign_leaves_the_world_and_the_days_before_it_unchanged():
    before = campaign_run(budget=0.0)
    later = campaign_run(budget=500.0, start_step=6)
    assert later.campaign_product == before.campaign_product
    np.testing.assert_array_equal(later.world.catalogue.price, before.world.catalogue.price)
    assert (later.world.network.adjacency != before.world.network.adjacency).nnz == 0
    first, second = before.step_metrics(), later.step_metrics()
    pd.testing.assert_frame_equal(first.iloc[:5], second.iloc[:5], check_exact=True)
    assert (second["campaign_posts"].iloc[5:] > 0).all()
    assert not first.iloc[5:].equals(second.iloc[5:])
    # A campaign that starts after the run never draws a random number.
    assert_same_run(before, campaign_run(budget=500.0, start_step=13))


def test_spend_stays_within_the_budget_released_so_far_and_each_classs_share():
    budget, days = 300.0, 10
    model = campaign_run(steps=14, budget=budget, days=days)
    m = model.step_metrics()
    released = budget * np.minimum(m["step"].to_numpy(), days) / days
    split = model.config.campaign.split
    for cls in CLASSES:
        spent = m[f"campaign_spend_{cls}"].cumsum().to_numpy()
        assert (spent <= getattr(split, cls) * released + 1e-9).all(), cls
        assert spent[-1] > 0, cls
    assert (
        m[[f"campaign_spend_{c}" for c in CLASSES]].sum(axis=1).cumsum() <= released + 1e-9
    ).all()
    np.testing.assert_allclose(
        m["campaign_fees"], m[[f"campaign_spend_{c}" for c in CLASSES]].sum(axis=1)
    )
    assert (m["campaign_posts"].iloc[days:] == 0).all()  # the campaign is over
    # The money binds: KOCs are sponsored on fewer than all campaign days.
    kocs = model.campaign_creators().query("campaign_class == 'koc'")
    assert 0 < kocs["posts"].mean() < days


@pytest.mark.parametrize("cls", CLASSES)
def test_a_one_class_split_spends_only_on_that_class(cls):
    model = campaign_run(budget=300.0, **only(cls))
    m = model.step_metrics()
    assert m[f"campaign_spend_{cls}"].sum() > 0
    for other in CLASSES:
        if other != cls:
            assert m[f"campaign_spend_{other}"].sum() == 0
            assert m[f"campaign_gmv_{other}"].sum() == 0
    creators = model.campaign_creators()
    assert set(creators.loc[creators["posts"] > 0, "campaign_class"]) == {cls}


def test_each_creator_posts_at_most_once_a_day():
    # A budget no class can exhaust: every creator who can post does, once a day.
    days = 4
    model = campaign_run(steps=days, budget=1e7, days=days)
    creators = model.campaign_creators()
    assert creators["posts"].max() == days
    assert (creators.loc[creators["followers"] > 0, "posts"] == days).all()
    m = model.step_metrics()
    assert (m["campaign_posts"] <= len(creators)).all()
    assert m["campaign_posts"].sum() == creators["posts"].sum()


def test_a_post_costs_its_fee_times_the_creators_followers():
    # Without livestreams, KOLs neither win nor lose followers: today's count is the start's.
    model = SocialCommerceModel(
        campaign_config(budget=1e7, days=3).with_overrides(everywhere("livestream.enabled", False)),
        rng=2,
    )
    model.run(3)
    creators = model.campaign_creators()
    fee = creators["campaign_class"].map(FEES).astype(float)
    np.testing.assert_allclose(creators["fees"], creators["posts"] * fee * creators["followers"])
    assert (creators["posts"] > 0).sum() > 40
    start = model.world.influencers.follower_counts()[creators["creator"]]
    np.testing.assert_array_equal(creators["followers"], start)
    m = model.step_metrics()
    for cls in CLASSES:
        paid = creators.loc[creators["campaign_class"] == cls, "fees"].sum()
        assert m[f"campaign_spend_{cls}"].sum() == pytest.approx(paid)


def test_campaign_orders_are_sponsored_orders_of_the_promoted_product():
    # Without ordinary posts, every KOL or KOC order comes from a sponsored post.
    quiet = SocialCommerceModel(
        campaign_config(budget=3000.0).with_overrides(
            {"influencers.kol_post_rate": 0.0, "influencers.koc_post_rate": 0.0}
        ),
        rng=1,
    )
    quiet.run(12)
    m = quiet.step_metrics()
    assert m["campaign_orders"].sum() > 20
    np.testing.assert_array_equal(m["campaign_orders"], m["orders_kol"] + m["orders_koc"])
    np.testing.assert_allclose(m["campaign_gmv"], m["gmv_kol"] + m["gmv_koc"], rtol=1e-6)
    orders = quiet.orders()
    posted = orders[orders["source"].isin(["kol", "koc"])]
    assert (posted["product"] == quiet.campaign_product).all()
    # With ordinary posts too, the campaign's orders are some of the product's KOL/KOC orders.
    model = campaign_run(budget=3000.0)
    m = model.step_metrics()
    orders = model.orders()
    mine = orders[
        orders["source"].isin(["kol", "koc"]) & (orders["product"] == model.campaign_product)
    ]
    per_step = mine.groupby("step").size().reindex(m["step"], fill_value=0).to_numpy()
    assert (m["campaign_orders"].to_numpy() <= per_step).all()
    assert m["campaign_orders"].sum() > 0
    by_class = m[[f"campaign_gmv_{c}" for c in CLASSES]].sum(axis=1)
    np.testing.assert_allclose(m["campaign_gmv"], by_class)
    np.testing.assert_allclose(m["campaign_commission"], 0.2 * m["campaign_gmv"])
    creators = model.campaign_creators()
    assert creators["orders"].sum() == m["campaign_orders"].sum()
    assert creators["gmv"].sum() == pytest.approx(m["campaign_gmv"].sum())


def test_a_larger_budget_buys_more_posts_in_the_same_world():
    small, large = campaign_run(budget=50.0), campaign_run(budget=500.0)
    assert small.campaign_product == large.campaign_product
    np.testing.assert_array_equal(small.world.population.income, large.world.population.income)
    a, b = small.step_metrics(), large.step_metrics()
    assert b["campaign_posts"].sum() > a["campaign_posts"].sum() > 0
    assert b["campaign_fees"].sum() > a["campaign_fees"].sum()


def test_campaign_purchases_made_in_groups_are_attributed_when_the_group_ships():
    # Consumers 0 - 1 - 2 - 3 - 4; one KOC, followed by its strong ties; its followers buy
    # the sponsored product only in groups, which their friends complete.
    model = model_of(
        5,
        **{
            "influencers.n_kocs": 1,
            "influencers.koc_extra_followers": 0.0,
            "influencers.koc_post_rate": 0.0,
            "behaviour.conversion.base_koc": CERTAIN,
            "behaviour.conversion.base_search": NEVER,
            "behaviour.conversion.base_word_of_mouth": NEVER,
            "behaviour.conversion.base_group_share": CERTAIN,
            f"{PLAIN}.group_buying.enabled": True,
            f"{PLAIN}.group_buying.preference": CERTAIN,
            f"{PLAIN}.group_buying.join_open_group": 0.0,
            f"{PLAIN}.group_buying.share_to": 1,
            "campaign.budget": 100.0,
            "campaign.days": 1,
            **{f"campaign.{k}": v for k, v in only("koc").items()},
        },
    )
    model.run(2)
    m = model.step_metrics()
    orders = model.orders()
    from_koc = orders[orders["source"] == "koc"]
    assert len(from_koc) >= 1 and (from_koc["channel"] == "group").all()
    assert m["campaign_orders"].sum() == len(from_koc)
    assert m["campaign_gmv"].sum() == pytest.approx(from_koc["price_paid"].sum())
    assert m["orders_group_share"].sum() >= 1  # the friends who completed the groups


def test_a_campaign_keeps_the_step_tables_identities():
    m = campaign_run(budget=3000.0).step_metrics()
    assert m["campaign_orders"].sum() > 0
    sources = [s.name.lower() for s in Source]
    channels = [c.name.lower() for c in Channel]
    for split in (sources, channels):
        assert (m["orders"] == m[[f"orders_{k}" for k in split]].sum(axis=1)).all()
        np.testing.assert_allclose(m["gmv"], m[[f"gmv_{k}" for k in split]].sum(axis=1))
    assert (m["customers"] == m["new_buyers"].cumsum()).all()
    assert (m["campaign_orders"] <= m["orders_kol"] + m["orders_koc"]).all()
