"""Global sensitivity analysis of a sweep: Sobol indices and Morris elementary effects.

A sweep run on a ``sobol`` design gives first-order and total Sobol indices
(and, with ``second_order: true``, second-order ones) [2]_ [3]_; a sweep run
on a ``morris`` design gives Morris elementary effects [4]_ [5]_. Both are
computed by SALib [1]_ from the runs table, for any numeric outcome column
(``gmv``, ``penetration_lower_tiers``, ...), with bootstrap confidence
intervals.

The outcome of a design point is the mean of that outcome over the point's
runs that finished ``ok`` (failed runs are left out; an undefined, NaN value
in one replication is skipped). Both methods need a value at every point of
the design: an incomplete sweep is refused until it is resumed.

Sampled values of whole-number keys were rounded before the runs
(:mod:`~socialsim.experiment.design`), so the indices describe the model as
run, with those keys rounded. Morris reads the inputs from the values stored
with the sweep, not from a fresh sample.

:func:`sobol_indices`, :func:`sobol_interactions` and :func:`morris_effects`
take a sweep (a :class:`~socialsim.experiment.store.SweepData` or its
directory); :func:`sobol_from_runs`, :func:`sobol_interactions_from_runs` and
:func:`morris_from_runs` do the same from a runs table and a design, without
a sweep directory.

References
----------
.. [1] Herman, J. and Usher, W. (2017). SALib: An open-source Python library
   for sensitivity analysis. Journal of Open Source Software 2(9).
.. [2] Sobol', I. M. (2001). Global sensitivity indices for nonlinear
   mathematical models and their Monte Carlo estimates. Mathematics and
   Computers in Simulation 55(1-3).
.. [3] Saltelli, A. et al. (2010). Variance based sensitivity analysis of model
   output. Design and estimator for the total sensitivity index. Computer
   Physics Communications 181(2).
.. [4] Morris, M. D. (1991). Factorial sampling plans for preliminary
   computational experiments. Technometrics 33(2).
.. [5] Campolongo, F., Cariboni, J. and Saltelli, A. (2007). An effective
   screening design for sensitivity analysis of large models. Environmental
   Modelling & Software 22(10).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from socialsim.experiment.design import design_size
from socialsim.experiment.spec import MorrisDesign, SobolDesign
from socialsim.experiment.store import SweepData, load_sweep

__all__ = [
    "morris_effects",
    "morris_from_runs",
    "sobol_from_runs",
    "sobol_indices",
    "sobol_interactions",
    "sobol_interactions_from_runs",
]

_SweepLike = SweepData | str | os.PathLike[str]

# identify a run rather than measure it: never an outcome
_IDENTITY = ("point", "replication", "seed")
_SHOWN = 8  # names listed in an error message


# ---------------------------------------------------------------------------- Sobol


def sobol_indices(
    sweep: _SweepLike,
    outcome: str,
    *,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Return first-order and total Sobol indices of an outcome of a Sobol sweep.

    Parameters
    ----------
    sweep : SweepData or path
        A sweep run on a ``sobol`` design, or its directory.
    outcome : str
        A numeric column of the sweep's runs table, e.g. ``"gmv"``.
    conf_level : float
        Confidence level of the bootstrap intervals, in (0, 1).
    num_resamples : int
        Bootstrap resamples (at least 2).
    seed : int
        Seed of the bootstrap: the same seed gives the same intervals.

    Returns
    -------
    pandas.DataFrame
        One row per parameter, in the order of the design's bounds, with
        columns ``parameter, S1, S1_low, S1_high, ST, ST_low, ST_high``. An
        interval is the index ± SALib's bootstrap half-width at
        `conf_level`. ``attrs`` holds ``outcome``, ``conf_level`` and
        ``points``.

    Raises
    ------
    ValueError
        If the design is not ``sobol``, the runs do not match it, some point
        has no successful run (resume the sweep), or the outcome is not a
        numeric column or is constant.

    See Also
    --------
    sobol_from_runs : The same from a runs table and a design.
    sobol_interactions : Second-order indices.

    Notes
    -----
    The outcome of a point is the mean over its ``ok`` replications. Indices
    estimated from few samples can fall outside [0, 1] and S1 can exceed ST;
    the intervals say how far to trust them.

    References
    ----------
    .. [1] Saltelli, A. et al. (2010). Variance based sensitivity analysis of
       model output. Design and estimator for the total sensitivity index.
       Computer Physics Communications 181(2).
    .. [2] Herman, J. and Usher, W. (2017). SALib: An open-source Python
       library for sensitivity analysis. Journal of Open Source Software 2(9).

    Examples
    --------
    >>> import tempfile
    >>> from socialsim.experiment import run_sweep
    >>> spec = {
    ...     "name": "doc", "seed": 1, "steps": 3,
    ...     "base": {"population.n_consumers": 300, "influencers.n_kocs": 8,
    ...              "stores.n_owners": 4, "daigou.n_shoppers": 0},
    ...     "design": {"kind": "sobol", "samples": 2, "bounds": {
    ...         "platforms.pinduoduo.group_buying.discount": [0.05, 0.4],
    ...         "behaviour.budget_share": [0.04, 0.1]}},
    ... }
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = run_sweep(spec, out=tmp, executor="serial", progress=False)
    ...     table = sobol_indices(tmp, "gmv")
    >>> list(table.columns)
    ['parameter', 'S1', 'S1_low', 'S1_high', 'ST', 'ST_low', 'ST_high']
    >>> table["parameter"].tolist()
    ['platforms.pinduoduo.group_buying.discount', 'behaviour.budget_share']
    """
    return _from_sweep(sobol_from_runs, sweep, outcome, conf_level, num_resamples, seed)


def sobol_interactions(
    sweep: _SweepLike,
    outcome: str,
    *,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Return second-order Sobol indices of an outcome of a Sobol sweep.

    Needs a design with ``second_order: true``. Parameters, errors and the
    outcome per point are as for :func:`sobol_indices`.

    Returns
    -------
    pandas.DataFrame
        One row per pair of parameters (each pair once, in the order of the
        design's bounds) with columns
        ``parameter_1, parameter_2, S2, S2_low, S2_high``.

    Raises
    ------
    ValueError
        As :func:`sobol_indices`, and if the design has no second order.

    References
    ----------
    .. [1] Saltelli, A. (2002). Making best use of model evaluations to
       compute sensitivity indices. Computer Physics Communications 145(2).

    Examples
    --------
    >>> from SALib.sample import sobol as saltelli
    >>> problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    >>> x = saltelli.sample(problem, 64, calc_second_order=True, seed=1)
    >>> runs = pd.DataFrame({"point": range(len(x)), "status": "ok", "y": x[:, 0] * x[:, 1]})
    >>> design = {"kind": "sobol", "samples": 64, "second_order": True,
    ...           "bounds": {"a": [0, 1], "b": [0, 1]}}
    >>> sobol_interactions_from_runs(runs, design, "y").columns.tolist()
    ['parameter_1', 'parameter_2', 'S2', 'S2_low', 'S2_high']
    """
    return _from_sweep(
        sobol_interactions_from_runs, sweep, outcome, conf_level, num_resamples, seed
    )


def sobol_from_runs(
    runs: pd.DataFrame,
    design: Mapping[str, Any] | SobolDesign,
    outcome: str,
    *,
    records: Sequence[Mapping[str, Any]] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Return first-order and total Sobol indices from a runs table and its design.

    Parameters
    ----------
    runs : pandas.DataFrame
        One row per run, with columns ``point``, ``status`` and `outcome`;
        rows in any order, several replications per point allowed.
    design : mapping or SobolDesign
        The design as written in the spec (``manifest["spec"]["design"]``):
        ``kind: sobol``, ``samples``, ``bounds``, ``second_order``.
    outcome : str
        A numeric column of `runs`.
    records : sequence of mapping, optional
        The expanded design (``manifest["design"]``); if given, its length
        must be the design's number of points.
    conf_level : float
        Confidence level of the bootstrap intervals, in (0, 1).
    num_resamples : int
        Bootstrap resamples (at least 2).
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        As :func:`sobol_indices`.

    Raises
    ------
    ValueError
        If the design is not ``sobol``; if the runs or `records` do not have
        the Saltelli sample's ``samples × (k + 2)`` points
        (``samples × (2k + 2)`` with second order) for k parameters; if a
        point has no ``ok`` run; or if the outcome is not a numeric column,
        is missing at some point, or is constant.

    Notes
    -----
    The outcome of a point is the mean over its ``ok`` replications (NaN
    values skipped); rows are sorted by ``point`` first, because SALib reads
    the outputs in the order of the Saltelli sample.

    References
    ----------
    .. [1] Saltelli, A. et al. (2010). Variance based sensitivity analysis of
       model output. Design and estimator for the total sensitivity index.
       Computer Physics Communications 181(2).

    Examples
    --------
    >>> from SALib.sample import sobol as saltelli
    >>> problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    >>> x = saltelli.sample(problem, 256, calc_second_order=False, seed=1)
    >>> runs = pd.DataFrame({"point": range(len(x)), "status": "ok", "y": 4 * x[:, 0] + x[:, 1]})
    >>> design = {"kind": "sobol", "samples": 256, "bounds": {"a": [0, 1], "b": [0, 1]}}
    >>> table = sobol_from_runs(runs, design, "y")
    >>> table[["S1", "ST"]].round(1).to_numpy().tolist()  # 16/17 and 1/17 analytically
    [[0.9, 0.9], [0.1, 0.1]]
    """
    spec, problem, result = _sobol(
        runs, design, outcome, records, conf_level, num_resamples, seed, need_second=False
    )
    table = pd.DataFrame({"parameter": problem["names"]})
    for name in ("S1", "ST"):
        value = np.asarray(result[name], dtype=np.float64)
        half = np.asarray(result[f"{name}_conf"], dtype=np.float64)
        table[name] = value
        table[f"{name}_low"] = value - half
        table[f"{name}_high"] = value + half
    table.attrs.update(outcome=outcome, conf_level=conf_level, points=design_size(spec))
    return table


def sobol_interactions_from_runs(
    runs: pd.DataFrame,
    design: Mapping[str, Any] | SobolDesign,
    outcome: str,
    *,
    records: Sequence[Mapping[str, Any]] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Return second-order Sobol indices from a runs table and its design.

    Parameters are as for :func:`sobol_from_runs`; the design must have
    ``second_order: true``.

    Returns
    -------
    pandas.DataFrame
        As :func:`sobol_interactions`.

    Raises
    ------
    ValueError
        As :func:`sobol_from_runs`, and if the design has no second order.

    Examples
    --------
    >>> from SALib.sample import sobol as saltelli
    >>> problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    >>> x = saltelli.sample(problem, 128, calc_second_order=True, seed=1)
    >>> runs = pd.DataFrame({"point": range(len(x)), "status": "ok",
    ...                      "y": x[:, 0] + x[:, 1] + x[:, 2]})
    >>> design = {"kind": "sobol", "samples": 128, "second_order": True,
    ...           "bounds": {"a": [0, 1], "b": [0, 1], "c": [0, 1]}}
    >>> pairs = sobol_interactions_from_runs(runs, design, "y")
    >>> pairs[["parameter_1", "parameter_2"]].to_numpy().tolist()
    [['a', 'b'], ['a', 'c'], ['b', 'c']]
    """
    spec, problem, result = _sobol(
        runs, design, outcome, records, conf_level, num_resamples, seed, need_second=True
    )
    names = problem["names"]
    s2 = np.asarray(result["S2"], dtype=np.float64)
    half = np.asarray(result["S2_conf"], dtype=np.float64)
    i, j = np.triu_indices(len(names), k=1)
    table = pd.DataFrame(
        {
            "parameter_1": [names[a] for a in i],
            "parameter_2": [names[b] for b in j],
            "S2": s2[i, j],
            "S2_low": s2[i, j] - half[i, j],
            "S2_high": s2[i, j] + half[i, j],
        }
    )
    table.attrs.update(outcome=outcome, conf_level=conf_level, points=design_size(spec))
    return table


def _sobol(
    runs: pd.DataFrame,
    design: Any,
    outcome: str,
    records: Sequence[Mapping[str, Any]] | None,
    conf_level: float,
    num_resamples: int,
    seed: int,
    *,
    need_second: bool,
) -> tuple[SobolDesign, dict[str, Any], Any]:
    from SALib.analyze import sobol

    spec = _design(design, SobolDesign)
    if need_second and not spec.second_order:
        raise ValueError(
            "second-order Sobol indices need a design with second_order: true "
            "(the sweep's design has none; its first-order and total indices are available)"
        )
    _check_bootstrap(conf_level, num_resamples)
    problem = _problem(spec)
    k = problem["num_vars"]
    rule, factor = ("(2k + 2)", 2 * k + 2) if spec.second_order else ("(k + 2)", k + 2)
    shape = (
        f"a sobol design of samples={spec.samples} and k={k} parameters "
        f"(second_order: {str(spec.second_order).lower()}) has samples × {rule} = "
        f"{spec.samples} × {factor} = {design_size(spec)} points"
    )
    y = _outcome_per_point(runs, outcome, design_size(spec), records, shape, "Sobol indices")
    _check_varies(y, outcome)
    result = sobol.analyze(
        problem,
        y,
        calc_second_order=spec.second_order,
        num_resamples=num_resamples,
        conf_level=conf_level,
        # SALib 1.5-1.6 ignores a falsy seed (``if seed:``) and draws from the global
        # state; a Generator is always used, and default_rng(seed) gives the same draws
        seed=np.random.default_rng(seed),
    )
    return spec, problem, result


# ---------------------------------------------------------------------------- Morris


def morris_effects(
    sweep: _SweepLike,
    outcome: str,
    *,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Return Morris elementary-effect statistics of an outcome of a Morris sweep.

    Parameters
    ----------
    sweep : SweepData or path
        A sweep run on a ``morris`` design, or its directory.
    outcome : str
        A numeric column of the sweep's runs table, e.g. ``"gmv"``.
    conf_level : float
        Confidence level of the bootstrap interval of ``mu_star``, in (0, 1).
    num_resamples : int
        Bootstrap resamples (at least 2).
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        One row per parameter, in the order of the design's bounds, with
        columns ``parameter, mu, mu_star, mu_star_low, mu_star_high, sigma``:
        the mean elementary effect, the mean of its absolute value (the
        screening measure of Campolongo et al.) with its bootstrap interval,
        and its standard deviation (nonlinearity or interactions). Effects
        are per whole range of the parameter: a parameter whose effect is
        linear has ``mu`` equal to the outcome's change from its low to its
        high bound. ``attrs`` holds ``outcome``, ``conf_level`` and ``points``.

    Raises
    ------
    ValueError
        If the design is not ``morris``, the runs do not match it, some point
        has no successful run (resume the sweep), or the outcome is not a
        numeric column.

    See Also
    --------
    morris_from_runs : The same from a runs table and a design.

    Notes
    -----
    The inputs are the values stored with the sweep (``manifest["design"]``),
    so a whole-number key counts as unchanged on a step its rounding
    swallowed. SALib divides each output difference by the nominal step of
    the levels grid, not by the rounded step. The outcome of a point is the
    mean over its ``ok`` replications. A constant outcome gives zero effects.

    References
    ----------
    .. [1] Morris, M. D. (1991). Factorial sampling plans for preliminary
       computational experiments. Technometrics 33(2).
    .. [2] Campolongo, F., Cariboni, J. and Saltelli, A. (2007). An effective
       screening design for sensitivity analysis of large models.
       Environmental Modelling & Software 22(10).

    Examples
    --------
    >>> import tempfile
    >>> from socialsim.experiment import run_sweep
    >>> spec = {
    ...     "name": "doc", "seed": 1, "steps": 3,
    ...     "base": {"population.n_consumers": 300, "influencers.n_kocs": 8,
    ...              "stores.n_owners": 4, "daigou.n_shoppers": 0},
    ...     "design": {"kind": "morris", "samples": 2, "levels": 4, "bounds": {
    ...         "platforms.pinduoduo.group_buying.discount": [0.05, 0.4],
    ...         "platforms.pinduoduo.group_buying.size": [2, 5]}},
    ... }
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = run_sweep(spec, out=tmp, executor="serial", progress=False)
    ...     table = morris_effects(tmp, "orders")
    >>> list(table.columns)
    ['parameter', 'mu', 'mu_star', 'mu_star_low', 'mu_star_high', 'sigma']
    """
    return _from_sweep(morris_from_runs, sweep, outcome, conf_level, num_resamples, seed)


def morris_from_runs(
    runs: pd.DataFrame,
    design: Mapping[str, Any] | MorrisDesign,
    outcome: str,
    *,
    records: Sequence[Mapping[str, Any]] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Return Morris elementary-effect statistics from a runs table and its design.

    Parameters
    ----------
    runs : pandas.DataFrame
        One row per run, with columns ``point``, ``status`` and `outcome`,
        and, unless `records` is given, one column per parameter holding the
        value the run used; rows in any order.
    design : mapping or MorrisDesign
        The design as written in the spec (``manifest["spec"]["design"]``):
        ``kind: morris``, ``samples``, ``levels``, ``bounds``.
    outcome : str
        A numeric column of `runs`.
    records : sequence of mapping, optional
        The expanded design (``manifest["design"]``: ``{"point": i,
        "parameters": {key: value}}``); if given, the inputs are read from
        it, else from the parameter columns of `runs`.
    conf_level : float
        Confidence level of the bootstrap interval of ``mu_star``, in (0, 1).
    num_resamples : int
        Bootstrap resamples (at least 2).
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        As :func:`morris_effects`.

    Raises
    ------
    ValueError
        If the design is not ``morris``; if the runs or `records` do not have
        its ``samples × (k + 1)`` points for k parameters; if a point has no
        ``ok`` run or lacks a parameter value; or if the outcome is not a
        numeric column or is missing at some point.

    References
    ----------
    .. [1] Morris, M. D. (1991). Factorial sampling plans for preliminary
       computational experiments. Technometrics 33(2).
    .. [2] Campolongo, F., Cariboni, J. and Saltelli, A. (2007). An effective
       screening design for sensitivity analysis of large models.
       Environmental Modelling & Software 22(10).

    Examples
    --------
    >>> from SALib.sample import morris as trajectories
    >>> problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 2], [0, 1]]}
    >>> x = trajectories.sample(problem, 10, num_levels=4, seed=1)
    >>> runs = pd.DataFrame({"point": range(len(x)), "status": "ok",
    ...                      "a": x[:, 0], "b": x[:, 1], "y": 3 * x[:, 0]})
    >>> design = {"kind": "morris", "samples": 10, "levels": 4,
    ...           "bounds": {"a": [0, 2], "b": [0, 1]}}
    >>> morris_from_runs(runs, design, "y")[["mu", "mu_star", "sigma"]].round(6).to_numpy().tolist()
    [[6.0, 6.0, 0.0], [0.0, 0.0, 0.0]]
    """
    from SALib.analyze import morris

    spec = _design(design, MorrisDesign)
    _check_bootstrap(conf_level, num_resamples)
    problem = _problem(spec)
    k = problem["num_vars"]
    n_points = design_size(spec)
    shape = (
        f"a morris design of samples={spec.samples} trajectories and k={k} parameters "
        f"has samples × (k + 1) = {spec.samples} × {k + 1} = {n_points} points"
    )
    y = _outcome_per_point(runs, outcome, n_points, records, shape, "Morris effects")
    x = _inputs(runs, records, problem["names"], n_points)
    result = morris.analyze(
        problem,
        x,
        y,
        num_resamples=num_resamples,
        conf_level=conf_level,
        num_levels=spec.levels,
        seed=seed,
    )
    mu_star = np.asarray(result["mu_star"], dtype=np.float64)
    half = np.asarray(result["mu_star_conf"], dtype=np.float64)
    table = pd.DataFrame(
        {
            "parameter": problem["names"],
            "mu": np.asarray(result["mu"], dtype=np.float64),
            "mu_star": mu_star,
            "mu_star_low": mu_star - half,
            "mu_star_high": mu_star + half,
            "sigma": np.asarray(result["sigma"], dtype=np.float64),
        }
    )
    table.attrs.update(outcome=outcome, conf_level=conf_level, points=n_points)
    return table


# ---------------------------------------------------------------------------- helpers


def _load(sweep: _SweepLike) -> SweepData:
    return sweep if isinstance(sweep, SweepData) else load_sweep(sweep)


def _from_sweep(
    compute: Callable[..., pd.DataFrame],
    sweep: _SweepLike,
    outcome: str,
    conf_level: float,
    num_resamples: int,
    seed: int,
) -> pd.DataFrame:
    """Run a ``*_from_runs`` function on a sweep's runs table, design and design records."""
    data = _load(sweep)
    return compute(
        data.runs,
        data.manifest["spec"]["design"],
        outcome,
        records=data.manifest.get("design"),
        conf_level=conf_level,
        num_resamples=num_resamples,
        seed=seed,
    )


_SUPPORT = (
    "Sobol indices need a sweep of a sobol design (sobol_indices), Morris effects one of "
    "a morris design (morris_effects); grid, zip, scenarios, lhs and random designs "
    "support neither"
)


def _design(design: Any, kind: type[SobolDesign] | type[MorrisDesign]) -> Any:
    """Validate `design` as a design of `kind`, naming the supported designs if it is not."""
    if isinstance(design, kind):
        return design
    data = design.model_dump(mode="json") if hasattr(design, "model_dump") else design
    if not isinstance(data, Mapping) or "kind" not in data:
        raise ValueError(f"design must be a design mapping with a 'kind', got {design!r}")
    want = "sobol" if kind is SobolDesign else "morris"
    if data["kind"] != want:
        raise ValueError(f"{_SUPPORT}; this design is {data['kind']!r}, not {want!r}")
    # pydantic's ValidationError is a ValueError and names the bad field
    return kind.model_validate(dict(data))


def _problem(design: Any) -> dict[str, Any]:
    # the order of the bounds as written is the order the design was sampled in
    keys = list(design.bounds)
    return {
        "num_vars": len(keys),
        "names": keys,
        "bounds": [[float(v) for v in design.bounds[key]] for key in keys],
    }


def _check_bootstrap(conf_level: float, num_resamples: int) -> None:
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be between 0 and 1 (exclusive), got {conf_level}")
    if int(num_resamples) != num_resamples or num_resamples < 2:
        raise ValueError(f"num_resamples must be a whole number >= 2, got {num_resamples}")


def _outcome_per_point(
    runs: pd.DataFrame,
    outcome: str,
    n_points: int,
    records: Sequence[Mapping[str, Any]] | None,
    shape: str,
    what: str,
) -> np.ndarray:
    """Return the outcome of every point, in point order: the mean over its ok runs."""
    missing_columns = [c for c in ("point", "status") if c not in runs.columns]
    if missing_columns:
        raise ValueError(f"the runs table has no {' or '.join(missing_columns)} column")
    if len(runs):  # an empty table (a sweep not yet run) is reported as missing points
        _check_outcome(runs, outcome)
    if records is not None and len(records) != n_points:
        raise ValueError(
            f"the sweep's expanded design has {len(records)} points, but {shape}; "
            "the runs do not come from this design"
        )
    points = runs["point"].to_numpy()
    if len(points) and (points.min() < 0 or points.max() >= n_points):
        raise ValueError(
            f"the runs table has design points {int(points.min())} to {int(points.max())}, "
            f"but {shape} (0 to {n_points - 1}); the runs do not come from this design"
        )
    ok = runs["status"] == "ok"
    absent = np.flatnonzero(~np.isin(np.arange(n_points), runs.loc[ok, "point"].to_numpy()))
    if len(absent):
        never = np.setdiff1d(absent, points)
        raise ValueError(
            f"{what} need every design point, but {len(absent)} of {n_points} points have "
            f"no successful run ({len(never)} not run yet, {len(absent) - len(never)} failed): "
            f"points {_few(absent)}. Resume the sweep (run the same 'socialsim sweep' command "
            "again; add --retry-failed to redo failed runs once their cause is fixed)"
        )
    # groupby sorts by point: SALib reads the outputs in sample order
    means = runs.loc[ok].groupby("point")[outcome].mean().reindex(range(n_points))
    y = means.to_numpy(dtype=np.float64)
    undefined = np.flatnonzero(~np.isfinite(y))
    if len(undefined):
        raise ValueError(
            f"outcome {outcome!r} is NaN or infinite at {len(undefined)} of {n_points} "
            f"points ({_few(undefined)}): it is undefined in those runs; choose another outcome"
        )
    return y


def _check_outcome(runs: pd.DataFrame, outcome: str) -> None:
    valid = [
        c
        for c in runs.columns
        if c not in _IDENTITY
        and pd.api.types.is_numeric_dtype(runs[c])
        and not pd.api.types.is_bool_dtype(runs[c])
    ]
    if outcome in valid:
        return
    shown = ", ".join(valid[:_SHOWN]) + (
        f", ... ({len(valid)} in all)" if len(valid) > _SHOWN else ""
    )
    if outcome in runs.columns:
        why = "identifies a run" if outcome in _IDENTITY else "is not numeric"
        rule = f"column {outcome!r} of the runs table {why}"
    else:
        rule = f"the runs table has no column {outcome!r}"
    raise ValueError(f"{rule}; outcomes are its numeric columns: {shown or 'none'}")


def _check_varies(y: np.ndarray, outcome: str) -> None:
    if np.ptp(y) == 0:
        raise ValueError(
            f"outcome {outcome!r} is constant ({y[0]:g}) at all {len(y)} design points: its "
            "variance is zero, so its Sobol indices are undefined; choose an outcome that "
            "varies (a longer or larger run may help)"
        )


def _inputs(
    runs: pd.DataFrame,
    records: Sequence[Mapping[str, Any]] | None,
    names: list[str],
    n_points: int,
) -> np.ndarray:
    """Return the parameter values each point ran with, in point order (one row per point)."""
    if records is not None:
        frame = pd.DataFrame(
            [{"point": r["point"], **r.get("parameters", {})} for r in records]
        ).set_index("point")
        where = "the expanded design"
    else:
        frame = runs.drop_duplicates("point").set_index("point")
        where = "the runs table"
    absent = [key for key in names if key not in frame.columns]
    if absent:
        raise ValueError(f"{where} has no values of parameter(s) {', '.join(absent)}")
    values = frame.reindex(range(n_points))[names]
    if values.isna().any(axis=None):
        rows = np.flatnonzero(values.isna().any(axis=1).to_numpy())
        raise ValueError(f"{where} lacks parameter values at points {_few(rows)}")
    return values.to_numpy(dtype=np.float64)


def _few(items: Any, limit: int = 5) -> str:
    items = [int(i) for i in items]
    text = ", ".join(map(str, items[:limit]))
    return text + (f", ... ({len(items)} in all)" if len(items) > limit else "")
