"""The plain per-agent reference (socialsim.reference) against the vectorised model.

The statistical tests compare per-replication run totals of the two models on
``reference_config(1_000)`` over 25 days: total orders, total GMV, customers at
the end, the word-of-mouth share of orders and search orders. Each
replication builds its own world from its seed; the reference and the fast
model use disjoint seed sets, so their samples are independent and Welch's
test applies as is.
"""

from __future__ import annotations

import math

import mesa
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.enums import ShopperStatus, Source
from socialsim.reference import (
    REFERENCE_COUNTS,
    PerAgentModel,
    Purchase,
    ReferenceConsumer,
    _Offer,
    reference_config,
    run_outcomes,
    unsupported,
)

N_CONSUMERS = 1_000
STEPS = 25
REPLICATIONS = 20
SLOW_REPLICATIONS = 80
# Disjoint seeds: the reference's and the fast model's worlds are independent draws.
REFERENCE_SEED = 1
FAST_SEED = 10_001
Z_MAX = 4.0
KS_ALPHA = 1e-3
OUTCOMES = ("orders", "gmv", "customers", "word_of_mouth_share", "search_orders")


def _outcomes(model_type: type, config: ModelConfig, seeds: range) -> pd.DataFrame:
    rows = []
    for seed in seeds:
        model = model_type(config, rng=seed)
        for _ in range(STEPS):
            model.step()
        rows.append(run_outcomes(model.step_metrics()))
    return pd.DataFrame(rows, columns=list(OUTCOMES))


def _welch_z(a: pd.Series, b: pd.Series) -> float:
    """Return the difference of the means in standard errors of the difference (Welch)."""
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    diff = float(a.mean() - b.mean())
    if se == 0.0:
        return 0.0 if diff == 0.0 else math.copysign(math.inf, diff)
    return diff / se


def inconsistencies(
    reference: pd.DataFrame, fast: pd.DataFrame, *, ks: bool = False
) -> dict[str, str]:
    """Return the outcomes whose distributions differ beyond the tolerance, with why.

    An outcome is inconsistent when its means differ by more than ``Z_MAX``
    standard errors of the difference (Welch) or, with `ks`, when a
    two-sample Kolmogorov-Smirnov test rejects at ``KS_ALPHA``.
    """
    found = {}
    for name in OUTCOMES:
        z = _welch_z(reference[name], fast[name])
        if abs(z) > Z_MAX:
            found[name] = f"means differ by {z:+.1f} standard errors"
        elif ks:
            p = stats.ks_2samp(reference[name], fast[name]).pvalue
            if p < KS_ALPHA:
                found[name] = f"Kolmogorov-Smirnov p = {p:.1e}"
    return found


def _report(reference: pd.DataFrame, fast: pd.DataFrame) -> str:
    summary = pd.DataFrame({"reference": reference.mean(), "fast": fast.mean()})
    summary["welch_z"] = [_welch_z(reference[n], fast[n]) for n in summary.index]
    return summary.to_string()


@pytest.fixture(scope="module")
def config() -> ModelConfig:
    return reference_config(N_CONSUMERS)


@pytest.fixture(scope="module")
def reference_runs(config: ModelConfig) -> pd.DataFrame:
    return _outcomes(PerAgentModel, config, range(REFERENCE_SEED, REFERENCE_SEED + REPLICATIONS))


@pytest.fixture(scope="module")
def fast_runs(config: ModelConfig) -> pd.DataFrame:
    return _outcomes(SocialCommerceModel, config, range(FAST_SEED, FAST_SEED + REPLICATIONS))


# --------------------------------------------------------------------------- statistics


def test_reference_and_fast_model_agree_statistically(
    reference_runs: pd.DataFrame, fast_runs: pd.DataFrame
) -> None:
    """The two models give the same distribution of run totals, within 4 standard errors.

    Tolerance: if the models are the same process, each outcome's difference
    of means over its Welch standard error is close to Student's t with about
    38 degrees of freedom (20 + 20 independent replications; the outcomes are
    sums over a thousand consumers and 25 days, close to normal), so ``|z| > 4`` has
    probability about 3e-4, and at most 1.5e-3 for any of the five (correlated)
    outcomes (union bound). The seeds are fixed, so the test is deterministic;
    the bound says that a seed set on which it fails is a 1-in-700 accident if
    the rules agree, so a failure points to a real difference.

    Power: per-replication orders and GMV vary by about 12 % of their mean
    (the word-of-mouth cascades of a small world), so the standard error of
    the difference is about 4 % of the mean: a shift of 16 % is flagged about
    half the time and one of 25 % almost surely (the word-of-mouth share, at
    6 %, about half as much). ``test_comparison_detects_a_changed_rule`` shows
    a real change (price weight doubled: -20 % orders, -25 % GMV) flagged, GMV
    at about 7.5 standard errors. ``test_slow_agreement`` repeats this with 80
    replications (shifts of about 8 % flagged) and adds a KS test, which at 20
    replications would add false alarms but little power.
    """
    found = inconsistencies(reference_runs, fast_runs)
    assert not found, f"{found}\n{_report(reference_runs, fast_runs)}"


def test_comparison_detects_a_changed_rule(
    config: ModelConfig, reference_runs: pd.DataFrame
) -> None:
    """Doubling the price weight in the fast model only is flagged: the tolerance can fail."""
    changed = config.with_overrides({"behaviour.conversion.price_weight": 2.0})
    fast = _outcomes(SocialCommerceModel, changed, range(FAST_SEED, FAST_SEED + REPLICATIONS))
    # GMV falls most (fewer orders, and of cheaper products): about 7.5 standard errors,
    # so the margin over Z_MAX survives other seeds; orders fall by about 5.
    assert _welch_z(reference_runs["gmv"], fast["gmv"]) > Z_MAX, _report(reference_runs, fast)
    assert "gmv" in inconsistencies(reference_runs, fast)


@pytest.mark.slow
def test_slow_agreement(config: ModelConfig) -> None:
    """Eighty replications each: the same 4-standard-error tolerance, and KS at 1e-3.

    With 158 degrees of freedom ``|z| > 4`` has probability about 1e-4 per
    outcome, and each KS test rejects with probability 1e-3 under the null,
    so the whole test fails by accident with probability under 6e-3. A
    shorter word-of-mouth window (5 days instead of 7) in the fast model only
    must be flagged, a subtler rule change than the price weight.
    """
    seeds = range(REFERENCE_SEED, REFERENCE_SEED + SLOW_REPLICATIONS)
    reference = _outcomes(PerAgentModel, config, seeds)
    fast_seeds = range(FAST_SEED, FAST_SEED + SLOW_REPLICATIONS)
    fast = _outcomes(SocialCommerceModel, config, fast_seeds)
    found = inconsistencies(reference, fast, ks=True)
    assert not found, f"{found}\n{_report(reference, fast)}"

    shorter = config.with_overrides({"behaviour.word_of_mouth_days": 5})
    changed = _outcomes(SocialCommerceModel, shorter, fast_seeds)
    assert "word_of_mouth_share" in inconsistencies(reference, changed), _report(reference, changed)


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
