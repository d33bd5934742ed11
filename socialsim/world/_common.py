"""What the world's builders share: freezing their arrays, and drawing role holders."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from socialsim.errors import ConfigError, Problem

__all__ = ["beta_around", "candidates_for", "freeze_arrays"]


def freeze_arrays(obj: Any) -> None:
    """Mark every array an object holds read-only, including those inside sparse matrices.

    Other attributes (names, counts, nested parts that freeze themselves) are left alone.
    """
    for value in vars(obj).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        elif sparse.issparse(value):
            for array in (value.data, value.indices, value.indptr):
                array.flags.writeable = False


def candidates_for(eligible: np.ndarray, wanted: int, path: str, who: str) -> np.ndarray:
    """Return the indices of eligible consumers, refusing a head count they cannot fill.

    Parameters
    ----------
    eligible : ndarray of bool
        Which consumers may take the role.
    wanted : int
        How many the config asks for.
    path : str
        The config key of that number, named in the error.
    who : str
        Who the eligible consumers are, for the error message.

    Raises
    ------
    ConfigError
        If fewer consumers are eligible than `wanted`.
    """
    candidates = np.flatnonzero(eligible)
    if candidates.size < wanted:
        raise ConfigError([Problem(path, f"must not exceed the {candidates.size} {who}", wanted)])
    return candidates


def beta_around(mean: np.ndarray, concentration: float, rng: np.random.Generator) -> np.ndarray:
    """Draw Beta values with the given means and concentration (alpha + beta).

    Examples
    --------
    >>> x = beta_around(np.full(10_000, 0.7), 10.0, np.random.default_rng(0))
    >>> bool(abs(x.mean() - 0.7) < 0.01)
    True
    """
    mean = np.clip(mean, 1e-6, 1 - 1e-6)
    return rng.beta(mean * concentration, (1.0 - mean) * concentration)
