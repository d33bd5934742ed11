"""Platforms' starting users and the homes of KOLs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialsim import ModelConfig, SocialCommerceModel
from socialsim.world import build_world
from socialsim.world.platforms import homes_by_followers
from tests.conftest import rng


def test_followers_are_shared_out_by_kol_share():
    followers = np.round(rng(1).pareto(1.2, 300) * 1_000 + 100).astype(np.int64)
    share = np.array([1.0, 0.8, 0.0, 0.6])
    home = homes_by_followers(followers, share)
    mass = np.bincount(home, weights=followers, minlength=4) / followers.sum()
    target = share / share.sum()
    assert mass[2] == 0  # a platform that asks for no KOLs gets none
    # every platform within the largest single KOL of its share
    assert np.all(np.abs(mass - target) <= followers.max() / followers.sum())


def test_the_head_kols_followers_are_balanced_by_the_others():
    followers = np.array([10_000] + [10] * 99)
    share = np.array([1.0, 1.0])
    balanced = homes_by_followers(followers, share)
    assert balanced[0] == 0 and (balanced[1:] == 1).all()  # the head alone, the rest opposite


def world_kol_mass(kol_homes: str, seed: int) -> np.ndarray:
    config = ModelConfig.small(3_000).with_overrides({"influencers.kol_homes": kol_homes})
    world = build_world(config, rng(seed))
    n_kols = world.influencers.n_kols
    followers = np.diff(world.influencers.follows.indptr[: n_kols + 1])
    home = world.platforms.kol_platform
    return np.bincount(home, weights=followers, minlength=world.platforms.n) / followers.sum()


def test_worlds_share_followers_by_kol_share_in_every_seed():
    config = ModelConfig()
    names = tuple(sorted(config.platforms))
    share = np.array([config.platforms[name].kol_share for name in names])
    spread = [
        np.abs(world_kol_mass("by_followers", seed) - share / share.sum()).max()
        for seed in range(4)
    ]
    drawn = [
        np.abs(world_kol_mass("random", seed) - share / share.sum()).max() for seed in range(4)
    ]
    assert max(spread) < max(drawn)


# --------------------------------------------------------------------------- switched off


def without_row(config: ModelConfig, name: str) -> ModelConfig:
    data = config.to_dict()
    del data["platforms"][name]
    return ModelConfig.from_dict(data)


@pytest.mark.parametrize("name", ["yunji", "douyin"])
def test_a_switched_off_platform_is_absent_from_the_world_and_the_model(name):
    base = ModelConfig.small(1_500).with_overrides({"run.steps": 6})
    off = base.with_overrides({f"platforms.{name}.enabled": False})
    gone = without_row(base, name)
    world = build_world(off, rng(2))
    assert name not in world.platforms.names and world.platforms.n == len(base.platforms) - 1
    assert world.platforms.initial_users.shape[1] == world.platforms.n
    # exactly the world and the run of the config without its row
    other = build_world(gone, rng(2))
    assert world.platforms.names == other.platforms.names
    np.testing.assert_array_equal(world.platforms.initial_users, other.platforms.initial_users)
    np.testing.assert_array_equal(world.platforms.kol_platform, other.platforms.kol_platform)
    a, b = SocialCommerceModel(off, rng=5), SocialCommerceModel(gone, rng=5)
    a.run()
    b.run()
    assert a.state.uses.shape[1] == len(base.platforms) - 1
    assert name not in set(a.platform_metrics()["platform"])
    assert name not in set(a.orders()["platform"].cat.categories)
    pd.testing.assert_frame_equal(a.step_metrics(), b.step_metrics(), check_exact=True)
    pd.testing.assert_frame_equal(a.platform_metrics(), b.platform_metrics(), check_exact=True)
    pd.testing.assert_frame_equal(a.orders(), b.orders(), check_exact=True)
    # and the run differs from the one with the platform on
    full = SocialCommerceModel(base, rng=5)
    full.run()
    assert name in set(full.platform_metrics()["platform"])


def test_what_needs_a_switched_off_kind_of_platform_stops():
    base = ModelConfig.small(2_000).with_overrides({"run.steps": 10})
    no_stores = SocialCommerceModel(base.with_overrides({"platforms.yunji.enabled": False}), rng=1)
    no_stores.run()
    assert (no_stores.world.platforms.store_platform == -1).all()
    assert no_stores.step_metrics()["store_owners"].sum() == 0
    assert "store" not in set(no_stores.orders()["channel"])
    no_imports = SocialCommerceModel(base.with_overrides({"platforms.kaola.enabled": False}), rng=1)
    no_imports.run()
    assert no_imports.step_metrics()["daigou_fees"].sum() == 0
    with_both = SocialCommerceModel(base, rng=1)
    with_both.run()
    steps = with_both.step_metrics()
    assert steps["store_owners"].sum() > 0 and steps["daigou_fees"].sum() > 0
