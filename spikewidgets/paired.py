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
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import xarray as xr
from scipy.special import bdtr

from .results import TrialScores, build_dataset, variable_attrs, wilson_interval
from .validation import positive_int

__all__ = ["critical_difference", "mcnemar_exact", "paired_difference_interval",
           "perturbation_dataset"]


def mcnemar_exact(gained: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """Two-sided exact McNemar p-value from the discordant counts (1 when there are none).

    Equal to ``scipy.stats.binomtest(gained, gained + lost, 0.5).pvalue``.

    Examples
    --------
    A perturbation that answered 7 trials right that the intact network got
    wrong, and 1 the other way round:

    >>> from spikewidgets.paired import mcnemar_exact
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

    >>> from spikewidgets.paired import paired_difference_interval
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


def _paired_counts(correct: np.ndarray) -> tuple[np.ndarray, ...]:
    """(both, gained, lost, neither) of each variant against variant 0, over the last axis."""
    intact, perturbed = correct[:1], correct
    return ((intact & perturbed).sum(-1), (~intact & perturbed).sum(-1),
            (intact & ~perturbed).sum(-1), (~intact & ~perturbed).sum(-1))


def perturbation_dataset(
    scaling_factors: np.ndarray,
    perturbations: Sequence[object],
    scores: Sequence[TrialScores],
    conditions: Sequence[str],
    attrs: Mapping[str, object],
    *,
    rule: str = "first",
) -> xr.Dataset:
    """The Dataset of a perturbation search: dims ``perturbation``, ``scaling_factor``, ``trial``.

    ``scores`` hold, per trial, the variants in the order perturbation-major
    (every factor of the first perturbation, then of the second, ...); the
    first perturbation is the intact network. Besides what a search Dataset
    has (per perturbation), it holds the paired change in accuracy against
    the intact network with its 95 % interval and McNemar's exact p-value,
    overall and per task condition. Each network's optimum is chosen by
    ``rule`` (:mod:`spikewidgets.optimum`).

    Examples
    --------
    Four Go trials at one scaling factor, each scored for the intact network
    and for ``ei_dec`` (:func:`~spikewidgets.search.perturbation_search`
    makes the scores by simulating):

    >>> import numpy as np
    >>> from spikewidgets.paired import perturbation_dataset
    >>> from spikewidgets.perturbations import as_perturbation
    >>> from spikewidgets.results import TrialScores
    >>> intact = [True, True, False, True]
    >>> perturbed = [False, True, False, False]
    >>> scores = [TrialScores(trial, 1, "go", np.array([a, b]), np.array([0.9, 0.1]),
    ...                       np.array([0.6, np.nan]), np.array([5.0, 6.0]))
    ...           for trial, (a, b) in enumerate(zip(intact, perturbed))]
    >>> ds = perturbation_dataset(np.array([30.0]), [as_perturbation(None),
    ...                                              as_perturbation("ei_dec")],
    ...                           scores, ("go", "nogo"), {"task": "go_nogo"})
    >>> ds.perturbation.values.tolist(), ds.perturbation_target.values.tolist()
    (['none', 'ei_dec'], ['', 'inh->exc'])
    >>> ds.accuracy.values.ravel(), ds.accuracy_change.values.ravel()
    (array([0.75, 0.25]), array([ 0. , -0.5]))
    >>> ds.trials_lost.values.ravel(), ds.mcnemar_p.values.ravel()
    (array([0, 2]), array([1. , 0.5]))
    """
    n_factors = len(scaling_factors)
    per_perturbation = []
    for index in range(len(perturbations)):
        part = slice(index * n_factors, (index + 1) * n_factors)
        sliced = [TrialScores(s.trial, s.label, s.condition, s.correct[part], s.response[part],
                              s.response_time[part], s.mean_rate[part]) for s in scores]
        per_perturbation.append(build_dataset(scaling_factors, sliced, conditions, {},
                                              rule=rule))
    labels = [p.label for p in perturbations]
    dataset = xr.concat(per_perturbation, dim="perturbation", coords="minimal",
                        compat="override", join="override")
    # Per-trial and per-condition facts are those of the trials, the same for every variant.
    dataset["condition_trials"] = dataset.condition_trials.isel(perturbation=0, drop=True)
    records = [p.describe() for p in perturbations]
    dataset = dataset.assign_coords(
        perturbation=("perturbation", labels,
                      variable_attrs("perturbation",
                                     "perturbation of the network ('none': intact)")),
        perturbation_kind=("perturbation", [str(r["kind"]) for r in records],
                           variable_attrs("perturbation kind", "kind of perturbation")),
        perturbation_target=("perturbation", [str(r["target"]) for r in records],
                             variable_attrs("perturbation target",
                                            "what the perturbation acts on")),
        perturbation_strength=("perturbation", [float(r["strength"]) for r in records],
                               variable_attrs("perturbation strength",
                                              "factor, fraction or unit count of the "
                                              "perturbation (NaN if it has none)")),
    )
    for name in per_perturbation[0].variables:
        dataset[name].attrs = dict(per_perturbation[0][name].attrs)
    _add_paired(dataset)
    dataset.attrs = {**attrs, "n_trials_completed": int(dataset.sizes["trial"]),
                     "intact_perturbation": labels[0]}
    return dataset


def _add_paired(dataset: xr.Dataset) -> None:
    correct = dataset.correct.values  # (P, F, T)
    both, gained, lost, neither = _paired_counts(correct)
    n_trials = correct.shape[-1]
    dims = ("perturbation", "scaling_factor")
    with np.errstate(invalid="ignore", divide="ignore"):
        change = (gained - lost) / n_trials if n_trials else np.full(both.shape, np.nan)
    low, high = paired_difference_interval(both, gained, lost, neither)
    dataset["accuracy_change"] = (dims, change, variable_attrs(
        "accuracy change", "accuracy minus the intact network's, on the same trials"))
    dataset["accuracy_change_ci_low"] = (dims, low, variable_attrs(
        "accuracy change, 95 % CI low",
        "lower bound of the 95 % interval of the change (Newcombe, paired)"))
    dataset["accuracy_change_ci_high"] = (dims, high, variable_attrs(
        "accuracy change, 95 % CI high",
        "upper bound of the 95 % interval of the change (Newcombe, paired)"))
    dataset["trials_gained"] = (dims, gained, variable_attrs(
        "trials gained", "trials correct here and wrong in the intact network"))
    dataset["trials_lost"] = (dims, lost, variable_attrs(
        "trials lost", "trials wrong here and correct in the intact network"))
    dataset["mcnemar_p"] = (dims, mcnemar_exact(gained, lost), variable_attrs(
        "McNemar p-value", "two-sided exact McNemar p-value of the change"))
    conditions = dataset.task_condition.values
    condition = dataset.condition.values
    shape = (*both.shape, conditions.size)
    change_c, p_c = np.full(shape, np.nan), np.ones(shape)
    for column, name in enumerate(conditions):
        chosen = correct[..., condition == name]
        if chosen.shape[-1]:
            _, g, lo, _ = _paired_counts(chosen)
            change_c[..., column] = (g - lo) / chosen.shape[-1]
            p_c[..., column] = mcnemar_exact(g, lo)
    dims_c = (*dims, "task_condition")
    dataset["condition_accuracy_change"] = (dims_c, change_c, variable_attrs(
        "accuracy change per condition", "accuracy change per condition, on the same trials"))
    dataset["condition_mcnemar_p"] = (dims_c, p_c, variable_attrs(
        "McNemar p-value per condition",
        "two-sided exact McNemar p-value of the change per condition"))


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
    >>> from spikewidgets.paired import critical_difference
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
