"""Which scaling factor is the optimum: the rules a search can use.

``"first"`` (the default, as the original): the highest accuracy, ties to the
smallest factor. On a plateau of equally good factors this is the plateau's
small end, next to the edge where accuracy falls off.

``"robust"``: the middle of the longest run of neighbouring factors that are
statistically tied with the best (two-sided exact McNemar test of the paired
trials, p >= 0.05). It stays away from both edges of a plateau.

Both rules choose among the *finalists*: every factor of a full search, the
factors still running at the end of an adaptive one.

:func:`decide_optimum` is where a search's Dataset gets its optimum: the
chosen factor, the factors tied with it and the labels of the variables that
hold them (``opt_scaling_factor``, ``tied_with_optimum``), written for the
rule and the kind of search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikewidgets.stats._paired import mcnemar_exact

__all__ = ["OPTIMUM_RULES", "TIE_LEVEL", "Optimum", "check_optimum_rule", "choose_optimum",
           "decide_optimum", "tied_with_best"]

#: The optimum rules, the default first.
OPTIMUM_RULES = ("first", "robust")
#: Level of the paired test that decides whether a factor is tied with the best.
TIE_LEVEL = 0.05


def check_optimum_rule(optimum: str) -> str:
    """``optimum`` if it names a rule, else a ValueError naming the choices.

    Examples
    --------
    >>> from spikewidgets.stats._optimum import check_optimum_rule
    >>> check_optimum_rule("robust")
    'robust'
    """
    if optimum not in OPTIMUM_RULES:
        raise ValueError(f"optimum is {optimum!r}; expected one of {list(OPTIMUM_RULES)}")
    return optimum


def tied_with_best(correct: np.ndarray, simulated: np.ndarray, best: int) -> np.ndarray:
    """Factors whose paired trials do not differ from factor ``best``'s (McNemar p >= 0.05).

    Each factor is compared with ``best`` on the trials both ran.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.stats._optimum import tied_with_best
    >>> correct = np.array([[1] * 20, [1] * 19 + [0], [0] * 20], dtype=bool)
    >>> tied_with_best(correct, np.ones_like(correct), best=0).tolist()
    [True, True, False]
    """
    both = simulated & simulated[best]
    gained = (correct & ~correct[best] & both).sum(axis=1)
    lost = (~correct & correct[best] & both).sum(axis=1)
    return mcnemar_exact(gained, lost) >= TIE_LEVEL


def choose_optimum(correct: np.ndarray, simulated: np.ndarray, finalists: np.ndarray,
                   rule: str = "first") -> tuple[int, np.ndarray]:
    """Index of the optimal factor and the factors counted as tied with the best.

    Parameters
    ----------
    correct, simulated : ndarray of bool, shape (factors, trials)
        Outcomes, and which trials each factor ran.
    finalists : ndarray of bool
        Factors the optimum may be (all of a full search).
    rule : {"first", "robust"}
        See the module's description.

    Returns
    -------
    index : int
        -1 when no trial was run.
    tied : ndarray of bool
        ``"first"``: the finalists whose accuracy equals the best;
        ``"robust"``: the factors statistically tied with the best.

    Examples
    --------
    A plateau from the second to the fourth factor:

    >>> import numpy as np
    >>> from spikewidgets.stats._optimum import choose_optimum
    >>> trials_right = np.array([12, 39, 38, 39, 20])  # of 40
    >>> correct = np.arange(40) < trials_right[:, None]
    >>> everyone = np.ones(5, dtype=bool)
    >>> choose_optimum(correct, np.ones_like(correct), everyone, "first")[0]
    1
    >>> choose_optimum(correct, np.ones_like(correct), everyone, "robust")[0]
    2
    """
    check_optimum_rule(rule)
    runs = simulated.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(runs > 0, (correct & simulated).sum(axis=1) / np.maximum(runs, 1),
                            np.nan)
    candidates = finalists & (runs > 0)
    if not candidates.any():
        return -1, np.zeros(correct.shape[0], dtype=bool)
    scored = np.where(candidates, accuracy, -np.inf)
    best = int(np.argmax(scored == scored.max()))  # ties go to the smallest factor
    if rule == "first":
        return best, candidates & (scored == scored.max())
    tied = tied_with_best(correct, simulated, best) & (runs > 0)
    start, stop = _longest_run(tied, best)
    middle = (start + stop - 1) / 2
    in_run = np.zeros_like(tied)
    in_run[start:stop] = True
    choices = np.flatnonzero(in_run & candidates)
    if choices.size == 0:
        return best, tied
    # nearest the middle; between two, the one with the higher accuracy, then the smaller
    order = np.lexsort((choices, -accuracy[choices], np.abs(choices - middle)))
    return int(choices[order[0]]), tied


def _longest_run(mask: np.ndarray, must_hold: int) -> tuple[int, int]:
    """``(start, stop)`` of the longest run of True; ties: the run holding ``must_hold``."""
    runs, start = [], None
    for index, value in enumerate([*mask.tolist(), False]):
        if value and start is None:
            start = index
        elif not value and start is not None:
            runs.append((start, index))
            start = None
    longest = max(stop - start for start, stop in runs)
    best_runs = [run for run in runs if run[1] - run[0] == longest]
    holding = [run for run in best_runs if run[0] <= must_hold < run[1]]
    return (holding or best_runs)[0]


_FINALIST = "a factor that ran to the end of the adaptive search"
_MCNEMAR = f"exact McNemar test, p >= {TIE_LEVEL:g}"
_LAMBDA = "paper's lambda = 1 / this"
#: (rule, adaptive) -> (description of opt_scaling_factor, long_name and description of
#: tied_with_optimum). The full search's "first" labels are those of the stored Datasets.
_LABELS = {
    ("first", False): (
        f"optimal scaling factor (smallest of the tied best; {_LAMBDA})",
        "tied with the optimum", "accuracy equals the best accuracy"),
    ("first", True): (
        f"optimal scaling factor (the smallest finalist of highest accuracy, a finalist "
        f"being {_FINALIST}; {_LAMBDA})",
        "tied with the optimum",
        f"a finalist ({_FINALIST}) whose accuracy equals the optimum's"),
    ("robust", False): (
        f"optimal scaling factor (middle of the longest run of neighbouring factors "
        f"statistically tied with the best: {_MCNEMAR}; {_LAMBDA})",
        "tied with the best factor",
        f"not distinguishable from the best factor (highest accuracy, the smallest of equals) "
        f"by an exact McNemar test on paired trials (p >= {TIE_LEVEL:g})"),
    ("robust", True): (
        f"optimal scaling factor (the finalist nearest the middle of the longest run of "
        f"neighbouring factors statistically tied with the best finalist: {_MCNEMAR} on the "
        f"trials both ran; a finalist is {_FINALIST}; {_LAMBDA})",
        "tied with the best factor",
        f"not distinguishable from the best finalist ({_FINALIST}) by an exact McNemar test "
        f"on the paired trials both ran (p >= {TIE_LEVEL:g})"),
}


@dataclass(frozen=True)
class Optimum:
    """The optimum of a search by one rule, and the labels of the variables that hold it.

    Attributes
    ----------
    index : int
        Index of the optimal factor; -1 when no trial was run.
    tied : ndarray of bool
        The factors counted as tied by ``rule`` (``tied_with_optimum``).
    rule : str
        The optimum rule.
    labels : dict
        ``{"opt_scaling_factor": attrs, "tied_with_optimum": attrs}``, each
        with ``long_name`` and ``description`` (no units: a scaling factor
        is dimensionless).

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.stats._optimum import Optimum
    >>> Optimum(-1, np.zeros(2, dtype=bool), "first", {}).index
    -1
    """

    index: int
    tied: np.ndarray
    rule: str
    labels: dict[str, dict[str, str]]


def decide_optimum(correct: np.ndarray, simulated: np.ndarray,
                   finalists: np.ndarray | None = None, rule: str = "first") -> Optimum:
    """The optimum of a search, the factors tied with it, and their labels for ``rule``.

    Parameters
    ----------
    correct, simulated : ndarray of bool, shape (factors, trials)
        Outcomes, and which trials each factor ran.
    finalists : ndarray of bool, optional
        The factors still running at the end of an adaptive search; None for
        a full search (every factor may be the optimum). The labels say that
        the optimum is one of the finalists when some factor left the search
        (if none did, every factor ran every trial, as in a full search).
    rule : {"first", "robust"}
        See the module's description.

    Returns
    -------
    Optimum
        The choice of :func:`choose_optimum` and the variables' labels.

    Examples
    --------
    Under ``"robust"``, a factor with accuracy 0.85 can be tied with one
    that answered all 20 trials (McNemar p = 0.25):

    >>> import numpy as np
    >>> from spikewidgets.stats._optimum import decide_optimum
    >>> correct = np.arange(20) < np.array([19, 20, 20, 20, 17, 3])[:, None]
    >>> first = decide_optimum(correct, np.ones_like(correct))
    >>> first.index, first.tied.tolist()
    (1, [False, True, True, True, False, False])
    >>> first.labels["tied_with_optimum"]["description"]
    'accuracy equals the best accuracy'
    >>> robust = decide_optimum(correct, np.ones_like(correct), rule="robust")
    >>> robust.index, robust.tied.tolist()
    (2, [True, True, True, True, True, False])
    >>> robust.labels["tied_with_optimum"]["long_name"]
    'tied with the best factor'
    """
    check_optimum_rule(rule)
    finalists = (np.ones(correct.shape[0], dtype=bool) if finalists is None
                 else np.asarray(finalists, dtype=bool))
    adaptive = not finalists.all()
    index, tied = choose_optimum(correct, simulated, finalists, rule)
    optimum_text, tied_name, tied_text = _LABELS[rule, adaptive]
    labels = {
        "opt_scaling_factor": {"long_name": "optimal scaling factor",
                               "description": optimum_text},
        "tied_with_optimum": {"long_name": tied_name, "description": tied_text},
    }
    return Optimum(index, tied, rule, labels)
