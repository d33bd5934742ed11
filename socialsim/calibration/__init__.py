"""Calibration: fit free parameters to published targets, with held-out checks.

``socialsim calibrate SPEC`` and :func:`calibrate` run ABC-SMC through pyabc
(:mod:`~socialsim.calibration.abc_smc`) or a quick Optuna point fit
(:mod:`~socialsim.calibration.optimize`) over simulations that go through a
sweep's own run function and executors (:mod:`~socialsim.calibration.simulate`),
from a validated spec (:mod:`~socialsim.calibration.spec`), and write the
posterior, a calibrated config and a report (:mod:`~socialsim.calibration.run`,
:mod:`~socialsim.calibration.report`). The default world's own calibration
record ships in :mod:`~socialsim.calibration.record`.
"""

from socialsim.calibration.run import CalibrationResult, calibrate
from socialsim.calibration.spec import (
    CalibrationSpec,
    calibration_spec_from_dict,
    load_calibration_spec,
)

__all__ = [
    "CalibrationResult",
    "CalibrationSpec",
    "calibrate",
    "calibration_spec_from_dict",
    "load_calibration_spec",
]
