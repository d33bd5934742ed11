"""Random streams keyed by purpose and day, so that arms of a comparison stay in step.

Every random draw of a run comes from the run's seed, through one of two doors:

* :meth:`RandomStreams.generator` gives the stream of one *purpose* (a
  mechanism and the kind of draw, such as ``"needs/open"``) on one *day*: a
  NumPy generator spawned from the run's seed with the key (purpose, day).
  How many numbers one purpose draws on one day moves no other purpose's
  draws, nor its own on any other day.
* :meth:`RandomStreams.uniform` gives counter-based uniforms: one per item,
  a function of the run's seed, the purpose, the day and the item's own key
  (a consumer, an offer) alone. An item that two runs both have gets the same
  number in both, however many other items either run has, and in whatever
  order they come.

Two runs of one seed that differ in one lever (a discount) then draw the same
numbers wherever their states agree, so their outcomes differ only by what the
lever changed: common random numbers, the variance reduction that paired
comparisons rest on (Law 2015, ch. 11; Glasserman and Yao 1992).

The counter-based uniforms hash the keys with the SplitMix64 finaliser
(Steele, Lea and Flood 2014), whose output passes BigCrush; it is a few NumPy
operations on ``uint64`` arrays, about 4 ms per million items.

References
----------
.. [1] A. M. Law, *Simulation Modeling and Analysis*, 5th ed., McGraw-Hill,
   2015, ch. 11 ("Variance-reduction techniques").
.. [2] P. Glasserman and D. D. Yao, "Some guidelines and guarantees for common
   random numbers", *Management Science* 38(6), 884-908, 1992.
.. [3] G. L. Steele, D. Lea and C. H. Flood, "Fast splittable pseudorandom
   number generators", *OOPSLA* 2014.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence

import numpy as np

from socialsim._arrays import group_by_run

__all__ = [
    "EnsembleStreams",
    "KeyedDraws",
    "RandomStreams",
    "distinct_keys",
    "extend_keys",
    "mix_keys",
    "purpose_id",
]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))
_TO_UNIT = 2.0**-53
_RANK_SALT = np.uint64(0xD1B54A32D192ED03)
_RUN_SALT = np.uint64(0x8CB92BA72F3D8DD7)


def _splitmix(z: np.ndarray, *, inplace: bool = False) -> np.ndarray:
    """SplitMix64's finaliser of ``z + golden`` (a new array unless `inplace`; uint64 wraps).

    Large arrays go through in blocks that stay in the CPU's cache, with one
    scratch block for the shifts: the six passes then read memory once, not
    six times, and allocate nothing per pass (measured: 6 ms against 20 ms for
    two million keys, 3 to 5 times faster at tens of millions). The result is
    the same, bit for bit.
    """
    if z.ndim != 1:  # a scalar key, or a table of them
        flat = _splitmix(np.ascontiguousarray(z).reshape(-1), inplace=False)
        if inplace:
            z[...] = flat.reshape(z.shape)
            return z
        return flat.reshape(z.shape)
    n = z.size
    if n <= _BLOCK // 2:  # small: whole-array passes cost less than the blocks' set-up
        out = np.add(z, _GOLDEN, out=z if inplace else None)
        out ^= out >> _S30
        out *= _M1
        out ^= out >> _S27
        out *= _M2
        out ^= out >> _S31
        return out
    out = z if inplace else np.empty_like(z)
    block = _BLOCK
    scratch = np.empty(block, dtype=np.uint64)
    for lo in range(0, n, block):
        hi = min(lo + block, n)
        part, tmp = out[lo:hi], scratch[: hi - lo]
        np.add(z[lo:hi], _GOLDEN, out=part)
        np.right_shift(part, _S30, out=tmp)
        part ^= tmp
        part *= _M1
        np.right_shift(part, _S27, out=tmp)
        part ^= tmp
        part *= _M2
        np.right_shift(part, _S31, out=tmp)
        part ^= tmp
    return out


#: Keys per block of _splitmix: 512 kB of uint64, twice over, fits a core's L2 cache.
_BLOCK = 1 << 16

_MASK = (1 << 64) - 1


def _mix64(z: int) -> int:
    """SplitMix64's finaliser of ``z + golden`` on one Python integer."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


@functools.lru_cache(maxsize=4096)
def purpose_id(purpose: str) -> int:
    """Return the stable 63-bit number of a purpose's name (not Python's salted ``hash``).

    Examples
    --------
    >>> purpose_id("needs/open") == purpose_id("needs/open")
    True
    >>> purpose_id("needs/open") != purpose_id("needs/lapse")
    True
    """
    digest = hashlib.blake2b(purpose.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def mix_keys(*columns: np.ndarray | int) -> np.ndarray:
    """Combine integer columns, item by item, into one well-mixed ``uint64`` key.

    Parameters
    ----------
    *columns : ndarray of int, or int
        Equal-length columns (or scalars) that together name an item; negative
        values are allowed (they wrap around).

    Returns
    -------
    ndarray of uint64
        A key per item; distinct tuples give distinct keys but for hash
        collisions (about one in 2**64 per pair).

    Examples
    --------
    >>> a = mix_keys(np.array([1, 2, 1]), np.array([5, 5, 5]))
    >>> bool(a[0] == a[2]), bool(a[0] == a[1])
    (True, False)
    """
    if not columns:
        raise ValueError("mix_keys needs at least one column")
    return _mix_into(_splitmix(_as_key(columns[0])), columns[1:])


def _as_key(column: np.ndarray | int) -> np.ndarray:
    """Return a column's values as uint64 (negative values wrap around)."""
    return np.asarray(column).astype(np.int64, copy=False).view(np.uint64)


def _mix_into(key: np.ndarray, columns: tuple[np.ndarray | int, ...]) -> np.ndarray:
    """Mix each column into `key` in turn (`key` is the caller's own array: changed in place)."""
    for column in columns:
        value = _as_key(column)
        if key.shape == np.broadcast_shapes(key.shape, value.shape):
            key ^= value
        else:
            key = key ^ value
        key = _splitmix(key, inplace=True)
    return np.atleast_1d(key)


def extend_keys(key: np.ndarray, *columns: np.ndarray | int) -> np.ndarray:
    """Mix more columns into keys made by :func:`mix_keys`, as if given to it with them.

    Where many items share a first column (every tie of one sharer), mixing
    the distinct first values once and spreading them saves a pass of the
    hash: ``mix_keys(a[i], b)`` is ``extend_keys(mix_keys(a)[i], b)``, bit for
    bit.

    Examples
    --------
    >>> a, b = np.array([7, 7, 9]), np.array([1, 2, 3])
    >>> bool((extend_keys(mix_keys(a), b) == mix_keys(a, b)).all())
    True
    >>> bool((extend_keys(mix_keys(np.array([7, 9]))[[0, 0, 1]], b) == mix_keys(a, b)).all())
    True
    """
    return _mix_into(np.array(key, dtype=np.uint64), columns)  # a copy: mixed in place


def distinct_keys(key: np.ndarray, run: np.ndarray | None = None) -> np.ndarray:
    """Make repeated keys distinct: the k-th repeat (in array order) is mixed with k.

    Items that share a key (two friends passing on the same product) must not
    share a random number, or their draws would be one draw. The first
    occurrence keeps its key, so an item keeps its number when a repeat
    appears or goes away.

    With `run` (each item's run in a batched ensemble), only items of one run
    repeat each other: each run's items get what they would get alone.

    Examples
    --------
    >>> key = mix_keys(np.array([7, 7, 8]))
    >>> out = distinct_keys(key)
    >>> bool(out[0] == key[0]), bool(out[1] != key[1]), bool(out[2] == key[2])
    (True, True, True)
    """
    key = np.asarray(key, dtype=np.uint64)
    if key.size < 2:
        return key
    # items repeat each other when their keys are equal within one run
    # (the run is hashed in a domain of its own: a plain splitmix(run) would make the pairs
    # (run 1, item 0) and (run 0, item 1) of single-column keys one group)
    if run is None:
        group = key
    else:
        group = key ^ _splitmix(np.asarray(run, np.int64).view(np.uint64) ^ _RUN_SALT)
    # A plain sort (SIMD, a seventh of a stable argsort's cost) finds the repeated
    # values; only the items holding one of them are ranked.
    ordered = np.sort(group)
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return key
    repeated = ordered[1:][same]
    repeated = repeated[np.flatnonzero(np.diff(repeated, prepend=~repeated[0]) != 0)]
    at = np.minimum(np.searchsorted(repeated, group), repeated.size - 1)
    holder = np.flatnonzero(repeated[at] == group)
    order = holder[np.argsort(group[holder], kind="stable")]
    run_key = group[order]
    new_run = np.ones(order.size, dtype=bool)
    new_run[1:] = run_key[1:] != run_key[:-1]
    start = np.maximum.accumulate(np.where(new_run, np.arange(order.size), 0))
    rank = np.arange(order.size) - start
    later = order[rank > 0]
    out = key.copy()
    salted = _splitmix(key[later] ^ _RANK_SALT)  # a domain of its own: no key's mix
    out[later] = _splitmix(salted ^ rank[rank > 0].astype(np.uint64))
    return out


class RandomStreams:
    """The random streams of one run, keyed by purpose and day.

    Parameters
    ----------
    seed : numpy.random.SeedSequence
        The run's seed for its behaviour (the world is built from another).

    Examples
    --------
    >>> streams = RandomStreams(np.random.SeedSequence(1))
    >>> a = streams.generator("needs/open", 3).random(2)
    >>> b = RandomStreams(np.random.SeedSequence(1)).generator("needs/open", 3).random(2)
    >>> bool((a == b).all())
    True
    >>> u = streams.uniform("decide", 3, mix_keys(np.array([10, 11])))
    >>> v = streams.uniform("decide", 3, mix_keys(np.array([11])))
    >>> bool(u[1] == v[0])
    True
    """

    def __init__(self, seed: np.random.SeedSequence) -> None:
        words = seed.generate_state(2, np.uint64)
        self._root = (int(words[0]) << 64) | int(words[1])
        # one PCG64 per purpose, reset to the (purpose, day) state when first asked for
        # on a day: setting a state costs 3 us, building a generator 15-20 us
        self._generators: dict[str, np.random.Generator] = {}
        self._open: set[tuple[str, int]] = set()
        self._keys: dict[tuple[str, int], np.uint64] = {}
        self._purpose_words: dict[str, int] = {}

    def _word(self, purpose: str, step: int) -> int:
        """Return a 64-bit word of (root, purpose, step); the purpose's part is kept."""
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        word = self._purpose_words.get(purpose)
        if word is None:
            high, low = self._root >> 64, self._root & _MASK
            word = _mix64(high ^ _mix64(low ^ purpose_id(purpose)))
            self._purpose_words[purpose] = word
        return _mix64(word ^ int(step))

    def begin_day(self) -> None:
        """Forget the streams handed out so far (the model calls it at each step's start)."""
        self._open.clear()
        self._keys.clear()

    def generator(self, purpose: str, step: int) -> np.random.Generator:
        """Return the stream of `purpose` on day `step`.

        Asked for again on the same day (before :meth:`begin_day`), it returns
        the same generator, which continues where it was: two calls never
        repeat each other's numbers. A generator is reused on later days (set
        to that day's state): take numbers from it on the day it was asked for.

        Parameters
        ----------
        purpose : str
            The mechanism and the kind of draw, e.g. ``"returns/decide"``.
        step : int
            The day.

        Returns
        -------
        numpy.random.Generator
        """
        generator = self._generators.get(purpose)
        if generator is not None and (purpose, step) in self._open:
            return generator
        word = self._word(purpose, step)
        a, b, c, d = (_mix64(word ^ domain) for domain in (1, 2, 3, 4))
        state = {
            "bit_generator": "PCG64",
            "state": {"state": (a << 64) | b, "inc": ((c << 64) | d) | 1},
            "has_uint32": 0,
            "uinteger": 0,
        }
        if generator is None:
            generator = np.random.Generator(np.random.PCG64(0))
            self._generators[purpose] = generator
        generator.bit_generator.state = state
        self._open.add((purpose, step))
        return generator

    def uniform(
        self, purpose: str, step: int, key: np.ndarray, dtype: type = np.float64
    ) -> np.ndarray:
        """Return one uniform in [0, 1) per item, a function of (seed, purpose, day, key).

        Parameters
        ----------
        purpose : str
            The kind of draw (a different purpose gives independent numbers).
        step : int
            The day.
        key : ndarray of uint64
            Each item's key (:func:`mix_keys`); items sharing a key share the
            number, so make keys unique first (:func:`distinct_keys`) unless that is
            meant.
        dtype : numpy dtype
            ``float64`` (53 random bits) or ``float32`` (24).

        Returns
        -------
        ndarray of `dtype`
        """
        base = self._keys.get((purpose, step))  # (key_base's lookup, inline: a hot path)
        if base is None:
            base = self.key_base(purpose, step)
        bits = _splitmix(np.asarray(key, dtype=np.uint64) ^ base)
        if np.dtype(dtype) == np.float32:
            return (bits >> np.uint64(40)).astype(np.float32) * np.float32(2.0**-24)
        return (bits >> _S11).astype(np.float64) * _TO_UNIT

    def key_base(self, purpose: str, step: int) -> np.uint64:
        """Return the word :meth:`uniform` mixes with each key for `purpose` on `step`."""
        base = self._keys.get((purpose, step))
        if base is None:
            base = np.uint64(_mix64(self._word(purpose, step) ^ 5))
            self._keys[(purpose, step)] = base
        return base


def _to_unit(bits: np.ndarray, dtype: type) -> np.ndarray:
    """Turn 64 random bits per item into a uniform in [0, 1) of `dtype` (53 or 24 bits)."""
    if np.dtype(dtype) == np.float32:
        return (bits >> np.uint64(40)).astype(np.float32) * np.float32(2.0**-24)
    return (bits >> _S11).astype(np.float64) * _TO_UNIT


class KeyedDraws:
    """Keyed uniforms with a generator's ``random``: for code written against a generator.

    Each call of :meth:`random` gives one fresh uniform per keyed item (the
    n-th call is a purpose of its own), so a function that draws once or twice
    per item, such as :meth:`~socialsim.world.catalogue.Catalogue.random_listed`,
    draws the same numbers for an item whatever other items it is given.

    Parameters
    ----------
    streams : RandomStreams
    purpose : str
    step : int
    key : ndarray of uint64
        One key per item (unique: :func:`distinct_keys`).
    run : ndarray of int, optional
        Each item's run, with :class:`EnsembleStreams` of several runs.

    Examples
    --------
    >>> streams = RandomStreams(np.random.SeedSequence(5))
    >>> draws = KeyedDraws(streams, "search", 1, mix_keys(np.array([1, 2, 3])))
    >>> first, second = draws.random(3), draws.random(3)
    >>> bool((first != second).all())
    True
    >>> again = KeyedDraws(streams, "search", 1, mix_keys(np.array([3])))
    >>> bool(again.random(1)[0] == first[2])
    True
    """

    def __init__(
        self,
        streams: RandomStreams | EnsembleStreams,
        purpose: str,
        step: int,
        key: np.ndarray,
        run: np.ndarray | None = None,
    ) -> None:
        self._streams, self._purpose, self._step = streams, purpose, step
        self.key = np.asarray(key, dtype=np.uint64)
        self._run = run
        self._calls = 0

    @property
    def run(self) -> np.ndarray | None:
        """Each item's run in a batched ensemble (None for one run)."""
        return self._run

    def random(self, size: int | tuple[int, ...] | None = None, dtype: type = np.float64):
        """Return one uniform per item (``size`` must be the number of items)."""
        n = self.key.size
        wanted = n if size is None else int(np.prod(size))
        if wanted != n:
            raise ValueError(f"keyed draws give one number per item ({n}), not {wanted}")
        self._calls += 1
        purpose = self._purpose if self._calls == 1 else f"{self._purpose}#{self._calls}"
        if self._run is not None:
            return self._streams.uniform(purpose, self._step, self.key, run=self._run, dtype=dtype)
        return self._streams.uniform(purpose, self._step, self.key, dtype)


class EnsembleStreams:
    """The random streams of K runs stepped together as one ensemble (a batched sweep).

    Each run keeps its own :class:`RandomStreams`: an item of run ``k`` gets
    the numbers it would get in run ``k`` alone. Keyed uniforms take each
    item's run (:meth:`uniform`); sequential draws are made run by run from
    each run's generator, in the order of that run's items (:meth:`by_run`).

    Parameters
    ----------
    runs : sequence of RandomStreams
        One per run, in the runs' order.

    Examples
    --------
    >>> solo = [RandomStreams(np.random.SeedSequence(s)) for s in (1, 2)]
    >>> both = EnsembleStreams([RandomStreams(np.random.SeedSequence(s)) for s in (1, 2)])
    >>> key = mix_keys(np.array([4, 4]))
    >>> u = both.uniform("decide", 3, key, run=np.array([0, 1]))
    >>> bool(u[1] == solo[1].uniform("decide", 3, key[:1])[0])
    True
    """

    def __init__(self, runs: Sequence[RandomStreams]) -> None:
        if not runs:
            raise ValueError("an ensemble needs at least one run")
        self.runs = tuple(runs)
        self._bases: dict[tuple[str, int], np.ndarray] = {}  # each run's key base, by purpose
        # the runs' roots, to work out every run's key base at once (as RandomStreams does)
        self._high = np.array([s._root >> 64 for s in self.runs], dtype=np.uint64)
        self._low = np.array([s._root & _MASK for s in self.runs], dtype=np.uint64)
        self._purpose_words: dict[str, np.ndarray] = {}

    @property
    def n_runs(self) -> int:
        """Number of runs K."""
        return len(self.runs)

    def begin_day(self) -> None:
        """Forget every run's streams handed out so far (at each step's start)."""
        for streams in self.runs:
            streams.begin_day()
        self._bases.clear()

    def generator(self, purpose: str, step: int, run: int) -> np.random.Generator:
        """Return run `run`'s stream of `purpose` on day `step` (as RandomStreams.generator)."""
        return self.runs[run].generator(purpose, step)

    def uniform(
        self,
        purpose: str,
        step: int,
        key: np.ndarray,
        run: np.ndarray | None = None,
        dtype: type = np.float64,
    ) -> np.ndarray:
        """Return one uniform per item, as its own run's :meth:`RandomStreams.uniform` would.

        Parameters
        ----------
        purpose, step, key, dtype
            As for :meth:`RandomStreams.uniform` (keys made from each item's
            indices in its own run's world).
        run : ndarray of int, optional
            Each item's run; may be omitted when there is one run.

        Returns
        -------
        ndarray of `dtype`
        """
        if run is None:
            if self.n_runs > 1:
                raise ValueError("keyed draws in an ensemble of several runs need each item's run")
            return self.runs[0].uniform(purpose, step, key, dtype)
        bases = self._bases.get((purpose, step))
        if bases is None:
            bases = self._key_bases(purpose, step)
            self._bases[(purpose, step)] = bases
        return _to_unit(_splitmix(np.asarray(key, dtype=np.uint64) ^ bases[run]), dtype)

    def _key_bases(self, purpose: str, step: int) -> np.ndarray:
        """Return every run's :meth:`RandomStreams.key_base` at once (SplitMix64 on arrays)."""
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        word = self._purpose_words.get(purpose)
        if word is None:
            word = _splitmix(self._high ^ _splitmix(self._low ^ np.uint64(purpose_id(purpose))))
            self._purpose_words[purpose] = word
        return _splitmix(_splitmix(word ^ np.uint64(step)) ^ np.uint64(5))

    def by_run(
        self,
        purpose: str,
        step: int,
        run: np.ndarray,
        draw: Callable[[np.random.Generator, int], np.ndarray],
    ) -> np.ndarray:
        """Draw for items of several runs, each run's from its own generator, in its items' order.

        Run ``k``'s items (``run == k``, in array order) get ``draw(generator_k,
        n_k)``: what ``draw`` would give run ``k`` alone, for its items alone.
        Runs without items do not draw.

        Parameters
        ----------
        purpose : str
        step : int
        run : ndarray of int
            Each item's run.
        draw : callable
            ``draw(generator, n)`` returns an array whose first axis has ``n`` rows.

        Returns
        -------
        ndarray
            One row per item.

        Examples
        --------
        >>> both = EnsembleStreams([RandomStreams(np.random.SeedSequence(s)) for s in (1, 2)])
        >>> u = both.by_run("needs/open", 1, np.array([1, 0, 1]), lambda g, n: g.random(n))
        >>> solo = RandomStreams(np.random.SeedSequence(2)).generator("needs/open", 1).random(2)
        >>> bool((u[[0, 2]] == solo).all())
        True
        """
        order, bounds = group_by_run(run, self.n_runs)  # no sort when already run by run
        parts = []
        for k in range(self.n_runs):
            n = int(bounds[k + 1] - bounds[k])
            if n:
                parts.append(draw(self.generator(purpose, step, k), n))
        if not parts:  # no item: an empty result of the right shape, from a throwaway stream
            return draw(np.random.Generator(np.random.PCG64(0)), 0)
        drawn = np.concatenate(parts)
        if order is None:
            return drawn
        out = np.empty_like(drawn)
        out[order] = drawn
        return out
