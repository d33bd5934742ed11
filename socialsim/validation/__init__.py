"""Scientific validity: docking against known models, calibration targets and held-out checks.

:mod:`~socialsim.validation.docking` reduces the model, by configuration only,
to the Bass model and the Independent Cascade model and runs it, and docks
the vectorised decision path against the per-agent reference;
:mod:`~socialsim.validation.facts` checks the default world against the
stylized facts and :mod:`~socialsim.validation.market` against the market
figures of ``shared/domain.md``; every check is a
:class:`~socialsim.validation.checks.Check`, a *calibration target* (naming
the parameters tuned to reach it) or *held-out*;
:mod:`~socialsim.validation.report` runs them all and writes the report of
``socialsim validate``, the two kinds apart.
"""

from socialsim.validation.docking import (
    BASS_P,
    BASS_Q,
    NetworkBassBounds,
    ReferenceDocking,
    bass_curve,
    bass_expectation,
    bass_recursion,
    bass_runs,
    cascade_sizes,
    continuous_bass,
    diffusion_config,
    giant_component_spread,
    independent_cascade,
    network_bass_bounds,
    network_bass_curve,
    network_bass_runs,
    reference_docking,
)

__all__ = [
    "BASS_P",
    "BASS_Q",
    "NetworkBassBounds",
    "ReferenceDocking",
    "bass_curve",
    "bass_expectation",
    "bass_recursion",
    "bass_runs",
    "cascade_sizes",
    "continuous_bass",
    "diffusion_config",
    "giant_component_spread",
    "independent_cascade",
    "network_bass_bounds",
    "network_bass_curve",
    "network_bass_runs",
    "reference_docking",
]
