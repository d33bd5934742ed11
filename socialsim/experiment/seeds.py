"""Seeds for the runs of a sweep, spawned from one root seed.

Run ``(point, replication)`` draws from the child
``SeedSequence(root).spawn(n_points)[point].spawn(replications)[replication]``,
which NumPy defines as ``SeedSequence(root, spawn_key=(point, replication))``:
the two spellings give the same stream, and the second needs no list of
siblings, so a run's seed does not depend on the size of the design. With
common random numbers the child is ``SeedSequence(root).spawn(...)[replication]``
for every point: all points of one replication share their world and behaviour
streams and differ only by their parameters.

The child sequence is turned into one 63-bit integer, the seed the model is
given and the runs table records, so ``socialsim run --seed S`` with the run's
config reproduces any run of a sweep.
"""

from __future__ import annotations

import numpy as np

__all__ = ["design_seed", "run_seed", "seed_sequence"]

# A spawn key of length 3 is never a run's (those have length 1 or 2).
_DESIGN_KEY = (0x5EED, 0xDE, 0x516)


def seed_sequence(root: int, point: int, replication: int, *, crn: bool) -> np.random.SeedSequence:
    """Return the SeedSequence of one run.

    Parameters
    ----------
    root : int
        The sweep's root seed.
    point, replication : int
        Design point and replication indices.
    crn : bool
        Common random numbers: the point is ignored.

    Returns
    -------
    numpy.random.SeedSequence

    Examples
    --------
    >>> a = seed_sequence(7, 2, 1, crn=False)
    >>> b = np.random.SeedSequence(7).spawn(3)[2].spawn(2)[1]
    >>> bool((a.generate_state(4) == b.generate_state(4)).all())
    True
    """
    key = (replication,) if crn else (point, replication)
    return np.random.SeedSequence(root, spawn_key=key)


def run_seed(root: int, point: int, replication: int, *, crn: bool) -> int:
    """Return the integer seed of one run (63 bits, so it fits a signed 64-bit column).

    Examples
    --------
    >>> run_seed(7, 0, 0, crn=False) != run_seed(7, 1, 0, crn=False)
    True
    >>> run_seed(7, 0, 1, crn=True) == run_seed(7, 5, 1, crn=True)
    True
    """
    state = seed_sequence(root, point, replication, crn=crn).generate_state(1, np.uint64)
    return int(state[0]) >> 1


def design_seed(root: int) -> int:
    """Return the seed of a sampled design (random, lhs, sobol, morris), apart from the runs'."""
    return int(np.random.SeedSequence(root, spawn_key=_DESIGN_KEY).generate_state(1)[0])
