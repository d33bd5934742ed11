"""Batched runs: what a batch refuses, and (once every mechanism is ready) its tables."""

from __future__ import annotations

import pytest

from socialsim import ModelConfig
from socialsim.ensemble import BatchedModel
from socialsim.model import BUILTIN_COMPONENTS


def test_a_batch_is_built_only_when_every_mechanism_is_ready_and_names_those_that_are_not():
    config = ModelConfig.small().with_overrides({"run.steps": 2})
    waiting = [c.__name__ for c in BUILTIN_COMPONENTS if not c.batch_ready]
    if waiting:
        with pytest.raises(NotImplementedError) as refused:
            BatchedModel(config, [1, 2])
        for name in waiting:
            assert name in str(refused.value)
        ready = [c.__name__ for c in BUILTIN_COMPONENTS if c.batch_ready]
        assert not any(f" {name}" in str(refused.value) for name in ready)
    else:
        assert BatchedModel(config, [1, 2]).runs.n == 2


def test_a_batch_needs_distinct_seeds():
    with pytest.raises(ValueError, match="distinct seeds"):
        BatchedModel(ModelConfig.small(), [3, 3])
    with pytest.raises(ValueError, match="distinct seeds"):
        BatchedModel(ModelConfig.small(), [])
