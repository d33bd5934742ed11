"""The personal cross-border quota: exact limits, greedy order, and a plain-loop reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from socialsim.mechanisms.cross_border import (
    ANNUAL_LIMIT,
    PER_ORDER_LIMIT,
    TAX_RATE_COSMETICS,
    TAX_RATE_ORDINARY,
    cross_border_allowed,
    cross_border_tax,
)

LIMITS = {"per_order_limit": PER_ORDER_LIMIT, "annual_limit": ANNUAL_LIMIT}


def allowed(buyer, value, spent, **limits):
    return cross_border_allowed(
        np.array(buyer, dtype=np.int64), np.array(value, dtype=np.float64), spent, **LIMITS | limits
    )


def reference(buyer, value, spent, per_order_limit, annual_limit):
    """One order at a time, as the rule is written."""
    spent = spent.copy()
    out = []
    for b, v in zip(buyer, value, strict=True):
        ok = v <= per_order_limit and spent[b] + v <= annual_limit
        if ok:
            spent[b] += v
        out.append(ok)
    return out, spent


def test_limits_are_the_2019_rules():
    assert (PER_ORDER_LIMIT, ANNUAL_LIMIT) == (5_000.0, 26_000.0)


def test_per_order_limit_is_inclusive_and_exact():
    spent = np.zeros(3)
    out = allowed([0, 1, 2], [5_000.0, 5_000.01, 4_999.99], spent)
    assert out.tolist() == [True, False, True]
    assert spent.tolist() == [5_000.0, 0.0, 4_999.99]


def test_annual_limit_is_inclusive_and_exact():
    spent = np.array([21_000.0, 21_001.0, 25_999.99])
    out = allowed([0, 1, 2], [5_000.0, 5_000.0, 0.02], spent)
    # 26,000 exactly is allowed; 26,001 and 26,000.01 are not.
    assert out.tolist() == [True, False, False]
    assert spent.tolist() == [26_000.0, 21_001.0, 25_999.99]


def test_orders_in_one_batch_add_up():
    # Five orders of 5,000 reach 25,000; the sixth would make 30,000.
    spent = np.zeros(1)
    out = allowed([0] * 8, [5_000.0] * 6 + [1_000.0, 0.01], spent)
    assert out.tolist() == [True] * 5 + [False, True, False]
    assert spent[0] == 26_000.0


def test_a_blocked_order_uses_no_quota_so_a_later_smaller_one_fits():
    spent = np.array([23_000.0])
    out = allowed([0, 0, 0], [4_000.0, 3_000.0, 1.0], spent)
    assert out.tolist() == [False, True, False]
    assert spent[0] == 26_000.0


def test_order_within_the_batch_decides():
    # Same orders, other order, other outcome: the greedy rule takes them as they come.
    spent = np.array([20_000.0])
    assert allowed([0] * 3, [5_000.0, 2_000.0, 1_000.0], spent).tolist() == [True, False, True]
    assert spent[0] == 26_000.0
    spent = np.array([20_000.0])
    assert allowed([0] * 3, [1_000.0, 2_000.0, 5_000.0], spent).tolist() == [True, True, False]
    assert spent[0] == 23_000.0


def test_consumers_are_independent_and_interleaved_orders_keep_their_order():
    spent = np.array([25_000.0, 0.0, 26_000.0])
    out = allowed([1, 0, 1, 0, 2, 0], [5_000.0, 1_000.0, 6_000.0, 1.0, 0.0, 0.0], spent)
    # Consumer 0 fills the quota and then only a zero-value order fits;
    # consumer 1's second order is over the per-order limit; a zero order always fits.
    assert out.tolist() == [True, True, False, False, True, True]
    assert spent.tolist() == [26_000.0, 5_000.0, 26_000.0]


def test_orders_over_the_per_order_limit_do_not_take_a_round():
    # The over-limit order comes first but must not shift consumer 0's later order.
    spent = np.array([0.0, 0.0])
    out = allowed([0, 0, 1], [9_000.0, 3_000.0, 3_000.0], spent, annual_limit=3_000.0)
    assert out.tolist() == [False, True, True]


def test_empty_batch_and_no_limits():
    spent = np.array([1.0])
    assert allowed([], [], spent).tolist() == []
    assert allowed([], [], spent).dtype == bool
    out = allowed([0, 0], [1e9, 1e9], spent, per_order_limit=np.inf, annual_limit=np.inf)
    assert out.tolist() == [True, True]
    assert spent[0] == 1.0 + 2e9


def test_zero_limits_allow_only_free_orders():
    spent = np.zeros(1)
    out = allowed([0, 0], [0.0, 0.01], spent, per_order_limit=0.0, annual_limit=0.0)
    assert out.tolist() == [True, False]


@settings(max_examples=200, deadline=None)
@given(
    orders=st.lists(
        st.tuples(
            st.integers(0, 3),
            # Round values hit the limits exactly; the odd cent shows exactness.
            st.sampled_from([0.0, 0.01, 500.0, 1_000.0, 2_500.0, 4_999.99, 5_000.0, 5_000.01]),
        ),
        max_size=40,
    ),
    start=st.lists(st.sampled_from([0.0, 20_000.0, 24_000.0, 25_999.99, 26_000.0]), min_size=4),
)
@example(orders=[(0, 5_000.0)] * 6 + [(0, 1_000.0)], start=[0.0] * 4)
def test_matches_the_one_order_at_a_time_reference(orders, start):
    buyer = [b for b, _ in orders]
    value = [v for _, v in orders]
    spent = np.array(start[:4])
    want, want_spent = reference(buyer, value, spent, PER_ORDER_LIMIT, ANNUAL_LIMIT)
    out = allowed(buyer, value, spent)
    assert out.tolist() == want
    np.testing.assert_array_equal(spent, want_spent)


def test_long_batches_keep_each_consumers_order():
    # Hundreds of orders per consumer: the per-consumer ranks must follow the batch order.
    gen = np.random.default_rng(5)
    buyer = gen.integers(0, 3, 600)
    value = gen.choice([100.0, 250.0, 1_000.0, 4_000.0, 5_000.0, 6_000.0], 600)
    spent = np.array([0.0, 10_000.0, 25_000.0])
    want, want_spent = reference(buyer, value, spent, PER_ORDER_LIMIT, ANNUAL_LIMIT)
    out = cross_border_allowed(buyer, value, spent, **LIMITS)
    assert out.tolist() == want
    np.testing.assert_array_equal(spent, want_spent)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"buyer": [0, 1], "value": [1.0]}, "equal length"),
        ({"per_order_limit": -1.0}, "per_order_limit: must be >= 0, got -1.0"),
        ({"annual_limit": np.nan}, "annual_limit: must be >= 0, got nan"),
        ({"buyer": [2]}, r"buyer: must be in 0 \.\. 1"),
        ({"buyer": [-1]}, r"buyer: must be in 0 \.\. 1"),
        ({"value": [-5.0]}, "value: must be >= 0, got -5.0 at order 0"),
        ({"value": [np.nan]}, "value: must be >= 0, got nan"),
    ],
)
def test_bad_input_is_rejected(kwargs, message):
    args = {"buyer": [0], "value": [1.0]} | kwargs
    limits = {k: kwargs[k] for k in LIMITS if k in kwargs}
    spent = np.zeros(2)
    with pytest.raises(ValueError, match=message):
        allowed(args["buyer"], args["value"], spent, **limits)
    assert spent.tolist() == [0.0, 0.0]


def test_spent_must_be_a_float64_array_and_buyer_integers():
    with pytest.raises(TypeError, match="spent_this_year"):
        allowed([0], [1.0], np.zeros(1, dtype=np.float32))
    with pytest.raises(TypeError, match="buyer"):
        cross_border_allowed(np.array([0.0]), np.array([1.0]), np.zeros(1), **LIMITS)


def test_tax_is_value_times_rate():
    tax = cross_border_tax(np.array([1_000.0, 200.0, 0.0]), TAX_RATE_ORDINARY)
    np.testing.assert_allclose(tax, [91.0, 18.2, 0.0])
    per_order = cross_border_tax(np.array([100.0, 100.0]), np.array([0.1, 0.2]))
    np.testing.assert_allclose(per_order, [10.0, 20.0])
    assert abs(TAX_RATE_COSMETICS - 0.2306) < 1e-4
