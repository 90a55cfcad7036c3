"""Searching many models at once, on any executor, resumable from a netCDF store.

Every model is searched with the same seed, so all models see the same trials
(stimuli and noise); results are identical whatever the executor and the
number of workers. Each model's optimum is written into its own file as soon
as its search completes.
"""

from __future__ import annotations

import glob
import json
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path

import xarray as xr

from spikewidgets.errors import SearchInterrupted
from spikewidgets.io._validation import parse_scaling_factors, positive_int
from spikewidgets.search._blocks import run_plans, save_optimum, stored_optimum
from spikewidgets.search._plan import SearchPlan
from spikewidgets.search._plan_options import PlanOptions
from spikewidgets.search._results import TrialScores
from spikewidgets.search._run_options import RunOptions, trials_per_block_or_alias
from spikewidgets.search._store import AT_STORED_OPTIMUM, ModelRecord, ResultStore, combine_models
from spikewidgets.search.adaptive._run import AdaptiveRun, run_adaptive_plans
from spikewidgets.sim._scheduling import DASK_LOW_OVERHEAD
from spikewidgets.sim._seeding import entropy_from_seed
from spikewidgets.tasks import Task, get_task

__all__ = ["DASK_LOW_OVERHEAD", "model_files_in", "resolve_model_paths", "search_models"]


def resolve_model_paths(models: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """Expand a glob pattern (``**`` allowed) or a list of paths into sorted, unique paths.

    Raises
    ------
    ValueError
        If nothing matches.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.search._many import resolve_model_paths
    >>> for lab in ("lab_a", "lab_b"):
    ...     _ = sw.example_model("xor", lab)
    >>> [path.parent.name for path in resolve_model_paths("lab_*/*.mat")]
    ['lab_a', 'lab_b']
    """
    if isinstance(models, (str, os.PathLike)):
        pattern = str(models)
        found = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) \
            else [pattern]
    else:
        found = [str(m) for m in models]
    paths = sorted({Path(p).resolve() for p in found})
    if not paths:
        raise ValueError(f"models is {models!r}, which matches no file")
    return paths


def model_files_in(folder: str | os.PathLike, argument: str = "model_dir") -> list[Path]:
    """The ``.mat`` files of a folder (not of its subfolders), sorted, as the published script
    searches them.

    Raises
    ------
    ValueError
        Naming ``argument``, if ``folder`` is not a folder or holds no ``.mat`` file.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.search._many import model_files_in
    >>> for task in ("xor", "go_nogo"):
    ...     _ = sw.example_model(task, "models")
    >>> [path.name for path in model_files_in("models")]
    ['go_nogo_example.mat', 'xor_example.mat']
    """
    path = Path(folder)
    if not path.is_dir():
        raise ValueError(f"{argument} is {str(folder)!r}, which is not a folder; expected a "
                         "folder of .mat model files")
    files = sorted(p for p in path.iterdir() if p.suffix == ".mat" and p.is_file())
    if not files:
        raise ValueError(f"{argument} {str(folder)!r} holds no .mat file; expected the model "
                         "files written by a trainer")
    return files


def _names(paths: Sequence[Path]) -> list[str]:
    if len(paths) == 1:
        return [paths[0].name]
    root = Path(os.path.commonpath([p.parent for p in paths]))
    return [str(p.relative_to(root)) for p in paths]


def search_models(
    models: str | os.PathLike | Iterable[str | os.PathLike],
    task_name: str | Task,
    n_trials: int,
    scaling_factors: str | Iterable[float] | None,
    task_settings: Mapping[str, object] | None = None,
    *,
    seed: int | None = 0,
    paired: bool = True,
    save: bool = True,
    n_workers: int | None = None,
    executor: Executor | None = None,
    trials_per_block: int | None = None,
    progress: bool = True,
    callback: Callable[[str, xr.Dataset], None] | None = None,
    stop: threading.Event | None = None,
    downsample: int = 1,
    use_initial_weights: bool = False,
    adaptive: object = False,
    optimum: str = "first",
    store: str | os.PathLike | None = None,
    perturbations: object | None = None,
    trials_per_chunk: int | None = None,
    compare_rate: bool = False,
) -> xr.Dataset:
    """Grid-search the scaling factor of many models in one call.

    Parameters
    ----------
    models : str, path-like or iterable of them
        A glob pattern such as ``"models/**/*.mat"`` or a list of files.
    task_name, n_trials, scaling_factors, task_settings
        As for :func:`~spikewidgets.lambda_grid_search`; the same for every model.
    seed : int or None, default 0
        Seed of every random draw; every model sees the same trials.
    paired, save, n_workers, executor, trials_per_block, progress, stop
        As for :func:`~spikewidgets.lambda_grid_search`. Blocks of all models
        share one executor: by default a pool of ``n_workers`` threads (all
        cores), the same as for one model; the compiled kernel releases the
        GIL, and threads measure the same throughput as processes within
        the noise (``python benchmarks/bench_many.py``).
    callback : callable, optional
        ``callback(model_name, model_dataset)`` when a model completes.
    downsample, use_initial_weights, adaptive, optimum
        As for :func:`~spikewidgets.lambda_grid_search`; the same for every model.
    store : path-like, optional
        netCDF file holding finished models. It is rewritten atomically after
        each model; a search given the same store skips the models it holds
        (after an interruption or a lost machine), and refuses a store made
        with other settings.
    perturbations : sequence, optional
        Run a perturbation search (:func:`~spikewidgets.search.perturbation_search`)
        of every model instead: dims ``model``, ``perturbation``,
        ``scaling_factor``, ``trial``. Nothing is written into the model
        files. With ``scaling_factors=None`` each model runs at the optimum
        stored in its file: ``scaling_factor`` is then a dimension of length
        1 (the shape is the same as with one explicit factor) without a
        coordinate, and ``model_scaling_factor`` (along ``model``) holds
        each model's factor.
    trials_per_chunk : int, optional
        Deprecated name of ``trials_per_block`` (a DeprecationWarning).
    compare_rate : bool, default False
        As for :func:`~spikewidgets.lambda_grid_search` (not with
        ``perturbations``); models of different sizes share the ``unit``
        dimension, padded with NaN.

    Returns
    -------
    xarray.Dataset
        The variables of a single search with a leading ``model`` dimension
        (coordinate: file path relative to the models' common folder), plus
        ``model_path``, ``model_sha256``, ``saved_to_model``, ``completed``
        and ``error`` per model. A model that could not be read has an ``error`` and NaN results;
        the others complete.

    Examples
    --------
    Two copies of the bundled Go-NoGo model, searched on two threads:

    >>> import spikewidgets as sw
    >>> paths = [sw.example_model("go_nogo", folder) for folder in ("lab_a", "lab_b")]
    >>> ds = sw.search_models(paths, "go_nogo", 20, "10:70:20", seed=0, save=False,
    ...                       progress=False, n_workers=2)
    >>> ds.model.values.tolist()
    ['lab_a/go_nogo_example.mat', 'lab_b/go_nogo_example.mat']
    >>> ds.opt_scaling_factor.values.tolist()
    [30.0, 30.0]

    Each model at the optimum stored in its file, against a perturbed copy:

    >>> at_optimum = sw.search_models(paths, "go_nogo", 4, None, perturbations=["ei_dec"],
    ...                               seed=0, progress=False)
    >>> dict(at_optimum.correct.sizes)
    {'model': 2, 'perturbation': 2, 'scaling_factor': 1, 'trial': 4}
    >>> at_optimum.model_scaling_factor.values.tolist()
    [30.0, 30.0]
    """
    paths = resolve_model_paths(models)
    n_trials = positive_int("n_trials", n_trials)
    plan_options = PlanOptions(paired=paired, downsample=downsample,
                               use_initial_weights=use_initial_weights,
                               perturbations=perturbations, adaptive=adaptive, optimum=optimum,
                               compare_rate=compare_rate)
    options = RunOptions(executor=executor, n_workers=n_workers,
                         trials_per_block=trials_per_block_or_alias(trials_per_block,
                                                                    trials_per_chunk),
                         progress=progress, callback=callback, stop=stop)
    task = get_task(task_name)
    settings = task.settings(task_settings)  # bad settings are the call's error, not a model's
    entropy = entropy_from_seed(seed)
    factors, attrs = _grid_and_attrs(scaling_factors, task, settings, entropy, n_trials,
                                     plan_options)
    search = _ModelSearches(paths, attrs, n_trials, save=save and perturbations is None,
                            store=None if store is None else ResultStore(store, attrs),
                            callback=callback)
    search.prepare_plans(task, settings, entropy, factors, plan_options)
    if plan_options.adaptive is not None:
        complete = search.run_adaptive(options)
    else:
        complete = run_plans(search.plans, n_trials, search.collect, options,
                             on_error=search.failed, description=f"{len(search.plans)} models")
    result = combine_models(search.records, search.names, attrs)
    result.attrs["complete"] = int(complete)
    if not complete:
        _warn_interrupted(search.records, len(search.names), search.store)
    return result


class _ModelSearches:
    """The models of a many-model search: their plans, records, and what to do as blocks finish.

    Models the store holds as finished are not searched again.
    """

    def __init__(self, paths: Sequence[Path], attrs: Mapping[str, object], n_trials: int, *,
                 save: bool, store: ResultStore | None, callback) -> None:
        self.names = _names(paths)
        self.paths, self.attrs, self.n_trials = list(paths), attrs, n_trials
        self.save, self.store, self.callback = save, store, callback
        self.records: dict[str, ModelRecord] = ({} if store is None
                                                else store.finished(self.names))
        self.plans: list[SearchPlan] = []
        self.plan_names: list[str] = []
        self.scores: dict[str, list[TrialScores]] = {}

    def prepare_plans(self, task: Task, settings: Mapping[str, float], entropy: int,
                      factors: object, options: PlanOptions) -> None:
        """One plan per readable model not yet finished; the others get an ``error``.

        ``factors`` None means each model's stored optimum.
        """
        for path, name in zip(self.paths, self.names, strict=True):
            if name in self.records:
                continue
            self.records[name] = ModelRecord(model_path=str(path))
            try:
                grid = [stored_optimum(path)] if factors is None else factors
                plan = SearchPlan.prepare(path, task, grid, settings, seed=entropy,
                                          options=options)
            except (OSError, ValueError) as error:
                self.records[name].error = " ".join(str(error).split())
                continue
            self.records[name].model_sha256 = plan.model_sha256
            self.plans.append(plan)
            self.plan_names.append(name)
            self.scores[name] = []

    def finish(self, index: int, single: xr.Dataset | None = None) -> None:
        """Store a completed model's Dataset, write its optimum and the store, call back."""
        plan, name = self.plans[index], self.plan_names[index]
        if single is None:
            single = plan.dataset(self.scores[name], {"saved_to_model": 0})
        if self.save:
            single.attrs["saved_to_model"] = int(save_optimum(plan.model_path, single,
                                                              stacklevel=5))
        self.records[name].dataset = single
        self.records[name].saved_to_model = bool(single.attrs["saved_to_model"])
        if self.store is not None:
            self.store.write(self.records, self.names)
        if self.callback is not None:
            self.callback(name, single)

    def collect(self, index: int, finished: list[TrialScores]) -> None:
        """Keep a finished block of a full search; finish the model at its last trial."""
        name = self.plan_names[index]
        if self.records[name].completed or self.records[name].error:
            return
        self.scores[name].extend(finished)
        if len(self.scores[name]) == self.n_trials:
            self.finish(index)

    def failed(self, index: int, error: BaseException) -> None:
        """Record a model's error; the other models go on."""
        self.records[self.plan_names[index]].error = \
            f"{type(error).__name__}: {' '.join(str(error).split())}"

    def run_adaptive(self, options: RunOptions) -> bool:
        """Adaptive searches of every plan, their rounds sharing the executor."""
        runs = [AdaptiveRun(plan, self.n_trials) for plan in self.plans]

        def ended(index: int) -> None:
            self.finish(index, runs[index].dataset({"saved_to_model": 0}))

        complete = run_adaptive_plans(runs, options, on_finish=ended, catch_errors=True,
                                      description=f"{len(self.plans)} models")
        for index, run in enumerate(runs):
            if run.error is not None:
                self.failed(index, run.error)
        return complete


def _warn_interrupted(records: Mapping[str, ModelRecord], n_models: int,
                      store: ResultStore | None) -> None:
    done = sum(record.completed for record in records.values())
    kept = f" and in {store.path}" if store else ""
    warnings.warn(f"the search stopped after {done} of {n_models} models; finished "
                  f"models are in the result{kept}", SearchInterrupted, stacklevel=3)


def _grid_and_attrs(scaling_factors, task: Task, settings: Mapping[str, float], entropy: int,
                    n_trials: int, options: PlanOptions) -> tuple[object, dict[str, object]]:
    """The grid (None: each model's stored optimum) and the attributes the models share."""
    if scaling_factors is None and options.perturbations is None:
        raise ValueError("scaling_factors is None, expected the grid to search (only a "
                         "perturbation search may run each model at its stored optimum)")
    factors = None if scaling_factors is None else parse_scaling_factors(scaling_factors)
    attrs = SearchPlan.shared_attrs(task, settings, entropy, n_trials, options)
    attrs["scaling_factors"] = AT_STORED_OPTIMUM if factors is None \
        else json.dumps(factors.tolist())
    if options.perturbations is not None:
        attrs["perturbations"] = json.dumps([p.label for p in options.perturbations])
    attrs["optimum_rule"] = options.optimum
    attrs.update(options.adaptive.attrs() if options.adaptive else {})
    return factors, attrs
