"""Platforms' starting users and the homes of KOLs."""

from __future__ import annotations

import numpy as np

from socialsim import ModelConfig
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
