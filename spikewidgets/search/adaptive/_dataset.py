"""The Dataset of an adaptive search: factors that did not run every trial.

A full search's Dataset comes from ``spikewidgets.search._results.build_dataset``.
An adaptive search keeps the same shape (``scaling_factor`` x ``trial``): a
trial a factor did not run is marked in ``simulated`` and is not counted as
wrong; :func:`adaptive_dataset` has ``build_dataset`` compute accuracy, its
Wilson interval and the per-condition accuracy from the trials each factor
ran, and choose the optimum (once, by the search's rule) among the factors
that ran to the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from spikewidgets.io._labels import variable_attrs
from spikewidgets.search._results import TrialScores, build_dataset
from spikewidgets.search.adaptive._reasons import departure_reasons

__all__ = ["adaptive_dataset", "expand_scores"]


def expand_scores(scores: TrialScores, active: np.ndarray) -> TrialScores:
    """Scores of the ``active`` factors spread over the whole grid (not run: False or NaN).

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.search.adaptive._dataset import expand_scores
    >>> from spikewidgets.search._results import TrialScores
    >>> two = TrialScores(3, 1, "go", np.array([True, False]), np.ones(2), np.ones(2),
    ...                   np.full(2, 4.0))
    >>> full = expand_scores(two, np.array([False, True, True]))
    >>> full.correct.tolist(), full.mean_rate.tolist()
    ([False, True, False], [nan, 4.0, 4.0])
    """
    def spread(values: np.ndarray, missing: object, dtype: type) -> np.ndarray:
        full = np.full(active.size, missing, dtype=dtype)
        full[active] = values
        return full

    return TrialScores(
        trial=scores.trial, label=scores.label, condition=scores.condition,
        correct=spread(scores.correct, False, bool),
        response=spread(scores.response, np.nan, np.float64),
        response_time=spread(scores.response_time, np.nan, np.float64),
        mean_rate=spread(scores.mean_rate, np.nan, np.float64),
    )


def adaptive_dataset(
    scaling_factors: np.ndarray,
    trials: Mapping[int, tuple[np.ndarray, TrialScores]],
    left_in_round: np.ndarray,
    conditions: Sequence[str],
    attrs: Mapping[str, object],
    rule: str,
    *,
    warn_edge: bool = False,
    stacklevel: int = 2,
) -> xr.Dataset:
    """The Dataset of an adaptive search from the trials each factor ran.

    Parameters
    ----------
    scaling_factors : ndarray
        The whole grid.
    trials : mapping
        ``trial -> (active, scores)``: the factors that ran the trial and
        their scores.
    left_in_round : ndarray of int
        Per factor, the number of rounds it ran before it left (-1: it ran
        to the end).
    conditions, attrs
        As for ``spikewidgets.search._results.build_dataset``.
    rule : {"first", "robust"}
        The optimum rule; the optimum is one of the factors that ran to the end.
    warn_edge : bool
        Give an :class:`~spikewidgets.EdgeOfGridWarning` for an optimum at
        the edge of the grid, ``stacklevel`` frames up (2: the caller).

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.search.adaptive._dataset import adaptive_dataset
    >>> from spikewidgets.search._results import TrialScores
    >>> def scores(trial, correct):
    ...     n = len(correct)
    ...     return TrialScores(trial, 1, "go", np.array(correct, dtype=bool), np.ones(n),
    ...                        np.ones(n), np.ones(n))
    >>> both, second = np.array([True, True]), np.array([False, True])
    >>> trials = {0: (both, scores(0, [False, True])), 1: (second, scores(1, [True]))}
    >>> ds = adaptive_dataset(np.array([10.0, 20.0]), trials, np.array([1, -1]), ["go"],
    ...                       {}, "first")
    >>> ds.simulated.values.tolist(), ds.n_trials_run.values.tolist()
    ([[True, False], [True, True]], [1, 2])
    >>> ds.accuracy.values.tolist(), float(ds.opt_scaling_factor)
    ([0.0, 1.0], 20.0)
    >>> ds.tied_with_optimum.attrs["description"][:33]
    'a finalist (a factor that ran to '
    """
    factors = np.asarray(scaling_factors, dtype=np.float64)
    order = sorted(trials)
    simulated = np.zeros((factors.size, len(order)), dtype=bool)
    for column, trial in enumerate(order):
        simulated[:, column] = trials[trial][0]
    expanded = [expand_scores(trials[t][1], trials[t][0]) for t in order]
    dataset = build_dataset(factors, expanded, conditions, attrs, simulated=simulated,
                            rule=rule, finalists=np.asarray(left_in_round) < 0,
                            warn_stacklevel=stacklevel + 1 if warn_edge else None)
    dataset["simulated"] = (("scaling_factor", "trial"), simulated, variable_attrs(
        "trial simulated", "whether the factor ran this trial (an adaptive search stops bad "
        "factors early)"))
    dataset["n_trials_run"] = ("scaling_factor", simulated.sum(axis=1).astype(np.int64),
                               variable_attrs("trials run", "trials the factor ran; its "
                                              "accuracy is computed from them"))
    dataset["left_in_round"] = ("scaling_factor", np.asarray(left_in_round, dtype=np.int64),
                                variable_attrs("round left", "rounds the factor ran before it "
                                               "left the search; -1 if it ran to the end"))
    reasons = departure_reasons(factors, dataset.correct.values, dataset.n_trials_run.values,
                                left_in_round, str(attrs.get("adaptive", "fixed_budget")),
                                attrs.get("adaptive_margin"))
    dataset["left_reason"] = ("scaling_factor", np.array(reasons, dtype=str), variable_attrs(
        "why it left", "why the factor left the search, compared on the trials it shared with "
        "the factors that went on; empty if it ran to the end"))
    return dataset
