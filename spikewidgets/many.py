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
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import numpy as np
import xarray as xr

from .atomic import write_netcdf
from .modelfile import ModelWriteError, file_sha256, load_model, write_search_results
from .results import TrialScores, build_dataset
from .scheduling import DASK_LOW_OVERHEAD, Chunk, available_workers, run_chunks
from .search import SearchInterrupted, SearchPlan, score_trials
from .seeding import entropy_from_seed, seed_attr
from .tasks import get_task
from .validation import parse_scaling_factors, positive_int

__all__ = ["DASK_LOW_OVERHEAD", "resolve_model_paths", "search_models"]

_IDENTITY_ATTRS = ("task", "task_settings", "seed", "n_trials", "paired")


def resolve_model_paths(models: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """Expand a glob pattern (``**`` allowed) or a list of paths into sorted, unique paths.

    Raises
    ------
    ValueError
        If nothing matches.
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


def _names(paths: Sequence[Path]) -> list[str]:
    if len(paths) == 1:
        return [paths[0].name]
    root = Path(os.path.commonpath([p.parent for p in paths]))
    return [str(p.relative_to(root)) for p in paths]


def _combine(per_model: Mapping[str, xr.Dataset], names: Sequence[str],
             info: Mapping[str, Mapping[str, str]], attrs: Mapping[str, object]) -> xr.Dataset:
    done = [name for name in names if name in per_model]
    variables = {"model_path": "", "model_sha256": "", "error": ""}
    if done:
        stacked = xr.concat([per_model[name].drop_attrs(deep=False) for name in done], dim="model",
                            coords="minimal", compat="override", join="outer")
        stacked = stacked.assign_coords(model=("model", done))
        combined = stacked.reindex(model=list(names),
                                   fill_value={"correct": False, "tied_with_optimum": False})
        for key, variable in stacked.variables.items():
            combined[key].attrs = dict(variable.attrs)
    else:
        combined = xr.Dataset(coords={"model": ("model", list(names))})
    for key in variables:
        combined[key] = ("model", [info.get(name, {}).get(key, "") for name in names])
    saved = [int(per_model[name].attrs.get("saved_to_model", 0)) if name in per_model else 0
             for name in names]
    combined["saved_to_model"] = ("model", np.asarray(saved, dtype=np.int64))
    combined["completed"] = ("model", np.asarray([int(name in per_model) for name in names],
                                                 dtype=np.int64))
    combined["completed"].attrs.update(units="1", long_name="1 if the model's search finished")
    combined["model"].attrs.update(units="1", long_name="model file (relative path)")
    combined["model_path"].attrs.update(units="1", long_name="absolute path of the model file")
    combined["model_sha256"].attrs.update(units="1",
                                          long_name="SHA-256 of the model file as searched")
    combined["error"].attrs.update(units="1", long_name="why the model could not be "
                                   "searched (empty if it was)")
    combined["saved_to_model"].attrs.update(units="1",
                                            long_name="1 if the optimum was written into "
                                            "the model file")
    combined.attrs = {**attrs, "n_models": len(names), "n_models_completed": len(done)}
    return combined


def search_models(
    models: str | os.PathLike | Iterable[str | os.PathLike],
    task_name: str,
    n_trials: int,
    scaling_factors: str | Iterable[float],
    task_settings: Mapping[str, object] | None = None,
    *,
    seed: int = 0,
    store: str | os.PathLike | None = None,
    paired: bool = True,
    save: bool = True,
    executor: Executor | None = None,
    n_workers: int | None = None,
    trials_per_chunk: int | None = None,
    progress: bool = True,
    callback: Callable[[str, xr.Dataset], None] | None = None,
    stop: threading.Event | None = None,
) -> xr.Dataset:
    """Grid-search the scaling factor of many models in one call.

    Parameters
    ----------
    models : str, path-like or iterable of them
        A glob pattern such as ``"models/**/*.mat"`` or a list of files.
    task_name, n_trials, scaling_factors, task_settings
        As for :func:`~spikewidgets.lambda_grid_search`; the same for every model.
    seed : int, default 0
        Seed of every random draw; every model sees the same trials.
    store : path-like, optional
        netCDF file holding finished models. It is rewritten atomically after
        each model; a search given the same store skips the models it holds
        (after an interruption or a lost machine), and refuses a store made
        with other settings.
    paired, save, executor, n_workers, trials_per_chunk, progress, stop
        As for :func:`~spikewidgets.lambda_grid_search`. Blocks of all models
        share one executor; by default a pool of ``n_workers`` processes (all
        cores); threads measure the same throughput within the noise
        (``python benchmarks/bench_many.py``).
    callback : callable, optional
        ``callback(model_name, model_dataset)`` when a model completes.

    Returns
    -------
    xarray.Dataset
        The variables of a single search with a leading ``model`` dimension
        (coordinate: file path relative to the models' common folder), plus
        ``model_path``, ``model_sha256``, ``saved_to_model``, ``completed``
        and ``error`` per model. A model that could not be read has an ``error`` and NaN results;
        the others complete.
    """
    paths = resolve_model_paths(models)
    names = _names(paths)
    n_trials = positive_int("n_trials", n_trials)
    factors = parse_scaling_factors(scaling_factors)
    entropy = entropy_from_seed(seed)
    task = get_task(task_name)
    settings = task.settings(task_settings)
    workers = available_workers() if n_workers is None else positive_int("n_workers", n_workers)
    if trials_per_chunk is None:
        trials_per_chunk = max(1, min(10, -(-n_trials * len(paths) // (4 * workers))))
    trials_per_chunk = positive_int("trials_per_chunk", trials_per_chunk)
    attrs = {
        "task": task.name,
        "task_settings": task.settings_json(settings),
        "seed": seed_attr(entropy),
        "n_trials": n_trials,
        "paired": int(bool(paired)),
        "scaling_factors": json.dumps(factors.tolist()),
    }
    per_model: dict[str, xr.Dataset] = {}
    info: dict[str, dict[str, str]] = {}
    store_path = None if store is None else Path(store).resolve()
    if store_path is not None and store_path.exists():
        with xr.open_dataset(store_path) as previous:
            previous = previous.load()
        for key in (*_IDENTITY_ATTRS, "scaling_factors"):
            if str(previous.attrs.get(key)) != str(attrs[key]):
                raise ValueError(
                    f"store {store_path} was made with {key} = {previous.attrs.get(key)!r}, "
                    f"not {attrs[key]!r}; use another store or the same settings"
                )
        for index, name in enumerate(previous.model.values.tolist()):
            if name in names and previous.completed.values[index]:
                single = previous.isel(model=index).drop_vars(
                    ["model", "model_path", "model_sha256", "error", "saved_to_model",
                     "completed"])
                per_model[name] = single.assign_attrs(
                    saved_to_model=int(previous.saved_to_model.values[index]))
                info[name] = {"model_path": str(previous.model_path.values[index]),
                              "model_sha256": str(previous.model_sha256.values[index])}
    chunks: list[Chunk] = []
    expected: dict[str, int] = {}
    scores: dict[str, list[TrialScores]] = {}
    for path, name in zip(paths, names, strict=True):
        if name in per_model:
            continue
        info[name] = {"model_path": str(path)}
        try:
            model = load_model(path)
            task.check_model_inputs(model.n_inputs, f"model file {path}")
            info[name]["model_sha256"] = file_sha256(path)
        except (OSError, ValueError) as error:
            info[name]["error"] = " ".join(str(error).split())
            continue
        plan = SearchPlan(model, task, settings, factors, entropy, bool(paired))
        expected[name] = n_trials
        scores[name] = []
        for first in range(0, n_trials, trials_per_chunk):
            block = list(range(first, min(first + trials_per_chunk, n_trials)))
            chunks.append(Chunk(name, score_trials, (plan, block)))

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(expected.values()) * factors.size,
                   desc=f"{len(expected)} models", unit="trial x factor")

    def finish(name: str) -> None:
        single = build_dataset(factors, scores[name], task.conditions,
                               {"saved_to_model": 0}, warn_edge=False)
        if save:
            try:
                write_search_results(info[name]["model_path"], float(single.opt_scaling_factor),
                                     single.accuracy.values, factors)
                single.attrs["saved_to_model"] = 1
            except ModelWriteError as error:
                warnings.warn(str(error), stacklevel=3)
        per_model[name] = single
        if store_path is not None:
            write_netcdf(_combine(per_model, names, info, attrs), store_path)
        if callback is not None:
            callback(name, single)

    def collect(chunk: Chunk, finished: list[TrialScores]) -> None:
        name = chunk.key
        if name in per_model or "error" in info[name]:
            return
        scores[name].extend(finished)
        if bar is not None:
            bar.update(len(finished) * factors.size)
        if len(scores[name]) == expected[name]:
            finish(name)

    def failed(chunk: Chunk, error: BaseException) -> None:
        info[chunk.key]["error"] = f"{type(error).__name__}: {' '.join(str(error).split())}"

    try:
        complete = run_chunks(chunks, collect, executor=executor,
                              make_executor=lambda: ProcessPoolExecutor(workers),
                              on_error=failed, stop=stop)
    finally:
        if bar is not None:
            bar.close()
    result = _combine(per_model, names, info, attrs)
    result.attrs["complete"] = int(complete)
    if not complete:
        warnings.warn(
            f"the search stopped after {len(per_model)} of {len(names)} models; finished "
            "models are in the result" + (f" and in {store_path}" if store_path else ""),
            SearchInterrupted, stacklevel=2)
    return result
