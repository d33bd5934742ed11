"""Group buying on hand-built groups and graphs: choice, price cuts, sharing and the group book."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.special import expit

from socialsim.mechanisms.group_buying import GroupBook, group_choice, kanjia_cut, share_targets


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- group choice

N = 20_000


def choice_rate(
    discount=0.2, sensitivity=1.0, propensity=1.0, preference=-1.0, weight=5.0, seed=0
) -> float:
    ones = np.ones(N)
    chosen = group_choice(
        discount * ones,
        sensitivity * ones,
        propensity * ones,
        preference * ones,
        weight * ones,
        rng(seed),
    )
    assert chosen.dtype == bool and chosen.shape == (N,)
    return float(chosen.mean())


def test_group_choice_follows_the_documented_logit():
    # sigmoid(-1 + 5 * 1 * 0.2 + log 0.5) = sigmoid(log 0.5) = 1/3
    rate = choice_rate(discount=0.2, sensitivity=1.0, propensity=0.5, preference=-1.0, weight=5.0)
    assert rate == pytest.approx(1 / 3, abs=0.015)
    # sigmoid(-1 + 5 * 0.5 * 0.4 + log 1) = sigmoid(0) = 1/2
    rate = choice_rate(discount=0.4, sensitivity=0.5, propensity=1.0, preference=-1.0, weight=5.0)
    assert rate == pytest.approx(0.5, abs=0.015)


def test_a_deeper_discount_means_more_group_purchases():
    rates = [choice_rate(discount=d, seed=1) for d in (0.0, 0.1, 0.2, 0.4)]
    assert (np.diff(rates) > 0.05).all()
    assert rates[0] == pytest.approx(expit(-1.0), abs=0.015)


def test_more_price_sensitive_buyers_choose_groups_more_often():
    rates = [choice_rate(sensitivity=s, seed=2) for s in (0.2, 1.0, 2.0)]
    assert (np.diff(rates) > 0.05).all()


def test_a_lower_propensity_means_fewer_group_purchases():
    rates = [choice_rate(propensity=q, seed=3) for q in (0.1, 0.5, 1.0)]
    assert (np.diff(rates) > 0.05).all()
    # a zero propensity gives log(0) = -inf: never a group
    assert choice_rate(propensity=0.0, seed=3) == 0.0


def test_minus_infinite_preference_never_chooses_a_group():
    # even a huge saving cannot overcome a platform without groups
    assert choice_rate(discount=0.9, sensitivity=3.0, preference=-np.inf, weight=100.0) == 0.0


def test_group_choice_is_per_purchase():
    # platform without groups (-inf) next to one with a sure group (huge logit)
    preference = np.array([-np.inf, 50.0] * 500)
    ones = np.ones(1000)
    chosen = group_choice(0.3 * ones, ones, ones, preference, 5 * ones, rng())
    assert not chosen[0::2].any()
    assert chosen[1::2].all()


# ---------------------------------------------------------------- kanjia


def test_kanjia_cut_is_a_geometric_sum():
    cut = kanjia_cut(np.array([0, 1, 2, 3, 4]), 0.1, 0.5, 1.0)
    assert cut == pytest.approx([0.0, 0.1, 0.15, 0.175, 0.1875])


def test_each_further_click_cuts_less():
    cut = kanjia_cut(np.arange(12), 0.08, 0.7, 1.0)
    step = np.diff(cut)
    assert (step > 0).all()
    assert (np.diff(step) < 0).all()
    # the k-th click cuts first_cut * decay**(k-1)
    assert step == pytest.approx(0.08 * 0.7 ** np.arange(11))


def test_kanjia_total_is_capped_at_max_cut():
    cut = kanjia_cut(np.array([1, 2, 3, 100, 10_000]), 0.1, 0.9, 0.25)
    # 0.1, 0.19, 0.271 -> capped at 0.25
    assert cut == pytest.approx([0.1, 0.19, 0.25, 0.25, 0.25])
    assert cut.max() <= 0.25


def test_no_clicks_no_cut():
    assert kanjia_cut(np.zeros(3, int), np.array([0.1, 0.2, 0.3]), 0.5, 0.5).tolist() == [0.0] * 3
    # also for a flat decay, where the geometric formula would divide by zero
    assert kanjia_cut(np.array([0]), 0.1, 1.0, 0.5).tolist() == [0.0]


def test_a_decay_of_one_cuts_the_same_per_click():
    cut = kanjia_cut(np.array([0, 1, 3, 10]), 0.05, 1.0, 0.3)
    assert cut == pytest.approx([0.0, 0.05, 0.15, 0.3])
    assert np.isfinite(cut).all()


def test_kanjia_parameters_may_be_arrays_aligned_with_clicks():
    clicks = np.array([2, 2, 2, 3])
    first = np.array([0.1, 0.2, 0.1, 0.1])
    decay = np.array([0.5, 0.5, 1.0, 0.5])
    cap = np.array([1.0, 1.0, 1.0, 0.12])
    cut = kanjia_cut(clicks, first, decay, cap)
    assert cut == pytest.approx([0.15, 0.3, 0.2, 0.12])


# ---------------------------------------------------------------- share targets


def graph(n: int, edges: list[tuple[int, int, bool]]):
    """Symmetric CSR structure of undirected (a, b, strong) edges, with a per-entry strong flag."""
    rows = [a for a, _, _ in edges] + [b for _, b, _ in edges]
    cols = [b for _, b, _ in edges] + [a for a, _, _ in edges]
    flag = [2.0 if s else 1.0 for *_, s in edges] * 2
    m = sparse.csr_array((np.array(flag), (rows, cols)), shape=(n, n))
    m.sort_indices()
    return m.indptr, m.indices, m.data == 2.0


# 0 has strong ties to 1, 2, 3 and weak ties to 4, 5, 6, 7; 8 has one weak tie (to 9); 10 none
STRONG = [1, 2, 3]
WEAK = [4, 5, 6, 7]
EDGES = [(0, f, True) for f in STRONG] + [(0, f, False) for f in WEAK] + [(8, 9, False)]
INDPTR, INDICES, IS_STRONG = graph(11, EDGES)


def share(sharer, count, seed=0, strong_first=True):
    return share_targets(
        INDPTR, INDICES, IS_STRONG, np.array(sharer), count, rng(seed), strong_first=strong_first
    )


def test_strong_ties_come_first():
    for seed in range(30):
        _, friend, _ = share([0], 2, seed)
        assert friend.size == 2 and set(friend.tolist()) <= set(STRONG)
        assert np.unique(friend).size == 2
        _, friend, _ = share([0], 5, seed)
        assert set(friend[:3].tolist()) == set(STRONG)  # all strong ties, then two weak ones
        assert set(friend[3:].tolist()) <= set(WEAK) and np.unique(friend).size == 5


def test_choice_within_strong_ties_is_random():
    counts = np.zeros(11, int)
    for seed in range(900):
        _, friend, _ = share([0], 1, seed)
        counts[friend] += 1
    # one of three strong ties, each about 300 times
    assert counts[WEAK].sum() == 0
    assert counts[STRONG].min() > 240 and counts[STRONG].max() < 360


def test_without_strong_first_weak_ties_are_as_likely_as_strong_ones():
    counts = np.zeros(11, int)
    for seed in range(1400):
        _, friend, _ = share([0], 1, seed, strong_first=False)
        counts[friend] += 1
    # seven ties, each about 200 times; weak ones included
    assert counts[STRONG + WEAK].min() > 140 and counts[STRONG + WEAK].max() < 260


def test_count_is_capped_by_degree():
    who, friend, _ = share([0, 8, 10], 100)
    assert sorted(friend[who == 0].tolist()) == STRONG + WEAK
    assert friend[who == 1].tolist() == [9]
    assert (who == 2).sum() == 0  # no ties, no links
    who, friend, _ = share([0], 0)
    assert who.size == friend.size == 0


def test_entries_point_at_the_right_ties():
    who, friend, entry = share([8, 0, 0], np.array([1, 4, 7]), seed=3)
    sharer = np.array([8, 0, 0])
    assert np.array_equal(INDICES[entry], friend)
    # each entry lies in its sharer's row of the graph
    assert (entry >= INDPTR[sharer[who]]).all() and (entry < INDPTR[sharer[who] + 1]).all()
    assert who.dtype == np.int64 and friend.dtype == np.int32 and entry.dtype == np.int64


def test_a_sharer_may_share_several_times_with_its_own_count():
    who, friend, _ = share([0, 8, 0], np.array([1, 1, 3]))
    # positions in the sharer list, not consumer ids
    assert np.bincount(who, minlength=3).tolist() == [1, 1, 3]
    assert friend[who == 1].tolist() == [9]
    assert set(friend[who == 0].tolist()) <= set(STRONG)
    assert set(friend[who == 2].tolist()) == set(STRONG)


def test_share_targets_with_no_sharers():
    who, friend, entry = share(np.array([], dtype=np.int64), 3)
    assert who.size == friend.size == entry.size == 0
    assert friend.dtype == np.int32


# ---------------------------------------------------------------- group book

NO_LADDER = ([np.array([]), np.array([])], [np.array([]), np.array([])])
BASE = np.array([0.2, 0.1])  # group discount at target size, per platform


def open_groups(
    book: GroupBook,
    initiator,
    *,
    platform=0,
    product=5,
    step=0,
    window=1,
    target=2,
    capacity=None,
    paid=80.0,
    category=1,
    source=0,
):
    initiator = np.atleast_1d(np.asarray(initiator))
    m = initiator.size

    def col(x):
        return np.broadcast_to(np.asarray(x), (m,)).copy()

    return book.open(
        platform=col(platform),
        product=col(product),
        initiator=initiator,
        category=col(category),
        source=col(source),
        paid=col(paid).astype(float),
        step=step,
        window_days=col(window),
        target=col(target),
        capacity=col(target if capacity is None else capacity),
    )


def join(book: GroupBook, group, consumer, paid=80.0, category=1, source=3):
    consumer = np.atleast_1d(np.asarray(consumer))
    m = consumer.size
    return book.join(
        np.broadcast_to(np.asarray(group, dtype=np.int64), (m,)).copy(),
        consumer,
        np.full(m, category),
        np.full(m, source),
        np.broadcast_to(np.asarray(paid, dtype=float), (m,)).copy(),
    )


def close(book: GroupBook, step: int, ladder=NO_LADDER, base=BASE):
    return book.close(step, ladder[0], ladder[1], base)


def test_open_gives_running_ids_and_the_initiator_is_the_first_member():
    book = GroupBook()
    first = open_groups(book, [10, 11])
    second = open_groups(book, [12], step=1)
    assert first.tolist() == [0, 1] and second.tolist() == [2]
    assert len(book) == 3 and book.n_members == 3
    assert book.members.tolist() == [1, 1, 1]
    assert book.m_consumer.tolist() == [10, 11, 12]
    assert book.m_group.tolist() == [0, 1, 2]
    assert book.opened.tolist() == [0, 0, 1]
    assert book.rows(np.array([2, 0, 7])).tolist() == [2, 0, -1]


def test_window_sets_the_last_step_of_a_group():
    book = GroupBook()
    open_groups(book, [1, 2], step=4, window=np.array([1, 3]))
    # a one-day window closes at the end of the day it opened
    assert book.closes.tolist() == [4, 6]


def test_a_stranger_browsing_the_same_product_on_the_same_platform_finds_the_group():
    book = GroupBook()
    (gid,) = open_groups(book, [0], platform=1, product=5)
    place = book.match(np.array([1, 1, 0]), np.array([5, 6, 5]), rng(), n_products=10)
    # same platform and product: the group; another product or platform: nothing
    assert place.tolist() == [gid, -1, -1]
    assert place.dtype == np.int64


def test_match_does_not_take_the_place_join_does():
    book = GroupBook()
    (gid,) = open_groups(book, [0])
    for _ in range(2):
        assert book.match(np.array([0]), np.array([5]), rng(), 10).tolist() == [gid]
    assert join(book, [gid], [7]).tolist() == [True]
    assert book.members.tolist() == [2]
    assert book.match(np.array([0]), np.array([5]), rng(), 10).tolist() == [-1]


def test_match_hands_out_only_the_free_places():
    book = GroupBook()
    (gid,) = open_groups(book, [0], target=2, capacity=3)  # two free places
    for seed in range(20):
        place = book.match(np.zeros(5, int), np.full(5, 5), rng(seed), 10)
        assert (place == gid).sum() == 2 and (place == -1).sum() == 3
    # who gets the places is random
    winners = {
        tuple(np.flatnonzero(book.match(np.zeros(5, int), np.full(5, 5), rng(s), 10) >= 0))
        for s in range(50)
    }
    assert len(winners) > 3


def test_match_fills_the_oldest_group_first():
    book = GroupBook()
    (old,) = open_groups(book, [0], step=0, window=3, target=2, capacity=3)
    (new,) = open_groups(book, [1], step=1, window=3, target=2, capacity=3)
    for seed in range(10):
        place = book.match(np.zeros(2, int), np.full(2, 5), rng(seed), 10)
        assert place.tolist() == [old, old]
        place = book.match(np.zeros(3, int), np.full(3, 5), rng(seed), 10)
        assert sorted(place.tolist()) == [old, old, new]


def test_match_skips_a_full_group_that_has_not_closed_yet():
    book = GroupBook()
    (full,) = open_groups(book, [0], step=0, window=3, target=2)
    join(book, [full], [1])
    (room,) = open_groups(book, [2], step=1, window=3, target=2)
    place = book.match(np.zeros(3, int), np.full(3, 5), rng(), 10)
    assert sorted(place.tolist()) == [-1, -1, room]


def test_match_with_no_open_groups_or_no_buyers():
    book = GroupBook()
    assert book.match(np.array([0]), np.array([5]), rng(), 10).tolist() == [-1]
    open_groups(book, [0])
    assert book.match(np.array([], int), np.array([], int), rng(), 10).size == 0


def test_join_respects_capacity_in_the_given_order():
    book = GroupBook()
    (gid,) = open_groups(book, [0], target=2, capacity=3)
    joined = join(book, [gid], [4, 5, 6, 7], paid=np.array([1.0, 2.0, 3.0, 4.0]))
    assert joined.tolist() == [True, True, False, False]
    assert book.members.tolist() == [3]
    assert book.m_consumer.tolist() == [0, 4, 5]
    assert book.m_paid.tolist() == [80.0, 1.0, 2.0]
    assert join(book, [gid], [8]).tolist() == [False]


def test_join_over_several_groups_and_unknown_ids():
    book = GroupBook()
    a, b = open_groups(book, [0, 1], target=2)  # one free place each
    joined = join(book, np.array([b, a, 99, b, a]), [10, 11, 12, 13, 14])
    assert joined.tolist() == [True, True, False, False, False]
    assert book.members.tolist() == [2, 2]
    assert sorted(zip(book.m_group.tolist(), book.m_consumer.tolist(), strict=True)) == [
        (a, 0),
        (a, 11),
        (b, 1),
        (b, 10),
    ]


def test_a_two_person_group_completes_with_both_members_and_what_they_paid():
    book = GroupBook()
    (gid,) = open_groups(book, [3], window=3, paid=80.0, product=5, platform=1, category=2)
    join(book, [gid], [9], paid=79.5, category=2, source=7)
    closed = close(book, step=0)
    # full: ships the same day, before its window ends
    assert closed.group.tolist() == [gid]
    assert closed.completed.tolist() == [True]
    assert closed.size.tolist() == [2]
    assert closed.initiator.tolist() == [3]
    assert closed.platform.tolist() == [1] and closed.product.tolist() == [5]
    assert closed.member_group.tolist() == [0, 0]
    assert closed.consumer.tolist() == [3, 9]
    assert closed.paid.tolist() == [80.0, 79.5]
    assert closed.source.tolist() == [0, 7] and closed.category.tolist() == [2, 2]
    # no ladder and no price cut: the final price is what was paid
    assert closed.final_price.tolist() == [80.0, 79.5]
    assert len(book) == 0 and book.n_members == 0


def test_a_short_group_expires_at_the_end_of_its_window_and_refunds_everyone_in_full():
    book = GroupBook()
    (gid,) = open_groups(book, [3], window=2, target=3, paid=99.99)
    join(book, [gid], [4], paid=12.34)
    assert len(close(book, step=0).group) == 0  # window not over yet
    assert len(book) == 1 and book.n_members == 2
    closed = close(book, step=1)
    assert closed.group.tolist() == [gid]
    assert closed.completed.tolist() == [False]
    assert closed.size.tolist() == [2]
    assert closed.consumer.tolist() == [3, 4]
    # the refund is exactly what each paid; nothing ships
    assert closed.paid.tolist() == [99.99, 12.34]
    assert closed.final_price.tolist() == [0.0, 0.0]
    assert len(book) == 0 and book.n_members == 0


def test_a_closed_group_can_no_longer_be_joined():
    book = GroupBook()
    (gone,) = open_groups(book, [0], window=1)
    (still,) = open_groups(book, [1], window=2)
    close(book, step=0)
    assert book.group.tolist() == [still]
    assert join(book, [gone, still], [5, 6]).tolist() == [False, True]
    assert book.m_consumer.tolist() == [1, 6]


def test_joining_a_closed_group_when_no_group_is_open_is_turned_away():
    # regression: join used to raise IndexError on a book with no open group
    book = GroupBook()
    (gone,) = open_groups(book, [0], window=1)
    close(book, step=0)
    assert len(book) == 0
    # like any other id that is not open: not joined (False), the book unchanged
    assert join(book, [gone], [5]).tolist() == [False]
    assert book.n_members == 0


def test_an_initiator_alone_expires():
    book = GroupBook()
    open_groups(book, [3], window=1, paid=50.0)
    closed = close(book, step=0)
    assert closed.completed.tolist() == [False] and closed.paid.tolist() == [50.0]


def test_a_group_that_is_not_full_stays_open_until_its_window_ends():
    book = GroupBook()
    # no ladder, target 3: two members are not enough
    (short,) = open_groups(book, [0], window=3, target=3, product=1)
    join(book, [short], [1])
    # ladder: capacity 4 above target 2; reaching the target is not enough to close early
    (ladder,) = open_groups(book, [2], window=3, target=2, capacity=4, product=2)
    join(book, [ladder], [3])
    for step in (0, 1):
        closed = close(book, step)
        assert closed.group.size == 0
        assert book.group.tolist() == [short, ladder]
    closed = close(book, step=2)
    assert closed.group.tolist() == [short, ladder]
    assert closed.completed.tolist() == [False, True]


def test_a_group_completes_the_day_it_fills_even_if_that_is_late_in_its_window():
    book = GroupBook()
    (gid,) = open_groups(book, [0], step=0, window=5, target=2)
    assert close(book, step=0).group.size == 0
    assert close(book, step=1).group.size == 0
    join(book, [gid], [1])
    closed = close(book, step=2)
    assert closed.completed.tolist() == [True] and closed.size.tolist() == [2]


LADDER = (
    [np.array([3, 4]), np.array([])],
    [np.array([0.3, 0.4]), np.array([])],
)


def ladder_group(book, members: int, step: int = 0):
    """A group on platform 0 (target 2, capacity 4) with `members` members paying 80."""
    (gid,) = open_groups(book, [0], step=step, window=2, target=2, capacity=4, paid=80.0)
    join(book, [gid], np.arange(1, members), paid=80.0)
    return gid


def test_a_full_ladder_group_ships_at_once_at_the_deepest_step():
    book = GroupBook()
    ladder_group(book, 4)
    closed = close(book, step=0, ladder=LADDER)
    # paid 80 at the base group price (20 % off 100); 40 % off is 60
    assert closed.completed.tolist() == [True]
    assert closed.final_price == pytest.approx([60.0] * 4)
    assert closed.paid.tolist() == [80.0] * 4


def test_the_price_ladder_lowers_the_final_price_for_bigger_groups():
    finals = {}
    for members in (2, 3, 4):
        book = GroupBook()
        ladder_group(book, members)
        closed = close(book, step=1, ladder=LADDER)
        assert closed.completed.tolist() == [True]
        assert closed.size.tolist() == [members]
        finals[members] = closed.final_price
    # 80 at the base discount; 30 % off 100 is 70; 40 % off is 60
    assert finals[2] == pytest.approx([80.0] * 2)
    assert finals[3] == pytest.approx([70.0] * 3)
    assert finals[4] == pytest.approx([60.0] * 4)


def test_the_ladder_of_one_platform_does_not_apply_to_another():
    book = GroupBook()
    (gid,) = open_groups(book, [0], platform=1, window=1, target=2, capacity=4, paid=90.0)
    join(book, [gid], [1, 2], paid=90.0)
    closed = close(book, step=0, ladder=LADDER)
    # platform 1 has no ladder: three members still pay the base group price
    assert closed.completed.tolist() == [True]
    assert closed.final_price == pytest.approx([90.0] * 3)


def test_a_kanjia_cut_lowers_only_the_initiators_final_price():
    book = GroupBook()
    a, b = open_groups(book, [0, 1], window=1, paid=80.0)
    join(book, [a, b], [2, 3], paid=80.0)
    book.add_price_cut(np.array([a, 99]), np.array([0.25, 0.5]))  # 99 is not open: ignored
    assert book.kanjia.tolist() == [0.25, 0.0]
    closed = close(book, step=0)
    final = dict(zip(closed.consumer.tolist(), closed.final_price.tolist(), strict=True))
    assert final == pytest.approx({0: 60.0, 2: 80.0, 1: 80.0, 3: 80.0})


def test_kanjia_and_ladder_combine():
    book = GroupBook()
    gid = ladder_group(book, 3)
    book.add_price_cut(np.array([gid]), np.array([0.1]))
    closed = close(book, step=1, ladder=LADDER)
    # ladder to 70, then 10 % off for the initiator
    assert closed.consumer.tolist() == [0, 1, 2]
    assert closed.final_price == pytest.approx([63.0, 70.0, 70.0])


def test_a_price_cut_on_an_expired_group_refunds_in_full_nothing_more():
    book = GroupBook()
    (gid,) = open_groups(book, [0], window=1, target=2, paid=80.0)
    book.add_price_cut(np.array([gid]), np.array([0.3]))
    closed = close(book, step=0)
    assert closed.completed.tolist() == [False]
    assert closed.paid.tolist() == [80.0] and closed.final_price.tolist() == [0.0]


def test_close_maps_every_member_to_its_group_and_keeps_the_rest_open():
    book = GroupBook()
    done, short, later = open_groups(
        book,
        [0, 1, 2],
        window=np.array([1, 1, 4]),
        target=np.array([2, 3, 3]),
        product=np.array([5, 6, 7]),
    )
    # members arrive interleaved across the groups
    join(book, np.array([later, done, short]), [10, 11, 12], paid=np.array([1.0, 2.0, 3.0]))
    closed = close(book, step=0)
    assert closed.group.tolist() == [done, short]
    assert closed.completed.tolist() == [True, False]
    assert closed.product.tolist() == [5, 6]
    group_of = closed.group[closed.member_group]
    members = sorted(zip(group_of.tolist(), closed.consumer.tolist(), strict=True))
    assert members == [(done, 0), (done, 11), (short, 1), (short, 12)]
    paid = dict(zip(closed.consumer.tolist(), closed.paid.tolist(), strict=True))
    assert paid == {0: 80.0, 11: 2.0, 1: 80.0, 12: 3.0}
    # the group whose window runs on stays open with its members
    assert book.group.tolist() == [later]
    assert book.members.tolist() == [2]
    assert sorted(book.m_consumer.tolist()) == [2, 10]
    assert set(book.m_group.tolist()) == {later}


def test_closed_groups_dtypes_and_an_empty_close():
    book = GroupBook()
    closed = close(book, step=0)
    assert closed.group.size == 0 and closed.consumer.size == 0
    (gid,) = open_groups(book, [0], window=1)
    join(book, [gid], [1])
    closed = close(book, step=0)
    assert closed.group.dtype == np.int64
    assert closed.platform.dtype == np.int8
    assert closed.product.dtype == np.int32 and closed.initiator.dtype == np.int32
    assert closed.member_group.dtype == np.int64
    assert closed.consumer.dtype == np.int32
    assert closed.category.dtype == np.int16 and closed.source.dtype == np.int8
    assert closed.paid.dtype == np.float64 and closed.final_price.dtype == np.float64
    assert closed.completed.dtype == bool


def test_ids_stay_unique_after_groups_close():
    book = GroupBook()
    open_groups(book, [0, 1], window=1)
    close(book, step=0)
    (gid,) = open_groups(book, [2], step=1)
    assert gid == 2
    assert book.rows(np.array([0, 1, 2])).tolist() == [-1, -1, 0]


# ---------------------------------------------------------------- the joint decision


def pinduoduo_sales(discount: float, decision: str) -> tuple[int, int]:
    """Pinduoduo's orders and all group orders over 25 days of a 5,000-consumer world."""
    from socialsim import ModelConfig, SocialCommerceModel

    config = ModelConfig().with_overrides(
        {
            "population.n_consumers": 5_000,
            "behaviour.conversion.group_decision": decision,
            "platforms.pinduoduo.group_buying.discount": discount,
            # premium brands take any cut, so Pinduoduo's assortment is the same at every
            # discount (they keep off it when its group price undercuts their limit)
            "brands.premium.max_discount": 1.0,
        }
    )
    model = SocialCommerceModel(config, rng=3)
    model.run(25)
    platforms = model.platform_metrics().groupby("platform", observed=True)["orders"].sum()
    return int(platforms["pinduoduo"]), int(model.step_metrics()["orders_group"].sum())


def test_a_deeper_group_discount_wins_pinduoduo_sales_in_the_joint_decision():
    # common random numbers: one seed, only the discount differs
    shallow, middle, deep = (pinduoduo_sales(d, "joint") for d in (0.1, 0.25, 0.4))
    assert deep[0] > middle[0] > shallow[0]  # Pinduoduo's orders
    assert deep[1] > middle[1] > shallow[1]  # group orders
    assert deep[0] > 1.5 * shallow[0]


def test_when_the_decision_sees_only_the_solo_price_the_discount_barely_sells():
    # what the joint decision replaced: deeper discounts did not win Pinduoduo's orders
    shallow, deep = pinduoduo_sales(0.1, "after"), pinduoduo_sales(0.4, "after")
    joint_shallow, joint_deep = pinduoduo_sales(0.1, "joint"), pinduoduo_sales(0.4, "joint")
    assert deep[0] / shallow[0] < 1.2 < joint_deep[0] / joint_shallow[0]


def test_completion_chance_grows_with_friends_and_traffic():
    from socialsim import ModelConfig, SocialCommerceModel

    config = ModelConfig.small(2_000).with_overrides(
        {"behaviour.conversion.group_decision": "joint"}
    )
    group_buying = SocialCommerceModel(config, rng=1).group_buying
    p = int(np.flatnonzero(group_buying.enabled)[0])
    group_buying.need_share[p, 0] = 0.1
    degree = group_buying.degree
    few, many = int(np.argmin(degree)), int(np.argmax(degree))
    assert degree[many] > degree[few]
    consumers, platforms = np.array([few, many]), np.array([p, p])
    chance = group_buying.completion_chance(consumers, platforms, np.zeros(2, int))
    assert 0 < chance[0] < chance[1] < 1
    before = chance[1]
    group_buying.traffic[p, 0] = 1.0
    after = group_buying.completion_chance(np.array([many]), np.array([p]), np.zeros(1, int))[0]
    assert after > before
    np.testing.assert_allclose(1 - after, (1 - before) * np.exp(-1.0), rtol=1e-9)
