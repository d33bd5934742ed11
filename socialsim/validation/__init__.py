"""Scientific validity: docking against known models and checks against stylized facts.

:mod:`~socialsim.validation.docking` reduces the model, by configuration only,
to the Bass model and the Independent Cascade model and runs it;
:mod:`~socialsim.validation.facts` checks the default world against what is
known about the market; :mod:`~socialsim.validation.report` runs both and
writes the report of ``socialsim validate``.
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
