"""Threads change the speed of large worlds, never their numbers."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from socialsim import ModelConfig, _threads
from socialsim.model import SocialCommerceModel


def _fingerprint(model: SocialCommerceModel) -> dict[str, str]:
    tables = {
        "steps": model.step_metrics(),
        "platforms": model.platform_metrics(),
        "tiers": model.tier_metrics(),
        "orders": model.orders(),
        "kol_income": model.kol_income(),
    }
    return {
        name: hashlib.sha256(
            pd.util.hash_pandas_object(df, index=True).values.tobytes()
        ).hexdigest()
        for name, df in tables.items()
    }


def test_a_run_with_threads_equals_the_run_without(monkeypatch):
    # Small worlds run on one thread; forcing the threads on checks the livestreams
    # on their own stream, the early look-up of recent purchases, the split prices and
    # chances and the split friend search against the one-thread run.
    config = ModelConfig.small(3_000).with_overrides(
        {"campaign.budget": 2_000.0, "campaign.days": 15, "run.record_orders": True}
    )

    def run(threaded: bool) -> SocialCommerceModel:
        monkeypatch.setattr(_threads, "use_threads", lambda size: threaded)
        model = SocialCommerceModel(config, rng=11)
        model.run(15)
        return model

    one, two = run(False), run(True)
    steps, orders = one.step_metrics(), one.orders()
    # Every threaded phase had work to do.
    assert steps["livestream_sessions"].sum() > 0
    assert steps["campaign_posts"].sum() > 0
    assert (orders["source"] == "word_of_mouth").sum() > 0
    assert _fingerprint(one) == _fingerprint(two)


def test_run_later_gives_the_value_or_the_error_either_way():
    for threaded in (False, True):
        assert _threads.run_later(threaded, divmod, 7, 2).result() == (3, 1)
        with pytest.raises(ZeroDivisionError):
            _threads.run_later(threaded, divmod, 7, 0).result()


def test_threads_only_for_large_work():
    assert not _threads.use_threads(_threads.THREADED_SIZE - 1)
