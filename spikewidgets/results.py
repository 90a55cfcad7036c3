"""Building the xarray Dataset of a scaling-factor search from per-trial scores."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

__all__ = ["EdgeOfGridWarning", "TrialScores", "build_dataset", "wilson_interval"]

CONFIDENCE_LEVEL = 0.95
#: Two-sided 97.5 % quantile of the standard normal distribution.
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class TrialScores:
    """Scores of one trial at every scaling factor (arrays of length K)."""

    trial: int
    label: int
    condition: str
    correct: np.ndarray
    response: np.ndarray
    response_time: np.ndarray
    mean_rate: np.ndarray


def wilson_interval(n_correct: np.ndarray, n_trials: int) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (95 %) of a binomial proportion, per element.

    The closed form (Wilson 1927), equal to ``scipy.stats.binomtest(k,
    n).proportion_ci(method="wilson")`` (checked in the tests); computed here
    so that a search does not import ``scipy.stats`` (about 50 MB of memory).

    Parameters
    ----------
    n_correct : array of int
        Successes per scaling factor.
    n_trials : int
        Trials per scaling factor.
    """
    n = float(n_trials)
    p = np.asarray(n_correct, dtype=np.float64) / n
    z2 = Z_95**2
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = Z_95 * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return np.clip(centre - half_width, 0.0, 1.0), np.clip(centre + half_width, 0.0, 1.0)


def _attrs(units: str, long_name: str, **extra: object) -> dict[str, object]:
    return {"units": units, "long_name": long_name, **extra}


def build_dataset(
    scaling_factors: np.ndarray,
    scores: Sequence[TrialScores],
    conditions: Sequence[str],
    attrs: Mapping[str, object],
    *,
    warn_edge: bool = True,
    stacklevel: int = 3,
) -> xr.Dataset:
    """Assemble the search Dataset from the scores of finished trials.

    Trials are sorted by index, so the result does not depend on the order in
    which workers finished. ``stacklevel`` places the edge-of-grid warning
    (as for :func:`warnings.warn`, counted from this function). With no
    finished trial the accuracy is NaN and there is no optimum
    (``opt_scaling_factor`` is NaN).
    """
    scores = sorted(scores, key=lambda s: s.trial)
    factors = np.asarray(scaling_factors, dtype=np.float64)
    n_factors, n_trials = factors.size, len(scores)

    def stack(name: str, dtype: type) -> np.ndarray:
        if not scores:
            return np.empty((n_factors, 0), dtype=dtype)
        return np.stack([getattr(s, name) for s in scores], axis=1).astype(dtype)

    correct = stack("correct", bool)
    condition = np.array([s.condition for s in scores], dtype=str)
    n_correct = correct.sum(axis=1)
    if n_trials:
        accuracy = n_correct / n_trials
        ci_low, ci_high = wilson_interval(n_correct, n_trials)
    else:
        accuracy = ci_low = ci_high = np.full(n_factors, np.nan)
    condition_accuracy = np.full((n_factors, len(conditions)), np.nan)
    condition_trials = np.zeros(len(conditions), dtype=np.int64)
    for column, name in enumerate(conditions):
        chosen = condition == name
        condition_trials[column] = chosen.sum()
        if chosen.any():
            condition_accuracy[:, column] = correct[:, chosen].mean(axis=1)
    if n_trials:
        best = accuracy.max()
        tied = accuracy == best
        optimum_index = int(np.argmax(tied))  # ties go to the smallest factor
        optimum = float(factors[optimum_index])
    else:
        tied = np.zeros(n_factors, dtype=bool)
        optimum_index, optimum = -1, float("nan")
    dataset = xr.Dataset(
        data_vars={
            "correct": (("scaling_factor", "trial"), correct,
                        _attrs("1", "trial answered correctly")),
            "response": (("scaling_factor", "trial"), stack("response", np.float64),
                         _attrs("1", "thresholded statistic of the spiking readout "
                                "in the response window (max, or min for negative labels)")),
            "response_time": (("scaling_factor", "trial"), stack("response_time", np.float64),
                              _attrs("s", "time of the first threshold crossing in the "
                                     "response window, from trial start (NaN if none)")),
            "mean_rate": (("scaling_factor", "trial"), stack("mean_rate", np.float64),
                          _attrs("Hz", "mean firing rate over all units")),
            "accuracy": ("scaling_factor", accuracy, _attrs("1", "fraction of trials correct")),
            "accuracy_ci_low": ("scaling_factor", ci_low,
                                _attrs("1", "lower bound of the 95 % Wilson interval of accuracy")),
            "accuracy_ci_high": ("scaling_factor", ci_high,
                                 _attrs("1", "upper bound of the 95 % Wilson interval of "
                                        "accuracy")),
            "condition_accuracy": (("scaling_factor", "task_condition"), condition_accuracy,
                                   _attrs("1", "fraction of trials correct per condition")),
            "condition_trials": ("task_condition", condition_trials,
                                 _attrs("1", "number of trials per condition")),
            "tied_with_optimum": ("scaling_factor", tied,
                                  _attrs("1", "accuracy equals the best accuracy")),
            "opt_scaling_factor": ((), optimum,
                                   _attrs("1", "optimal scaling factor (smallest of the tied "
                                          "best; paper's lambda = 1 / this)")),
        },
        coords={
            "scaling_factor": ("scaling_factor", factors,
                               _attrs("1", "scaling factor dividing recurrent and readout "
                                      "weights")),
            "trial": ("trial", np.array([s.trial for s in scores], dtype=np.int64),
                      _attrs("1", "trial index")),
            "task_condition": ("task_condition", np.asarray(conditions, dtype=str),
                               _attrs("1", "conditions of the task")),
            "condition": ("trial", condition, _attrs("1", "condition of the trial")),
            "label": ("trial", np.array([s.label for s in scores], dtype=np.int64),
                      _attrs("1", "expected answer of the trial")),
        },
        attrs=dict(attrs),
    )
    dataset.attrs["n_trials_completed"] = n_trials
    if warn_edge and n_trials and n_factors > 1 and optimum_index in (0, n_factors - 1):
        side = "smallest" if optimum_index == 0 else "largest"
        warnings.warn(
            f"the optimal scaling factor {optimum:g} is the {side} of the grid "
            f"({factors.min():g} to {factors.max():g}); widen the grid to be sure it is "
            "the optimum",
            EdgeOfGridWarning,
            stacklevel=stacklevel,
        )
    return dataset


class EdgeOfGridWarning(UserWarning):
    """The best scaling factor lies at the edge of the searched grid."""
