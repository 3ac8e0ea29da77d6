"""The statistics' maths against published values and a direct computation (pure)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.queries.maths import (
    advised_bookings,
    binomial_tail_above,
    shrunk_show_rate,
    wilson,
)


@pytest.mark.parametrize(
    ("count", "total", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872, table I, method 3 (Wilson).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_intervals_match_the_published_values(count, total, low, high):
    rate = wilson(count, total)
    assert rate.rate == pytest.approx(count / total)
    assert rate.low == pytest.approx(low, abs=1e-4)
    assert rate.high == pytest.approx(high, abs=1e-4)


def test_a_rate_without_a_denominator_is_none_and_a_small_one_is_wide():
    assert wilson(0, 0).rate is None and wilson(0, 0).low is None
    small, large = wilson(2, 5), wilson(200, 500)
    assert small.rate == large.rate == 0.4
    assert small.high - small.low > 0.5 > large.high - large.low


@given(st.integers(0, 300), st.integers(1, 300))
def test_the_interval_holds_the_rate_within_zero_and_one(count, total):
    count = min(count, total)
    rate = wilson(count, total)
    assert 0.0 <= rate.low <= rate.rate <= rate.high <= 1.0


def test_few_visits_lean_on_the_sites_show_rate():
    assert shrunk_show_rate(0, 0, 0.85) == pytest.approx(0.85)
    assert shrunk_show_rate(3, 3, 0.85) == pytest.approx((3 + 30 * 0.85) / 33)
    assert shrunk_show_rate(600, 1000, 0.85) == pytest.approx(0.6073, abs=1e-4)


def direct_tail(n: int, p: float, seats: int) -> float:
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(seats + 1, n + 1))


@pytest.mark.parametrize(("n", "p", "seats"), [(12, 0.8, 10), (40, 0.85, 32), (5, 0.5, 2)])
def test_the_binomial_tail_matches_a_direct_sum(n, p, seats):
    assert binomial_tail_above(n, p, seats) == pytest.approx(direct_tail(n, p, seats), rel=1e-9)


def test_advised_bookings_are_the_largest_within_the_risk():
    seats, p = 20, 0.85
    advised = advised_bookings(seats, p, risk=0.05)
    assert direct_tail(advised, p, seats) <= 0.05 < direct_tail(advised + 1, p, seats)
    assert advised > seats  # the expected no-shows leave room for more bookings
    assert advised_bookings(20, 1.0) == 20  # everyone comes: no extra booking
    assert advised_bookings(0, 0.8) == 0
