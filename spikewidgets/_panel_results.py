"""What the panel does with a search Dataset: replay one trial, save, export."""

from __future__ import annotations

import json
import os
from pathlib import Path

import xarray as xr

from .atomic import write_netcdf
from .modelfile import RateModel, file_sha256, write_search_results
from .seeding import rate_noise_seed
from .simulate import simulate

__all__ = ["export_result", "replay_trial", "save_result", "trial_text"]


def replay_trial(model: RateModel, dataset: xr.Dataset, index: int,
                 trial: int) -> tuple[xr.Dataset, xr.Dataset | None, str]:
    """Simulate trial ``trial`` of the search ``dataset`` at its factor number ``index``.

    Returns the spiking trial (same stimulus and noise as in the search), the
    rate network's output for the same input (None if it could not be
    computed) and a note saying why not ("" otherwise).
    """
    attrs = dataset.attrs
    seed = int(attrs["seed"])
    initial = bool(attrs.get("use_initial_weights", 0))
    sim = simulate(model, float(dataset.scaling_factor.values[index]), attrs["task"],
                   settings=json.loads(attrs["task_settings"]), seed=seed, trial=int(trial),
                   downsample=int(attrs.get("downsample", 1)), use_initial_weights=initial)
    try:
        from .rate import simulate_rate

        stream = rate_noise_seed(seed, int(trial))
        rate = simulate_rate(model, sim.stimulus.values, seed=stream, rates=False,
                             use_initial_weights=initial)
    except Exception as error:  # the spiking trial is still worth showing
        return sim, None, f" (no rate network output: {error})"
    return sim, rate, ""


def trial_text(sim: xr.Dataset, dataset: xr.Dataset, index: int) -> str:
    """One line about a replayed trial, with its score in the search if it was run there."""
    attrs = sim.attrs
    verdict = "correct" if attrs.get("correct") else "wrong"
    text = (f"trial {attrs['trial']}: {attrs['condition']}, {verdict} "
            f"(response {attrs['response']:.2f})")
    trial = int(attrs["trial"])
    if trial in dataset.trial.values:
        searched = bool(dataset.correct.sel(trial=trial).values[index])
        text += f"; in the search: {'correct' if searched else 'wrong'}"
    return text


def save_result(dataset: xr.Dataset | None, saved_sha: str | None = None) -> tuple[Path, str]:
    """Write the optimum of a complete search into its model file.

    ``saved_sha`` is the file's checksum after an earlier save of the same
    result (saving twice is allowed). Returns the path and its new checksum.

    Raises
    ------
    ValueError
        Without a complete result, or if the file changed since the search.
    """
    if dataset is None:
        raise ValueError("there is no search result to save: run a search first")
    if not dataset.attrs.get("complete"):
        raise ValueError("the last search was stopped before its end: run it to the end "
                         "before saving its optimum")
    path = Path(dataset.attrs["model_path"])
    if not path.is_file():
        raise ValueError(f"model file {path} no longer exists")
    if file_sha256(path) not in (dataset.attrs.get("model_sha256"), saved_sha):
        raise ValueError(f"model file {path} changed since the search: run the search again "
                         "before saving")
    write_search_results(path, float(dataset.opt_scaling_factor), dataset.accuracy.values,
                         dataset.scaling_factor.values)
    dataset.attrs["saved_to_model"] = 1
    return path, file_sha256(path)


def export_result(dataset: xr.Dataset | None, path: str | os.PathLike) -> Path:
    """Write a search Dataset to netCDF, atomically (``.nc`` added to a bare name)."""
    if dataset is None:
        raise ValueError("there is no search result to export: run a search first")
    target = Path(os.fspath(path).strip()).expanduser()
    if not target.name:
        raise ValueError(f"the netCDF file name is {os.fspath(path)!r}: type a path such as "
                         "search.nc")
    if not target.suffix:
        target = target.with_suffix(".nc")
    write_netcdf(dataset, target)
    return target
