"""The scaling-factor grid search of the published method, returning xarray Datasets.

A note on names: spikewidgets, like the original code, speaks of the
*scaling factor* that the recurrent and readout weights are divided by
(``W_spk = W_rate / scaling_factor``). The paper writes ``W_spk = lambda *
W_rate``, so its lambda is ``1 / scaling_factor``.
"""

from __future__ import annotations

import math
import os
import threading
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from .kernel import LIFNetwork, run_lif
from .modelfile import (
    ModelWriteError,
    RateModel,
    file_sha256,
    load_model,
    write_search_results,
)
from .results import TrialScores, build_dataset
from .scheduling import Chunk, available_workers, run_chunks
from .seeding import entropy_from_seed, seed_attr, trial_generator
from .tasks import Task, get_task
from .validation import parse_scaling_factors, positive_int
from .version import __version__

__all__ = [
    "SearchInterrupted",
    "evaluate_single_trial",
    "lambda_grid_search",
    "parse_scaling_factors",
    "trial_generator",
]


class SearchInterrupted(UserWarning):
    """A search stopped before every trial finished; its results are partial."""


@dataclass(frozen=True, eq=False)
class SearchPlan:
    """Everything a worker needs to simulate and score a block of trials (picklable)."""

    model: RateModel
    task: Task
    settings: Mapping[str, float]
    scaling_factors: np.ndarray
    entropy: int
    paired: bool = True
    downsample: int = 1
    use_initial_weights: bool = False
    key: str = field(default_factory=lambda: uuid.uuid4().hex)


_NETWORKS: OrderedDict[str, list[LIFNetwork]] = OrderedDict()
_NETWORKS_LOCK = threading.Lock()
_NETWORKS_KEPT = 4


def _networks(plan: SearchPlan) -> list[LIFNetwork]:
    """The plan's prepared networks, built once per worker process and shared by its threads."""
    with _NETWORKS_LOCK:
        if plan.key in _NETWORKS:
            _NETWORKS.move_to_end(plan.key)
            return _NETWORKS[plan.key]
    groups = [plan.scaling_factors] if plan.paired else [[sf] for sf in plan.scaling_factors]
    networks = [LIFNetwork.from_model(plan.model, group, downsample=plan.downsample,
                                      use_initial_weights=plan.use_initial_weights)
                for group in groups]
    with _NETWORKS_LOCK:
        _NETWORKS[plan.key] = networks
        while len(_NETWORKS) > _NETWORKS_KEPT:
            _NETWORKS.popitem(last=False)
    return networks


def score_trials(plan: SearchPlan, trials: Sequence[int]) -> list[TrialScores]:
    """Simulate and score ``trials`` at every scaling factor of ``plan``."""
    networks = _networks(plan)
    start = plan.task.window_start(plan.settings, plan.downsample)
    scores = []
    for trial in trials:
        parts = []
        for index, network in enumerate(networks):
            rng = trial_generator(plan.entropy, trial, None if plan.paired else index)
            task_trial = plan.task.make_trial(rng, plan.settings)
            result = run_lif(network, task_trial.u, rng=rng, out_start=start)
            score = plan.task.score(result.out, task_trial.label, plan.settings)
            crossing = score.response_index
            time = np.where(crossing >= 0, (start + crossing) * result.dt, np.nan)
            rate = result.spike_counts.sum(axis=1) / network.n_units / result.trial_length
            parts.append((task_trial, score.correct, score.response, time, rate))
        first = parts[0][0]
        scores.append(TrialScores(
            trial=int(trial),
            label=int(first.label),
            condition=str(first.condition),
            correct=np.concatenate([np.atleast_1d(p[1]) for p in parts]),
            response=np.concatenate([np.atleast_1d(p[2]) for p in parts]),
            response_time=np.concatenate([np.atleast_1d(p[3]) for p in parts]),
            mean_rate=np.concatenate([np.atleast_1d(p[4]) for p in parts]),
        ))
    return scores


def lambda_grid_search(
    model_path: str | os.PathLike,
    task_name: str | Task,
    n_trials: int,
    scaling_factors: str | Iterable[float],
    task_settings: Mapping[str, object] | None = None,
    *,
    seed: int | None = None,
    paired: bool = True,
    save: bool = True,
    n_workers: int | None = None,
    executor: Executor | None = None,
    trials_per_chunk: int | None = None,
    progress: bool = True,
    callback: Callable[[xr.Dataset], None] | None = None,
    stop: threading.Event | None = None,
    downsample: int = 1,
    use_initial_weights: bool = False,
) -> xr.Dataset:
    """Find the scaling factor that turns a rate model into a working LIF network.

    For every scaling factor, ``n_trials`` trials of the task are simulated in
    the LIF network whose recurrent and readout weights are divided by the
    factor, and scored with the task's criteria. The best factor (ties go to
    the smallest, as in the original) is written into the model file.

    The paper writes ``W_spk = lambda * W_rate``: its lambda is ``1 / scaling_factor``.

    Parameters
    ----------
    model_path : path-like
        Trained rate model (``.mat``).
    task_name : str or Task
        ``"go_nogo"``, ``"xor"``, ``"mante"`` or a registered task (hyphens allowed).
    n_trials : int
        Trials per scaling factor.
    scaling_factors : sequence of float or str
        The grid, e.g. ``range(20, 80, 5)`` or ``"20:75:5"`` (stop inclusive).
    task_settings : mapping, optional
        Overrides of the task's defaults (``T``, ``stim_on``, ``stim_dur``,
        ``delay``, ``resp_start``, ``eval_amp_thresh``).
    seed : int, optional
        Seed of every random draw. Same seed, same Dataset, whatever the
        number of workers or the executor. Without one a random seed is drawn
        and stored in ``attrs["seed"]``.
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
        ``Client.get_executor()``).
    trials_per_chunk : int, optional
        Trials per block of work (default: about four blocks per worker).
    progress : bool, default True
        Show a tqdm progress bar.
    callback : callable, optional
        Called with the partial Dataset after each finished block.
    stop : threading.Event, optional
        Set it to stop the search early; finished trials are returned.
    downsample : int, default 1
        LIF time-step multiplier (the original's ``downsample``).
    use_initial_weights : bool, default False
        Simulate the untrained weights ``w0`` instead.

    Returns
    -------
    xarray.Dataset
        Dims ``scaling_factor`` and ``trial``: ``correct``, ``response``,
        ``response_time``, ``mean_rate`` per trial; ``accuracy`` with its
        Wilson interval, ``condition_accuracy``, ``tied_with_optimum`` per
        factor; the 0-d ``opt_scaling_factor``. An interrupted search returns
        the finished trials (``attrs["complete"] == 0``) and leaves the model
        file untouched.
    """
    n_trials = positive_int("n_trials", n_trials)
    factors = parse_scaling_factors(scaling_factors)
    entropy = entropy_from_seed(seed)
    task = get_task(task_name)
    path = Path(model_path)
    model = load_model(path)
    task.check_model_inputs(model.n_inputs, f"model file {path}")
    settings = task.settings(task_settings)
    checksum = file_sha256(path)
    workers = available_workers() if n_workers is None else positive_int("n_workers", n_workers)
    if trials_per_chunk is None:
        trials_per_chunk = max(1, min(10, math.ceil(n_trials / (4 * workers))))
    trials_per_chunk = positive_int("trials_per_chunk", trials_per_chunk)
    plan = SearchPlan(model, task, settings, factors, entropy, bool(paired), int(downsample),
                      bool(use_initial_weights))
    attrs = {
        "task": task.name,
        "task_settings": task.settings_json(settings),
        "model_path": str(path.resolve()),
        "model_sha256": checksum,
        "seed": seed_attr(entropy),
        "n_trials": n_trials,
        "paired": int(bool(paired)),
        "downsample": int(downsample),
        "use_initial_weights": int(bool(use_initial_weights)),
        "spikewidgets_version": __version__,
        "lambda_convention": "weights are divided by scaling_factor; the paper's "
                             "lambda is 1 / scaling_factor",
    }
    blocks = [list(range(a, min(a + trials_per_chunk, n_trials)))
              for a in range(0, n_trials, trials_per_chunk)]
    scores: list[TrialScores] = []
    bar = _progress_bar(progress, n_trials * factors.size, task.name)

    def collect(chunk: Chunk, finished: list[TrialScores]) -> None:
        scores.extend(finished)
        if bar is not None:
            bar.update(len(finished) * factors.size)
        if callback is not None:
            callback(build_dataset(factors, scores, task.conditions,
                                   {**attrs, "complete": 0}, warn_edge=False))

    try:
        finished_all = run_chunks(
            [Chunk(index, score_trials, (plan, block)) for index, block in enumerate(blocks)],
            collect, executor=executor, n_workers=workers, stop=stop)
    finally:
        if bar is not None:
            bar.close()
    interrupted = not finished_all
    complete = not interrupted and len(scores) == n_trials
    attrs["complete"] = int(complete)
    dataset = build_dataset(factors, scores, task.conditions, attrs, warn_edge=complete)
    dataset.attrs["saved_to_model"] = 0
    if not complete:
        warnings.warn(
            f"the search stopped after {len(scores)} of {n_trials} trials; the results are "
            f"partial and {path} was not modified",
            SearchInterrupted,
            stacklevel=2,
        )
    elif save:
        try:
            write_search_results(path, float(dataset.opt_scaling_factor),
                                 dataset.accuracy.values, factors)
            dataset.attrs["saved_to_model"] = 1
        except ModelWriteError as error:
            warnings.warn(str(error), stacklevel=2)
    return dataset


def _progress_bar(enabled: bool, total: int, task_name: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"{task_name} search", unit="trial x factor")


def evaluate_single_trial(
    task_name: str | Task,
    model_path: str | os.PathLike,
    scaling_factor: float,
    settings: Mapping[str, object] | None = None,
    *,
    seed: int | None = None,
) -> int:
    """Simulate and score one trial of the LIF network at one scaling factor.

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
    seed : int, optional
        Seed of the trial's stimulus and noise (trial 0 of a search with the
        same seed).

    Returns
    -------
    int
        1 if the trial was answered correctly, 0 if not. Errors (bad file,
        wrong task, bad settings) raise; they are never counted as a wrong trial.
    """
    factors = parse_scaling_factors([scaling_factor])
    task = get_task(task_name)
    path = Path(model_path)
    model = load_model(path)
    task.check_model_inputs(model.n_inputs, f"model file {path}")
    plan = SearchPlan(model, task, task.settings(settings), factors, entropy_from_seed(seed))
    (score,) = score_trials(plan, [0])
    return int(score.correct[0])
