"""Returns: the return probability and the book that holds orders until they settle."""

from __future__ import annotations

import numpy as np
import pytest

from socialsim.mechanisms.returns import ReturnBook, Settlement, return_probability

# ---------------------------------------------------------------- probability


def test_a_product_of_mean_quality_is_returned_at_the_base_rate():
    assert return_probability(0.12, np.array([0.5])).tolist() == pytest.approx([0.12])
    assert return_probability(0.4, np.array([0.7]), mean_quality=0.7).tolist() == pytest.approx(
        [0.4]
    )
    base = np.array([0.1, 0.35, 0.5])  # per order: ordinary, livestream, ...
    assert return_probability(base, np.full(3, 0.6), mean_quality=0.6) == pytest.approx(base)


def test_a_perfect_product_is_never_returned():
    assert return_probability(0.5, np.array([1.0, 1.0]), mean_quality=0.3).tolist() == [0.0, 0.0]


def test_return_probability_is_proportional_to_one_minus_quality():
    quality = np.array([0.0, 0.2, 0.4, 0.6, 0.8])
    p = return_probability(0.2, quality, mean_quality=0.6)
    # 0.2 * (1 - q) / 0.4
    assert p == pytest.approx([0.5, 0.4, 0.3, 0.2, 0.1])
    assert (np.diff(p) < 0).all()  # better products come back less often
    assert p.dtype == np.float64


def test_return_probability_is_clipped_to_one():
    # 0.6 * (1 - 0) / (1 - 0.5) = 1.2 -> 1; 0.6 * 0.6 / 0.5 = 0.72 stays
    p = return_probability(0.6, np.array([0.0, 0.4]), mean_quality=0.5)
    assert p.tolist() == pytest.approx([1.0, 0.72])
    # a quality above 1 would give a negative probability: clipped to 0
    assert return_probability(0.3, np.array([1.2])).tolist() == [0.0]


@pytest.mark.parametrize("mean_quality", [1.0, 1.5, -0.1, np.nan])
def test_mean_quality_outside_zero_one_is_rejected(mean_quality):
    with pytest.raises(ValueError, match="mean_quality"):
        return_probability(0.1, np.array([0.5]), mean_quality=mean_quality)


def test_mean_quality_zero_is_allowed():
    assert return_probability(0.1, np.array([0.0, 0.5]), mean_quality=0.0) == pytest.approx(
        [0.1, 0.05]
    )


# ---------------------------------------------------------------- the book


def orders(order, buyer=None, price=None, platform=0, channel=0, streamer=-1, returned=False):
    order = np.asarray(order)
    m = order.size

    def col(x, default):
        return np.broadcast_to(np.asarray(default if x is None else x), (m,)).copy()

    return {
        "order": order,
        "buyer": col(buyer, order + 100),
        "product": col(None, order + 50),
        "price": col(price, order * 1.5),
        "platform": col(platform, 0),
        "channel": col(channel, 0),
        "streamer": col(streamer, -1),
        "returned": col(returned, False),
    }


def test_orders_are_held_until_their_due_step():
    book = ReturnBook()
    book.add(5, **orders([0, 1]))
    book.add(7, **orders([2]))
    assert len(book) == 3
    for step in range(5):
        assert len(book.settle(step)) == 0
    assert len(book) == 3
    due = book.settle(5)
    assert due.order.tolist() == [0, 1]
    assert len(book) == 1
    assert len(book.settle(6)) == 0
    assert book.settle(7).order.tolist() == [2]
    assert len(book) == 0


def test_settle_returns_everything_due_at_or_before_the_step_exactly_once():
    book = ReturnBook()
    book.add(9, **orders([5]))
    book.add(3, **orders([1, 2]))
    book.add(6, **orders([3]))
    book.add(3, **orders([4]))  # a second batch due the same day
    book.add(12, **orders([6]))
    settled = book.settle(10)  # a step skipped days: days 3, 6 and 9 all settle
    assert sorted(settled.order.tolist()) == [1, 2, 3, 4, 5]
    assert len(book) == 1
    assert len(book.settle(10)) == 0  # nothing twice
    assert book.settle(100).order.tolist() == [6]
    assert len(book.settle(100)) == 0 and len(book) == 0


def test_settlement_carries_every_column_aligned():
    book = ReturnBook()
    book.add(
        4,
        order=np.array([10, 11, 12]),
        buyer=np.array([7, 8, 9]),
        product=np.array([3, 1, 4]),
        price=np.array([9.99, 20.0, 0.5]),
        platform=np.array([2, 0, 1]),
        channel=np.array([2, 0, 1]),
        streamer=np.array([5, -1, -1]),
        returned=np.array([True, False, True]),
    )
    s = book.settle(4)
    assert isinstance(s, Settlement)
    assert s.order.tolist() == [10, 11, 12]
    assert s.buyer.tolist() == [7, 8, 9]
    assert s.product.tolist() == [3, 1, 4]
    assert s.price.tolist() == [9.99, 20.0, 0.5]
    assert s.platform.tolist() == [2, 0, 1]
    assert s.channel.tolist() == [2, 0, 1]
    assert s.streamer.tolist() == [5, -1, -1]
    assert s.returned.tolist() == [True, False, True]


def test_settlement_dtypes_whatever_the_input():
    book = ReturnBook()
    book.add(
        1,
        order=[1, 2],
        buyer=np.array([3.0, 4.0]),
        product=np.array([5, 6], dtype=np.int64),
        price=np.array([1, 2]),
        platform=np.array([0, 1], dtype=np.int64),
        channel=[0, 2],
        streamer=np.array([-1, 4], dtype=np.int64),
        returned=np.array([0, 1]),
    )
    for s in (book.settle(1), ReturnBook().settle(1)):  # also when nothing is due
        assert s.order.dtype == np.int64
        assert s.buyer.dtype == np.int32
        assert s.product.dtype == np.int32
        assert s.price.dtype == np.float64
        assert s.platform.dtype == np.int8
        assert s.channel.dtype == np.int8
        assert s.streamer.dtype == np.int32
        assert s.returned.dtype == bool


def test_adding_no_orders_is_a_no_op():
    book = ReturnBook()
    book.add(3, **orders(np.array([], dtype=np.int64)))
    assert len(book) == 0
    settled = book.settle(3)
    assert len(settled) == 0 and settled.order.dtype == np.int64
    # an empty batch next to a real one changes nothing
    book.add(3, **orders([1]))
    book.add(3, **orders(np.array([], dtype=np.int64)))
    assert len(book) == 1
    assert book.settle(3).order.tolist() == [1]


def test_batches_settling_together_keep_their_columns_aligned():
    book = ReturnBook()
    book.add(2, **orders([7, 8], returned=True, streamer=4))
    book.add(1, **orders([3], streamer=-1))
    book.add(2, **orders([9], returned=False, streamer=6))
    s = book.settle(2)
    assert sorted(s.order.tolist()) == [3, 7, 8, 9]
    row = {o: i for i, o in enumerate(s.order.tolist())}
    assert [bool(s.returned[row[o]]) for o in (3, 7, 8, 9)] == [False, True, True, False]
    assert [int(s.streamer[row[o]]) for o in (3, 7, 8, 9)] == [-1, 4, 4, 6]
    assert [int(s.buyer[row[o]]) for o in (3, 7, 8, 9)] == [103, 107, 108, 109]
    assert [float(s.price[row[o]]) for o in (3, 7, 8, 9)] == [4.5, 10.5, 12.0, 13.5]
