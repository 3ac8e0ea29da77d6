"""The statistics' maths, pure: rates with their 95 % Wilson interval, the shrunk show rate of
a procedure, and the bookings a counter-day may take for its expected no-shows.

Rates are 0–1 and None when the denominator is 0; a small counter's 2 of 5 comes with an
interval wide enough to show it is not a crisis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the 97.5 % quantile of the standard normal
SHRINK_VISITS = 30  # k: a procedure's show rate is pulled toward its site's below this many


@dataclass(frozen=True)
class Rate:
    count: int
    total: int
    rate: float | None
    low: float | None
    high: float | None


def wilson(count: int, total: int, z: float = Z95) -> Rate:
    """`count` of `total` with its Wilson score interval (95 % by default)."""
    if total <= 0:
        return Rate(count, total, None, None, None)
    if not 0 <= count <= total:
        raise ValueError("count must lie between 0 and total")
    share = count / total
    z2 = z * z
    centre = (share + z2 / (2 * total)) / (1 + z2 / total)
    half = z * math.sqrt(share * (1 - share) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    low = 0.0 if count == 0 else max(0.0, centre - half)  # exact at the ends, no rounding
    high = 1.0 if count == total else min(1.0, centre + half)
    return Rate(count, total, share, low, high)


def shrunk_show_rate(shows: int, visits: int, site_rate: float, k: int = SHRINK_VISITS) -> float:
    """(shows + k·p_site) / (visits + k): few visits lean on the site's rate."""
    return (shows + k * site_rate) / (visits + k)


def binomial_tail_above(n: int, p: float, seats: int) -> float:
    """P(Binomial(n, p) > seats), summed exactly in log space."""
    if seats >= n:
        return 0.0
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for shows in range(seats + 1, n + 1):
        log_term = (
            math.lgamma(n + 1)
            - math.lgamma(shows + 1)
            - math.lgamma(n - shows + 1)
            + shows * log_p
            + (n - shows) * log_q
        )
        total += math.exp(log_term)
    return min(total, 1.0)


def advised_bookings(seats: int, show_rate: float, risk: float = 0.05, limit: int = 10) -> int:
    """The largest n with P(Binomial(n, p) > seats) <= risk: how many bookings a day of
    `seats` can take so that more visitors than seats come at most `risk` of the time.
    Never fewer than the seats, never more than `limit` times them."""
    if seats <= 0:
        return 0
    n = seats
    while n < seats * limit and binomial_tail_above(n + 1, show_rate, seats) <= risk:
        n += 1
    return n
