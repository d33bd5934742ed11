"""Livestream mechanisms on tiny hand-built worlds: known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from socialsim.enums import Channel, Source
from socialsim.mechanisms.livestream import (
    Sessions,
    allocate_stock,
    expected_viewers,
    feature_products,
    find_entries,
    follower_dynamics,
    livestream_offers,
    schedule_sessions,
    session_audience,
    session_outcomes,
    stock_units,
    trust_penalty,
)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def follow_matrix(n_creators: int, n_consumers: int, edges: list[tuple[int, int, float]]):
    """Canonical CSR (sorted indices) of (creator, consumer, trust) edges."""
    rows = [e[0] for e in edges]
    cols = [e[1] for e in edges]
    data = [e[2] for e in edges]
    m = sparse.csr_array(
        (np.array(data, np.float32), (rows, cols)), shape=(n_creators, n_consumers)
    )
    m.sum_duplicates()
    return m


def audience(
    kols,
    platform,
    follows,
    active,
    users,
    *,
    tier=None,
    focus=None,
    segment=None,
    attend=1.0,
    traffic=0.0,
    mean_trust=0.5,
    seed=0,
):
    n_consumers = users.shape[0]
    n_creators = follows.shape[0]
    n_platforms = users.shape[1]
    return session_audience(
        np.asarray(kols),
        np.asarray(platform),
        follows.indptr,
        follows.indices,
        follows.data,
        active,
        np.ones(n_consumers, np.int8) if tier is None else tier,
        np.ones(n_creators, np.int8) if focus is None else focus,
        np.zeros(n_creators, np.int8) if segment is None else segment,
        users,
        attend_rate_by_platform=np.full(n_platforms, attend),
        traffic_share_by_platform=np.full(n_platforms, traffic),
        mean_trust=mean_trust,
        rng=rng(seed),
    )


# ----------------------------------------------------------------------------- scheduling


def test_schedule_respects_rates_and_enabled_platforms():
    kol_platform = np.array([0, 0, 1, 1, 2, -1] * 50)
    rate = np.array([1.0, 1.0, 0.0])
    enabled = np.array([True, False, True])
    live = schedule_sessions(kol_platform, rate, enabled, rng())
    assert np.array_equal(live, np.flatnonzero(kol_platform == 0))
    half = schedule_sessions(np.zeros(4000, int), np.array([0.3]), np.array([True]), rng(1))
    assert abs(half.size - 1200) < 4 * np.sqrt(4000 * 0.3 * 0.7)


def test_stock_units():
    assert stock_units(np.array([0.0, 19.0, 20.0, 21.0]), 0.05).tolist() == [1, 1, 1, 2]
    assert stock_units(np.array([100.0, 100.0]), np.array([0.05, 0.5])).tolist() == [5, 50]


def test_feature_products_drops_missing_dedupes_and_skips_empty_sessions():
    # Platform 0 has 3 slots, platform 1 has 2. Category 1 is never drawn (weight 0).
    catalogue = {(0, 0): 10, (2, 0): 12, (0, 1): -1, (2, 1): -1}

    def draw(category, platform):
        assert not np.any(category == 1)
        return np.array([catalogue[(c, p)] for c, p in zip(category, platform, strict=True)])

    kols = np.array([0, 1, 2])
    kol_platform = np.array([0, 1, 0])
    s = feature_products(
        kols, kol_platform, np.array([3, 2]), draw, np.array([1.0, 0.0, 1.0]), rng(), stock=7
    )
    # KOL 1 streams on platform 1, which has nothing: no session.
    assert s.kol.tolist() == [0, 2]
    assert s.platform.tolist() == [0, 0]
    assert np.all(s.stock == 7)
    for k in range(len(s)):
        featured = s.product[s.slot_indptr[k] : s.slot_indptr[k + 1]]
        assert set(featured.tolist()) <= {10, 12}
        assert featured.size == np.unique(featured).size  # no repeats
        assert np.all(np.diff(featured) > 0)  # sorted
    assert s.slot_session.tolist() == np.repeat([0, 1], s.n_products).tolist()


def test_feature_products_fills_every_slot_and_aligns_stock():
    s = feature_products(
        np.array([3, 5]),
        np.array([0, 0, 0, 1, 0, 0]),
        np.array([2, 4]),
        lambda category, platform: np.arange(category.size) + 100,
        np.ones(3),
        rng(),
        stock=np.array([1, 9]),
    )
    assert s.kol.tolist() == [3, 5]
    assert s.n_products.tolist() == [4, 2]
    assert s.stock.tolist() == [1, 1, 1, 1, 9, 9]


def test_feature_products_rejects_bad_weights():
    with pytest.raises(ValueError, match="category_weights"):
        feature_products(
            np.array([0]), np.array([0]), np.array([1]), lambda c, p: c, np.zeros(2), rng(), stock=1
        )


# ----------------------------------------------------------------------------- audience


def test_no_attendance_and_no_traffic_means_no_viewers():
    follows = follow_matrix(2, 6, [(0, 1, 0.5), (0, 2, 0.9), (1, 3, 1.0)])
    users = np.ones((6, 1), bool)
    session, viewer, trust, followed = audience(
        [0, 1], [0, 0], follows, np.ones(3, bool), users, attend=0.0, traffic=0.0
    )
    assert session.size == viewer.size == trust.size == followed.size == 0


def test_every_active_follower_attends_and_inactive_entries_never_do():
    edges = [(0, 1, 0.5), (0, 2, 0.5), (0, 4, 0.5), (1, 0, 0.5), (1, 4, 0.5)]
    follows = follow_matrix(2, 5, edges)
    active = np.array([True, False, True, True, True])  # (0, 2) churned
    users = np.ones((5, 1), bool)
    for seed in range(5):
        session, viewer, trust, followed = audience(
            [1, 0], [0, 0], follows, active, users, attend=1.0, mean_trust=0.5, seed=seed
        )
        assert session.tolist() == [0, 0, 1, 1]
        assert viewer.tolist() == [0, 4, 1, 4]
        assert np.allclose(trust, 0.5)
        assert followed.all()
    assert session.dtype == np.int32 and viewer.dtype == np.int32
    assert trust.dtype == np.float32 and followed.dtype == bool


def test_attendance_probability_matches_the_formula():
    n = 20_000
    follows = follow_matrix(1, n, [(0, i, 0.4) for i in range(n)])
    tier = np.full(n, 3, np.int8)
    kw = {"tier": tier, "focus": np.array([1]), "segment": np.array([2]), "mean_trust": 0.5}
    session, *_ = audience(
        [0], [0], follows, np.ones(n, bool), np.ones((n, 1), bool), attend=0.5, **kw
    )
    p = 0.5 * (0.4 / 0.5) * (1 + 0.25 * 2) * np.exp(-0.3 * 2)
    assert abs(session.size - n * p) < 4 * np.sqrt(n * p * (1 - p))
    expected = expected_viewers(
        np.array([0]),
        np.array([0]),
        follows.indptr,
        follows.indices,
        follows.data,
        np.ones(n, bool),
        tier,
        kw["focus"],
        kw["segment"],
        attend_rate_by_platform=np.array([0.5]),
        traffic_share_by_platform=np.array([0.5]),
        mean_trust=0.5,
    )
    assert expected[0] == pytest.approx(n * p * 1.5, rel=1e-5)


def test_traffic_viewers_are_platform_users_and_never_followers():
    # 40 consumers; platform 0 users are 0..29, platform 1 users are 20..39.
    n = 40
    users = np.zeros((n, 2), bool)
    users[:30, 0] = True
    users[20:, 1] = True
    edges = [(0, i, 0.5) for i in range(0, 10)] + [(1, i, 0.5) for i in range(25, 33)]
    follows = follow_matrix(2, n, edges)
    active = np.ones(follows.nnz, bool)
    for seed in range(20):
        session, viewer, trust, followed = audience(
            [0, 1, 0], [0, 1, 0], follows, active, users, attend=1.0, traffic=0.3, seed=seed
        )
        assert np.all(np.diff(session) >= 0)
        for s, kol, plat, attending in ((0, 0, 0, 10), (1, 1, 1, 8), (2, 0, 0, 10)):
            mine = session == s
            fans = set(follows.indices[follows.indptr[kol] : follows.indptr[kol + 1]].tolist())
            traffic = viewer[mine & ~followed]
            assert set(viewer[mine & followed].tolist()) == fans
            assert traffic.size == round(0.3 * attending)
            assert np.unique(traffic).size == traffic.size
            assert np.all(users[traffic, plat])
            assert not set(traffic.tolist()) & fans
            assert np.all(trust[mine & ~followed] == 0)


def test_traffic_is_capped_by_eligible_users_and_takes_them_all():
    n = 12
    users = np.zeros((n, 1), bool)
    users[:8, 0] = True  # followers 0..4 are users, so 3 eligible: 5, 6, 7
    follows = follow_matrix(1, n, [(0, i, 0.5) for i in range(5)] + [(0, 10, 0.5)])
    _, viewer, _, followed = audience(
        [0], [0], follows, np.ones(6, bool), users, attend=1.0, traffic=1.0
    )
    assert sorted(viewer[~followed].tolist()) == [5, 6, 7]
    # Nearly all eligible: 6 attending, share 0.5 -> 3 of the 3 eligible.
    _, viewer, _, followed = audience(
        [0], [0], follows, np.ones(6, bool), users, attend=1.0, traffic=0.5
    )
    assert sorted(viewer[~followed].tolist()) == [5, 6, 7]


def test_traffic_is_uniform_over_eligible_users():
    n = 12
    users = np.ones((n, 1), bool)
    follows = follow_matrix(1, n, [(0, 0, 0.5), (0, 1, 0.5)])
    sessions = 3000  # the same KOL streaming many times: 10 eligible users, 1 drawn each
    _, viewer, _, followed = audience(
        np.zeros(sessions, int),
        np.zeros(sessions, int),
        follows,
        np.ones(2, bool),
        users,
        attend=1.0,
        traffic=0.5,
    )
    counts = np.bincount(viewer[~followed], minlength=n)
    assert counts[:2].sum() == 0 and counts.sum() == sessions
    assert np.all(np.abs(counts[2:] - sessions / 10) < 4 * np.sqrt(sessions * 0.1 * 0.9))


def test_audience_is_reproducible():
    follows = follow_matrix(1, 50, [(0, i, 0.3 + 0.01 * i) for i in range(30)])
    args = ([0, 0], [0, 0], follows, np.ones(30, bool), np.ones((50, 1), bool))
    a = audience(*args, attend=0.5, traffic=0.4, seed=3)
    b = audience(*args, attend=0.5, traffic=0.4, seed=3)
    c = audience(*args, attend=0.5, traffic=0.4, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def test_mean_trust_must_be_positive():
    follows = follow_matrix(1, 2, [(0, 0, 0.5)])
    with pytest.raises(ValueError, match="mean_trust"):
        audience([0], [0], follows, np.ones(1, bool), np.ones((2, 1), bool), mean_trust=0.0)


# ----------------------------------------------------------------------------- offers and stock


def two_sessions(stock=(3, 3, 1)) -> Sessions:
    return Sessions(
        kol=np.array([4, 9], np.int32),
        platform=np.array([1, 0], np.int8),
        product=np.array([2, 5, 7], np.int32),
        stock=np.array(stock, np.int64),
        slot_indptr=np.array([0, 2, 3]),
    )


def test_livestream_offer_columns():
    sessions = two_sessions()
    session = np.array([0, 0, 1, 1, 0])
    viewer = np.array([10, 11, 12, 13, 14])
    trust = np.array([0.1, 0.0, 0.3, 0.4, 0.5])
    category = np.arange(8) * 10
    offers = livestream_offers(session, viewer, trust, sessions, category, [0.2, 0.35], rng())
    assert offers.consumer.tolist() == viewer.tolist()
    assert np.all(offers.source == Source.STREAMER)
    assert np.all(offers.channel == Channel.LIVESTREAM)
    assert offers.ref.tolist() == session.tolist()
    assert offers.platform.tolist() == [1, 1, 0, 0, 1]
    assert np.allclose(offers.discount, [0.35, 0.35, 0.2, 0.2, 0.35])
    assert np.allclose(offers.trust, trust)
    assert offers.product[2:4].tolist() == [7, 7]
    assert set(offers.product[session == 0].tolist()) <= {2, 5}
    assert offers.category.tolist() == (offers.product * 10).tolist()
    again = livestream_offers(session, viewer, trust, sessions, category, [0.2, 0.35], rng())
    assert np.array_equal(offers.product, again.product)


def test_livestream_offer_picks_featured_products_uniformly():
    m = 4000
    offers = livestream_offers(
        np.zeros(m, int),
        np.arange(m),
        np.zeros(m),
        two_sessions(),
        np.zeros(8, int),
        [0.2, 0.35],
        rng(1),
    )
    assert abs(np.count_nonzero(offers.product == 2) - m / 2) < 4 * np.sqrt(m / 4)


def test_stock_serves_exactly_the_units_in_stock():
    sessions = two_sessions(stock=(3, 10, 1))
    buyers_session = np.zeros(10, int)
    buyers_product = np.full(10, 2)
    served = allocate_stock(buyers_session, buyers_product, sessions, rng())
    assert served.dtype == bool and served.sum() == 3
    assert allocate_stock(buyers_session, np.full(10, 5), sessions, rng()).all()  # 10 >= 10
    mixed = allocate_stock(np.array([0, 0, 1, 1, 0]), np.array([5, 2, 7, 7, 2]), sessions, rng(2))
    assert mixed[[0]].all() and mixed[[1, 4]].all() and mixed[[2, 3]].sum() == 1


def test_stock_subset_is_random():
    sessions = two_sessions(stock=(3, 3, 1))
    subsets = {
        tuple(np.flatnonzero(allocate_stock(np.zeros(10, int), np.full(10, 2), sessions, rng(s))))
        for s in range(10)
    }
    assert len(subsets) > 1
    first = np.zeros(10)
    for s in range(2000):
        first += allocate_stock(np.zeros(10, int), np.full(10, 2), sessions, rng(s))
    assert np.all(np.abs(first - 600) < 4 * np.sqrt(2000 * 0.3 * 0.7))


def test_stock_rejects_products_not_featured():
    with pytest.raises(ValueError, match="not featured"):
        allocate_stock(np.array([1]), np.array([2]), two_sessions(), rng())


def test_session_outcomes():
    orders, conversion = session_outcomes(np.array([1, 1, 1, 0]), np.array([10, 3, 0]), 3)
    assert orders.tolist() == [1, 3, 0]
    assert conversion.tolist() == [0.1, 1.0, 0.0]


# ----------------------------------------------------------------------------- followers


def dynamics_world():
    # KOLs 0, 1 and a KOC (row 2). Follows: 0 -> 4 entries, 1 -> 3 entries, KOC -> 2 entries.
    follows_indptr = np.array([0, 4, 7, 9])
    prospects_indptr = np.array([0, 5, 7, 7])
    return follows_indptr, prospects_indptr


def run_dynamics(good, growth, bad, churn_share, daily, follow_active, prospect_active, seed=0):
    follows_indptr, prospects_indptr = dynamics_world()
    return follower_dynamics(
        np.array(good, int),
        np.array(growth, int),
        np.array(bad, int),
        np.array(churn_share, float),
        np.array(daily, float),
        follows_indptr,
        follow_active,
        prospects_indptr,
        prospect_active,
        rng(seed),
    )


def test_growth_activates_exactly_k_prospects_or_all_if_fewer():
    for seed in range(10):
        follow_active = np.ones(9, bool)
        prospect_active = np.array([True, False, False, False, False, False, False])
        gained, lost = run_dynamics(
            [0, 1], [3, 5], [], [0, 0], [0, 0], follow_active, prospect_active, seed
        )
        assert lost.size == 0 and follow_active.all()
        assert prospect_active[:5].sum() == 1 + 3  # 3 of the 4 inactive ones
        assert prospect_active[5:].all()  # only 2 prospects, both taken
        assert sorted(gained.tolist()) == np.flatnonzero(prospect_active)[1:].tolist()
    chosen = set()
    for seed in range(20):
        prospect_active = np.zeros(7, bool)
        run_dynamics([0], [1], [], [0, 0], [0, 0], np.ones(9, bool), prospect_active, seed)
        chosen |= set(np.flatnonzero(prospect_active).tolist())
    assert chosen == {0, 1, 2, 3, 4}


def test_churn_one_deactivates_all_and_zero_none():
    follow_active = np.ones(9, bool)
    follow_active[1] = False
    gained, lost = run_dynamics([], [], [0], [1.0, 1.0], [0, 0], follow_active, np.zeros(7, bool))
    assert gained.size == 0
    assert lost.tolist() == [0, 2, 3]
    assert follow_active.tolist() == [False] * 4 + [True] * 5
    follow_active = np.ones(9, bool)
    _, lost = run_dynamics([], [], [0, 1], [0.0, 0.0], [0, 0], follow_active, np.zeros(7, bool))
    assert lost.size == 0 and follow_active.all()
    # Daily churn applies to every KOL, never to the KOC rows beyond them.
    _, lost = run_dynamics([], [], [], [0, 0], [1.0, 1.0], follow_active, np.zeros(7, bool))
    assert lost.tolist() == list(range(7))
    assert follow_active.tolist() == [False] * 7 + [True] * 2


def test_partial_churn_rate():
    n = 20_000
    follow_active = np.ones(n, bool)
    _, lost = follower_dynamics(
        np.array([], int),
        np.array([], int),
        np.array([0]),
        np.array([0.1]),
        np.array([0.05]),
        np.array([0, n]),
        follow_active,
        np.array([0, 0]),
        np.zeros(0, bool),
        rng(),
    )
    p = 1 - 0.9 * 0.95
    assert abs(lost.size - n * p) < 4 * np.sqrt(n * p * (1 - p))


def test_daily_churn_below_a_byte_is_exact_for_each_kol():
    # Churn is drawn from bytes; rates under 1/256 are decided on the byte's level
    # by the KOL's own remainder (an empty row in between must not shift it).
    indptr = np.array([0, 200_000, 200_000, 500_000])
    daily = np.array([0.002, 0.5, 0.0007])
    follow_active = np.ones(500_000, bool)
    follow_active[::10] = False  # inactive entries never churn
    _, lost = follower_dynamics(
        np.array([], int),
        np.array([], int),
        np.array([], int),
        np.zeros(3),
        daily,
        indptr,
        follow_active,
        np.zeros(4, int),
        np.zeros(0, bool),
        rng(4),
    )
    assert not (lost % 10 == 0).any()
    per_kol = np.bincount(np.searchsorted(indptr, lost, side="right") - 1, minlength=3)
    active = np.array([180_000, 0, 270_000])
    expected = active * daily
    assert per_kol[1] == 0
    assert np.all(np.abs(per_kol - expected) <= 4 * np.sqrt(expected * (1 - daily)))


# ----------------------------------------------------------------------------- trust


def test_trust_penalty_exact_values_and_non_follow_pairs_untouched():
    follows = follow_matrix(3, 6, [(0, 1, 0.5), (0, 4, 0.8), (1, 0, 1.0), (2, 5, 0.6)])
    trust = follows.data.copy()
    trust_penalty(
        trust,
        follows.indptr,
        follows.indices,
        np.array([0, 1, 1, 2, 2, 0]),
        np.array([4, 0, 5, 5, 5, 3]),
        np.array([0.5, 0.25, 0.9, 0.5, 0.5, 0.9]),
    )
    assert np.allclose(trust, [0.5, 0.4, 0.75, 0.15])
    with pytest.raises(ValueError, match="penalty"):
        trust_penalty(trust, follows.indptr, follows.indices, np.array([0]), np.array([1]), 1.5)


def test_find_entries_matches_a_dense_lookup():
    g = rng(5)
    dense = g.random((30, 50)) < 0.2
    m = sparse.csr_array(dense.astype(np.float32))
    rows, cols = g.integers(0, 30, 5000), g.integers(0, 50, 5000)
    entry = find_entries(m.indptr, m.indices, rows, cols)
    assert np.array_equal(entry >= 0, dense[rows, cols])
    hit = entry >= 0
    owner = np.searchsorted(m.indptr, entry[hit], side="right") - 1
    assert np.array_equal(owner, rows[hit]) and np.array_equal(m.indices[entry[hit]], cols[hit])
    empty = find_entries(np.zeros(3, int), np.zeros(0, int), np.array([0, 1]), np.array([0, 0]))
    assert empty.tolist() == [-1, -1]


# ------------------------------------------------------------------ common random numbers


def _keyed(seed: int):
    """A counter-based uniform per (kind, key), as the model's streams give."""
    from socialsim.streams import RandomStreams

    streams = RandomStreams(np.random.SeedSequence(seed))
    return lambda kind, key: streams.uniform(kind, 0, np.asarray(key, np.int64))


def test_followers_keep_their_attendance_draws_when_other_followers_churn():
    # Two runs differ only in which of the streamer's followers are active
    # (growth and churn differ between arms): the followers active in both attend alike.
    n = 4_000
    follows = follow_matrix(1, n, [(0, i, 0.5) for i in range(n)])
    users = np.ones((n, 1), bool)
    active = np.ones(n, bool)
    churned = active.copy()
    churned[rng(1).random(n) < 0.1] = False
    attend = {}
    for name, flags in (("all", active), ("churned", churned)):
        _, viewer, _, followed = audience([0], [0], follows, flags, users, attend=0.3, seed=5)
        attend[name] = np.isin(np.arange(n), viewer[followed])
    both = churned  # active in both runs
    assert np.array_equal(attend["all"][both], attend["churned"][both])
    assert 0.2 < attend["all"].mean() < 0.4


def test_a_session_wanting_one_more_traffic_viewer_keeps_its_viewers():
    n = 500
    users = np.zeros((n, 1), bool)
    users[:400, 0] = True
    follows = follow_matrix(2, n, [(0, i, 0.5) for i in range(40)] + [(1, 450, 0.5)])
    uniform = _keyed(3)
    traffic = {}
    for attending, more_users in ((40, False), (41, True)):
        # the second run: one more attending follower and ten more platform users
        flags = np.zeros(follows.nnz, bool)
        flags[:attending] = True
        u = users.copy()
        if more_users:
            u[400:410, 0] = True
        _, viewer, _, followed = session_audience(
            np.array([0]),
            np.array([0]),
            follows.indptr,
            follows.indices,
            follows.data,
            flags,
            np.ones(n, np.int8),
            np.ones(2, np.int8),
            np.zeros(2, np.int8),
            u,
            attend_rate_by_platform=np.array([1.0]),
            traffic_share_by_platform=np.array([0.5]),
            mean_trust=0.5,
            rng=rng(0),
            traffic_uniform=lambda s, k: uniform("traffic", s * 1_000_000 + k),
        )
        traffic[attending] = viewer[~followed]
    assert traffic[40].size == 20 and traffic[41].size == 20  # round(0.5 * 41) = 20 (to even)
    # same sequence of candidates: the viewers the two runs share are most of them
    assert np.intersect1d(traffic[40], traffic[41]).size >= 17
    assert np.all(users[traffic[40], 0]) and not np.isin(traffic[40], np.arange(40)).any()


def test_traffic_drawn_by_candidate_sequence_is_uniform_over_eligible_users():
    n = 12
    users = np.ones((n, 1), bool)
    users[11, 0] = False
    follows = follow_matrix(1, n, [(0, 0, 0.5), (0, 1, 0.5)])
    sessions = 3000
    uniform = _keyed(4)
    _, viewer, _, followed = session_audience(
        np.zeros(sessions, np.int64),
        np.zeros(sessions, np.int64),
        follows.indptr,
        follows.indices,
        follows.data,
        np.ones(2, bool),
        np.ones(n, np.int8),
        np.ones(1, np.int8),
        np.zeros(1, np.int8),
        users,
        attend_rate_by_platform=np.array([1.0]),
        traffic_share_by_platform=np.array([0.5]),
        mean_trust=0.5,
        rng=rng(0),
        traffic_uniform=lambda s, k: uniform("traffic", s * 1_000_000 + k),
    )
    counts = np.bincount(viewer[~followed], minlength=n)
    assert counts[[0, 1, 11]].sum() == 0 and counts.sum() == sessions  # 9 eligible, 1 each
    assert np.all(np.abs(counts[2:11] - sessions / 9) < 4 * np.sqrt(sessions / 9 * 8 / 9))


def test_follower_growth_keyed_by_entry_ignores_other_streamers():
    # KOL 0 gains 5 of its 200 prospects; whether KOL 1 also gains some changes nothing for KOL 0.
    indptr = np.array([0, 200, 400])
    uniform = _keyed(2)
    gained = {}
    for kols_good, growth in (([0], [5]), ([0, 1], [5, 7])):
        gain, _ = follower_dynamics(
            np.array(kols_good),
            np.array(growth),
            np.zeros(0, np.int64),
            np.zeros(2),
            np.zeros(2),
            indptr,
            np.zeros(400, bool),
            indptr,
            np.zeros(400, bool),
            rng(0),
            lambda kind, entry: uniform(kind, entry),
        )
        gained[len(kols_good)] = gain
    assert gained[1].size == 5 and gained[2].size == 12
    assert np.array_equal(gained[1], gained[2][gained[2] < 200])
