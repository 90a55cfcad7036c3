"""The resumable netCDF store of a many-model search, and how model results are combined.

A store is one netCDF file holding the combined Dataset of the models
finished so far (dims ``model``, ``scaling_factor``, ``trial``). It is
rewritten atomically after each model; a search given the same store skips
the models it holds, and refuses a store made with other settings.

Models searched at the optimum stored in their files (a perturbation search
with ``scaling_factors=None``) keep a ``scaling_factor`` dimension of length
1, without a coordinate; ``model_scaling_factor`` along ``model`` holds each
model's factor.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from spikewidgets.io._atomic import write_netcdf
from spikewidgets.io._labels import variable_attrs

__all__ = ["AT_STORED_OPTIMUM", "IDENTITY_ATTRS", "ModelRecord", "ResultStore",
           "combine_models"]

#: Attributes that must match between a store and the search that resumes it.
IDENTITY_ATTRS = ("task", "task_settings", "seed", "n_trials", "paired", "scaling_factors",
                  "downsample", "use_initial_weights", "compare_rate")

#: ``attrs["scaling_factors"]`` of a search that runs each model at its stored optimum.
AT_STORED_OPTIMUM = "stored optimum"

#: The per-model coordinate of such a search: name, long_name, description.
_MODEL_FACTOR = ("model_scaling_factor", "model's scaling factor",
                 "scaling factor the model was simulated at: the optimum stored in its file")

#: Per-model variables that the combined Dataset adds to a single search's:
#: name -> (long_name, description).
_MODEL_VARIABLES = {
    "model_path": ("model path", "absolute path of the model file"),
    "model_sha256": ("model SHA-256", "SHA-256 of the model file as searched"),
    "error": ("error", "why the model could not be searched (empty if it was)"),
}


#: Values of a model without results (and of trials a model did not run), where NaN won't do.
_MISSING_MODEL = {"correct": False, "tied_with_optimum": False, "simulated": False,
                  "n_trials_run": 0, "left_in_round": -1, "left_reason": "", "unit_type": ""}


@dataclass
class ModelRecord:
    """What a many-model search knows of one model file.

    Examples
    --------
    >>> from spikewidgets.search._store import ModelRecord
    >>> failed = ModelRecord("/data/b.mat", error="not a MAT file")
    >>> failed.completed, failed.error
    (False, 'not a MAT file')
    """

    model_path: str
    model_sha256: str = ""
    error: str = ""
    dataset: xr.Dataset | None = None
    saved_to_model: bool = False

    @property
    def completed(self) -> bool:
        """Whether the model's search finished."""
        return self.dataset is not None


def combine_models(records: Mapping[str, ModelRecord], names: Sequence[str],
                   attrs: Mapping[str, object]) -> xr.Dataset:
    """Stack the models' Datasets along a leading ``model`` dimension, in ``names`` order.

    Models without a Dataset get NaN results (``False`` for booleans).

    Examples
    --------
    Two models, one searched (two factors, two trials) and one that failed:

    >>> import numpy as np
    >>> import xarray as xr
    >>> from spikewidgets.search._store import ModelRecord, combine_models
    >>> correct = np.array([[True, False], [True, True]])
    >>> searched = xr.Dataset(
    ...     {"correct": (("scaling_factor", "trial"), correct),
    ...      "accuracy": ("scaling_factor", correct.mean(axis=1))},
    ...     coords={"scaling_factor": [25.0, 30.0], "trial": [0, 1]})
    >>> records = {"a.mat": ModelRecord("/data/a.mat", dataset=searched),
    ...            "b.mat": ModelRecord("/data/b.mat", error="not a MAT file")}
    >>> combined = combine_models(records, ["a.mat", "b.mat"], {"task": "go_nogo"})
    >>> combined.accuracy.values
    array([[0.5, 1. ],
           [nan, nan]])
    >>> combined.completed.values, combined.error.values.tolist()
    (array([1, 0]), ['', 'not a MAT file'])
    >>> combined.attrs
    {'task': 'go_nogo', 'n_models': 2, 'n_models_completed': 1}
    """
    done = [name for name in names if records[name].completed]
    at_optimum = attrs.get("scaling_factors") == AT_STORED_OPTIMUM
    if done:
        # A rate comparison's unit_type differs between models: a variable along model too.
        parts = [_without_attrs(records[name].dataset).reset_coords(
            [c for c in ("unit_type",) if c in records[name].dataset.coords]) for name in done]
        if at_optimum:  # each model at its own factor: a coordinate along model
            parts = [_factor_as_coordinate(part) for part in parts]
        stacked = xr.concat(parts, dim="model",
                            coords=[_MODEL_FACTOR[0]] if at_optimum else "minimal",
                            compat="override", join="outer", fill_value=_MISSING_MODEL)
        stacked = stacked.assign_coords(model=("model", done))
        combined = stacked.reindex(model=list(names), fill_value=_MISSING_MODEL)
        for key, variable in stacked.variables.items():
            combined[key].attrs = dict(variable.attrs)
        combined = combined.set_coords([c for c in ("unit_type",) if c in combined])
    else:
        combined = xr.Dataset(coords={"model": ("model", list(names))})
    for key, (long_name, description) in _MODEL_VARIABLES.items():
        combined[key] = ("model", [getattr(records[name], key) for name in names],
                         variable_attrs(long_name, description))
    combined["saved_to_model"] = ("model", np.asarray(
        [int(records[name].saved_to_model) for name in names], dtype=np.int64),
        variable_attrs("saved to model", "1 if the optimum was written into the model file"))
    combined["completed"] = ("model", np.asarray(
        [int(records[name].completed) for name in names], dtype=np.int64),
        variable_attrs("completed", "1 if the model's search finished"))
    combined["model"].attrs.update(variable_attrs("model", "model file (relative path)"))
    combined.attrs = {**attrs, "n_models": len(names), "n_models_completed": len(done)}
    return combined


class ResultStore:
    """A netCDF file of finished models that makes a many-model search resumable.

    Parameters
    ----------
    path : path-like
        The store file (it need not exist yet).
    attrs : mapping
        The search's attributes; an existing store must agree on
        :data:`IDENTITY_ATTRS`.

    Examples
    --------
    A store that holds one finished model of two; a search with another
    seed may not resume it:

    >>> import numpy as np
    >>> import xarray as xr
    >>> from spikewidgets.search._store import ModelRecord, ResultStore
    >>> correct = np.array([[True, False], [True, True]])
    >>> searched = xr.Dataset(
    ...     {"correct": (("scaling_factor", "trial"), correct),
    ...      "accuracy": ("scaling_factor", correct.mean(axis=1))},
    ...     coords={"scaling_factor": [25.0, 30.0], "trial": [0, 1]})
    >>> attrs = {"task": "go_nogo", "task_settings": "{}", "seed": 0, "n_trials": 2,
    ...          "paired": 1, "scaling_factors": "[25.0, 30.0]"}
    >>> store = ResultStore("store.nc", attrs)
    >>> store.finished(["a.mat", "b.mat"])  # no file yet
    {}
    >>> store.write({"a.mat": ModelRecord("/data/a.mat", dataset=searched),
    ...              "b.mat": ModelRecord("/data/b.mat")}, ["a.mat", "b.mat"])
    >>> finished = store.finished(["a.mat", "b.mat"])
    >>> list(finished), finished["a.mat"].dataset.accuracy.values
    (['a.mat'], array([0.5, 1. ]))
    >>> ResultStore("store.nc", {**attrs, "seed": 1}).finished(["a.mat"])
    Traceback (most recent call last):
    ...
    ValueError: store ...store.nc was made with seed = ..., not 1; use another store or ...
    """

    def __init__(self, path: str | os.PathLike, attrs: Mapping[str, object]) -> None:
        self.path = Path(path).resolve()
        self.attrs = dict(attrs)

    def finished(self, names: Sequence[str]) -> dict[str, ModelRecord]:
        """Records of the models among ``names`` that the store holds as completed.

        Raises
        ------
        ValueError
            If the store was made with other settings.
        """
        if not self.path.exists():
            return {}
        with xr.open_dataset(self.path) as previous:
            previous = previous.load()
        for key in IDENTITY_ATTRS:
            if str(previous.attrs.get(key)) != str(self.attrs.get(key)):
                raise ValueError(
                    f"store {self.path} was made with {key} = {previous.attrs.get(key)!r}, "
                    f"not {self.attrs.get(key)!r}; use another store or the same settings"
                )
        if previous.completed.any() and "scaling_factor" not in previous.dims:
            raise ValueError(f"store {self.path} holds models at their stored optima without a "
                             "scaling_factor dimension (written by an earlier version); "
                             "expected a store of this version: use another store")
        records = {}
        per_model = [*_MODEL_VARIABLES, "saved_to_model", "completed"]
        for index, name in enumerate(previous.model.values.tolist()):
            if name in names and previous.completed.values[index]:
                single = _factor_as_index(
                    previous.isel(model=index).drop_vars(["model", *per_model]))
                records[name] = ModelRecord(
                    model_path=str(previous.model_path.values[index]),
                    model_sha256=str(previous.model_sha256.values[index]),
                    dataset=single,
                    saved_to_model=bool(previous.saved_to_model.values[index]))
        return records

    def write(self, records: Mapping[str, ModelRecord], names: Sequence[str]) -> None:
        """Replace the store, atomically, with the combined Dataset of ``records``."""
        write_netcdf(combine_models(records, names, self.attrs), self.path)


def _without_attrs(dataset: xr.Dataset) -> xr.Dataset:
    """A shallow copy of ``dataset`` without its own attributes (its variables keep theirs)."""
    bare = dataset.copy(deep=False)
    bare.attrs = {}
    return bare


def _factor_as_coordinate(dataset: xr.Dataset) -> xr.Dataset:
    """A one-factor Dataset whose factor is the scalar ``model_scaling_factor``, not an index."""
    if "scaling_factor" not in dataset.coords:
        return dataset
    (factor,) = dataset.scaling_factor.values
    name, long_name, description = _MODEL_FACTOR
    return dataset.drop_vars("scaling_factor").assign_coords(
        {name: ((), float(factor), variable_attrs(long_name, description))})


def _factor_as_index(dataset: xr.Dataset) -> xr.Dataset:
    """The inverse of :func:`_factor_as_coordinate` (for a model read back from a store)."""
    name = _MODEL_FACTOR[0]
    if name not in dataset.coords:
        return dataset
    labels = variable_attrs("scaling factor",
                            "scaling factor dividing recurrent and readout weights")
    factor = ("scaling_factor", [float(dataset[name])], labels)
    return dataset.drop_vars(name).assign_coords(scaling_factor=factor)
