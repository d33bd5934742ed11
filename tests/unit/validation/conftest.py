"""Worlds the validation checks are measured on: a small right one and deliberately wrong ones.

The small world is ``ModelConfig.small(3_000)`` run past the regulator's day.
A wrong world breaks, on purpose, what a group of checks looks at; its tests
assert that those checks fail, with the measure on the side the breakage
predicts, so a check that cannot fail would be caught.
"""

from __future__ import annotations

import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.validation.facts import REGULATION_DAY, FactRuns, run_fact_worlds

STEPS = REGULATION_DAY + 15
_RETURN_RATE = ModelConfig().behaviour.return_rate


def small_world(**overrides: object) -> ModelConfig:
    """A 3,000-consumer world that runs past the regulator's day, with the order log."""
    base = ModelConfig.small(3_000).with_overrides({"run.steps": STEPS, "run.record_orders": True})
    return base.with_overrides(overrides) if overrides else base


def regulated(config: ModelConfig, action: str = "one_level") -> ModelConfig:
    """The same world with a regulator acting on Yunji on the regulator's day."""
    return config.with_overrides(
        {
            "platforms.yunji.micro_stores.regulation.step": REGULATION_DAY,
            "platforms.yunji.micro_stores.regulation.action": action,
            "platforms.yunji.micro_stores.regulation.only_if_flagged": False,
        }
    )


def one_run(
    config: ModelConfig, seed: int = 3, action: str = "one_level", *, twin: bool = True
) -> FactRuns:
    """One replication of a world and of its regulated twin, on the same seed.

    Without the `twin` (for checks that do not read it) the world stands in for it.
    """
    models = []
    for world in (config, regulated(config, action)) if twin else (config,):
        model = SocialCommerceModel(world, rng=seed)
        model.run()
        models.append(model)
    return FactRuns([models[0]], [models[-1]])


WRONG_WORLD = {
    # the social platforms court the upper tiers, Douyin the lower ones
    "platforms.pinduoduo.tier_appeal": -1.5,
    "platforms.kuaishou.tier_appeal": -1.5,
    "platforms.douyin.tier_appeal": 1.5,
    # the social feed scored below the algorithmic one, so that with its trust (the tie) it
    # converts about alike; livestreams like search; nobody returns livestream orders more
    "behaviour.conversion.base_feed_social": -4.5,
    "behaviour.conversion.base_livestream": -3.0,
    "platforms.douyin.livestream.return_rate": _RETURN_RATE,
    "platforms.kuaishou.livestream.return_rate": _RETURN_RATE,
    "platforms.taobao_live.livestream.return_rate": _RETURN_RATE,
    # KOL audiences far less heavy-tailed
    "influencers.kol_follower_exponent": 1.5,
    # Pinduoduo dear and without group buying
    "platforms.pinduoduo.price_level": 3.0,
    "platforms.pinduoduo.group_buying.enabled": False,
}
"""Overrides of the small world that break facts 1 to 4 and several market figures."""


@pytest.fixture(scope="package")
def small_runs() -> FactRuns:
    """Two replications of the small world and of its regulated twin."""
    return run_fact_worlds(small_world(), replications=2, seed=3)


@pytest.fixture(scope="package")
def wrong_runs() -> FactRuns:
    """One replication of the wrong world; its regulator only fines (recruitment goes on)."""
    return one_run(small_world(**WRONG_WORLD), action="fine")
