"""Paired comparisons of network variants that saw the same trials.

In a perturbation search every variant sees the same trials (stimuli and
noise), so its change in accuracy against the intact network is a paired
comparison: on each trial, either both answered correctly, both wrongly, or
one did and the other did not (a *discordant* trial). The change and its
95 % interval follow Newcombe (1998, *Statistics in Medicine* 17:2635,
method 10, built from Wilson intervals); the test is McNemar's exact test,
a two-sided binomial test of the discordant trials against 1/2.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.special import bdtr

from spikewidgets.io._validation import positive_int
from spikewidgets.stats._intervals import wilson_interval

__all__ = ["critical_difference", "mcnemar_exact", "paired_difference_interval"]


def mcnemar_exact(gained: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """Two-sided exact McNemar p-value from the discordant counts (1 when there are none).

    Equal to ``scipy.stats.binomtest(gained, gained + lost, 0.5).pvalue``.

    Examples
    --------
    A perturbation that answered 7 trials right that the intact network got
    wrong, and 1 the other way round:

    >>> from spikewidgets.stats._paired import mcnemar_exact
    >>> float(mcnemar_exact(7, 1))
    0.0703125
    >>> mcnemar_exact([7, 3], [1, 3])
    array([0.0703125, 1.       ])
    """
    gained, lost = np.asarray(gained, dtype=np.int64), np.asarray(lost, dtype=np.int64)
    discordant = gained + lost
    smaller = np.minimum(gained, lost)
    tail = bdtr(smaller, np.maximum(discordant, 1), 0.5)
    return np.where(discordant > 0, np.minimum(1.0, 2 * tail), 1.0)


def paired_difference_interval(both: np.ndarray, gained: np.ndarray, lost: np.ndarray,
                               neither: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95 % interval of a paired difference of proportions (Newcombe's method 10).

    Parameters
    ----------
    both, gained, lost, neither : array of int
        Trials answered correctly by both variants, by the perturbed one
        only, by the intact one only, and by neither.

    Returns
    -------
    low, high : ndarray
        Bounds of ``accuracy(perturbed) - accuracy(intact)``; NaN without trials.

    Examples
    --------
    Of 100 trials, the perturbed network answered 2 right that the intact
    one got wrong and 12 the other way round: a change of -0.10, whose
    interval excludes 0:

    >>> from spikewidgets.stats._paired import paired_difference_interval
    >>> low, high = paired_difference_interval(50, 2, 12, 36)
    >>> round(float(low), 3), round(float(high), 3)
    (-0.168, -0.029)

    As many gained as lost: an interval around 0; no trials: NaN:

    >>> paired_difference_interval([50, 0], [10, 0], [10, 0], [30, 0])
    (array([-0.08633331,         nan]), array([0.08633331,        nan]))
    """
    a, b, c, d = (np.asarray(x, dtype=np.float64) for x in (both, gained, lost, neither))
    n = a + b + c + d
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = (a + b) / n, (a + c) / n
        low1, high1 = _wilson(a + b, n)
        low2, high2 = _wilson(a + c, n)
        denominator = np.sqrt((a + b) * (c + d) * (a + c) * (b + d))
        phi = np.where(denominator > 0, (a * d - b * c) / np.where(denominator > 0,
                                                                   denominator, 1), 0.0)
        delta = p1 - p2
        below = (p1 - low1) ** 2 - 2 * phi * (p1 - low1) * (high2 - p2) + (high2 - p2) ** 2
        above = (high1 - p1) ** 2 - 2 * phi * (high1 - p1) * (p2 - low2) + (p2 - low2) ** 2
        low = delta - np.sqrt(np.maximum(below, 0.0))
        high = delta + np.sqrt(np.maximum(above, 0.0))
    empty = n == 0
    return (np.where(empty, np.nan, np.clip(low, -1, 1)),
            np.where(empty, np.nan, np.clip(high, -1, 1)))


def _wilson(successes: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low, high = np.full(np.shape(n), np.nan), np.full(np.shape(n), np.nan)
    for total in np.unique(n[n > 0]):
        where = n == total
        low[where], high[where] = wilson_interval(successes[where], int(total))
    return low, high


def _xlogy(count: np.ndarray | int, chance: float) -> np.ndarray:
    """``count * log(chance)``, with 0 where ``count`` is 0 (also when ``chance`` is 0)."""
    count = np.asarray(count, dtype=np.float64)
    if chance <= 0:
        return np.where(count == 0, 0.0, -np.inf)
    return count * math.log(chance)


@lru_cache(maxsize=4096)
def critical_difference(n_trials: int, margin: float, level: float) -> int:
    """Smallest ``b - c`` at which paired trials show ``p_j - p_k > margin`` at ``level``.

    ``b`` counts trials right for ``j`` and wrong for ``k``, ``c`` the other
    way round. The test is exact and unconditional: the largest chance of
    ``B - C >= d`` over every null distribution on the boundary
    ``p_j - p_k = margin`` (a trinomial, whose discordance rate is the
    nuisance, maximised over a fine grid) is at most ``level``.

    Returns ``n_trials + 1`` (never reached) when no difference is enough.

    Examples
    --------
    >>> from spikewidgets.stats._paired import critical_difference
    >>> critical_difference(20, 0.0, 0.05)
    9
    >>> critical_difference(100, 0.02, 1e-4)
    39
    """
    n = positive_int("n_trials", n_trials)
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1)))])
    b, c = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    possible = b + c <= n
    b, c = b[possible], c[possible]
    log_count = log_factorial[n] - log_factorial[b] - log_factorial[c] - log_factorial[n - b - c]
    difference = b - c + n  # index 0 .. 2n
    worst_tail = np.zeros(2 * n + 2)
    for q_lost in np.linspace(0.0, (1 - margin) / 2, 401):
        q_gained = q_lost + margin
        log_p = (log_count + _xlogy(b, q_gained) + _xlogy(c, q_lost)
                 + _xlogy(n - b - c, max(0.0, 1.0 - q_gained - q_lost)))
        pmf = np.bincount(difference, weights=np.exp(log_p), minlength=2 * n + 1)
        tail = np.concatenate([np.cumsum(pmf[::-1])[::-1], [0.0]])
        np.maximum(worst_tail, tail, out=worst_tail)
    for d in range(1, n + 1):
        if worst_tail[d + n] <= level:
            return d
    return n + 1
