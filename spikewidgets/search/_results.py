"""Building the xarray Dataset of a scaling-factor search from per-trial scores."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from spikewidgets.errors import EdgeOfGridWarning
from spikewidgets.io._labels import variable_attrs
from spikewidgets.search._rate_comparison import RateComparison
from spikewidgets.stats._intervals import wilson_interval
from spikewidgets.stats._optimum import decide_optimum

__all__ = [
    "TrialScores",
    "build_dataset",
    "warn_if_at_edge",
]


@dataclass(frozen=True)
class TrialScores:
    """Scores of one trial at every scaling factor (arrays of length K).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.search._plan import SearchPlan
    >>> plan = SearchPlan.prepare(sw.example_model("go_nogo", "."), "go_nogo", [30, 70], seed=0)
    >>> (scores,) = plan.score_trials([0])
    >>> scores.condition, scores.correct.tolist(), scores.mean_rate.round(1).tolist()
    ('nogo', [True, False], [4.9, 9.9])
    """

    trial: int
    label: int
    condition: str
    correct: np.ndarray
    response: np.ndarray
    response_time: np.ndarray
    mean_rate: np.ndarray
    #: The comparison with the rate network (``compare_rate=True``), else None.
    rate: RateComparison | None = None


def build_dataset(
    scaling_factors: np.ndarray,
    scores: Sequence[TrialScores],
    conditions: Sequence[str],
    attrs: Mapping[str, object],
    *,
    simulated: np.ndarray | None = None,
    rule: str = "first",
    finalists: np.ndarray | None = None,
    warn_stacklevel: int | None = None,
) -> xr.Dataset:
    """Assemble the search Dataset from the scores of finished trials.

    Trials are sorted by index, so the result does not depend on the order in
    which workers finished. ``simulated`` (factors x trials, in trial order;
    default: all) says which trials each factor ran: accuracy, its interval
    and the accuracy per condition count only those (an adaptive search's).
    The optimum is chosen here, once, by ``rule``
    (``spikewidgets.stats._optimum.decide_optimum``), which also writes the
    labels of ``opt_scaling_factor`` and ``tied_with_optimum`` and sets
    ``attrs["optimum_rule"]``. With no finished trial the accuracy is NaN and
    there is no optimum (``opt_scaling_factor`` is NaN).

    Parameters
    ----------
    scaling_factors : ndarray
        The grid.
    scores : sequence of TrialScores
        The finished trials, in any order.
    conditions : sequence of str
        The task's conditions.
    attrs : mapping
        Attributes of the Dataset.
    simulated : ndarray of bool, optional
        Trials each factor ran (default: all).
    rule : {"first", "robust"}
        The optimum rule (``spikewidgets.stats._optimum``).
    finalists : ndarray of bool, optional
        The factors that ran to the end of an adaptive search, the only ones
        the optimum may be; None for a full search.
    warn_stacklevel : int, optional
        Give an :class:`EdgeOfGridWarning` for an optimum at the edge of the
        grid, placed this many frames up (2: the caller); None: no warning.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.search._results import TrialScores, build_dataset
    >>> scores = [TrialScores(t, 1, "go", np.array([t < 3, True]), np.ones(2), np.ones(2),
    ...                       np.full(2, 5.0)) for t in range(4)]
    >>> ds = build_dataset(np.array([10.0, 20.0]), scores, ["go", "nogo"], {"task": "go_nogo"})
    >>> ds.accuracy.values.tolist(), float(ds.opt_scaling_factor), ds.attrs["optimum_rule"]
    ([0.75, 1.0], 20.0, 'first')
    >>> robust = build_dataset(np.array([10.0, 20.0]), scores, ["go", "nogo"], {},
    ...                        rule="robust")
    >>> robust.tied_with_optimum.values.tolist(), robust.tied_with_optimum.attrs["long_name"]
    ([True, True], 'tied with the best factor')
    """
    scores = sorted(scores, key=lambda s: s.trial)
    factors = np.asarray(scaling_factors, dtype=np.float64)

    def stack(name: str, dtype: type) -> np.ndarray:
        if not scores:
            return np.empty((factors.size, 0), dtype=dtype)
        return np.stack([getattr(s, name) for s in scores], axis=1).astype(dtype)

    correct = stack("correct", bool)
    condition = np.array([s.condition for s in scores], dtype=str)
    ran = np.ones_like(correct) if simulated is None else np.asarray(simulated, dtype=bool)
    optimum = decide_optimum(correct, ran, finalists, rule)
    named = variable_attrs
    data_vars = {
        "correct": (("scaling_factor", "trial"), correct,
                    named("correct", "trial answered correctly")),
        "response": (("scaling_factor", "trial"), stack("response", np.float64),
                     named("response", "thresholded statistic of the spiking readout "
                           "in the response window (max, or min for negative labels)")),
        "response_time": (("scaling_factor", "trial"), stack("response_time", np.float64),
                          named("response time", "time of the first threshold crossing in "
                                "the response window, from trial start (NaN if none)", "s")),
        "mean_rate": (("scaling_factor", "trial"), stack("mean_rate", np.float64),
                      named("mean firing rate", "mean firing rate over all units", "Hz")),
        **_accuracy_variables(correct, ran, condition, conditions),
        "tied_with_optimum": ("scaling_factor", optimum.tied,
                              optimum.labels["tied_with_optimum"]),
        "opt_scaling_factor": ((), float(factors[optimum.index]) if optimum.index >= 0
                               else float("nan"), optimum.labels["opt_scaling_factor"]),
    }
    coords = {
        "scaling_factor": ("scaling_factor", factors,
                           named("scaling factor", "scaling factor dividing recurrent and "
                                 "readout weights")),
        "trial": ("trial", np.array([s.trial for s in scores], dtype=np.int64),
                  named("trial", "trial index")),
        "task_condition": ("task_condition", np.asarray(conditions, dtype=str),
                           named("task condition", "conditions of the task")),
        "condition": ("trial", condition, named("condition", "condition of the trial")),
        "label": ("trial", np.array([s.label for s in scores], dtype=np.int64),
                  named("expected answer", "expected answer of the trial")),
    }
    dataset = xr.Dataset(data_vars=data_vars, coords=coords, attrs=dict(attrs))
    dataset.attrs["optimum_rule"] = optimum.rule
    dataset.attrs["n_trials_completed"] = len(scores)
    if warn_stacklevel is not None and optimum.index >= 0:
        warn_if_at_edge(factors, optimum.index, warn_stacklevel + 1)
    return dataset


def _accuracy_variables(correct: np.ndarray, ran: np.ndarray, condition: np.ndarray,
                        conditions: Sequence[str]) -> dict[str, tuple]:
    """Accuracy and its interval per factor, and the accuracy per condition (of trials run)."""
    accuracy, ci_low, ci_high = _accuracy(correct & ran, ran)
    condition_accuracy = np.full((correct.shape[0], len(conditions)), np.nan)
    condition_trials = np.zeros(len(conditions), dtype=np.int64)
    for column, name in enumerate(conditions):
        chosen = condition == name
        condition_trials[column] = chosen.sum()
        condition_accuracy[:, column] = _accuracy(correct & ran & chosen, ran & chosen)[0]
    named = variable_attrs
    return {
        "accuracy": ("scaling_factor", accuracy, named("accuracy", "fraction of trials correct")),
        "accuracy_ci_low": ("scaling_factor", ci_low,
                            named("accuracy, 95 % CI low",
                                  "lower bound of the 95 % Wilson interval of accuracy")),
        "accuracy_ci_high": ("scaling_factor", ci_high,
                             named("accuracy, 95 % CI high",
                                   "upper bound of the 95 % Wilson interval of accuracy")),
        "condition_accuracy": (("scaling_factor", "task_condition"), condition_accuracy,
                               named("accuracy per condition",
                                     "fraction of trials correct per condition")),
        "condition_trials": ("task_condition", condition_trials,
                             named("trials per condition", "number of trials per condition")),
    }


def _accuracy(correct: np.ndarray, counted: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per factor: the fraction of ``counted`` trials ``correct`` and its Wilson interval.

    NaN for a factor without counted trials.
    """
    n_counted = counted.sum(axis=1)
    n_correct = correct.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(n_counted > 0, n_correct / n_counted, np.nan)
        low, high = wilson_interval(n_correct, n_counted)
    none = n_counted == 0
    return accuracy, np.where(none, np.nan, low), np.where(none, np.nan, high)


def warn_if_at_edge(factors: np.ndarray, optimum_index: int, stacklevel: int) -> None:
    """Give an :class:`EdgeOfGridWarning` if the optimum is the grid's smallest or largest factor.

    ``stacklevel`` is as for :func:`warnings.warn` called here (2: the caller).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from spikewidgets.search._results import warn_if_at_edge
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_at_edge(np.array([10.0, 20.0, 30.0]), 2, stacklevel=2)
    ...     warn_if_at_edge(np.array([10.0, 20.0, 30.0]), 1, stacklevel=2)
    >>> [str(warning.message)[:42] for warning in caught]
    ['the optimal scaling factor 30 is the large']
    """
    n_factors = factors.size
    if n_factors < 2 or optimum_index not in (0, n_factors - 1):
        return
    side = "smallest" if optimum_index == 0 else "largest"
    warnings.warn(
        f"the optimal scaling factor {factors[optimum_index]:g} is the {side} of the grid "
        f"({factors.min():g} to {factors.max():g}); widen the grid to be sure it is "
        "the optimum",
        EdgeOfGridWarning,
        stacklevel=stacklevel,
    )
