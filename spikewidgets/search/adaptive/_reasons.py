"""Why each factor left an adaptive search, in words, from the trials it shared.

A factor that left after round ``r`` ran the first ``n`` trials, and so did
every factor that went on: the strategy decided on those shared trials. Its
accuracy over them can look as good as a finalist's accuracy over all of
its trials (1.000 over 11 trials beside 0.987 over 78); the reason says what
the strategy compared:

- :class:`~spikewidgets.search.adaptive.FixedBudget` keeps the factors with
  the most trials right on the shared trials, ties to the factor whose
  neighbours did better, then to the smaller factor. A factor that left is
  compared with the weakest factor that went on.
- :class:`~spikewidgets.search.adaptive.Race` removes a factor when an exact
  paired test shows it worse than the leader (the factor with the most
  trials right) by more than the margin. A factor that left is compared
  with that leader.

The reasons are rebuilt from the Dataset's outcomes by the strategies' own
rules (``keep_best``'s order, the race's leader), so they hold for searches
stored earlier too.
"""

from __future__ import annotations

import numpy as np

from spikewidgets.search.adaptive._strategies import keep_order, leader, neighbour_accuracy

__all__ = ["departure_reasons"]


def _weakest_kept(shared: np.ndarray, runs: np.ndarray, active: np.ndarray,
                  kept: np.ndarray) -> int:
    """The factor that went on last in the fixed budget's order (``keep_order``)."""
    order = keep_order(shared, active, runs)
    return int(order[np.isin(order, np.flatnonzero(kept))][-1])


def _fixed_budget_reason(factor: int, n: int, shared: np.ndarray, runs: np.ndarray,
                         active: np.ndarray, kept: np.ndarray, names: list[str]) -> str:
    right = shared.sum(axis=1)
    weakest = _weakest_kept(shared, runs, active, kept)
    other = f"{names[weakest]} ({right[weakest]}/{n})"
    if right[factor] < right[weakest]:
        return (f"{right[factor]}/{n} right on the trials it shared, fewer than the "
                f"{int(kept.sum())} factors that went on (the weakest: {other})")
    # Tied on the shared trials: keep_order's next key, the neighbours, then the smaller factor.
    neighbours = neighbour_accuracy(shared, runs)
    why = "whose neighbours did better" if neighbours[weakest] > neighbours[factor] \
        else "the smaller factor"
    return f"tied at {right[factor]}/{n} with {names[weakest]}, {why}"


def _race_reason(factor: int, n: int, shared: np.ndarray, active: np.ndarray,
                 names: list[str], margin: object) -> str:
    right = shared.sum(axis=1)
    best = leader(shared, active)
    return (f"{right[factor]}/{n} right against {right[best]}/{n} for the leader "
            f"{names[best]} on the same trials: worse by more than the margin {margin} "
            "(exact paired test)")


def departure_reasons(scaling_factors: np.ndarray, correct: np.ndarray,
                      n_trials_run: np.ndarray, left_in_round: np.ndarray,
                      strategy: str, margin: object = None) -> list[str]:
    """Per factor, why it left the search ('' for a factor that ran to the end).

    Parameters
    ----------
    scaling_factors : ndarray
        The grid.
    correct : ndarray of bool, shape (factors, trials)
        Outcomes, trials in order (False where a factor did not run).
    n_trials_run : ndarray of int
        Trials each factor ran: the first ``n_trials_run`` of the search's.
    left_in_round : ndarray of int
        Rounds each factor ran before it left; -1 if it ran to the end.
    strategy : {"fixed_budget", "race"}
        The strategy's name (``attrs["adaptive"]``).
    margin : float, optional
        The race's margin.

    Examples
    --------
    Factor 10 ties with 20 on the two trials they shared; 20 went on, because
    its neighbours did better:

    >>> import numpy as np
    >>> from spikewidgets.search.adaptive._reasons import departure_reasons
    >>> correct = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [1, 1, 1, 0], [0, 1, 0, 0]], bool)
    >>> reasons = departure_reasons(np.array([10.0, 20.0, 30.0, 40.0]), correct,
    ...                             np.array([2, 4, 4, 2]), np.array([1, -1, -1, 1]),
    ...                             "fixed_budget")
    >>> for reason in reasons:
    ...     print(reason or "ran to the end")
    left after round 1: tied at 2/2 with 30, whose neighbours did better
    ran to the end
    ran to the end
    left after round 1: 1/2 right on the trials it shared, fewer than the 2 factors that went
    on (the weakest: 30 (2/2))
    """
    factors = np.asarray(scaling_factors, dtype=np.float64)
    runs = np.asarray(n_trials_run, dtype=np.int64)
    names = [f"{factor:g}" for factor in factors]
    correct = np.asarray(correct, dtype=bool)
    reasons = []
    for factor, (rounds, n) in enumerate(zip(left_in_round, runs, strict=True)):
        if rounds < 0:
            reasons.append("")
            continue
        n = int(n)
        shared = correct[:, :n]
        active = runs >= n
        # The factors that went on: still running, or left in a later round (while a round
        # runs, they may not have run more trials yet).
        later = np.asarray(left_in_round)
        kept = active & ((later < 0) | (later > rounds))
        if strategy == "race":
            why = _race_reason(factor, n, shared, active, names, margin)
        else:
            why = _fixed_budget_reason(factor, n, shared, np.minimum(runs, n), active, kept,
                                       names)
        reasons.append(f"left after round {int(rounds)}: {why}")
    return reasons
