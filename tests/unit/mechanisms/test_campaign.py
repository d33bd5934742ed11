"""Marketing campaigns: the config, the creator classes, buying posts, sponsored offers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from socialsim import ConfigError, ModelConfig
from socialsim.config import CampaignConfig
from socialsim.enums import CampaignClass, InfluencerKind, KOLSegment, Source
from socialsim.mechanisms.campaign import (
    CampaignBudget,
    GroupAttribution,
    buy_posts,
    campaign_classes,
    current_followers,
    promoted_category,
    promoted_product,
    sponsor_platforms,
    sponsored_offers,
)
from socialsim.mechanisms.posts import Posts, post_offers
from socialsim.state import NEVER
from socialsim.world.catalogue import build_catalogue
from tests.conftest import rng

KOL, KOC = InfluencerKind.KOL, InfluencerKind.KOC

# --------------------------------------------------------------------------- config


def test_default_campaign_is_off_and_valid():
    campaign = ModelConfig().campaign
    assert campaign.budget == 0
    assert campaign.commission == pytest.approx(0.2)  # KrASIA/Nikkei; SCMP 2020
    split = campaign.split
    assert split.head + split.mid + split.koc == pytest.approx(1.0, abs=1e-9)
    fees = campaign.fee_per_follower
    assert fees.head > fees.mid  # the 50k-100k accounts are the cost-effective ones (Azoya)


@pytest.mark.parametrize(
    ("override", "path", "fragment"),
    [
        (
            {"campaign.split.head": 0.5, "campaign.split.mid": 0.5, "campaign.split.koc": 0.5},
            "campaign.split",
            "must sum to 1",
        ),
        ({"campaign.split.koc": -0.1}, "campaign.split.koc", "greater than or equal to 0"),
        ({"campaign.category": "toys"}, "campaign.category", "beauty"),
        ({"campaign.budget": -1.0}, "campaign.budget", "greater than or equal to 0"),
        ({"campaign.commission": 1.0}, "campaign.commission", "less than 1"),
        ({"campaign.fee_per_follower.mid": 0.0}, "campaign.fee_per_follower.mid", "greater"),
        ({"campaign.days": 0}, "campaign.days", "greater than or equal to 1"),
        ({"campaign.start_step": 0}, "campaign.start_step", "greater than or equal to 1"),
        ({"campaign.bugdet": 5}, "campaign.bugdet", "did you mean 'budget'"),
    ],
)
def test_bad_campaign_values_name_the_key_path(override, path, fragment):
    with pytest.raises(ConfigError) as info:
        ModelConfig().with_overrides(override)
    assert path in [p.path for p in info.value.problems]
    assert f"{path}:" in str(info.value) and fragment in str(info.value)


def test_an_unknown_category_in_a_file_lists_the_valid_names():
    with pytest.raises(ConfigError) as info:
        ModelConfig.from_dict({"campaign": {"budget": 10, "category": "toys"}})
    (problem,) = info.value.problems
    assert problem.path == "campaign.category"
    assert "'toys'" in str(info.value) and "mother_baby" in str(info.value)


def test_a_split_within_rounding_of_one_is_accepted():
    thirds = CampaignConfig(split={"head": 1 / 3, "mid": 1 / 3, "koc": 1 / 3})
    assert thirds.split.koc == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="must sum to 1"):
        CampaignConfig(split={"head": 0.5, "mid": 0.3, "koc": 0.2 + 1e-6})


# --------------------------------------------------------------------------- classes, product


def test_classes_follow_the_kol_segments():
    kind = np.array([KOL] * 5 + [KOC])
    segment = np.array(
        [KOLSegment.TAIL, KOLSegment.WAIST, KOLSegment.SHOULDER, KOLSegment.HEAD, 0, -1]
    )
    got = campaign_classes(kind, segment).tolist()
    assert got == [CampaignClass.MID, -1, CampaignClass.HEAD, CampaignClass.HEAD, 1, 2]


def test_waist_kols_stand_in_for_the_head_only_when_there_is_none():
    kind = np.array([KOL, KOL, KOL, KOC])
    segment = np.array([KOLSegment.TAIL, KOLSegment.WAIST, KOLSegment.WAIST, -1])
    assert campaign_classes(kind, segment).tolist() == [1, 0, 0, 2]
    only_tail = np.array([KOLSegment.TAIL, KOLSegment.TAIL, KOLSegment.TAIL, -1])
    assert campaign_classes(kind, only_tail).tolist() == [1, 1, 1, 2]


def test_promoted_product_is_the_domestic_product_nearest_the_median_price():
    catalogue = build_catalogue(ModelConfig().catalogue, rng(4))
    for category in range(catalogue.n_categories):
        product = promoted_product(catalogue, category)
        start = catalogue.category_start[category]
        products = np.arange(start, start + catalogue.category_size[category])
        median = np.median(catalogue.price[products].astype(np.float64))
        domestic = products[~catalogue.cross_border[products]]
        distance = np.abs(catalogue.price[domestic].astype(np.float64) - median)
        assert catalogue.category[product] == category
        assert not catalogue.cross_border[product]
        assert distance[domestic == product][0] == distance.min()
        assert product == domestic[distance == distance.min()].min()  # ties to the lowest


def test_promoted_category_defaults_to_the_highest_influencer_affinity():
    catalogue = build_catalogue(ModelConfig().catalogue, rng(0))
    best = promoted_category(catalogue, None)
    assert catalogue.influencer_affinity[best] == catalogue.influencer_affinity.max()
    assert catalogue.category_names[best] == "beauty"  # affinity 3.0 (Azoya)
    assert promoted_category(catalogue, "food_farm") == catalogue.category_names.index("food_farm")


def test_current_followers_counts_only_active_entries():
    indptr = np.array([0, 3, 3, 5])
    active = np.array([True, False, True, True, True])
    assert current_followers(indptr, active, np.array([2, 0, 1])).tolist() == [2, 2, 0]


# --------------------------------------------------------------------------- buying posts


def sequential_buy(cost: np.ndarray, balance: float, order: np.ndarray) -> tuple[list[int], float]:
    """The rule as a plain loop: in the given order, buy each post that fits what is left."""
    bought = []
    for i in order.tolist():
        if cost[i] <= balance:
            bought.append(i)
            balance -= cost[i]
    return bought, balance


@pytest.mark.parametrize("seed", range(30))
def test_buying_posts_matches_the_sequential_rule(seed):
    draw = rng(1000 + seed)
    n = int(draw.integers(0, 40))
    cost = np.round(draw.lognormal(1.0, 1.2, size=n), 2)
    balance = float(draw.uniform(0, 3 * cost.sum() / max(n, 1) * 5))
    chosen, left = buy_posts(cost, balance, rng(seed))
    order = rng(seed).permutation(n) if n else np.empty(0, dtype=int)
    expected, expected_left = sequential_buy(cost, balance, order)
    assert chosen.tolist() == expected
    assert left == pytest.approx(expected_left, abs=1e-9)
    assert len(set(chosen.tolist())) == chosen.size  # each creator at most once
    assert cost[chosen].sum() <= balance + 1e-9 and left >= 0
    skipped = np.setdiff1d(np.arange(n), chosen)
    assert (cost[skipped] > left).all()  # what was not bought does not fit in what is left


def test_buying_posts_draws_nothing_without_candidates():
    generator = rng(3)
    chosen, left = buy_posts(np.empty(0), 50.0, generator)
    assert chosen.size == 0 and left == 50.0
    assert generator.random() == rng(3).random()


def test_a_budget_too_small_for_every_post_buys_nothing():
    chosen, left = buy_posts(np.array([5.0, 7.0]), 4.99, rng(0))
    assert chosen.size == 0 and left == 4.99


def test_the_budget_releases_evenly_and_carries_over():
    budget = CampaignBudget(np.array([3.0, 2.0, 1.0]), start=3, days=2)
    assert not budget.open_day(2)
    assert budget.balance.tolist() == [0.0, 0.0, 0.0]
    assert budget.open_day(3)
    budget.spend(1, 1.5)
    assert budget.open_day(4)
    assert budget.balance.tolist() == [6.0, 2.5, 2.0]
    assert not budget.open_day(5)  # the campaign is over; the rest is not spent
    assert budget.released.tolist() == [6.0, 4.0, 2.0]
    assert budget.spent.tolist() == [0.0, 1.5, 0.0]


# --------------------------------------------------------------------------- platforms, offers


class _Creators:
    """A stand-in for Influencers: two KOLs, then three KOCs (consumers 0, 1, 2)."""

    kind = np.array([KOL, KOL, KOC, KOC, KOC], dtype=np.int8)
    consumer = np.array([-1, -1, 0, 1, 2], dtype=np.int32)


class _History:
    def __init__(self) -> None:
        self.last_purchase_step = np.full((3, 2), NEVER, dtype=np.int32)
        self.last_platform = np.full((3, 2), -1, dtype=np.int8)


def test_sponsors_post_where_the_product_is_sold():
    history = _History()
    history.last_purchase_step[0] = [4, 9]  # KOC 2 last bought on platform 2
    history.last_platform[0] = [0, 2]
    history.last_purchase_step[1] = [5, NEVER]  # KOC 3 last bought on platform 0
    history.last_platform[1] = [0, -1]
    sells = np.array([False, True, True])  # the product is not sold on platform 0
    kol_home = np.array([2, 0])
    platform = sponsor_platforms(np.arange(5), _Creators(), kol_home, history, sells)
    # KOL 0 at home; KOL 1's home does not sell it; KOC 2 where it last bought; KOC 3's
    # last platform does not sell it and KOC 4 never bought: the first platform that does
    assert platform.tolist() == [2, -1, 2, 1, 1]
    nowhere = sponsor_platforms(np.arange(5), _Creators(), kol_home, history, sells & False)
    assert (nowhere == -1).all()


def test_sponsored_offers_are_ordinary_post_offers_that_name_their_creator():
    # Three creators with a few followers each; all see the post, nobody needs anything yet.
    follows = sparse.csr_array(
        np.array(
            [[0.5, 0.6, 0, 0, 0, 0], [0, 0, 0.7, 0.8, 0, 0], [0.9, 0, 0, 0, 0.4, 0.3]],
            dtype=np.float32,
        )
    )

    class Creators:
        kind = np.array([KOL, KOC, KOC], dtype=np.int8)
        post_reach = np.ones(3, dtype=np.float32)

    class Catalogue:
        category = np.array([0, 0], dtype=np.int16)
        durable = np.zeros(1, dtype=bool)

    class State:
        need = np.ones((6, 1), dtype=bool)

    posts = Posts(
        creator=np.array([2, 0, 1], dtype=np.int32),
        product=np.array([1, 1, 1], dtype=np.int32),
        platform=np.array([3, 1, 0], dtype=np.int8),
    )
    args = (Creators(), Catalogue(), State(), 0.0)
    ordinary = post_offers(posts, *args, rng(5), follows=follows)
    sponsored = sponsored_offers(posts, *args, rng(5), follows=follows)
    for name in ("consumer", "category", "product", "source", "trust", "platform", "channel"):
        np.testing.assert_array_equal(getattr(sponsored, name), getattr(ordinary, name))
    assert (ordinary.ref == -1).all()
    # the creator of each offer: follower 0 follows creators 0 and 2, whose platforms differ
    expected_creator = {3: 2, 1: 0, 0: 1}  # platform -> creator, from the posts above
    assert sponsored.ref.tolist() == [expected_creator[p] for p in sponsored.platform.tolist()]
    assert set(sponsored.source.tolist()) == {Source.KOL, Source.KOC}
    assert (sponsored.source[sponsored.ref == 0] == Source.KOL).all()


def test_sponsored_offers_keep_their_creator_beyond_one_chunk():
    # 300 creators, each with one follower (consumer = creator): more posts than an int8 holds.
    n = 300
    follows = sparse.csr_array(
        (np.ones(n, dtype=np.float32), (np.arange(n), np.arange(n))), shape=(n, n)
    )

    class Creators:
        kind = np.full(n, KOC, dtype=np.int8)
        post_reach = np.ones(n, dtype=np.float32)

    class Catalogue:
        category = np.zeros(1, dtype=np.int16)
        durable = np.zeros(1, dtype=bool)

    class State:
        need = np.ones((n, 1), dtype=bool)

    creator = rng(2).permutation(n).astype(np.int32)
    posts = Posts(
        creator=creator,
        product=np.zeros(n, dtype=np.int32),
        platform=(creator % 3).astype(np.int8),
    )
    offers = sponsored_offers(posts, Creators(), Catalogue(), State(), 0.0, rng(0), follows=follows)
    assert len(offers) == n
    np.testing.assert_array_equal(offers.ref, offers.consumer)  # follower i follows creator i
    np.testing.assert_array_equal(offers.platform, offers.ref % 3)


def test_group_attribution_returns_and_forgets_closing_members():
    pending = GroupAttribution()
    pending.add(np.array([1, 1, 2]), np.array([10, 11, 10]), np.array([5, 6, 7]))
    assert pending.pop(np.array([2, 1, 3]), np.array([10, 99, 10])).tolist() == [7, -1, -1]
    assert len(pending) == 2  # (1, 10) and (1, 11) still wait
    assert pending.pop(np.array([1, 1]), np.array([11, 10])).tolist() == [6, 5]
    assert len(pending) == 0
    assert pending.pop(np.array([1]), np.array([10])).tolist() == [-1]
