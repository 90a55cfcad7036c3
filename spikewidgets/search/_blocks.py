"""Running the blocks of trials of search plans on an executor, and saving the optimum.

:func:`run_plans` runs the blocks of one or many plans
(``spikewidgets.search._plan.SearchPlan``) as its
``spikewidgets.search._run_options.RunOptions`` say: the trials-per-block
rule, the progress bar and the handling of stops live here, once, for the
single-model, many-model and adaptive searches.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Sequence

import xarray as xr

from spikewidgets.errors import ModelWriteError
from spikewidgets.io._modelfile import load_model, write_search_results
from spikewidgets.search._plan import SearchPlan
from spikewidgets.search._results import TrialScores
from spikewidgets.search._run_options import RunOptions
from spikewidgets.sim._scheduling import Block, run_blocks

__all__ = ["run_plans", "save_optimum", "score_block", "stored_optimum", "trials_per_block"]


def score_block(plan: SearchPlan, trials: Sequence[int]) -> list[TrialScores]:
    """Simulate and score a block of trials of ``plan`` (what a worker runs).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.search._blocks import score_block
    >>> from spikewidgets.search._plan import SearchPlan
    >>> plan = SearchPlan.prepare(sw.example_model("go_nogo", "."), "go_nogo", [30, 70], seed=0)
    >>> [(score.trial, score.condition, score.correct.tolist())
    ...  for score in score_block(plan, [0, 1])]
    [(0, 'nogo', [True, False]), (1, 'nogo', [True, False])]
    """
    return plan.score_trials(trials)


def trials_per_block(total_trials: int, workers: int) -> int:
    """Default block size: about four blocks per worker, at most 10 trials a block.

    Examples
    --------
    >>> from spikewidgets.search._blocks import trials_per_block
    >>> trials_per_block(100, 2), trials_per_block(1200, 8), trials_per_block(3, 4)
    (10, 10, 1)
    """
    return max(1, min(10, math.ceil(total_trials / (4 * workers))))


def run_plans(
    plans: Sequence[SearchPlan],
    n_trials: int,
    on_scores: Callable[[int, list[TrialScores]], None],
    options: RunOptions,
    *,
    on_error: Callable[[int, BaseException], None] | None = None,
    description: str = "search",
    trial_ranges: Sequence[range] | None = None,
) -> bool:
    """Run trials 0 to ``n_trials - 1`` of every plan, in blocks, on an executor.

    Parameters
    ----------
    plans : sequence of SearchPlan
        The plans; blocks of all of them share the executor.
    n_trials : int
        Trials per plan.
    on_scores : callable
        ``on_scores(plan_index, scores)`` in this thread as each block finishes.
    options : RunOptions
        The executor (by default a pool of ``options.workers`` threads, shut
        down at the end), the trials per block (by default
        :func:`trials_per_block`), the progress bar (trials x variants) and
        the ``stop`` event; its ``callback`` is the caller's to call.
    on_error : callable, optional
        ``on_error(plan_index, error)`` for a block that raised; without it the
        error propagates.
    description : str
        Label of the progress bar.
    trial_ranges : sequence of range, optional
        Per plan, the trials to run instead (a round of an adaptive search).

    Returns
    -------
    bool
        True if every block finished.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.search._blocks import run_plans
    >>> from spikewidgets.search._plan import SearchPlan
    >>> from spikewidgets.search._run_options import RunOptions
    >>> plan = SearchPlan.prepare(sw.example_model("go_nogo", "."), "go_nogo", [30], seed=0)
    >>> finished = []
    >>> run_plans([plan], 4, lambda index, scores: finished.extend(scores),
    ...           RunOptions(trials_per_block=2, progress=False))
    True
    >>> sorted(score.trial for score in finished)
    [0, 1, 2, 3]
    """
    if trial_ranges is None:
        trial_ranges = [range(n_trials)] * len(plans)
    total_trials = sum(len(trials) for trials in trial_ranges)
    size = options.trials_per_block or trials_per_block(total_trials, options.workers)
    blocks = [Block(index, score_block, (plan, list(trials[first:first + size])))
              for index, (plan, trials) in enumerate(zip(plans, trial_ranges, strict=True))
              for first in range(0, len(trials), size)]
    bar = None
    if options.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(len(trials) * plan.n_variants
                             for plan, trials in zip(plans, trial_ranges, strict=True)),
                   desc=description,
                   unit="trial x factor")

    def collect(block: Block, finished: list[TrialScores]) -> None:
        if bar is not None:
            bar.update(len(finished) * plans[block.key].n_variants)
        on_scores(block.key, finished)

    def failed(block: Block, error: BaseException) -> None:
        on_error(block.key, error)

    try:
        return run_blocks(blocks, collect, executor=options.executor,
                          make_executor=options.make_executor,
                          on_error=None if on_error is None else failed, stop=options.stop)
    finally:
        if bar is not None:
            bar.close()


def save_optimum(path: str | os.PathLike, dataset: xr.Dataset, *, stacklevel: int = 2) -> bool:
    """Write a complete search's optimum into its model file; warn (not raise) if it cannot.

    Returns
    -------
    bool
        Whether the file was written (it is unchanged otherwise).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.search._blocks import save_optimum
    >>> from spikewidgets.io._modelfile import load_model
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 10, [5, 30, 70], seed=0, save=False,
    ...                            progress=False)
    >>> save_optimum(path, ds)
    True
    >>> load_model(path).opt_scaling_factor == float(ds.opt_scaling_factor)
    True
    """
    try:
        write_search_results(path, float(dataset.opt_scaling_factor), dataset.accuracy.values,
                             dataset.scaling_factor.values)
    except ModelWriteError as error:
        warnings.warn(str(error), stacklevel=stacklevel + 1)
        return False
    return True


def stored_optimum(model_path: str | os.PathLike) -> float:
    """The ``opt_scaling_factor`` a search stored in a model file.

    Raises
    ------
    ValueError
        If the file holds none.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.search._blocks import stored_optimum
    >>> stored_optimum(sw.example_model("go_nogo", "."))
    30.0
    """
    optimum = load_model(model_path).opt_scaling_factor
    if optimum is None or not optimum > 0:
        raise ValueError(
            f"model file {model_path} holds no opt_scaling_factor; run lambda_grid_search on "
            "it first, or pass scaling_factors"
        )
    return float(optimum)
