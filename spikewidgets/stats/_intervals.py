"""Confidence intervals of accuracies."""

from __future__ import annotations

import numpy as np

__all__ = ["wilson_interval"]

#: Two-sided 97.5 % quantile of the standard normal distribution.
Z_95 = 1.959963984540054


def wilson_interval(n_correct: np.ndarray, n_trials: int) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (95 %) of a binomial proportion, per element.

    The closed form (Wilson 1927), equal to ``scipy.stats.binomtest(k,
    n).proportion_ci(method="wilson")`` (checked in the tests); computed here
    so that a search does not import ``scipy.stats`` (about 50 MB of memory).

    Parameters
    ----------
    n_correct : array of int
        Successes per scaling factor.
    n_trials : int or array of int
        Trials per scaling factor (one count for all, or one each).

    Examples
    --------
    >>> from spikewidgets.stats._intervals import wilson_interval
    >>> low, high = wilson_interval([20, 10], 20)
    >>> low.round(3).tolist(), high.round(3).tolist()
    ([0.839, 0.299], [1.0, 0.701])
    """
    n = np.asarray(n_trials, dtype=np.float64)
    p = np.asarray(n_correct, dtype=np.float64) / n
    z2 = Z_95**2
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = Z_95 * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return np.clip(centre - half_width, 0.0, 1.0), np.clip(centre + half_width, 0.0, 1.0)
