"""Word of mouth on a hand-built graph: shares and products are known exactly."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy import sparse

from socialsim.enums import Source
from socialsim.mechanisms.word_of_mouth import (
    friend_signals,
    population_share,
    word_of_mouth_offers,
)
from socialsim.state import NEVER
from tests.conftest import rng

# A star: 0 is tied to 1 (strong, weight 1), 2 (strong, 1) and 3 (weak, 0.5).
ROWS = [0, 0, 0, 1, 2, 3]
COLS = [1, 2, 3, 0, 0, 0]
WEIGHT = [1.0, 1.0, 0.5, 1.0, 1.0, 0.5]
ADJ = sparse.csr_array((np.array(WEIGHT, np.float32), (ROWS, COLS)), shape=(4, 4))


def history(bought: dict[int, tuple[int, int]], n_categories=2):
    """bought: consumer -> (step, product) of a purchase in category 0."""
    step = np.full((4, n_categories), NEVER, dtype=np.int32)
    product = np.full((4, n_categories), -1, dtype=np.int32)
    for consumer, (when, what) in bought.items():
        step[consumer, 0] = when
        product[consumer, 0] = what
    return step, product


def signals(bought, now=10, window=7, consumers=(0,), categories=(0,), seed=0):
    step, product = history(bought)
    return friend_signals(
        ADJ, step, product, now, window, np.array(consumers), np.array(categories), rng(seed)
    )


def test_share_is_tie_weighted_share_of_recent_buyers():
    s = signals({1: (9, 100), 3: (8, 300)})
    assert s.social_share[0] == pytest.approx((1 + 0.5) / 2.5)
    assert s.product[0] in (100, 300)


def test_purchases_outside_the_window_do_not_count():
    s = signals({1: (2, 100), 2: (10, 200)}, now=10, window=7)
    # step 2 is too old; step 10 is the current step, not yet seen by friends
    assert s.social_share[0] == 0
    assert s.product[0] == -1
    s = signals({1: (3, 100)}, now=10, window=7)
    assert s.social_share[0] == pytest.approx(1 / 2.5)
    assert s.product[0] == 100


def test_friend_is_drawn_in_proportion_to_tie_weight():
    picks = [signals({2: (9, 200), 3: (9, 300)}, seed=k).product[0] for k in range(600)]
    share_strong = np.mean(np.array(picks) == 200)
    assert share_strong == pytest.approx(1 / 1.5, abs=0.06)  # weights 1 and 0.5


def _race(seed):
    from socialsim.streams import RandomStreams, mix_keys

    streams = RandomStreams(np.random.SeedSequence(seed))
    return lambda need, friend: streams.uniform("race", 0, mix_keys(need, friend))


def race_signals(bought, m, seed):
    """`m` needs of consumer 0 in category 0, each with its own race (keyed by need)."""
    step, product = history(bought)
    zeros = np.zeros(m, int)
    return friend_signals(ADJ, step, product, 10, 7, zeros, zeros, rng(0), hit_uniform=_race(seed))


def test_the_race_picks_friends_in_proportion_to_tie_weight():
    m = 3_000
    got = race_signals({1: (9, 100), 2: (9, 200), 3: (9, 300)}, m, seed=4)
    share = np.array([np.mean(got.product == p) for p in (100, 200, 300)])
    p = np.array([1.0, 1.0, 0.5]) / 2.5
    assert np.all(np.abs(share - p) < 4 * np.sqrt(p * (1 - p) / m))
    assert got.social_share[0] == pytest.approx(1.0)


def test_a_friend_who_starts_buying_changes_the_pick_only_where_it_wins():
    # Two runs differ in whether friend 3 (weight 0.5 of 2.5) bought lately: needs
    # keep the friend they were shown unless friend 3 now wins (about 0.5 / 2.5 of them).
    m = 3_000
    shown = [
        race_signals(bought, m, seed=5).product
        for bought in ({1: (9, 100), 2: (9, 200)}, {1: (9, 100), 2: (9, 200), 3: (9, 300)})
    ]
    changed = shown[0] != shown[1]
    assert np.array_equal(shown[1][changed], np.full(changed.sum(), 300))
    assert abs(changed.mean() - 0.2) < 4 * np.sqrt(0.2 * 0.8 / m)


def test_other_categories_and_isolated_needs():
    s = signals({1: (9, 100)}, consumers=(0, 0, 1), categories=(1, 0, 1))
    assert s.social_share.tolist() == [0, pytest.approx(0.4), 0]
    assert s.product.tolist() == [-1, 100, -1]
    empty = friend_signals(
        sparse.csr_array((2, 2), dtype=np.float32),
        *history({}),
        5,
        7,
        np.array([0]),
        np.array([0]),
        rng(),
    )
    assert empty.social_share[0] == 0 and empty.product[0] == -1


def test_offers_only_where_a_friend_bought():
    s = signals({1: (9, 100)}, consumers=(0, 1), categories=(0, 0))
    o = word_of_mouth_offers(np.array([0, 1]), np.array([0, 0]), s, np.array([2, 2]))
    assert o.consumer.tolist() == [0] and o.product.tolist() == [100]
    assert o.source.tolist() == [Source.WORD_OF_MOUTH]
    assert o.trust.tolist() == [1.0]


def _brute_force_share(adjacency, step, now, window, consumer, category):
    """The social share by the definition, one need at a time."""
    dense = adjacency.toarray().astype(np.float64)
    out = []
    for i, c in zip(consumer, category, strict=True):
        bought = (step[:, c] >= now - window) & (step[:, c] < now)
        total = dense[i].sum()
        out.append(dense[i] @ bought / total if total > 0 else 0.0)
    return np.array(out)


@pytest.mark.parametrize("n_categories", [3, 9, 70])
def test_random_graphs_match_the_definition_for_any_number_of_categories(n_categories):
    # 3 and 9 categories use one and two bytes of category bits; 70 the flat table.
    g = np.random.default_rng(n_categories)
    n = 60
    dense = (g.random((n, n)) < 0.15) * g.choice([1.0, 0.5], (n, n))
    dense = np.triu(dense, 1)
    adjacency = sparse.csr_array((dense + dense.T).astype(np.float32))
    step = g.integers(-5, 12, (n, n_categories)).astype(np.int32)
    product = g.integers(0, 1000, (n, n_categories)).astype(np.int32)
    consumer = g.integers(0, n, 200)
    category = g.integers(0, n_categories, 200)
    got = friend_signals(adjacency, step, product, 10, 7, consumer, category, rng(1))
    want = _brute_force_share(adjacency, step, 10, 7, consumer, category)
    assert np.allclose(got.social_share, want, atol=1e-6)
    # the shown product is one a recently buying friend bought in that category
    has = np.flatnonzero(got.friend >= 0)
    assert has.size > 20 and np.array_equal(has, np.flatnonzero(want > 0))
    friend, cat = got.friend[has], category[has]
    assert (adjacency[consumer[has], friend] > 0).all()
    assert ((step[friend, cat] >= 3) & (step[friend, cat] < 10)).all()
    assert np.array_equal(got.product[has], product[friend, cat])
    # a precomputed tie total gives the same numbers, bit for bit
    total = np.asarray(adjacency.sum(axis=1), dtype=np.float64)
    again = friend_signals(
        adjacency, step, product, 10, 7, consumer, category, rng(1), tie_total=total
    )
    assert np.array_equal(again.friend, got.friend)


def test_two_search_threads_give_the_single_pass_result(monkeypatch):
    from socialsim.mechanisms import word_of_mouth

    g = np.random.default_rng(5)
    n = 300
    dense = np.triu((g.random((n, n)) < 0.05) * g.choice([1.0, 0.25], (n, n)), 1)
    adjacency = sparse.csr_array((dense + dense.T).astype(np.float32))
    step = g.integers(-5, 12, (n, 4)).astype(np.int32)
    product = g.integers(0, 1000, (n, 4)).astype(np.int32)
    consumer, category = np.nonzero(g.random((n, 4)) < 0.5)

    def run(threads):
        monkeypatch.setattr(word_of_mouth, "_search_threads", lambda m: threads)
        return friend_signals(adjacency, step, product, 10, 7, consumer, category, rng(2))

    one, two = run(1), run(2)
    assert (one.friend >= 0).sum() > 50
    for field in ("social_share", "product", "tie_weight", "friend"):
        assert np.array_equal(getattr(one, field), getattr(two, field))


# --------------------------------------------------------------------------- population mixing


def test_population_share_counts_everyone_who_bought_in_the_window_before_today():
    # window 3 before step 10: steps 7, 8 and 9 count; 10 (today) and 6 do not
    step = np.array([[7], [9], [10], [6], [NEVER], [8]], dtype=np.int32)
    assert population_share(step, 10, 3).tolist() == [pytest.approx(3 / 6)]
    two = np.array([[7, 7], [NEVER, 9], [NEVER, NEVER], [1, 8]], dtype=np.int32)
    np.testing.assert_allclose(population_share(two, 10, 3), [0.25, 0.75])


def test_population_social_proof_ignores_the_graph_and_keeps_friends_offers():
    # A ring of 40 in which consumers 0-9 bought yesterday: under "share" consumer 20
    # sees none of them (its friends are 19 and 21), under "population" it sees 10 / 40.
    from socialsim import ModelConfig, SocialCommerceModel
    from socialsim.day import Day
    from socialsim.mechanisms.needs import OpenNeeds

    base = ModelConfig.small(40)
    shares = {}
    for proof in ("share", "population"):
        cfg = base.with_overrides({"behaviour.conversion.social_proof": proof})
        model = SocialCommerceModel(cfg, rng=1, graph=nx.cycle_graph(40))
        state = model.state
        state.last_purchase_step[:] = NEVER
        state.last_purchase_step[:10, 0] = 4
        day = Day.start(5, model.world.population.n_tiers, model.columns)
        model.word_of_mouth.start_day(day)
        consumer = np.array([20, 1], dtype=np.int64)
        needs = OpenNeeds(consumer, np.zeros(2, dtype=np.int64), state.uses[consumer])
        signals = model.word_of_mouth.signals(day, needs)
        shares[proof] = signals.social_share.tolist()
        # consumer 1's friends 0 and 2 both bought: a friend's offer under either rule
        assert signals.friend[1] in (0, 2) and signals.friend[0] == -1
    assert shares["share"] == [0.0, 1.0]
    assert shares["population"] == [pytest.approx(0.25), pytest.approx(0.25)]
