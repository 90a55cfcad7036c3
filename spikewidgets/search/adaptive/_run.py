"""Running adaptive searches: rounds of trials for the factors still in the running.

Each round of a plan is the same plan restricted to the factors still in the
running and to the round's trials. Trial ``t`` has the same stimulus and
noise whichever factors run it, and each factor's result does not depend on
the others, so an adaptive search's trials are the full grid's trials, bit
for bit, for the factors that ran them. The rounds of many plans (many models)
run together on one executor.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from spikewidgets.search._blocks import run_plans
from spikewidgets.search._plan import SearchPlan
from spikewidgets.search._results import TrialScores
from spikewidgets.search._run_options import RunOptions
from spikewidgets.search.adaptive._dataset import adaptive_dataset
from spikewidgets.search.adaptive._strategies import FixedBudget, RaceState, RoundPlan

__all__ = ["AdaptiveRun", "run_adaptive_plans"]


class AdaptiveRun:
    """One plan's adaptive search: its strategy's state and every trial it ran.

    Parameters
    ----------
    plan : SearchPlan
        A plan with an ``adaptive`` strategy.
    n_trials : int
        Trials per factor at most.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.search.adaptive._run import AdaptiveRun, run_adaptive_plans
    >>> from spikewidgets.search._plan import SearchPlan
    >>> from spikewidgets.search._plan_options import PlanOptions
    >>> from spikewidgets.search._run_options import RunOptions
    >>> plan = SearchPlan.prepare(sw.example_model("go_nogo", "."), "go_nogo", "10:120:10",
    ...                           seed=0, options=PlanOptions(adaptive="race"))
    >>> run = AdaptiveRun(plan, n_trials=40)
    >>> run_adaptive_plans([run], RunOptions(progress=False))
    True
    >>> run.dataset().n_trials_run.values.tolist()
    [40, 40, 40, 40, 40, 20, 30, 40, 40, 40, 40, 40]
    """

    def __init__(self, plan: SearchPlan, n_trials: int) -> None:
        if plan.adaptive is None:
            raise ValueError("plan.adaptive is None; expected a plan made with adaptive=...")
        self.plan, self.n_trials = plan, n_trials
        self.state = RaceState(plan.adaptive, plan.scaling_factors.size, n_trials)
        self.trials: dict[int, tuple[np.ndarray, TrialScores]] = {}
        self.round: RoundPlan | None = None
        self.error: BaseException | None = None

    @property
    def budget(self) -> int:
        """Most simulations the search may use (its progress bar's total)."""
        strategy, n_factors = self.plan.adaptive, self.plan.scaling_factors.size
        if isinstance(strategy, FixedBudget):
            return min(strategy.total_budget(n_factors, self.n_trials), n_factors * self.n_trials)
        return n_factors * self.n_trials

    @property
    def simulations(self) -> int:
        """Trials x factors simulated so far."""
        return int(sum(int(active.sum()) for active, _ in self.trials.values()))

    @property
    def complete(self) -> bool:
        """Whether the strategy ended the search (not a stop or an error)."""
        return self.state.finished and self.error is None

    def start_round(self) -> tuple[SearchPlan, range] | None:
        """The plan and trials of the next round, or None when the search is over."""
        if self.error is not None:
            return None
        self.round = self.state.next_round()
        if self.round is None:
            return None
        factors = self.plan.scaling_factors[self.round.active]
        plan = dataclasses.replace(self.plan, scaling_factors=factors, adaptive=None,
                                   key=uuid.uuid4().hex)
        return plan, range(self.state.n_done, self.round.n_trials)

    def collect(self, scores: Sequence[TrialScores]) -> None:
        """Keep the scores of a finished block of the current round."""
        for score in scores:
            self.trials[score.trial] = (self.round.active.copy(), score)

    def end_round(self) -> None:
        """Record the finished round in the strategy's state."""
        start, stop = self.state.n_done, self.round.n_trials
        block = np.stack([self.trials[t][1].correct for t in range(start, stop)], axis=1)
        self.state.record(self.round, block)

    def dataset(self, attrs: dict[str, object] | None = None, *, warn_edge: bool = False,
                stacklevel: int = 2) -> xr.Dataset:
        """The Dataset of the trials run so far (``attrs`` default: the plan's)."""
        attrs = self.plan.attrs(self.n_trials) if attrs is None else dict(attrs)
        attrs["adaptive_simulations"] = self.simulations
        attrs["adaptive_max_simulations"] = self.budget
        attrs["full_grid_simulations"] = int(self.plan.scaling_factors.size * self.n_trials)
        attrs["adaptive_rounds"] = int(self.state.rounds)
        return adaptive_dataset(self.plan.scaling_factors, self.trials, self.state.left_in_round,
                                self.plan.task.conditions, attrs, self.plan.optimum_rule,
                                warn_edge=warn_edge, stacklevel=stacklevel + 1)


def run_adaptive_plans(
    runs: Sequence[AdaptiveRun],
    options: RunOptions,
    *,
    on_block: Callable[[int], None] | None = None,
    on_round: Callable[[int], None] | None = None,
    on_finish: Callable[[int], None] | None = None,
    catch_errors: bool = False,
    description: str = "adaptive search",
) -> bool:
    """Run adaptive searches round by round; the rounds of all of them share the executor.

    Parameters
    ----------
    runs : sequence of AdaptiveRun
        The searches.
    options : RunOptions
        The executor, trials per block and ``stop``, as for
        ``spikewidgets.search._blocks.run_plans``; ``progress`` shows a
        progress bar of simulations (trials x factors) against the most the
        searches may use. Its ``callback`` is the caller's to call.
    on_block, on_round : callable, optional
        ``f(run_index)`` after each finished block, and at the start of each
        round after the first (once the factors that leave are known).
    on_finish : callable, optional
        ``f(run_index)`` when a search ends (not when it failed).
    catch_errors : bool
        Store a failing search's error in its ``error`` (and stop that
        search) instead of raising.
    description : str
        Label of the progress bar.

    Returns
    -------
    bool
        True if every search ran to its end (or failed, with ``catch_errors``).

    Examples
    --------
    Two searches whose rounds share the executor; each ends on its own:

    >>> import spikewidgets as sw
    >>> from spikewidgets.search.adaptive._strategies import FixedBudget
    >>> from spikewidgets.search.adaptive._run import AdaptiveRun, run_adaptive_plans
    >>> from spikewidgets.search._plan import SearchPlan
    >>> from spikewidgets.search._plan_options import PlanOptions
    >>> from spikewidgets.search._run_options import RunOptions
    >>> path = sw.example_model("go_nogo", ".")
    >>> runs = [AdaptiveRun(SearchPlan.prepare(path, "go_nogo", "10:80:10", seed=0,
    ...                                        options=PlanOptions(adaptive=strategy)),
    ...                     n_trials=20)
    ...         for strategy in (FixedBudget(budget=40), "race")]
    >>> ended = []
    >>> run_adaptive_plans(runs, RunOptions(progress=False), on_finish=ended.append)
    True
    >>> sorted(ended), [run.simulations for run in runs]
    ([0, 1], [39, 160])
    """
    bar = None
    if options.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(run.budget for run in runs), desc=description,
                   unit="trial x factor")
    ended: set[int] = set()
    try:
        while True:
            pending = [(index, run.start_round()) for index, run in enumerate(runs)]
            _report_ends(runs, pending, ended, on_finish)
            pending = [(index, job) for index, job in pending if job is not None]
            if not pending:
                return True
            for index, _ in pending:
                if on_round is not None and runs[index].state.rounds:
                    on_round(index)  # the factors that leave show before the round runs
            if not _run_round(runs, pending, bar, on_block, catch_errors, options):
                return False
            for index, _ in pending:
                if runs[index].error is None:
                    runs[index].end_round()
    finally:
        if bar is not None:
            bar.close()


def _report_ends(runs, pending, ended: set[int], on_finish) -> None:
    """Call ``on_finish`` once for each search that has just ended without an error."""
    for index, job in pending:
        if job is None and runs[index].error is None and index not in ended:
            ended.add(index)
            if on_finish is not None:
                on_finish(index)


def _run_round(runs, pending, bar, on_block, catch_errors: bool, options: RunOptions) -> bool:
    """Run one round of every pending search; False if stopped."""
    def collect(position: int, scores: list[TrialScores]) -> None:
        index, (plan, _) = pending[position]
        runs[index].collect(scores)
        if bar is not None:
            bar.update(len(scores) * plan.n_variants)
        if on_block is not None:
            on_block(index)

    def failed(position: int, error: BaseException) -> None:
        runs[pending[position][0]].error = error

    return run_plans([plan for _, (plan, _) in pending], 0, collect,
                     dataclasses.replace(options, progress=False),
                     on_error=failed if catch_errors else None,
                     trial_ranges=[trials for _, (_, trials) in pending])
