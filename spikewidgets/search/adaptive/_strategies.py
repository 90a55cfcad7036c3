"""Adaptive searches: spend the simulations on the scaling factors that may be the best.

Every factor of a paired search sees the same trials, so a few trials are
enough to tell a factor at 0.45 from one at 0.93. An adaptive search runs in
rounds: each round simulates the next trials for the factors still in the
running, then a strategy decides which factors leave. Two strategies:

:class:`FixedBudget`
    Sequential halving (Karnin, Koren & Somekh 2013, "Almost optimal
    exploration in multi-armed bandits", ICML): a budget of simulations
    (trials x factors) is split equally between rounds; after each round the
    better half of the factors (by accuracy on the same trials) stays.
    **Guarantees:** never more simulations than the budget; with a budget
    that covers the whole grid it is the full grid search, bit for bit.
    **Does not guarantee** that the best factor survives: a factor is
    dropped for ranking low on few trials, without a test.
:class:`Race`
    An elimination race (Maron & Moore 1997, "The racing algorithm", AI
    Review) with exact paired tests. At each look a factor leaves when an
    exact unconditional test of its paired trials against the current
    leader says it is worse by more than ``margin``, at a level corrected
    (Bonferroni) for every ordered pair of factors and every look.
    **Guarantees:** the chance that any factor whose true accuracy is within
    ``margin`` of the best leaves, over all factors and looks, is at most
    ``alpha``. **Does not guarantee** savings: factors close to the best
    run to the end.

The strategies are pure: they see the correct/incorrect matrix of the trials
run so far and return the next round (:class:`RoundPlan`, in
``spikewidgets.search.adaptive._rounds`` with :class:`Strategy`,
:class:`RaceState` and :func:`replay`, which are also importable from here).
:func:`replay` runs one on a matrix of known outcomes, without simulation
(what the tests and the benchmark use).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from spikewidgets.io._validation import positive_int, probability
from spikewidgets.search.adaptive._rounds import (
    RaceState,
    RoundPlan,
    Strategy,
    replay,
    trials_done,
)
from spikewidgets.stats._paired import critical_difference

__all__ = [
    "FixedBudget",
    "Race",
    "RaceState",
    "RoundPlan",
    "Strategy",
    "as_strategy",
    "keep_best",
    "keep_order",
    "leader",
    "neighbour_accuracy",
    "replay",
]


@dataclass(frozen=True)
class FixedBudget(Strategy):
    """Sequential halving within a budget of simulations.

    Parameters
    ----------
    budget : int, optional
        Simulations (trials x factors) to spend at most. Default: a third of
        the full grid's (``budget_fraction``).
    budget_fraction : float, default 1/3
        The default budget as a fraction of factors x ``n_trials``.
    finalists : int, default 3
        Halving stops at this many factors (or fewer); the optimum is chosen
        among them, on the most trials.

    Notes
    -----
    The factors halve each round (12, 6, 3 for the defaults), and every round
    gets an equal share of the budget, so later rounds give each survivor
    more trials. Ties in a round's ranking go to the factor whose neighbours
    did better, then to the smaller factor (``keep_best``). A round that
    could run every remaining factor to ``n_trials`` within the budget does
    so and ends the search.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.search.adaptive._strategies import FixedBudget, replay
    >>> truth = np.array([0.5, 0.9, 0.95, 0.9, 0.4, 0.1])
    >>> outcomes = np.random.default_rng(0).random((6, 100)) < truth[:, None]
    >>> result = replay(FixedBudget(), outcomes)
    >>> result.trials_run.tolist(), result.simulations
    ([16, 50, 50, 50, 16, 16], 198)
    """

    budget: int | None = None
    budget_fraction: float = 1 / 3
    finalists: int = 3
    name = "fixed_budget"

    def __post_init__(self) -> None:
        if self.budget is not None:
            positive_int("budget", self.budget)
        if not 0 < float(self.budget_fraction) <= 1:
            raise ValueError(f"budget_fraction is {self.budget_fraction!r}; expected a number "
                             "in (0, 1]")
        positive_int("finalists", self.finalists)

    def total_budget(self, n_factors: int, n_max: int) -> int:
        """The budget in simulations for a grid of ``n_factors`` and ``n_max`` trials."""
        if self.budget is not None:
            budget = int(self.budget)
        else:
            budget = round(self.budget_fraction * n_factors * n_max)
        if budget < n_factors:
            raise ValueError(f"budget is {budget} simulations, fewer than the {n_factors} "
                             "factors; expected at least one trial per factor")
        return budget

    def sizes(self, n_factors: int) -> list[int]:
        """Factors in each round: halving from ``n_factors`` down to ``finalists``."""
        sizes = [n_factors]
        while sizes[-1] > self.finalists:
            sizes.append(max(self.finalists, math.ceil(sizes[-1] / 2)))
        return sizes

    def next_round(self, correct: np.ndarray, trials_run: np.ndarray, active: np.ndarray,
                   n_max: int) -> RoundPlan:
        n_factors, n_done = active.size, trials_done(trials_run, active)
        sizes = self.sizes(n_factors)
        spent = int(trials_run.sum())
        remaining = self.total_budget(n_factors, n_max) - spent
        n_active = int(active.sum())
        if n_done >= n_max:
            return RoundPlan(active.copy(), n_done)
        if remaining >= n_active * (n_max - n_done):
            return RoundPlan(active.copy(), n_max)
        round_index = sizes.index(n_active) if n_active in sizes else len(sizes) - 1
        if n_done and round_index + 1 < len(sizes):
            active = keep_best(correct[:, :n_done], active, sizes[round_index + 1],
                               np.minimum(trials_run, n_done))
            n_active, round_index = int(active.sum()), round_index + 1
            if remaining >= n_active * (n_max - n_done):
                return RoundPlan(active, n_max)
        share = remaining / (len(sizes) - round_index)
        added = max(1, int(share // n_active))
        added = min(added, remaining // n_active, n_max - n_done)
        return RoundPlan(active, n_done + max(0, int(added)))

    def attrs(self) -> dict[str, object]:
        return {"adaptive": self.name,
                "adaptive_budget": -1 if self.budget is None else int(self.budget),
                "adaptive_budget_fraction": float(self.budget_fraction),
                "adaptive_finalists": int(self.finalists)}


@dataclass(frozen=True)
class Race(Strategy):
    """An elimination race with exact paired tests and a guaranteed error rate.

    Parameters
    ----------
    alpha : float, default 0.05
        Chance, over all factors and looks, of removing a factor whose true
        accuracy is within ``margin`` of the best.
    margin : float, default 0.02
        Accuracy difference a factor may lie below the best and still be
        protected by ``alpha``.
    look_every : int, default 10
        Trials between looks.

    Notes
    -----
    At each look, every factor ``k`` is compared with the leader ``j`` (best
    accuracy, ties to the smaller factor) on their common trials: ``b``
    trials right for ``j`` and wrong for ``k``, ``c`` the other way round.
    ``k`` leaves when ``b - c`` reaches
    ``spikewidgets.stats._paired.critical_difference``, the
    exact unconditional (trinomial) test of ``p_j - p_k <= margin``, whose
    level is ``alpha / (K (K - 1) L)`` for ``K`` factors and ``L`` looks
    (Bonferroni over ordered pairs and looks; the leader is chosen from the
    data, so every pair counts). The race stops when one factor is left.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.search.adaptive._strategies import Race, replay
    >>> truth = np.array([0.5, 0.9, 0.95, 0.9, 0.4, 0.1])
    >>> outcomes = np.random.default_rng(0).random((6, 100)) < truth[:, None]
    >>> replay(Race(), outcomes).trials_run.tolist()
    [70, 100, 100, 100, 40, 20]
    """

    alpha: float = 0.05
    margin: float = 0.02
    look_every: int = 10
    name = "race"

    def __post_init__(self) -> None:
        probability("alpha", self.alpha)
        if not 0 <= float(self.margin) < 1:
            raise ValueError(f"margin is {self.margin!r}; expected a number in [0, 1)")
        positive_int("look_every", self.look_every)

    def level(self, n_factors: int, n_max: int) -> float:
        """The level of each test: ``alpha`` over ordered pairs and looks."""
        looks = max(1, math.ceil(n_max / self.look_every) - 1)
        return float(self.alpha) / (n_factors * max(1, n_factors - 1) * looks)

    def next_round(self, correct: np.ndarray, trials_run: np.ndarray, active: np.ndarray,
                   n_max: int) -> RoundPlan:
        active, n_done = active.copy(), trials_done(trials_run, active)
        if 0 < n_done < n_max:
            threshold = critical_difference(n_done, float(self.margin),
                                            self.level(active.size, n_max))
            outcomes = correct[:, :n_done]
            best = leader(outcomes, active)
            better = (outcomes[best] & ~outcomes).sum(axis=1)
            worse = (~outcomes[best] & outcomes).sum(axis=1)
            active &= ~(better - worse >= threshold)
            active[best] = True
        if n_done >= n_max or active.sum() == 1:
            return RoundPlan(active, n_done)
        return RoundPlan(active, min(n_max, n_done + int(self.look_every)))

    def attrs(self) -> dict[str, object]:
        return {"adaptive": self.name, "adaptive_alpha": float(self.alpha),
                "adaptive_margin": float(self.margin),
                "adaptive_look_every": int(self.look_every)}


def as_strategy(adaptive: object) -> Strategy | None:
    """A strategy from ``lambda_grid_search``'s ``adaptive`` argument.

    ``None`` or ``False``: a full grid search (None is returned). ``True`` or
    ``"fixed_budget"``: :class:`FixedBudget` with its defaults. ``"race"``:
    :class:`Race` with its defaults. A :class:`Strategy` is returned as is.

    Examples
    --------
    >>> from spikewidgets.search.adaptive._strategies import as_strategy
    >>> as_strategy(True)
    FixedBudget(budget=None, budget_fraction=0.3333333333333333, finalists=3)
    >>> as_strategy("race")
    Race(alpha=0.05, margin=0.02, look_every=10)
    """
    if adaptive is None or adaptive is False:
        return None
    if isinstance(adaptive, Strategy):
        return adaptive
    if adaptive is True or adaptive == "fixed_budget":
        return FixedBudget()
    if adaptive == "race":
        return Race()
    raise ValueError(f"adaptive is {adaptive!r}; expected False, True, 'fixed_budget', 'race', "
                     "or a FixedBudget or Race object")


def keep_best(correct: np.ndarray, active: np.ndarray, n_keep: int,
              trials_run: np.ndarray | None = None) -> np.ndarray:
    """The ``n_keep`` active factors with the most trials right.

    Ties go to the factor whose neighbours on the grid did better (a factor
    inside a plateau before one at its edge), then to the smaller factor.

    Parameters
    ----------
    correct : ndarray of bool, shape (factors, trials)
        Outcomes; the active factors have run every column.
    active : ndarray of bool
        Factors still in the running.
    n_keep : int
        How many stay.
    trials_run : ndarray of int, optional
        Trials each factor ran (default: every column), for the neighbours'
        accuracy.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.search.adaptive._strategies import keep_best
    >>> correct = np.array([[1, 1, 0], [1, 1, 1], [1, 1, 1], [1, 1, 1], [0, 0, 0]], dtype=bool)
    >>> keep_best(correct, np.ones(5, dtype=bool), 2).tolist()
    [False, True, True, False, False]
    """
    kept = np.zeros_like(active)
    kept[keep_order(correct, active, trials_run)[:n_keep]] = True
    return kept & active


def keep_order(correct: np.ndarray, active: np.ndarray,
               trials_run: np.ndarray | None = None) -> np.ndarray:
    """The factors from first to keep to last: most trials right, better neighbours, smaller.

    The neighbours' accuracy is over the trials each ran (``trials_run``,
    default every column); inactive factors come last.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.search.adaptive._strategies import keep_order
    >>> correct = np.array([[1, 1, 0], [1, 1, 1], [1, 1, 1], [1, 1, 1], [0, 0, 0]], dtype=bool)
    >>> keep_order(correct, np.ones(5, dtype=bool)).tolist()
    [2, 1, 3, 0, 4]
    """
    n_factors = correct.shape[0]
    neighbours = neighbour_accuracy(correct, trials_run)
    score = np.where(active, correct.sum(axis=1), -1)
    # most right first, then the better neighbours, then the smaller factor
    return np.lexsort((np.arange(n_factors), -neighbours, -score))


def neighbour_accuracy(correct: np.ndarray, trials_run: np.ndarray | None = None) -> np.ndarray:
    """Per factor, the accuracies of its two grid neighbours added (0 past the grid's ends).

    Each accuracy is over the trials the factor ran (``trials_run``, default
    every column of ``correct``).

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.search.adaptive._strategies import neighbour_accuracy
    >>> neighbour_accuracy(np.array([[1, 1], [1, 0], [0, 0]], dtype=bool)).tolist()
    [0.5, 1.0, 0.5]
    """
    n_factors, n_columns = correct.shape
    runs = np.full(n_factors, n_columns) if trials_run is None else np.asarray(trials_run)
    accuracy = correct.sum(axis=1) / np.maximum(runs, 1)
    padded = np.concatenate([[0.0], np.where(runs > 0, accuracy, 0.0), [0.0]])
    return padded[:-2] + padded[2:]


def leader(correct: np.ndarray, active: np.ndarray) -> int:
    """The active factor with the most trials right (the smaller of tied ones).

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.search.adaptive._strategies import leader
    >>> leader(np.array([[1, 0], [1, 1], [1, 1]], dtype=bool), np.array([True, False, True]))
    2
    """
    return int(np.argmax(np.where(active, correct.sum(axis=1), -1)))
