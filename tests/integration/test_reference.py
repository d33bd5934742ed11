"""The plain per-agent reference (socialsim.reference) against the vectorised model.

The statistical tests dock the default decision path (the logit link, ``share``
social proof, word-of-mouth and search offers on two platforms) with
:func:`socialsim.validation.docking.reference_docking`: per-replication run
totals of the two models on ``reference_config(1_000)`` over 25 days, total
orders, total GMV, customers at the end, the word-of-mouth share of orders
and search orders. Each replication builds its own world from its seed; the
reference and the fast model use disjoint seed sets, so their samples are
independent and Welch's test applies as is.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.enums import ShopperStatus, Source
from socialsim.experiment.seeds import run_seed
from socialsim.reference import (
    REFERENCE_COUNTS,
    PerAgentModel,
    Purchase,
    ReferenceConsumer,
    _Offer,
    reference_config,
    unsupported,
)
from socialsim.validation.docking import (
    TOLERANCE_Z,
    ReferenceDocking,
    outcome_sample,
    reference_docking,
)

N_CONSUMERS = 1_000
STEPS = 25
REPLICATIONS = 20
SLOW_REPLICATIONS = 80
SEED = 1
KS_ALPHA = 1e-3


@pytest.fixture(scope="module")
def config() -> ModelConfig:
    return reference_config(N_CONSUMERS)


@pytest.fixture(scope="module")
def docked(config: ModelConfig) -> ReferenceDocking:
    return reference_docking(config=config, steps=STEPS, replications=REPLICATIONS, seed=SEED)


# --------------------------------------------------------------------------- statistics


def test_reference_and_fast_model_agree_statistically(docked: ReferenceDocking) -> None:
    """The two models give the same distribution of run totals, within 4 standard errors.

    Tolerance: if the models are the same process, each outcome's difference
    of means over its Welch standard error is close to Student's t with about
    38 degrees of freedom (20 + 20 independent replications; the outcomes are
    sums over a thousand consumers and 25 days, close to normal), so ``|z| > 4`` has
    probability about 3e-4, and at most 1.5e-3 for any of the five (correlated)
    outcomes (union bound). The seeds are fixed, so the test is deterministic;
    the bound says that a seed set on which it fails is a 1-in-700 accident if
    the rules agree, so a failure points to a real difference.

    Power: per-replication orders and GMV vary by about 11 % of their mean
    (the word-of-mouth cascades of a small world), so the standard error of
    the difference is about 3.5 % of the mean: a shift of 14 % is flagged
    about half the time and one of 25 % almost surely.
    ``test_comparison_detects_a_changed_rule`` shows a real change (price
    weight doubled: -25 % orders, -30 % GMV at seed 1, GMV 9 standard errors
    off) flagged. ``test_slow_agreement`` repeats this with 80 replications
    (shifts of about 7 % flagged) and adds a KS test, which at 20 replications
    would add false alarms but little power.
    """
    assert docked.reference.shape == docked.fast.shape == (REPLICATIONS, 5)
    found = docked.inconsistencies()
    assert not found, f"{found}\n{docked.summary()}"
    assert docked.worst_z <= TOLERANCE_Z


def test_comparison_detects_a_changed_rule(config: ModelConfig, docked: ReferenceDocking) -> None:
    """Doubling the price weight in the fast model only is flagged: the tolerance can fail."""
    changed = config.with_overrides({"behaviour.conversion.price_weight": 2.0})
    seeds = [run_seed(SEED, 1, r, crn=False) for r in range(REPLICATIONS)]
    wrong = ReferenceDocking(
        docked.reference, outcome_sample(SocialCommerceModel, changed, seeds, STEPS)
    )
    # GMV falls most (fewer orders, and of cheaper products), far beyond the tolerance.
    assert wrong.welch_z()["gmv"] < -TOLERANCE_Z, wrong.summary()
    assert "gmv" in wrong.inconsistencies()
    assert wrong.worst_z > TOLERANCE_Z


@pytest.mark.slow
def test_slow_agreement(config: ModelConfig) -> None:
    """Eighty replications each: the same 4-standard-error tolerance, and KS at 1e-3.

    With 158 degrees of freedom ``|z| > 4`` has probability about 1e-4 per
    outcome, and each KS test rejects with probability 1e-3 under the null,
    so the whole test fails by accident with probability under 6e-3. A
    shorter word-of-mouth window (5 days instead of 7) in the fast model only
    must be flagged, a subtler rule change than the price weight.
    """
    docked = reference_docking(
        config=config, steps=STEPS, replications=SLOW_REPLICATIONS, seed=SEED
    )
    found = docked.inconsistencies(ks_alpha=KS_ALPHA)
    assert not found, f"{found}\n{docked.summary()}"

    shorter = config.with_overrides({"behaviour.word_of_mouth_days": 5})
    seeds = [run_seed(SEED, 1, r, crn=False) for r in range(SLOW_REPLICATIONS)]
    changed = ReferenceDocking(
        docked.reference, outcome_sample(SocialCommerceModel, shorter, seeds, STEPS)
    )
    assert "word_of_mouth_share" in changed.inconsistencies(), changed.summary()


# --------------------------------------------------------------------------- the reduced config


def test_fast_model_under_reference_config_uses_only_the_core_channels(
    config: ModelConfig,
) -> None:
    """Under reference_config the fast model's orders are solo, from word of mouth or search."""
    model = SocialCommerceModel(config, rng=3)
    model.run(15)
    metrics = model.step_metrics()
    total = metrics.sum(numeric_only=True)
    assert total["orders"] > 0
    assert total["orders"] == total["orders_solo"]
    assert total["orders"] == total["orders_search"] + total["orders_word_of_mouth"]
    assert total["orders_word_of_mouth"] > 0 and total["orders_search"] > 0
    idle = [
        "kol_posts",
        "koc_posts",
        "promotions_started",
        "exposures_feed_social",
        "exposures_feed_algorithmic",
        "groups_started",
        "livestream_sessions",
        "cbec_orders",
        "members_joined",
        "returns",
        "store_owners",
        "campaign_posts",
        "daigou_fees",
    ]
    assert (total[idle] == 0).all(), total[idle][total[idle] != 0]


def test_reference_refuses_mechanisms_it_does_not_implement() -> None:
    assert unsupported(reference_config(300)) == []
    small = ModelConfig.small(300)
    assert "influencers.n_kols" in unsupported(small)
    assert "platforms.pinduoduo.group_buying.enabled" in unsupported(small)
    with pytest.raises(ValueError, match="core consumer rules"):
        PerAgentModel(small, rng=1)
    livestreams = reference_config(300, **{"platforms.market.livestream.enabled": True})
    with pytest.raises(ValueError, match=r"platforms\.market\.livestream\.enabled"):
        PerAgentModel(livestreams, rng=1)


# --------------------------------------------------------------------------- the reference itself


def test_reference_builds_the_fast_models_world() -> None:
    config = reference_config(600)
    reference = PerAgentModel(config, rng=11)
    fast = SocialCommerceModel(config, rng=11)
    population, network = fast.world.population, fast.world.network
    assert [c.tier for c in reference.consumers] == population.tier.tolist()
    assert [c.status for c in reference.consumers] == fast.state.status.tolist()
    np.testing.assert_array_equal(
        [c.monthly_budget for c in reference.consumers], fast.state.monthly_budget
    )
    np.testing.assert_array_equal(reference.world.catalogue.price, fast.world.catalogue.price)
    for i in (0, 17, 250, 599):
        consumer = reference.consumers[i]
        assert [f.index for f, _ in consumer.friends] == network.friends(i).tolist()
        lo, hi = network.adjacency.indptr[i], network.adjacency.indptr[i + 1]
        assert [w for _, w in consumer.friends] == network.adjacency.data[lo:hi].tolist()
        assert consumer.tie_total == pytest.approx(network.tie_strength[i])
        assert consumer.platforms == set(np.flatnonzero(fast.state.uses[i]).tolist())


def test_consumers_are_mesa_agents_stepped_by_shuffle_do(monkeypatch: pytest.MonkeyPatch) -> None:
    model = PerAgentModel(reference_config(300), rng=5)
    assert len(model.agents) == 300
    assert all(isinstance(a, ReferenceConsumer) for a in model.agents)
    assert isinstance(model.consumers[0], mesa.Agent)
    agent_set = type(model.agents)
    calls = []
    original = agent_set.shuffle_do

    def spy(self: object, method: str, *args: object) -> object:
        calls.append(method)
        return original(self, method, *args)

    monkeypatch.setattr(agent_set, "shuffle_do", spy)
    model.run(2)
    assert calls == ["step", "step"]


def test_reference_is_reproducible() -> None:
    config = reference_config(400)
    first, second, other = (PerAgentModel(config, rng=s) for s in (9, 9, 10))
    for model in (first, second, other):
        model.run(12)
    pd.testing.assert_frame_equal(first.step_metrics(), second.step_metrics())
    assert not first.step_metrics().equals(other.step_metrics())


def test_step_metrics_match_the_fast_models_columns_and_add_up() -> None:
    model = PerAgentModel(reference_config(500), rng=2)
    model.run(20)
    metrics = model.step_metrics()
    fast = SocialCommerceModel(reference_config(500), rng=2)
    fast.run(1)
    fast_dtypes = fast.step_metrics().dtypes
    for name in metrics.columns:
        assert metrics[name].dtype == fast_dtypes[name], name
    assert set(REFERENCE_COUNTS) <= set(metrics.columns)
    assert metrics["step"].tolist() == list(range(1, 21))
    assert metrics["orders"].sum() > 0
    assert (metrics["orders"] == metrics["orders_search"] + metrics["orders_word_of_mouth"]).all()
    np.testing.assert_allclose(metrics["gmv"], metrics["gmv_search"] + metrics["gmv_word_of_mouth"])
    assert (metrics["buyers"] <= metrics["orders"]).all()
    consumers = model.consumers
    assert metrics["orders"].sum() == sum(c.orders for c in consumers)
    assert metrics["gmv"].sum() == pytest.approx(sum(c.spend for c in consumers))
    customers = sum(c.status == ShopperStatus.CUSTOMER for c in consumers)
    assert metrics["customers"].iloc[-1] == customers == metrics["new_buyers"].sum()
    assert metrics["open_needs"].iloc[-1] >= sum(len(c.needs) for c in consumers)
    assert all(c.budget_left >= 0 for c in consumers)


def test_friends_see_purchases_before_today_only() -> None:
    """A purchase shows from the next day for word_of_mouth_days days; today's hides none."""
    model = PerAgentModel(reference_config(300), rng=4)
    window = model.config.behaviour.word_of_mouth_days
    consumer = model.consumers[0]
    consumer.last_purchase[2] = Purchase(step=5, product=7, platform=1)
    assert consumer.shown_purchase(2, 5) is None
    assert consumer.shown_purchase(2, 6) == Purchase(5, 7, 1)
    assert consumer.shown_purchase(2, 5 + window) == Purchase(5, 7, 1)
    assert consumer.shown_purchase(2, 6 + window) is None
    assert consumer.shown_purchase(3, 6) is None
    # Buying again in the category on day 8: friends still see the day-5 purchase that day.
    consumer.needs[2] = 8
    consumer._buy(_search_offer(product=9, price=1.0), 8)
    assert consumer.last_purchase[2] == Purchase(8, 9, 0)
    assert consumer.shown_purchase(2, 8) == Purchase(5, 7, 1)
    assert consumer.shown_purchase(2, 9) == Purchase(8, 9, 0)


def _search_offer(product: int, price: float) -> _Offer:
    return _Offer(Source.SEARCH, 2, product, 0, 0.0, price)
