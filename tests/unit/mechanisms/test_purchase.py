"""The purchase rule: logit terms, one purchase per need, the budget stop rule."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim.config import ConversionConfig
from socialsim.enums import ShopperStatus, Source
from socialsim.mechanisms.offers import Offers
from socialsim.mechanisms.purchase import (
    add_social_proof_once,
    choose_channel,
    conversion_chance,
    conversion_logit,
    select_purchases,
    source_base_logits,
)
from tests.conftest import rng

CFG = ConversionConfig()


def logit_of(
    *,
    source=Source.SEARCH,
    trust=0.0,
    social=0.0,
    price=50.0,
    quality=0.5,
    sensitivity=1.0,
    budget=200.0,
    status=ShopperStatus.CUSTOMER,
    config=CFG,
):
    offers = Offers.build(np.array([0]), np.array([0]), np.array([0]), source, trust, 0)
    return float(
        conversion_logit(
            offers,
            np.array([social], np.float32),
            np.array([price], np.float32),
            np.array([quality], np.float32),
            np.array([sensitivity], np.float32),
            np.array([budget], np.float32),
            np.array([status], np.int8),
            config,
        )[0]
    )


def test_logit_is_the_documented_sum():
    got = logit_of(
        source=Source.KOL,
        trust=0.6,
        social=0.25,
        price=40,
        quality=0.8,
        sensitivity=1.4,
        budget=160,
        status=ShopperStatus.ONLINE,
    )
    expected = (
        CFG.base_kol
        + CFG.trust_weight * 0.6
        + CFG.social_proof_weight * 0.25
        + CFG.quality_weight * 0.3
        - CFG.price_weight * 1.4 * 40 / 160
        + CFG.first_purchase_shift
    )
    assert got == pytest.approx(expected, abs=1e-5)


def test_price_weighs_against_income_and_sensitivity():
    assert logit_of(price=100) < logit_of(price=20)
    assert logit_of(price=100, budget=100) < logit_of(
        price=100, budget=500
    )  # poorer: larger hurdle
    assert logit_of(sensitivity=1.6) < logit_of(sensitivity=0.6)


def test_trust_social_proof_and_quality_raise_conversion():
    assert logit_of(trust=0.9) > logit_of(trust=0.1)
    assert logit_of(social=0.5) > logit_of(social=0.0)
    assert logit_of(quality=0.9) > logit_of(quality=0.2)


def test_shifts_for_new_and_offline_consumers():
    customer = logit_of(status=ShopperStatus.CUSTOMER)
    online = logit_of(status=ShopperStatus.ONLINE)
    offline = logit_of(status=ShopperStatus.OFFLINE)
    assert online - customer == pytest.approx(CFG.first_purchase_shift)
    assert offline - online == pytest.approx(CFG.offline_shift)


def test_sources_have_their_own_base():
    bases = {s: logit_of(source=s) for s in Source}
    assert bases[Source.WORD_OF_MOUTH] - bases[Source.SEARCH] == pytest.approx(
        CFG.base_word_of_mouth - CFG.base_search
    )


def test_every_source_takes_the_base_logit_named_after_it():
    names = {
        Source.SEARCH: "base_search",
        Source.WORD_OF_MOUTH: "base_word_of_mouth",
        Source.KOL: "base_kol",
        Source.KOC: "base_koc",
        Source.FEED_SOCIAL: "base_feed_social",
        Source.FEED_ALGORITHMIC: "base_feed_algorithmic",
        Source.STREAMER: "base_livestream",
        Source.GROUP_SHARE: "base_group_share",
        Source.STORE_OWNER: "base_store",
        Source.DAIGOU: "base_daigou",
    }
    assert set(names) == set(Source)
    config = ConversionConfig(**{name: -1.0 - i for i, name in enumerate(names.values())})
    base = source_base_logits(config)
    for source, name in names.items():
        assert base[source] == getattr(config, name), source.name


def offers(consumer, category, product):
    return Offers.build(np.array(consumer), np.array(category), np.array(product), 0, 0.0, 0)


def test_one_purchase_per_need_chosen_at_random():
    o = offers([0, 0, 0, 1], [2, 2, 3, 2], [10, 11, 12, 10])
    price = np.ones(20, dtype=np.float32)
    picks = []
    for seed in range(200):
        chosen = select_purchases(
            o, np.ones(4, bool), price[o.product], np.array([99.0, 99.0]), rng(seed)
        )
        assert sorted(o.consumer[chosen].tolist()) == [0, 0, 1]  # two needs of 0, one of 1
        picks.append(set(chosen.tolist()) & {0, 1})
    share_first = np.mean([p == {0} for p in picks])
    assert 0.35 < share_first < 0.65


def test_rejected_offers_are_never_bought():
    o = offers([0, 1, 2], [0, 0, 0], [0, 0, 0])
    chosen = select_purchases(o, np.array([True, False, True]), np.ones(3), np.full(3, 9.0), rng())
    assert sorted(chosen.tolist()) == [0, 2]


def test_budget_stops_at_first_purchase_that_does_not_fit():
    # consumer 0 wants products costing 30, 50 and 40 with 75 left: whatever the order, it
    # buys items until the first that does not fit, so total spend never exceeds 75
    o = offers([0, 0, 0, 1], [0, 1, 2, 0], [0, 1, 2, 3])
    price = np.array([30, 50, 40, 500], dtype=np.float32)
    budget = np.array([75.0, 100.0])
    seen = set()
    for seed in range(100):
        chosen = select_purchases(o, np.ones(4, bool), price[o.product], budget, rng(seed))
        mine = chosen[o.consumer[chosen] == 0]
        assert price[o.product[mine]].sum() <= 75
        assert mine.size >= 1 or seed < 0  # the first item always fits (all are < 75)
        assert 3 not in chosen  # consumer 1 cannot afford 500
        seen.add(tuple(sorted(mine.tolist())))
    assert {(0,), (1,), (2,), (0, 2)} <= seen  # every order of attempts occurs


def test_no_accepted_offers_gives_no_purchases():
    o = offers([0], [0], [0])
    assert select_purchases(o, np.zeros(1, bool), np.ones(1), np.ones(1), rng()).size == 0


def test_logit_link_is_the_logistic_function():
    score = np.array([-30.0, -2.0, 0.0, 1.5, 30.0])
    assert np.allclose(conversion_chance(score, "logit"), 1 / (1 + np.exp(-score)), atol=1e-15)


def test_linear_link_is_the_score_clipped_to_a_chance():
    # the Bass docking link: a chance p + q F, taken as it is
    score = np.array([-0.5, 0.0, 0.03, 0.41, 1.0, 1.7], dtype=np.float32)
    chance = conversion_chance(score, "linear")
    assert chance.tolist() == pytest.approx([0.0, 0.0, 0.03, 0.41, 1.0, 1.0])
    assert chance.dtype == np.float32


def test_hazard_link_makes_each_unit_of_score_an_independent_chance():
    # 1 - exp(-w k) = 1 - (1 - p)^k for w = -ln(1 - p): k friends, k independent chances
    p = 0.3
    w = -np.log1p(-p)
    k = np.arange(6)
    assert np.allclose(conversion_chance(w * k, "hazard"), 1 - (1 - p) ** k, atol=1e-12)
    # negative scores give no chance, large ones certainty, tiny ones keep their precision
    score = np.array([-5.0, 0.0, 1e-12, np.log(4.0), 100.0])
    chance = conversion_chance(score, "hazard")
    assert chance.tolist() == pytest.approx([0.0, 0.0, 1e-12, 0.75, 1.0], rel=1e-9, abs=0)
    assert np.all((chance >= 0) & (chance <= 1))


def test_unknown_link_is_rejected():
    with pytest.raises(ValueError, match="unknown conversion link 'probit'"):
        conversion_chance(np.zeros(2), "probit")


# ---------------------------------------------------------------- social proof once per need


def test_social_proof_goes_once_to_each_needs_best_offer():
    generator = rng(5)
    m = 5_000
    consumer = generator.integers(0, 400, m)
    category = generator.integers(0, 4, m)
    offers = Offers.build(consumer, category, 0, 0, 0.0, 0)
    logit = generator.normal(-3, 1, m).astype(np.float32)
    proof = np.where(consumer % 3 == 0, 0.0, 0.25 + 0.01 * (consumer % 7)).astype(np.float32)
    out = add_social_proof_once(offers, logit, proof, 2.0)
    boosted = np.flatnonzero(out != logit)
    need = consumer * 4 + category
    # one boosted offer per need that has social proof, none for needs without
    assert np.array_equal(np.sort(need[boosted]), np.unique(need[proof > 0]))
    np.testing.assert_allclose(out[boosted] - logit[boosted], 2.0 * proof[boosted], rtol=1e-5)
    # and it is the need's best offer
    for b in boosted[:200]:
        assert logit[b] == logit[need == need[b]].max()


def test_social_proof_once_leaves_logits_without_proof_alone():
    offers = Offers.build(np.array([0, 1]), np.array([0, 0]), 0, 0, 0.0, 0)
    logit = np.array([-1.0, -2.0], np.float32)
    assert add_social_proof_once(offers, logit, np.zeros(2, np.float32), 3.0) is logit


# ---------------------------------------------------------------- solo, group or neither


def test_channel_choice_follows_the_multinomial_logit():
    n = 200_000
    solo = np.full(n, -1.0, np.float32)
    group = np.full(n, 0.5, np.float32)
    accepted, in_group = choose_channel(solo, group, rng(1).random(n, dtype=np.float32))
    total = 1 + np.exp(-1.0) + np.exp(0.5)
    se = np.sqrt(0.25 / n)
    assert abs(in_group.mean() - np.exp(0.5) / total) < 5 * se
    assert abs((accepted & ~in_group).mean() - np.exp(-1.0) / total) < 5 * se
    assert not (in_group & ~accepted).any()


def test_without_a_group_price_the_choice_is_the_binary_logit():
    n = 1_000
    solo = rng(2).normal(-1, 1, n).astype(np.float32)
    draw = rng(3).random(n, dtype=np.float32)
    accepted, in_group = choose_channel(solo, np.full(n, -np.inf, np.float32), draw)
    assert not in_group.any()
    assert np.array_equal(accepted, draw < conversion_chance(solo, "logit"))


def test_a_better_group_option_wins_sales_from_solo_and_from_not_buying():
    n = 100_000
    draw = rng(4).random(n, dtype=np.float32)
    solo = np.full(n, -2.0, np.float32)
    low, low_group = choose_channel(solo, np.full(n, -2.0, np.float32), draw)
    high, high_group = choose_channel(solo, np.full(n, 0.0, np.float32), draw)
    assert high.mean() > low.mean() + 0.1  # more sales, not just a shift between channels
    assert high_group.mean() > low_group.mean()
    assert (high & ~high_group).mean() < (low & ~low_group).mean()
