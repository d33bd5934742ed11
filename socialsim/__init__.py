"""socialsim: agent-based simulation of Chinese social commerce.

The package exports the config, the model, the sweep entry points
(:func:`run_sweep`, :func:`load_sweep`) and :func:`calibrate`; everything
else is reached through its subpackages (``socialsim.world``, ``socialsim.mechanisms``,
``socialsim.experiment``, ...).
"""

from typing import Any

from socialsim._version import __version__
from socialsim.config import ModelConfig
from socialsim.errors import ConfigError
from socialsim.model import SocialCommerceModel

__all__ = [
    "ConfigError",
    "ModelConfig",
    "SocialCommerceModel",
    "__version__",
    "calibrate",
    "load_sweep",
    "run_sweep",
]

_LAZY = {
    "run_sweep": "socialsim.experiment.sweep",
    "load_sweep": "socialsim.experiment.store",
    "calibrate": "socialsim.calibration.run",
}


def __getattr__(name: str) -> Any:
    # The experiment layer (pyarrow, SALib, dask) loads on first use, keeping
    # 'import socialsim' light for notebooks that only build models.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'socialsim' has no attribute {name!r}")
