"""Random streams keyed by purpose and day, and counter-based keyed uniforms."""

import numpy as np
import pytest
from scipy import stats

from socialsim.streams import (
    EnsembleStreams,
    KeyedDraws,
    RandomStreams,
    distinct_keys,
    extend_keys,
    mix_keys,
)


def streams(seed: int = 1) -> RandomStreams:
    return RandomStreams(np.random.SeedSequence(seed))


def test_a_purpose_and_day_give_the_same_numbers_whatever_was_drawn_before():
    quiet, busy = streams(), streams()
    busy.generator("other", 4).random(1000)  # another purpose drew first
    busy.generator("needs", 3).random(10)  # the same purpose, another day
    a = quiet.generator("needs", 4).random(5)
    b = busy.generator("needs", 4).random(5)
    assert (a == b).all()


def test_purposes_days_and_seeds_give_different_numbers():
    base = streams().generator("needs", 4).random(4)
    assert not (streams().generator("needs", 5).random(4) == base).any()
    assert not (streams().generator("feeds", 4).random(4) == base).any()
    assert not (streams(2).generator("needs", 4).random(4) == base).any()


def test_a_stream_asked_for_twice_on_a_day_continues():
    s = streams()
    first = s.generator("needs", 4).random(3)
    second = s.generator("needs", 4).random(3)
    assert not np.isin(second, first).any()
    s.begin_day()
    assert (s.generator("needs", 4).random(3) == first).all()  # a new day starts it again


def test_a_keyed_number_depends_on_the_item_alone():
    key = mix_keys(np.arange(1000), 7)
    everyone = streams().uniform("decide", 9, key)
    some = np.array([3, 500, 999])
    assert (streams().uniform("decide", 9, key[some[::-1]]) == everyone[some[::-1]]).all()
    assert not (streams().uniform("decide", 10, key) == everyone).any()
    assert not (streams().uniform("join", 9, key) == everyone).any()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_keyed_numbers_are_uniform_and_independent_of_neighbours(dtype):
    u = streams(3).uniform("decide", 1, mix_keys(np.arange(200_000)), dtype)
    assert u.dtype == dtype and u.min() >= 0 and u.max() < 1
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # consecutive keys are not correlated
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01


def test_generator_numbers_are_uniform():
    u = streams(4).generator("x", 2).random(100_000)
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_distinct_keys_keep_first_occurrences_and_separate_repeats():
    rng = np.random.default_rng(0)
    for _ in range(300):
        key = mix_keys(rng.integers(0, rng.integers(1, 40), rng.integers(0, 80)))
        out = distinct_keys(key)
        assert len(set(out.tolist())) == out.size
        _, first = np.unique(key, return_index=True)
        assert (out[first] == key[first]).all()


def test_keyed_draws_give_fresh_numbers_per_call_and_check_the_size():
    draws = KeyedDraws(streams(), "search", 1, mix_keys(np.arange(4)))
    first, second = draws.random(4), draws.random(4)
    assert not np.isin(first, second).any()
    with pytest.raises(ValueError, match="one number per item"):
        draws.random(3)


def test_mix_keys_tells_tuples_apart():
    a = mix_keys(np.array([1, 2]), np.array([2, 1]))
    assert a[0] != a[1]
    with pytest.raises(ValueError):
        mix_keys()


def _splitmix_reference(z):
    """SplitMix64's finaliser as its paper writes it, one whole-array pass per operation."""
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps, as it should
        return _splitmix_steps(np.asarray(z, dtype=np.uint64))


def _splitmix_steps(z):
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = z ^ (z >> np.uint64(30))
    z = z * np.uint64(0xBF58476D1CE4E5B9)
    z = z ^ (z >> np.uint64(27))
    z = z * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@pytest.mark.parametrize("size", [0, 1, 1000, 40_000, (1 << 16) + 7, 300_000])
def test_splitmix_in_blocks_is_the_plain_finaliser(size):
    from socialsim.streams import _splitmix

    z = np.random.default_rng(size).integers(0, 2**63, size, dtype=np.int64).view(np.uint64)
    want = _splitmix_reference(z)
    got = _splitmix(z)
    assert got is not z and np.array_equal(got, want)
    copy = z.copy()
    assert _splitmix(copy, inplace=True) is copy and np.array_equal(copy, want)
    table = z[: size - size % 2].reshape(-1, 2) if size > 1 else z.reshape(-1, 1)
    assert np.array_equal(_splitmix(table), _splitmix_reference(table))
    assert np.array_equal(
        _splitmix(np.uint64(5) + np.zeros((), np.uint64)), _splitmix_reference(np.uint64(5))
    )


# ----------------------------------------------------------------- batched ensembles

SEEDS = (3, 4, 5)


def ensemble() -> EnsembleStreams:
    return EnsembleStreams([streams(seed) for seed in SEEDS])


def interleaved_runs(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, len(SEEDS), n)


def test_an_ensemble_s_keyed_numbers_are_each_run_s_own():
    run = interleaved_runs(3_000)
    ids = np.arange(run.size) % 500  # the same local ids in every run
    key = mix_keys(ids, 7)
    for dtype in (np.float64, np.float32):
        u = ensemble().uniform("decide", 9, key, run=run, dtype=dtype)
        for k, seed in enumerate(SEEDS):
            alone = streams(seed).uniform("decide", 9, key[run == k], dtype)
            assert np.array_equal(u[run == k], alone)
        # the runs differ, so a mix-up of bases would show
        assert not np.array_equal(u[run == 0][:100], u[run == 1][:100])


def test_an_ensemble_s_sequential_draws_are_each_run_s_own_in_its_items_order():
    run = interleaved_runs(2_000)
    both = ensemble()
    first = both.by_run("needs/open", 2, run, lambda g, n: g.random(n, dtype=np.float32))
    again = both.by_run("needs/open", 2, run, lambda g, n: g.integers(0, 9, (n, 2)))
    assert again.shape == (run.size, 2)
    for k, seed in enumerate(SEEDS):
        alone = streams(seed).generator("needs/open", 2)
        assert np.array_equal(first[run == k], alone.random((run == k).sum(), dtype=np.float32))
        # asked for again on the day, each run's stream continued where it was
        assert np.array_equal(again[run == k], alone.integers(0, 9, ((run == k).sum(), 2)))


def test_runs_laid_end_to_end_need_no_sort_and_a_run_without_items_draws_nothing():
    run = np.repeat([0, 2], [40, 60])  # run 1 has no item today
    both = ensemble()
    u = both.by_run("posts", 5, run, lambda g, n: g.random(n))
    assert np.array_equal(u[:40], streams(SEEDS[0]).generator("posts", 5).random(40))
    assert np.array_equal(u[40:], streams(SEEDS[2]).generator("posts", 5).random(60))
    later = both.by_run("posts", 5, np.array([1]), lambda g, n: g.random(n))
    assert later[0] == streams(SEEDS[1]).generator("posts", 5).random(1)[0]
    empty = both.by_run("posts", 5, np.zeros(0, np.int64), lambda g, n: g.random((n, 3)))
    assert empty.shape == (0, 3)


def test_keyed_numbers_of_several_runs_need_each_item_s_run():
    with pytest.raises(ValueError, match="each item's run"):
        ensemble().uniform("decide", 1, mix_keys(np.arange(3)))
    one = EnsembleStreams([streams(3)])
    key = mix_keys(np.arange(3))
    assert np.array_equal(one.uniform("decide", 1, key), streams(3).uniform("decide", 1, key))
    with pytest.raises(ValueError, match="at least one run"):
        EnsembleStreams([])


def test_distinct_keys_of_an_ensemble_repeat_only_within_a_run():
    run = interleaved_runs(4_000, seed=1)
    key = mix_keys(np.random.default_rng(2).integers(0, 300, run.size))  # many repeats
    out = distinct_keys(key, run=run)
    for k in range(len(SEEDS)):
        assert np.array_equal(out[run == k], distinct_keys(key[run == k]))
    assert np.unique(out[run == 0]).size == (run == 0).sum()
    # without the runs, a key repeated in another run would be ranked as a repeat
    assert not np.array_equal(distinct_keys(key)[run == 1], distinct_keys(key[run == 1]))


def test_extend_keys_mixes_further_columns_as_mix_keys_would():
    rng = np.random.default_rng(4)
    first = rng.integers(-(2**40), 2**40, 50)
    second = rng.integers(-5, 10**6, 400).astype(np.int32)
    third = rng.integers(0, 3, 400)
    spread = rng.integers(0, 50, 400)
    want = mix_keys(first[spread], second, third)
    np.testing.assert_array_equal(extend_keys(mix_keys(first)[spread], second, third), want)
    np.testing.assert_array_equal(extend_keys(mix_keys(first[spread], second), third), want)
    premixed = mix_keys(first)
    extend_keys(premixed, 7)
    np.testing.assert_array_equal(premixed, mix_keys(first))  # its argument is left alone
