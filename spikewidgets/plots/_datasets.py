"""What the figures read from the Datasets they show: checks, task settings, trial titles."""

from __future__ import annotations

import json

import xarray as xr

__all__ = ["check_dataset", "dataset_settings", "trial_title"]


def check_dataset(ds: object, name: str, needed: tuple[str, ...],
                  made_by: str | None = None) -> None:
    """Raise if ``ds`` is not a Dataset holding the variables ``needed`` (``name`` is the argument).

    Parameters
    ----------
    ds : object
        What was passed.
    name : str
        The argument's name, for the message.
    needed : tuple of str
        Variables (or coordinates) ``ds`` must hold.
    made_by : str, optional
        The function whose Dataset is expected, for the message (default:
        ``lambda_grid_search`` for ``ds``, ``simulate`` otherwise).

    Raises
    ------
    TypeError
        If ``ds`` is not an xarray.Dataset.
    ValueError
        If variables are missing (in words).

    Examples
    --------
    >>> import xarray as xr
    >>> from spikewidgets.plots._datasets import check_dataset
    >>> check_dataset(xr.Dataset({"accuracy": ("scaling_factor", [0.5])}), "ds", ("accuracy",))
    >>> check_dataset(xr.Dataset(), "sim", ("spike_time",))
    Traceback (most recent call last):
    ...
    ValueError: sim has no variable(s) spike_time; expected the Dataset returned by simulate
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"{name} is {type(ds).__name__}, expected an xarray.Dataset")
    missing = [key for key in needed if key not in ds.variables]
    if missing:
        made_by = made_by or ("lambda_grid_search" if name == "ds" else "simulate")
        raise ValueError(
            f"{name} has no variable(s) {', '.join(missing)}; expected the Dataset returned "
            f"by {made_by}"
        )


def dataset_settings(ds: xr.Dataset) -> dict[str, float]:
    """The task settings stored in ``ds.attrs["task_settings"]`` (JSON), or {}.

    Examples
    --------
    >>> import xarray as xr
    >>> from spikewidgets.plots._datasets import dataset_settings
    >>> dataset_settings(xr.Dataset(attrs={"task_settings": '{"eval_amp_thresh": 0.7}'}))
    {'eval_amp_thresh': 0.7}
    >>> dataset_settings(xr.Dataset())
    {}
    """
    text = ds.attrs.get("task_settings")
    return json.loads(text) if isinstance(text, str) and text else {}


def trial_title(prefix: str, sim: xr.Dataset) -> str:
    """``"prefix, scaling factor 30, trial 2, go correct"`` from a simulated trial's attrs.

    A trial of a perturbed network ends with ``", perturbed: LABEL"``.

    Examples
    --------
    >>> import xarray as xr
    >>> from spikewidgets.plots._datasets import trial_title
    >>> sim = xr.Dataset(attrs={"scaling_factor": 30.0, "trial": 2, "condition": "go",
    ...                         "correct": 1})
    >>> trial_title("spikes", sim)
    'spikes, scaling factor 30, trial 2, go correct'
    """
    parts = [prefix]
    if "scaling_factor" in sim.attrs:
        parts.append(f"scaling factor {sim.attrs['scaling_factor']:g}")
    if "trial" in sim.attrs:
        parts.append(f"trial {sim.attrs['trial']}")
    if "condition" in sim.attrs:
        verdict = {1: "correct", 0: "wrong"}.get(sim.attrs.get("correct"), "")
        parts.append(f"{sim.attrs['condition']} {verdict}".strip())
    if sim.attrs.get("perturbation") not in (None, "none"):
        parts.append(f"perturbed: {sim.attrs['perturbation']}")
    return ", ".join(parts)
