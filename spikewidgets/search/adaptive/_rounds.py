"""The rounds of an adaptive search: what a strategy decides, and the state between rounds.

A :class:`Strategy` sees the outcomes so far and returns the next
:class:`RoundPlan`; :class:`RaceState` keeps the outcomes, the trials run and
the round each factor left in. :func:`replay` runs a strategy on known
outcomes. The strategies themselves are in
``spikewidgets.search.adaptive._strategies``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikewidgets.io._validation import positive_int

__all__ = ["RaceState", "RoundPlan", "Strategy", "replay", "trials_done"]


@dataclass(frozen=True)
class RoundPlan:
    """The next round of an adaptive search.

    Attributes
    ----------
    active : ndarray of bool
        The factors that run it (those that left are False).
    n_trials : int
        Trials every active factor will have run at the end of the round
        (equal to the trials run so far when the search is over).

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.search.adaptive._strategies import Race
    >>> outcomes = np.zeros((3, 10), dtype=bool)
    >>> Race().next_round(outcomes, np.zeros(3, int), np.ones(3, bool), n_max=100)
    RoundPlan(active=array([ True,  True,  True]), n_trials=10)
    """

    active: np.ndarray
    n_trials: int


class Strategy:
    """What an adaptive strategy provides (:class:`FixedBudget`, :class:`Race`).

    A strategy of your own subclasses it: ``next_round`` decides, ``attrs``
    describes it in the Dataset, ``name`` names it.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.search.adaptive._rounds import RoundPlan, Strategy, replay
    >>> class FirstHalf(Strategy):
    ...     name = "first_half"
    ...     def next_round(self, correct, trials_run, active, n_max):
    ...         done = int(trials_run.max())
    ...         return RoundPlan(active, done if done else n_max // 2)
    ...     def attrs(self):
    ...         return {"adaptive": self.name}
    >>> replay(FirstHalf(), np.ones((4, 50), dtype=bool)).trials_run.tolist()
    [25, 25, 25, 25]
    """

    name = "strategy"

    def next_round(self, correct: np.ndarray, trials_run: np.ndarray, active: np.ndarray,
                   n_max: int) -> RoundPlan:  # pragma: no cover - interface
        """The next round, from the outcomes so far.

        Parameters
        ----------
        correct : ndarray of bool, shape (factors, trials)
            Outcome of every trial run so far (False where not run).
        trials_run : ndarray of int
            Trials each factor has run (trials ``0 .. trials_run[k] - 1``).
        active : ndarray of bool
            Factors still in the running; each has run the same, largest
            number of trials.
        n_max : int
            Trials per factor at most.
        """
        raise NotImplementedError

    def attrs(self) -> dict[str, object]:  # pragma: no cover - interface
        """The strategy's name and parameters as Dataset attributes."""
        raise NotImplementedError


class RaceState:
    """The state of one adaptive search between rounds: outcomes, trials run, who left.

    Parameters
    ----------
    strategy : Strategy
        Decides the rounds.
    n_factors : int
        Factors of the grid.
    n_max : int
        Trials per factor at most.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.search.adaptive._strategies import FixedBudget, RaceState
    >>> state = RaceState(FixedBudget(budget=60), n_factors=4, n_max=20)
    >>> plan = state.next_round()
    >>> plan.active.tolist(), plan.n_trials
    ([True, True, True, True], 7)
    >>> state.record(plan, np.array([[1] * 7, [0] * 7, [1] * 7, [1, 0] * 3 + [1]], dtype=bool))
    >>> plan = state.next_round()
    >>> plan.active.tolist(), plan.n_trials
    ([True, False, True, True], 17)
    """

    def __init__(self, strategy: Strategy, n_factors: int, n_max: int) -> None:
        self.strategy, self.n_max = strategy, positive_int("n_trials", n_max)
        n_factors = positive_int("n_factors", n_factors)
        self.correct = np.zeros((n_factors, self.n_max), dtype=bool)
        self.trials_run = np.zeros(n_factors, dtype=np.int64)
        self.active = np.ones(n_factors, dtype=bool)
        self.left_in_round = np.full(n_factors, -1, dtype=np.int64)
        self.rounds = 0
        self.finished = False

    @property
    def n_done(self) -> int:
        """Trials run by the factors still in the running."""
        return trials_done(self.trials_run, self.active)

    def next_round(self) -> RoundPlan | None:
        """The next round to run (factors that leave are marked), or None when it is over."""
        if self.finished:
            return None
        plan = self.strategy.next_round(self.correct, self.trials_run, self.active, self.n_max)
        self.left_in_round[self.active & ~plan.active] = self.rounds
        self.active = plan.active.copy()
        if plan.n_trials <= self.n_done:
            self.finished = True
            return None
        return plan

    def record(self, plan: RoundPlan, correct: np.ndarray) -> None:
        """Store a finished round: ``correct`` is (active factors, new trials)."""
        start = self.n_done
        self.correct[plan.active, start:plan.n_trials] = correct
        self.trials_run[plan.active] = plan.n_trials
        self.rounds += 1

    @property
    def simulations(self) -> int:
        """Trials x factors simulated so far."""
        return int(self.trials_run.sum())


def replay(strategy: Strategy, outcomes: np.ndarray) -> RaceState:
    """Run ``strategy`` on known outcomes (factors x trials), without simulating.

    Examples
    --------
    Twelve factors that are all equally good: a race removes none.

    >>> import numpy as np
    >>> from spikewidgets.search.adaptive._rounds import replay
    >>> from spikewidgets.search.adaptive._strategies import Race
    >>> outcomes = np.random.default_rng(1).random((12, 100)) < 0.9
    >>> state = replay(Race(), outcomes)
    >>> int(state.active.sum()), state.simulations
    (12, 1200)
    """
    outcomes = np.asarray(outcomes, dtype=bool)
    state = RaceState(strategy, outcomes.shape[0], outcomes.shape[1])
    while (plan := state.next_round()) is not None:
        state.record(plan, outcomes[plan.active, state.n_done:plan.n_trials])
    return state


def trials_done(trials_run: np.ndarray, active: np.ndarray) -> int:
    """Trials run by the active factors (the most any of them ran); 0 if none is active."""
    return int(trials_run[active].max()) if active.any() else 0
