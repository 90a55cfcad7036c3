"""The scaling-factor grid search of the published method, returning xarray Datasets.

A note on names: spikewidgets, like the original code, speaks of the
*scaling factor* that the recurrent and readout weights are divided by
(``W_spk = W_rate / scaling_factor``). The paper writes ``W_spk = lambda *
W_rate``, so its lambda is ``1 / scaling_factor``.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from pathlib import Path

import xarray as xr

from spikewidgets.errors import SearchInterrupted
from spikewidgets.io._validation import parse_scaling_factors, positive_int
from spikewidgets.search._blocks import run_plans, save_optimum
from spikewidgets.search._many import model_files_in, search_models
from spikewidgets.search._plan import SearchPlan
from spikewidgets.search._plan_options import PlanOptions
from spikewidgets.search._results import TrialScores
from spikewidgets.search._run_options import RunOptions, trials_per_block_or_alias
from spikewidgets.search.adaptive._run import AdaptiveRun, run_adaptive_plans
from spikewidgets.search.adaptive._strategies import Strategy
from spikewidgets.tasks import Task

__all__ = ["evaluate_single_trial", "lambda_grid_search", "parse_scaling_factors",
           "run_single_plan"]


def lambda_grid_search(
    model_path: str | os.PathLike | None = None,
    task_name: str | Task | None = None,
    n_trials: int | None = None,
    scaling_factors: str | Iterable[float] | None = None,
    task_settings: Mapping[str, object] | None = None,
    *,
    model_dir: str | os.PathLike | None = None,
    seed: int | None = 0,
    paired: bool = True,
    save: bool = True,
    n_workers: int | None = None,
    executor: Executor | None = None,
    trials_per_block: int | None = None,
    progress: bool = True,
    callback: Callable[[xr.Dataset], None] | None = None,
    stop: threading.Event | None = None,
    downsample: int = 1,
    use_initial_weights: bool = False,
    adaptive: bool | str | Strategy = False,
    optimum: str = "first",
    trials_per_chunk: int | None = None,
    compare_rate: bool = False,
) -> xr.Dataset:
    """Find the scaling factor that turns a rate model into a working LIF network.

    For every scaling factor, ``n_trials`` trials of the task are simulated in
    the LIF network whose recurrent and readout weights are divided by the
    factor, and scored with the task's criteria. The optimum, by the rule
    ``optimum`` (by default the best factor, ties to the smallest, as in the
    original), is written into the model file.

    The paper writes ``W_spk = lambda * W_rate``: its lambda is ``1 / scaling_factor``.

    Parameters
    ----------
    model_path : path-like
        Trained rate model (``.mat``). A folder is searched as ``model_dir``.
    task_name : str or Task
        ``"go_nogo"``, ``"xor"``, ``"mante"`` or a registered task (hyphens allowed).
    n_trials : int
        Trials per scaling factor.
    scaling_factors : sequence of float or str
        The grid, e.g. ``range(20, 80, 5)`` or ``"20:75:5"`` (stop inclusive).
    task_settings : mapping, optional
        Overrides of the task's defaults (``T``, ``stim_on``, ``stim_dur``,
        ``delay``, ``resp_start``, ``eval_amp_thresh``).
    seed : int or None, default 0
        Seed of every random draw. Same seed, same Dataset, whatever the
        number of workers or the executor (the panel and the command line
        start from seed 0 too). None draws a random seed, stored in
        ``attrs["seed"]``.
    paired : bool, default True
        Use the same trials (stimulus and noise) for every factor, so that
        factors are compared on identical trials (and the noise is drawn once
        per trial). False draws independent trials per factor.
    save : bool, default True
        Write ``opt_scaling_factor``, ``all_perfs`` and ``scaling_factors``
        into the model file (atomically; every other key is kept). A failed
        write leaves the file untouched and gives a warning.
    n_workers : int, optional
        Threads to use when no ``executor`` is given (default: all cores).
    executor : concurrent.futures.Executor, optional
        Where to run blocks of trials (a thread or process pool, or a Dask
        ``Client.get_executor()``). By default a pool of ``n_workers``
        threads, as for every search: the compiled kernel releases the GIL,
        so threads run as fast as processes (``python
        benchmarks/bench_many.py``) and start at once.
    trials_per_block : int, optional
        Trials per block of work (default: about four blocks per worker, at
        most 10 trials a block).
    progress : bool, default True
        Show a tqdm progress bar.
    callback : callable, optional
        Called with the partial Dataset after each finished block.
    stop : threading.Event, optional
        Set it to stop the search early; finished trials are returned.
    downsample : int, default 1
        LIF time-step multiplier (the original's ``downsample``).
    use_initial_weights : bool, default False
        Simulate the untrained recurrent weights ``w0`` (with the trained
        synaptic decay, as the original does).
    adaptive : bool, str or Strategy, default False
        Spend the trials on the factors that may be the best
        (:mod:`spikewidgets.search.adaptive`): ``True`` or ``"fixed_budget"``
        (sequential halving within a third of the grid's simulations),
        ``"race"`` (an elimination race with exact paired tests), or a
        :class:`~spikewidgets.search.adaptive.FixedBudget` or
        :class:`~spikewidgets.search.adaptive.Race` with other parameters. The
        Dataset keeps its shape; ``simulated`` marks the trials each factor
        ran, ``n_trials_run`` and ``left_in_round`` say how far it went, and
        accuracy comes from the trials run.
    optimum : {"first", "robust"}, default "first"
        The optimum rule: the highest accuracy, ties to the smallest factor (as
        the original), or the middle of the longest run of neighbouring factors
        statistically tied with the best.
    model_dir : path-like, optional
        Instead of ``model_path``: a folder whose ``.mat`` files (not its
        subfolders) are all searched, in sorted order, as the published
        MATLAB script and the PyTorch port's ``lambda_grid_search(model_dir=...)``
        do; each optimum is written into its own file. The result is then the
        many-model Dataset of :func:`~spikewidgets.search.search_models` (a
        ``model`` dim), and ``callback`` gets ``(model_name, Dataset)`` as there.
    trials_per_chunk : int, optional
        Deprecated name of ``trials_per_block`` (a DeprecationWarning).
    compare_rate : bool, default False
        Also run the rate network on every trial (its noise from the trial's
        seed) and compare it with the spiking units, ``r_spk / sf`` against
        ``r_rate``: adds ``rate_correlation``, ``rate_gain`` and
        ``output_divergence`` (scaling_factor x trial), ``unit_rate_correlation``
        and ``unit_rate_gain`` (scaling_factor x unit, coordinate
        ``unit_type``). Not with ``adaptive``.

    Returns
    -------
    xarray.Dataset
        Dims ``scaling_factor`` and ``trial``: ``correct``, ``response``,
        ``response_time``, ``mean_rate`` per trial; ``accuracy`` with its
        Wilson interval, ``condition_accuracy``, ``tied_with_optimum`` per
        factor; the 0-d ``opt_scaling_factor``. An interrupted search returns
        the finished trials (``attrs["complete"] == 0``) and leaves the model
        file untouched.

    Examples
    --------
    Search a copy of the bundled Go-NoGo model on four factors, 20 trials
    each, without writing the optimum into the file:

    >>> import spikewidgets as sw
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", n_trials=20, scaling_factors="10:70:20",
    ...                            seed=0, save=False, progress=False)
    >>> dict(ds.sizes)
    {'scaling_factor': 4, 'trial': 20, 'task_condition': 2}
    >>> ds.accuracy.values.tolist()
    [0.95, 1.0, 0.85, 0.2]
    >>> float(ds.opt_scaling_factor)
    30.0
    """
    folder = _model_folder(model_path, model_dir)
    _require(task_name=task_name, n_trials=n_trials, scaling_factors=scaling_factors)
    trials_per_block = trials_per_block_or_alias(trials_per_block, trials_per_chunk)
    if folder is not None:
        return search_models(model_files_in(folder), task_name, n_trials, scaling_factors,
                             task_settings, seed=seed, paired=paired, save=save,
                             n_workers=n_workers, executor=executor,
                             trials_per_block=trials_per_block, progress=progress,
                             callback=callback, stop=stop, downsample=downsample,
                             use_initial_weights=use_initial_weights, adaptive=adaptive,
                             optimum=optimum, compare_rate=compare_rate)
    n_trials = positive_int("n_trials", n_trials)
    options = RunOptions(executor=executor, n_workers=n_workers,
                         trials_per_block=trials_per_block, progress=progress,
                         callback=callback, stop=stop)
    plan = SearchPlan.prepare(model_path, task_name, scaling_factors, task_settings, seed=seed,
                              options=PlanOptions(paired=paired, downsample=downsample,
                                                  use_initial_weights=use_initial_weights,
                                                  adaptive=adaptive, optimum=optimum,
                                                  compare_rate=compare_rate))
    dataset = run_single_plan(plan, n_trials, options, stacklevel=3)
    if dataset.attrs["complete"] and save:
        dataset.attrs["saved_to_model"] = int(save_optimum(plan.model_path, dataset))
    return dataset


def _model_folder(model_path, model_dir) -> Path | None:
    """The folder to search (``model_dir``, or a folder given as ``model_path``), or None."""
    if model_path is not None and model_dir is not None:
        raise ValueError(f"model_path is {str(model_path)!r} and model_dir is "
                         f"{str(model_dir)!r}; expected one of them")
    if model_dir is not None:
        folder = Path(model_dir)
        if not folder.is_dir():
            raise ValueError(f"model_dir is {str(model_dir)!r}, which is not a folder; "
                             "expected a folder of .mat model files")
        return folder
    if model_path is None:
        raise ValueError("model_path is missing: expected a .mat model file (or model_dir, "
                         "a folder of them)")
    return Path(model_path) if Path(model_path).is_dir() else None


def _require(**values: object) -> None:
    for name, value in values.items():
        if value is None:
            raise ValueError(f"{name} is missing; lambda_grid_search needs model_path (or "
                             "model_dir), task_name, n_trials and scaling_factors")


def run_single_plan(plan: SearchPlan, n_trials: int, options: RunOptions, *,
                    stacklevel: int = 2) -> xr.Dataset:
    """Run trials 0 to ``n_trials - 1`` of one plan and return its Dataset (not saved).

    ``options.callback`` gets the partial Dataset after each block. A search
    that stopped early has ``attrs["complete"] == 0`` and gives a
    :class:`~spikewidgets.SearchInterrupted` warning, placed ``stacklevel``
    frames up.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.search._grid import run_single_plan
    >>> from spikewidgets.search._plan import SearchPlan
    >>> from spikewidgets.search._run_options import RunOptions
    >>> plan = SearchPlan.prepare(sw.example_model("go_nogo", "."), "go_nogo", [5, 30, 70],
    ...                           seed=0)
    >>> ds = run_single_plan(plan, 10, RunOptions(progress=False))
    >>> ds.accuracy.values.tolist(), ds.attrs["complete"]
    ([0.5, 1.0, 0.2], 1)
    """
    if plan.adaptive is not None:
        return _run_adaptive_plan(plan, n_trials, options, stacklevel + 1)
    attrs = plan.attrs(n_trials)
    scores: list[TrialScores] = []

    def collect(_index: int, finished: list[TrialScores]) -> None:
        scores.extend(finished)
        if options.callback is not None:
            options.callback(plan.dataset(scores, {**attrs, "complete": 0}))

    finished_all = run_plans([plan], n_trials, collect, options,
                             description=f"{plan.task.name} search")
    complete = finished_all and len(scores) == n_trials
    attrs["complete"] = int(complete)
    dataset = plan.dataset(scores, attrs, warn_edge=complete, stacklevel=stacklevel + 1)
    dataset.attrs["saved_to_model"] = 0
    if not complete:
        _warn_interrupted(f"{len(scores)} of {n_trials} trials", plan, stacklevel + 1)
    return dataset


def _run_adaptive_plan(plan: SearchPlan, n_trials: int, options: RunOptions,
                       stacklevel: int) -> xr.Dataset:
    """:func:`run_single_plan` of an adaptive plan."""
    run = AdaptiveRun(plan, n_trials)
    attrs = plan.attrs(n_trials)
    callback = options.callback

    def partial(_index: int) -> None:
        callback(run.dataset({**attrs, "complete": 0}))

    finished = run_adaptive_plans([run], options, on_block=None if callback is None else partial,
                                  on_round=None if callback is None else partial,
                                  description=f"{plan.task.name} adaptive search")
    attrs["complete"] = int(finished)
    dataset = run.dataset(attrs, warn_edge=finished, stacklevel=stacklevel + 1)
    dataset.attrs["saved_to_model"] = 0
    if not finished:
        _warn_interrupted(f"{run.simulations} simulations (trials x factors)", plan,
                          stacklevel + 1)
    return dataset


def _warn_interrupted(done: str, plan: SearchPlan, stacklevel: int) -> None:
    warnings.warn(
        f"the search stopped after {done}; the results are partial and {plan.model_path} "
        "was not modified",
        SearchInterrupted,
        stacklevel=stacklevel,
    )


def evaluate_single_trial(
    task_name: str | Task,
    model_path: str | os.PathLike,
    scaling_factor: float,
    settings: Mapping[str, object] | None = None,
    *,
    seed: int | None = None,
) -> int:
    """Simulate and score one trial of the LIF network at one scaling factor.

    As the published function, each call draws a new trial (its stimulus and
    noise): averaging repeated calls estimates the accuracy at the factor.

    Parameters
    ----------
    task_name : str or Task
        Task to run.
    model_path : path-like
        Trained rate model (``.mat``).
    scaling_factor : float
        Positive factor dividing the recurrent and readout weights.
    settings : mapping, optional
        Overrides of the task's defaults.
    seed : int or None, default None
        Seed of the trial's stimulus and noise. None (the default) draws a
        fresh trial on every call; an int gives trial 0 of a search with
        that seed, the same trial on every call.

    Returns
    -------
    int
        1 if the trial was answered correctly, 0 if not. Errors (bad file,
        wrong task, bad settings) raise; they are never counted as a wrong trial.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> path = sw.example_model("go_nogo", ".")
    >>> sw.evaluate_single_trial("go_nogo", path, 30, seed=0)
    1
    >>> sw.evaluate_single_trial("go_nogo", path, 70, seed=0)  # weights divided too much
    0

    Without a seed, every call is a new trial; their mean estimates the accuracy:

    >>> correct = [sw.evaluate_single_trial("go_nogo", path, 30) for _ in range(20)]
    >>> set(correct) <= {0, 1}
    True
    """
    plan = SearchPlan.prepare(model_path, task_name, [scaling_factor], settings, seed=seed)
    (score,) = plan.score_trials([0])
    return int(score.correct[0])
