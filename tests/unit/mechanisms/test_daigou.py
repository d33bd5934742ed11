"""Daigou requests: who asks, for what, and how often."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from socialsim.mechanisms.daigou import daigou_requests


def clients_of(rows: list[list[int]], n: int, trust: float = 0.5) -> sparse.csr_array:
    r = np.repeat(np.arange(len(rows)), [len(x) for x in rows])
    c = np.concatenate(rows)
    return sparse.csr_array((np.full(c.size, trust, np.float32), (r, c)), shape=(len(rows), n))


def test_only_open_needs_in_import_categories_are_asked_for():
    clients = clients_of([[0, 1, 2], [2, 3]], 4, trust=0.8)
    need = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1]], dtype=bool)
    imports = np.array([True, False, True])
    asks = daigou_requests(clients, need, imports, 1.0, np.random.default_rng(0))
    pairs = set(zip(asks.daigou.tolist(), asks.client.tolist(), strict=True))
    # Client 1 needs only a domestic category; every other client asks each of its daigou.
    assert pairs == {(0, 0), (0, 2), (1, 2), (1, 3)}
    assert need[asks.client, asks.category].all() and imports[asks.category].all()
    np.testing.assert_allclose(asks.trust, 0.8)


def test_a_client_asks_for_each_open_import_need_equally_often():
    clients = clients_of([[0]], 1)
    need = np.ones((1, 3), dtype=bool)
    rng = np.random.default_rng(1)
    counts = np.zeros(3)
    for _ in range(3000):
        asks = daigou_requests(clients, need, np.ones(3, bool), 1.0, rng)
        counts += np.bincount(asks.category, minlength=3)
    assert counts.sum() == 3000
    assert np.all(np.abs(counts / 3000 - 1 / 3) < 0.04)


def test_clients_are_in_touch_at_the_contact_rate():
    n = 20_000
    clients = clients_of([list(range(n))], n)
    need = np.ones((n, 1), dtype=bool)
    asks = daigou_requests(clients, need, np.array([True]), 0.3, np.random.default_rng(2))
    assert abs(len(asks) / n - 0.3) < 0.015
    assert len(daigou_requests(clients, need, np.array([True]), 0.0, np.random.default_rng(2))) == 0


def test_no_import_categories_means_no_requests():
    clients = clients_of([[0, 1]], 2)
    asks = daigou_requests(
        clients, np.ones((2, 2), bool), np.zeros(2, bool), 1.0, np.random.default_rng(3)
    )
    assert len(asks) == 0
