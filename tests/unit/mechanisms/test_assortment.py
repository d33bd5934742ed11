"""What each platform lists, and the draws from it."""

from __future__ import annotations

import numpy as np

from socialsim.config import CatalogueConfig
from socialsim.mechanisms.assortment import Assortment
from socialsim.world.catalogue import build_catalogue

CATALOGUE = build_catalogue(CatalogueConfig(), np.random.default_rng(4))


def _shop():
    return Assortment(CATALOGUE, np.array([False, True, True]), np.array([0.0, 0.5, 0.2]))


def test_with_everything_listed_it_draws_as_the_catalogue_does():
    category = np.random.default_rng(0).integers(0, CATALOGUE.n_categories, 5000)
    platform = np.random.default_rng(1).integers(0, 3, 5000)
    drawn = _shop().random_listed(category, platform, np.random.default_rng(2))
    share = np.array([0.0, 0.5, 0.2])[platform]
    expected = CATALOGUE.random_listed(category, share, np.random.default_rng(2))
    assert np.array_equal(drawn, expected)


def test_a_platform_draws_only_what_it_lists():
    shop = _shop()
    sold = np.ones(shop.listed.shape, dtype=bool)
    gone = np.flatnonzero(CATALOGUE.category == 0)[:5]
    sold[1, gone] = False
    assert shop.update(sold)
    assert not shop.update(sold)  # nothing changed the second time
    n = 20_000
    category = np.zeros(n, dtype=int)
    for p in (0, 1):
        picks = shop.random_listed(category, np.full(n, p), np.random.default_rng(p))
        hit = np.isin(picks, gone)
        assert hit.any() == (p == 0)
    # imports stay off a platform without cross-border, whatever its brands do
    assert not shop.listed[0, CATALOGUE.cross_border].any()


def test_a_category_a_platform_lists_nothing_of_draws_minus_one():
    shop = _shop()
    sold = np.ones(shop.listed.shape, dtype=bool)
    sold[2, CATALOGUE.category == 1] = False
    shop.update(sold)
    picks = shop.random_listed(np.array([1, 1, 0]), np.array([2, 0, 2]), np.random.default_rng(0))
    assert picks[0] == -1 and picks[1] >= 0 and picks[2] >= 0
