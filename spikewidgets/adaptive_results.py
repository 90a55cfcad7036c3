"""The Dataset of a search: the optimum rule, and factors that did not run every trial.

A full search's Dataset comes from :func:`~spikewidgets.results.build_dataset`;
:func:`apply_optimum_rule` then chooses its optimum by the search's rule. An
adaptive search keeps the same shape (``scaling_factor`` x ``trial``): a
trial a factor did not run is marked in ``simulated`` and is not counted as
wrong; :func:`adaptive_dataset` computes accuracy, its Wilson interval and
the per-condition accuracy from the trials each factor ran.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from .optimum import check_optimum_rule, choose_optimum
from .results import TrialScores, build_dataset, variable_attrs, warn_if_at_edge

__all__ = ["adaptive_dataset", "apply_optimum_rule", "expand_scores"]


def expand_scores(scores: TrialScores, active: np.ndarray) -> TrialScores:
    """Scores of the ``active`` factors spread over the whole grid (not run: False or NaN).

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.adaptive_results import expand_scores
    >>> from spikewidgets.results import TrialScores
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


def apply_optimum_rule(dataset: xr.Dataset, rule: str, *, finalists: np.ndarray | None = None,
                       simulated: np.ndarray | None = None, warn_edge: bool = False,
                       stacklevel: int = 2) -> xr.Dataset:
    """Set ``opt_scaling_factor`` and ``tied_with_optimum`` of a search Dataset by ``rule``.

    Parameters
    ----------
    dataset : xarray.Dataset
        A single-model search Dataset (``scaling_factor`` x ``trial``).
    rule : {"first", "robust"}
        See :mod:`spikewidgets.optimum`.
    finalists : ndarray of bool, optional
        Factors the optimum may be (default: all).
    simulated : ndarray of bool, optional
        Trials each factor ran (default: all).
    warn_edge : bool
        Give an :class:`~spikewidgets.EdgeOfGridWarning` for an optimum at
        the edge of the grid, ``stacklevel`` frames up from the caller.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.adaptive_results import apply_optimum_rule
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 20, "10:70:10", seed=0, save=False,
    ...                            progress=False)
    >>> ds.accuracy.values.tolist()
    [0.95, 1.0, 1.0, 1.0, 0.85, 0.15, 0.2]
    >>> float(ds.opt_scaling_factor), ds.attrs["optimum_rule"]
    (20.0, 'first')
    >>> float(apply_optimum_rule(ds, "robust").opt_scaling_factor)
    30.0
    """
    check_optimum_rule(rule)
    correct = dataset.correct.values
    simulated = np.ones_like(correct) if simulated is None else simulated
    finalists = np.ones(correct.shape[0], dtype=bool) if finalists is None else finalists
    index, tied = choose_optimum(correct, simulated, finalists, rule)
    factors = dataset.scaling_factor.values
    dataset["tied_with_optimum"] = ("scaling_factor", tied, dataset.tied_with_optimum.attrs)
    dataset["opt_scaling_factor"] = ((), float(factors[index]) if index >= 0 else np.nan,
                                     dataset.opt_scaling_factor.attrs)
    dataset.attrs["optimum_rule"] = rule
    if warn_edge and index >= 0:
        warn_if_at_edge(factors, index, stacklevel + 1)
    return dataset


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
        As for :func:`~spikewidgets.results.build_dataset`.
    rule : {"first", "robust"}
        The optimum rule; the optimum is one of the factors that ran to the end.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.adaptive_results import adaptive_dataset
    >>> from spikewidgets.results import TrialScores
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
    """
    factors = np.asarray(scaling_factors, dtype=np.float64)
    order = sorted(trials)
    simulated = np.zeros((factors.size, len(order)), dtype=bool)
    for column, trial in enumerate(order):
        simulated[:, column] = trials[trial][0]
    expanded = [expand_scores(trials[t][1], trials[t][0]) for t in order]
    dataset = build_dataset(factors, expanded, conditions, attrs, simulated=simulated)
    dataset["simulated"] = (("scaling_factor", "trial"), simulated, variable_attrs(
        "trial simulated", "whether the factor ran this trial (an adaptive search stops bad "
        "factors early)"))
    dataset["n_trials_run"] = ("scaling_factor", simulated.sum(axis=1).astype(np.int64),
                               variable_attrs("trials run", "trials the factor ran; its "
                                              "accuracy is computed from them"))
    dataset["left_in_round"] = ("scaling_factor", np.asarray(left_in_round, dtype=np.int64),
                                variable_attrs("round left", "rounds the factor ran before it "
                                               "left the search; -1 if it ran to the end"))
    return apply_optimum_rule(dataset, rule, finalists=np.asarray(left_in_round) < 0,
                              simulated=simulated, warn_edge=warn_edge, stacklevel=stacklevel + 1)
