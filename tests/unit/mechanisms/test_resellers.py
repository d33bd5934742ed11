"""Micro-store resellers on hand-built trees and graphs: known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from socialsim.mechanisms.resellers import ResellerTree, commission_flows, recruitment_attempts


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def chain(length: int, n: int | None = None) -> ResellerTree:
    """Owners 0 <- 1 <- ... <- length-1, each recruited by the previous one."""
    tree = ResellerTree.initial(n or length, founders=np.array([0]))
    for i in range(1, length):
        tree.add_owners(np.array([i]), np.array([i - 1]), step=i)
    return tree


def csr(n: int, edges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric CSR structure of an undirected edge list."""
    rows = [a for a, b in edges] + [b for a, b in edges]
    cols = [b for a, b in edges] + [a for a, b in edges]
    m = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    return m.indptr, m.indices


def attempts(tree, edges, *, attempt_rate=1.0, accept_prob=1.0, eligible=None, seed=0):
    indptr, indices = csr(tree.is_owner.size, edges)
    return recruitment_attempts(
        tree,
        indptr,
        indices,
        attempt_rate=attempt_rate,
        accept_prob=accept_prob,
        eligible=eligible,
        rng=rng(seed),
    )


# --- commission --------------------------------------------------------------------------------

RATES = [0.10, 0.05, 0.02, 0.01, 0.005]


def test_commission_never_flows_beyond_max_levels():
    parent = chain(5).parent  # 4 sells; its line is 3, 2, 1, 0
    who, paid, level = commission_flows(np.array([4]), np.array([200.0]), parent, RATES, 2)
    assert who.tolist() == [4, 3]
    assert paid.tolist() == [20.0, 10.0]
    assert level.tolist() == [1, 2]


def test_commission_is_capped_by_the_number_of_rates():
    parent = chain(5).parent
    who, paid, _ = commission_flows(np.array([4]), np.array([100.0]), parent, [0.1, 0.05], 10)
    assert who.tolist() == [4, 3]
    assert paid == pytest.approx([10.0, 5.0])


def test_commission_stops_at_the_founder():
    parent = chain(5).parent
    seller = np.array([1, 4, 0])
    amount = np.array([100.0, 1000.0, 50.0])
    who, paid, level = commission_flows(seller, amount, parent, RATES, 5)
    # level by level, in sale order within a level
    assert who.tolist() == [1, 4, 0, 0, 3, 2, 1, 0]
    assert level.tolist() == [1, 1, 1, 2, 2, 3, 4, 5]
    assert paid == pytest.approx([10.0, 100.0, 5.0, 5.0, 50.0, 20.0, 10.0, 5.0])
    totals = np.bincount(who, weights=paid, minlength=5)
    assert totals == pytest.approx([5.0 + 5.0 + 5.0, 10.0 + 10.0, 20.0, 50.0, 100.0])


def test_one_level_pays_only_the_seller():
    parent = chain(3).parent
    who, paid, level = commission_flows(np.array([2, 1]), np.array([10.0, 20.0]), parent, RATES, 1)
    assert who.tolist() == [2, 1]
    assert paid == pytest.approx([1.0, 2.0])
    assert level.tolist() == [1, 1]


def test_commission_edge_cases():
    parent = chain(3).parent
    who, paid, level = commission_flows(np.array([2]), np.array([10.0]), parent, RATES, 0)
    assert who.size == paid.size == level.size == 0
    who, _, _ = commission_flows(np.array([], int), np.array([]), parent, RATES, 3)
    assert who.size == 0
    with pytest.raises(ValueError, match="max_levels"):
        commission_flows(np.array([2]), np.array([10.0]), parent, RATES, -1)
    with pytest.raises(ValueError, match="rates"):
        commission_flows(np.array([2]), np.array([10.0]), parent, [0.1, -0.1], 2)
    with pytest.raises(ValueError, match="seller"):
        commission_flows(np.array([3]), np.array([10.0]), parent, RATES, 2)


# --- the tree ----------------------------------------------------------------------------------


def test_initial_tree():
    tree = ResellerTree.initial(5, founders=np.array([1, 3]))
    assert tree.is_owner.tolist() == [False, True, False, True, False]
    assert tree.parent.tolist() == [-1] * 5
    assert tree.root.tolist() == [-1, 1, -1, 3, -1]
    assert tree.level.tolist() == [0, 1, 0, 1, 0]
    assert tree.joined_step.tolist() == [-1, 0, -1, 0, -1]
    assert tree.n_owners == 2
    assert tree.parent.dtype == np.int32 and tree.level.dtype == np.int16


def test_add_owners_builds_a_multi_level_chain():
    tree = ResellerTree.initial(8, founders=np.array([0]))
    tree.add_owners(np.array([1, 2]), np.array([0, 0]), step=3)
    tree.add_owners(np.array([5, 3, 6]), np.array([1, 2, -1]), step=4)  # 6 is a new founder
    tree.add_owners(np.array([4]), np.array([3]), step=7)
    assert tree.parent.tolist() == [-1, 0, 0, 2, 3, 1, -1, -1]
    assert tree.root.tolist() == [0, 0, 0, 0, 0, 0, 6, -1]
    assert tree.level.tolist() == [1, 2, 2, 3, 4, 3, 1, 0]
    assert tree.joined_step.tolist() == [0, 3, 3, 4, 7, 4, 4, -1]
    assert tree.n_owners == 7


def test_add_owners_rejects_bad_recruitment():
    tree = chain(3, n=6)
    with pytest.raises(ValueError, match="already owners"):
        tree.add_owners(np.array([2]), np.array([0]), step=5)
    with pytest.raises(ValueError, match="not owners"):
        tree.add_owners(np.array([4]), np.array([5]), step=5)
    # a recruit of this very batch cannot recruit yet
    with pytest.raises(ValueError, match="not owners"):
        tree.add_owners(np.array([3, 4]), np.array([0, 3]), step=5)
    with pytest.raises(ValueError, match="repeat"):
        tree.add_owners(np.array([4, 4]), np.array([0, 1]), step=5)
    with pytest.raises(ValueError, match="equal length"):
        tree.add_owners(np.array([4]), np.array([0, 1]), step=5)
    with pytest.raises(ValueError, match="new"):
        tree.add_owners(np.array([6]), np.array([0]), step=5)
    # nothing was changed by the rejected calls
    assert tree.n_owners == 3
    assert tree.parent.tolist() == [-1, 0, 1, -1, -1, -1]


def test_tree_sizes():
    tree = ResellerTree.initial(10, founders=np.array([7, 2]))
    tree.add_owners(np.array([0, 1]), np.array([2, 2]), step=1)
    tree.add_owners(np.array([3]), np.array([0]), step=2)
    roots, participants, levels = tree.tree_sizes()
    assert roots.tolist() == [2, 7]
    assert participants.tolist() == [4, 1]
    assert levels.tolist() == [3, 1]
    empty = ResellerTree.initial(3, founders=np.array([], int))
    assert [a.size for a in empty.tree_sizes()] == [0, 0, 0]


def pyramid(participants: int, levels: int, n: int = 100) -> ResellerTree:
    """One tree rooted at 0: a spine of `levels` owners, the rest recruited by the founder."""
    tree = chain(levels, n=n)
    rest = np.arange(levels, participants)
    tree.add_owners(rest, np.zeros(rest.size, int), step=levels)
    return tree


@pytest.mark.parametrize(
    ("participants", "levels", "flagged"),
    [(30, 3, True), (29, 3, False), (30, 2, False), (31, 5, True), (29, 2, False)],
)
def test_pyramid_threshold_is_exact(participants, levels, flagged):
    tree = pyramid(participants, levels)
    _, size, depth = tree.tree_sizes()
    assert size.tolist() == [participants] and depth.tolist() == [levels]
    assert tree.pyramid_trees().tolist() == ([0] if flagged else [])


def test_pyramid_flags_only_the_trees_that_qualify():
    tree = pyramid(30, 3, n=100)
    tree.add_owners(np.arange(50, 80), np.full(30, -1), step=9)  # 30 lone founders
    tree.add_owners(np.array([90]), np.array([50]), step=10)
    assert tree.pyramid_trees().tolist() == [0]
    assert tree.pyramid_trees(min_levels=2, min_participants=2).tolist() == [0, 50]
    with pytest.raises(ValueError, match="min_levels"):
        tree.pyramid_trees(min_levels=0)


def test_deepest_root():
    empty = ResellerTree.initial(4, founders=np.array([], int))
    assert empty.deepest_root() == -1
    assert empty.depth() == 0
    tree = ResellerTree.initial(10, founders=np.array([5, 1]))
    assert tree.deepest_root() == 1  # tie: lowest founder
    tree.add_owners(np.array([6]), np.array([5]), step=1)
    assert tree.deepest_root() == 5
    tree.add_owners(np.array([2, 7]), np.array([1, 6]), step=2)  # 1-2 and 5-6-7
    assert tree.deepest_root() == 5
    tree.add_owners(np.array([3, 4]), np.array([2, 2]), step=3)  # 1-2-3, 1-2-4
    assert tree.deepest_root() == 1  # both trees have 3 levels: lowest founder
    tree.add_owners(np.array([0]), np.array([3]), step=4)
    assert tree.deepest_root() == 1
    assert tree.depth() == 4


# --- recruitment -------------------------------------------------------------------------------


def test_recruitment_targets_only_eligible_non_owner_strong_ties():
    # owners 0 and 1; 0 is tied to 2 (eligible), 3 (not eligible) and 1 (an owner);
    # 4 is eligible but tied to nobody who owns a store; 5 is tied to 1 and eligible.
    tree = ResellerTree.initial(7, founders=np.array([0, 1]))
    edges = [(0, 2), (0, 3), (0, 1), (1, 5), (4, 6)]
    eligible = np.array([True, True, True, False, True, True, True])
    seen = set()
    for seed in range(200):
        recruits, recruiters = attempts(tree, edges, eligible=eligible, seed=seed)
        pairs = set(zip(recruits.tolist(), recruiters.tolist(), strict=True))
        assert pairs <= {(2, 0), (5, 1)}
        seen |= pairs
    assert seen == {(2, 0), (5, 1)}
    # with 1's tie to 0 gone, 5 is 1's only friend: with certain attempts and acceptance it joins
    edges = [(0, 2), (0, 3), (1, 5), (4, 6)]
    for seed in range(20):
        recruits, recruiters = attempts(tree, edges, eligible=eligible, seed=seed)
        assert recruits.tolist() in ([5], [2, 5])
        assert recruiters[-1] == 1


def test_each_recruit_gets_exactly_one_recruiter():
    # a star: leaves 1..6 own stores, all pitch the centre 0
    tree = ResellerTree.initial(7, founders=np.arange(1, 7))
    edges = [(0, i) for i in range(1, 7)]
    winners = []
    for seed in range(600):
        recruits, recruiters = attempts(tree, edges, seed=seed)
        assert recruits.tolist() == [0] and recruiters.size == 1
        winners.append(int(recruiters[0]))
    counts = np.bincount(winners, minlength=7)[1:]
    # each leaf wins about 1/6 of the time (expected 100, sd about 9)
    assert counts.min() > 60 and counts.max() < 140


def test_star_with_owner_at_the_centre_recruits_one_leaf_a_day():
    tree = ResellerTree.initial(6, founders=np.array([0]))
    edges = [(0, i) for i in range(1, 6)]
    recruits, recruiters = attempts(tree, edges)
    assert recruits.size == 1 and 1 <= recruits[0] <= 5
    assert recruiters.tolist() == [0]


def test_star_with_every_leaf_an_owner_pitching_an_eligible_centre():
    # centre 0 is the only non-owner; leaves 1..4 recruit it; leaf 5 has no ties and skips
    tree = ResellerTree.initial(6, founders=np.arange(1, 6))
    recruits, recruiters = attempts(tree, [(0, i) for i in range(1, 5)])
    assert recruits.tolist() == [0]
    assert recruiters[0] in (1, 2, 3, 4)


def test_no_attempts_no_acceptance_no_recruits():
    tree = ResellerTree.initial(5, founders=np.array([0]))
    edges = [(0, i) for i in range(1, 5)]
    for seed in range(20):
        assert attempts(tree, edges, attempt_rate=0.0, seed=seed)[0].size == 0
        assert attempts(tree, edges, accept_prob=0.0, seed=seed)[0].size == 0
        per_consumer = np.array([1.0, 0.0, 0.0, 0.0, 0.0])
        assert attempts(tree, edges, accept_prob=per_consumer, seed=seed)[0].size == 0
    assert attempts(tree, edges, eligible=np.zeros(5, bool))[0].size == 0


def test_recruitment_does_not_modify_the_tree_and_feeds_add_owners():
    tree = ResellerTree.initial(5, founders=np.array([0]))
    edges = [(0, 1), (1, 2)]
    recruits, recruiters = attempts(tree, edges)
    assert tree.n_owners == 1
    tree.add_owners(recruits, recruiters, step=1)
    assert tree.parent.tolist() == [-1, 0, -1, -1, -1]
    # 0's only friend is now an owner; 1 pitches 0 (an owner: nothing) or 2 (joins)
    outcomes = set()
    for seed in range(50):
        recruits, recruiters = attempts(tree, edges, seed=seed)
        outcomes.add((tuple(recruits.tolist()), tuple(recruiters.tolist())))
    assert outcomes == {((), ()), ((2,), (1,))}


def test_accept_prob_rate_is_respected():
    # one owner, one friend, accept 0.3: about 30 % of days recruit
    tree = ResellerTree.initial(2, founders=np.array([0]))
    hits = sum(attempts(tree, [(0, 1)], accept_prob=0.3, seed=s)[0].size for s in range(2000))
    assert abs(hits / 2000 - 0.3) < 0.04


def test_same_seed_same_output():
    g = np.random.default_rng(42)
    n = 300
    edges = list({(int(a), int(b)) for a, b in g.integers(0, n, (900, 2)) if a != b})
    tree = ResellerTree.initial(n, founders=np.arange(0, n, 7))
    accept = g.random(n)
    eligible = g.random(n) < 0.8
    kw = {"attempt_rate": 0.6, "accept_prob": accept, "eligible": eligible}
    a = attempts(tree, edges, seed=3, **kw)
    b = attempts(tree, edges, seed=3, **kw)
    assert a[0].size > 0
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert np.unique(a[0]).size == a[0].size
    assert not tree.is_owner[a[0]].any() and tree.is_owner[a[1]].all()
    assert eligible[a[0]].all()


def test_recruitment_validates_inputs():
    tree = ResellerTree.initial(3, founders=np.array([0]))
    with pytest.raises(ValueError, match="attempt_rate"):
        attempts(tree, [(0, 1)], attempt_rate=1.5)
    with pytest.raises(ValueError, match="accept_prob"):
        attempts(tree, [(0, 1)], accept_prob=np.ones(2))
    with pytest.raises(ValueError, match="eligible"):
        attempts(tree, [(0, 1)], eligible=np.ones(4, bool))
    with pytest.raises(ValueError, match="strong_indptr"):
        recruitment_attempts(
            tree,
            np.array([0, 1]),
            np.array([0]),
            attempt_rate=1.0,
            accept_prob=1.0,
            eligible=None,
            rng=rng(),
        )


# --- per-consumer attempt rates ----------------------------------------------------------------


def test_per_consumer_attempt_rate_lets_only_some_owners_pitch():
    # owners 0 and 1, each with one non-owner friend (2 and 3)
    tree = ResellerTree.initial(4, founders=np.array([0, 1]))
    edges = [(0, 2), (1, 3)]
    rate = np.array([1.0, 0.0, 0.0, 0.0])
    for seed in range(30):
        recruits, recruiters = attempts(tree, edges, attempt_rate=rate, seed=seed)
        assert recruits.tolist() == [2] and recruiters.tolist() == [0]
    rate = np.array([0.0, 1.0, 0.0, 0.0])
    recruits, recruiters = attempts(tree, edges, attempt_rate=rate)
    assert recruits.tolist() == [3] and recruiters.tolist() == [1]


def test_only_the_owners_entries_of_a_per_consumer_rate_are_used():
    tree = ResellerTree.initial(4, founders=np.array([0, 1]))
    edges = [(0, 2), (1, 3)]
    # non-owners 2 and 3 would "pitch" at rate 1, but they own no store
    rate = np.array([0.0, 0.0, 1.0, 1.0])
    for seed in range(20):
        assert attempts(tree, edges, attempt_rate=rate, seed=seed)[0].size == 0


def test_per_consumer_attempt_rate_is_respected():
    # 4,000 owners, each with one friend of its own who always accepts;
    # even owners pitch at 0.2, odd ones at 0.7
    m = 4000
    tree = ResellerTree.initial(2 * m, founders=np.arange(m))
    rate = np.ones(2 * m)
    rate[:m:2], rate[1:m:2] = 0.2, 0.7
    recruits, recruiters = attempts(tree, [(i, m + i) for i in range(m)], attempt_rate=rate)
    assert np.array_equal(recruits, recruiters + m)
    assert (recruiters % 2 == 0).sum() / (m / 2) == pytest.approx(0.2, abs=0.04)
    assert (recruiters % 2 == 1).sum() / (m / 2) == pytest.approx(0.7, abs=0.04)


def test_per_consumer_attempt_rate_is_validated():
    tree = ResellerTree.initial(3, founders=np.array([0]))
    with pytest.raises(ValueError, match="attempt_rate"):
        attempts(tree, [(0, 1)], attempt_rate=np.ones(4))
    with pytest.raises(ValueError, match="attempt_rate"):
        attempts(tree, [(0, 1)], attempt_rate=np.ones((3, 1)))
    # out of range, even for a non-owner
    with pytest.raises(ValueError, match="attempt_rate"):
        attempts(tree, [(0, 1)], attempt_rate=np.array([0.5, 0.5, -0.1]))


# --- accept_prob as a callable -----------------------------------------------------------------


def test_callable_accept_prob_sees_each_pitch_as_candidate_and_recruiter():
    tree = ResellerTree.initial(8, founders=np.array([0, 1, 2]))
    edges = [(0, 3), (0, 4), (1, 5), (2, 6), (1, 2), (7, 3)]
    ties = {frozenset(e) for e in edges}
    calls = []

    def accept(candidate, recruiter):
        calls.append((candidate.copy(), recruiter.copy()))
        return np.full(candidate.shape, 0.5)

    for seed in range(20):
        attempts(tree, edges, accept_prob=accept, seed=seed)
    assert len(calls) == 20
    for candidate, recruiter in calls:
        # every owner pitches at rate 1 and all have strong ties: one pitch each
        assert sorted(recruiter.tolist()) == [0, 1, 2]
        assert candidate.shape == recruiter.shape
        for c, r in zip(candidate.tolist(), recruiter.tolist(), strict=True):
            assert frozenset((c, r)) in ties


def test_callable_accept_prob_can_depend_on_the_recruiter():
    # a star: leaves 1..6 own stores and all pitch the centre 0, who accepts only leaf 4
    tree = ResellerTree.initial(7, founders=np.arange(1, 7))
    edges = [(0, i) for i in range(1, 7)]

    def only_four(candidate, recruiter):
        return (recruiter == 4).astype(float)

    for seed in range(30):
        recruits, recruiters = attempts(tree, edges, accept_prob=only_four, seed=seed)
        assert recruits.tolist() == [0] and recruiters.tolist() == [4]


def test_callable_accept_prob_rate_is_respected():
    # 2,000 owners, each pitching its one friend, who accepts with probability 0.3
    m = 2000
    tree = ResellerTree.initial(2 * m, founders=np.arange(m))

    def accept(candidate, recruiter):
        return np.full(candidate.size, 0.3)

    recruits, _ = attempts(tree, [(i, m + i) for i in range(m)], accept_prob=accept)
    assert recruits.size / m == pytest.approx(0.3, abs=0.04)


def test_callable_accept_prob_does_not_override_owners_or_eligibility():
    # 0 is tied to owner 1 and to 2, who is not eligible; everyone would accept
    tree = ResellerTree.initial(3, founders=np.array([0, 1]))
    eligible = np.array([True, True, False])

    def always(candidate, recruiter):
        return np.ones(candidate.size)

    for seed in range(20):
        recruits, _ = attempts(
            tree, [(0, 1), (0, 2)], accept_prob=always, eligible=eligible, seed=seed
        )
        assert recruits.size == 0


def test_callable_accept_prob_must_return_one_probability_per_pitch():
    tree = ResellerTree.initial(3, founders=np.array([0]))
    edges = [(0, 1), (0, 2)]
    bad = [
        lambda c, r: np.ones(c.size + 1),  # too many
        lambda c, r: np.full(c.size, 1.5),  # above 1
        lambda c, r: np.full(c.size, -0.5),  # below 0
    ]
    for accept in bad:
        with pytest.raises(ValueError, match="accept_prob"):
            attempts(tree, edges, accept_prob=accept)


# --- depth -------------------------------------------------------------------------------------


def test_depth_is_the_deepest_level_of_any_tree():
    assert ResellerTree.initial(0, founders=np.array([], int)).depth() == 0
    assert ResellerTree.initial(5, founders=np.array([], int)).depth() == 0
    assert ResellerTree.initial(5, founders=np.array([0, 3])).depth() == 1
    assert chain(6).depth() == 6
    tree = chain(3, n=10)  # 0 <- 1 <- 2
    tree.add_owners(np.array([5]), np.array([-1]), step=3)
    tree.add_owners(np.array([6]), np.array([5]), step=4)
    tree.add_owners(np.array([7]), np.array([6]), step=5)
    tree.add_owners(np.array([8]), np.array([7]), step=6)  # 5 <- 6 <- 7 <- 8
    assert tree.depth() == 4
    assert tree.depth() == tree.tree_sizes()[2].max()
    tree.add_owners(np.array([3]), np.array([0]), step=7)  # a shallow branch changes nothing
    assert tree.depth() == 4


def test_refusals_name_each_refusing_friend_and_an_owner_it_turned_down():
    # owner 0 pitches its only friend 1, who refuses; owner 2's friend 3 accepts
    tree = ResellerTree.initial(4, founders=np.array([0, 2]))
    indptr, indices = csr(4, [(0, 1), (2, 3)])
    refusals = []
    recruits, _ = recruitment_attempts(
        tree,
        indptr,
        indices,
        attempt_rate=1.0,
        accept_prob=np.array([0.0, 0.0, 0.0, 1.0]),
        eligible=None,
        rng=rng(0),
        refusals=refusals,
    )
    assert recruits.tolist() == [3]
    ((refused, owner),) = refusals
    assert refused.tolist() == [1] and owner.tolist() == [0]
