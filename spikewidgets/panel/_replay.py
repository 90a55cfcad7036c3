"""Replaying one trial of a search (or of one network of a perturbation search).

The examples below search the bundled Go-NoGo model, copied into the working
folder, on a small grid.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import numpy as np
import xarray as xr

from spikewidgets.io._modelfile import RateModel
from spikewidgets.perturbations import PRESETS, Perturbation
from spikewidgets.perturbations._presets import as_perturbation
from spikewidgets.search._simulate import simulate
from spikewidgets.sim._rate import simulate_rate
from spikewidgets.sim._seeding import rate_noise_seed

__all__ = [
    "INTACT",
    "factor_index",
    "network_label",
    "perturbation_labels",
    "perturbations_by_label",
    "replay_trial",
    "resolve_perturbation",
    "trial_text",
]

#: Label of the intact network in a perturbation search's Dataset.
INTACT = "none"


def perturbation_labels(dataset: xr.Dataset | None) -> tuple[str, list[str]]:
    """The intact network's label and the perturbed networks' labels of ``dataset``.

    A plain search (no ``perturbation`` dimension) gives ``("none", [])``.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._replay import perturbation_labels
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.perturbation_search(path, "go_nogo", ["ei_dec"], n_trials=2, seed=0,
    ...                             progress=False)
    >>> perturbation_labels(ds), perturbation_labels(None)
    (('none', ['ei_dec']), ('none', []))
    """
    if dataset is None or "perturbation" not in dataset.dims:
        return INTACT, []
    labels = [str(label) for label in dataset.perturbation.values]
    intact = str(dataset.attrs.get("intact_perturbation", labels[0]))
    return intact, [label for label in labels if label != intact]


def resolve_perturbation(label: str, known: Mapping[str, Perturbation]) -> Perturbation | None:
    """The perturbation of ``label``: None for the intact network, else from ``known`` or a preset.

    Raises
    ------
    ValueError
        If the label is neither known nor a preset name (the Dataset holds
        labels only: pass the perturbation objects).

    Examples
    --------
    >>> from spikewidgets.panel._replay import resolve_perturbation
    >>> resolve_perturbation("none", {}) is None
    True
    >>> preset = resolve_perturbation("ei_dec", {})  # a preset is found by its name
    >>> preset.label, preset.pre, preset.post, preset.factor
    ('ei_dec', 'inh', 'exc', 0.7)
    """
    if label == INTACT:
        return None
    if label in known:
        return known[label]
    if label in PRESETS:
        return as_perturbation(label)
    raise ValueError(f"perturbation {label!r} is not known to the trial viewer: pass the "
                     "perturbation objects of the search (perturbations=[...]) to replay it")


def perturbations_by_label(items: Iterable[Perturbation | str] | None
                           ) -> dict[str, Perturbation]:
    """``{label: perturbation}`` of perturbation objects or preset names.

    Examples
    --------
    >>> from spikewidgets.panel._replay import perturbations_by_label
    >>> from spikewidgets.perturbations import LesionConnections
    >>> list(perturbations_by_label(["ei_dec", LesionConnections(0.3)]))
    ['ei_dec', 'lesion 0.3']
    """
    made = [as_perturbation(item) for item in (items or ())]
    return {item.label: item for item in made}


def network_label(perturbation: str, intact: str = INTACT) -> str:
    """``"intact network"`` or ``"perturbed network (ei_dec)"``.

    Examples
    --------
    >>> from spikewidgets.panel._replay import network_label
    >>> network_label("none"), network_label("ei_dec")
    ('intact network', 'perturbed network (ei_dec)')
    """
    return "intact network" if perturbation == intact else f"perturbed network ({perturbation})"


def replay_trial(model: RateModel, dataset: xr.Dataset, index: int, trial: int,
                 perturbation: Perturbation | None = None, compare_rate: bool = False
                 ) -> tuple[xr.Dataset, xr.Dataset | None, str]:
    """Simulate trial ``trial`` of the search ``dataset`` at its factor number ``index``.

    Parameters
    ----------
    model : RateModel
        The model the search ran on.
    dataset : xarray.Dataset
        The search's Dataset (its attributes give the task, settings and seed).
    index : int
        Index of the scaling factor in ``dataset.scaling_factor``.
    trial : int
        The trial (same stimulus and noise as in the search).
    perturbation : Perturbation, optional
        Replay this perturbed network (exactly as in
        :func:`~spikewidgets.search.perturbation_search` with the same seed);
        None replays the intact one.
    compare_rate : bool, default False
        Also hold both networks' unit traces (``rate_spiking``,
        ``rate_network``: :func:`~spikewidgets.search.simulate` with
        ``compare_rate=True``), for a search that compared them.

    Returns
    -------
    sim : xarray.Dataset
        The spiking trial (:func:`~spikewidgets.search.simulate`).
    rate : xarray.Dataset or None
        The (intact) rate network's output for the same input
        (:func:`~spikewidgets.sim.simulate_rate`), None if it could not be
        computed.
    note : str
        Why not, or "".

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._replay import replay_trial
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 4, [5, 30, 80], seed=0, save=False,
    ...                            progress=False)
    >>> sim, rate, note = replay_trial(sw.load_model(path), ds, 1, 3)
    >>> sim.attrs["correct"] == int(ds.correct.sel(trial=3)[1]), rate.sizes["time"], note
    (True, 200, '')
    """
    attrs = dataset.attrs
    seed = int(attrs["seed"])
    initial = bool(attrs.get("use_initial_weights", 0))
    sim = simulate(model, float(dataset.scaling_factor.values[index]), attrs["task"],
                   task_settings=json.loads(attrs["task_settings"]), seed=seed, trial=int(trial),
                   downsample=int(attrs.get("downsample", 1)), use_initial_weights=initial,
                   perturbation=perturbation, compare_rate=compare_rate)
    try:
        rate = simulate_rate(model, sim.stimulus.values, seed=rate_noise_seed(seed, int(trial)),
                             rates=False, use_initial_weights=initial)
    except Exception as error:  # the spiking trial is still worth showing
        return sim, None, f" (no rate network output: {error})"
    return sim, rate, ""


def trial_text(sim: xr.Dataset, dataset: xr.Dataset, index: int,
               perturbation: str | None = None) -> str:
    """One line about a replayed trial, with its score in the search if it was run there.

    For a perturbation search, ``perturbation`` names the network replayed
    (default: the intact one) and the line starts with it.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._replay import trial_text
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 4, [5, 30, 80], seed=0, save=False,
    ...                            progress=False)
    >>> sim = sw.simulate(path, 30, "go_nogo", seed=0, trial=3)
    >>> trial_text(sim, ds, 1)
    'trial 3: go, correct (response 2.19); in the search: correct'
    """
    attrs = sim.attrs
    verdict = "correct" if attrs.get("correct") else "wrong"
    text = (f"trial {attrs['trial']}: {attrs['condition']}, {verdict} "
            f"(response {attrs['response']:.2f})")
    trial = int(attrs["trial"])
    correct = dataset.correct
    if "perturbation" in dataset.dims:
        intact, _ = perturbation_labels(dataset)
        chosen = intact if perturbation is None else perturbation
        correct = correct.sel(perturbation=chosen)
        text = f"{network_label(chosen, intact)}, {text}"
    if trial in dataset.trial.values:
        searched = bool(correct.sel(trial=trial).values[index])
        text += f"; in the search: {'correct' if searched else 'wrong'}"
    return text


def factor_index(dataset: xr.Dataset, scaling_factor: float) -> int:
    """Index of ``scaling_factor`` among the searched factors of ``dataset``.

    Raises
    ------
    ValueError
        If it was not searched (the message lists the factors that were).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._replay import factor_index
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 2, [5, 30, 80], seed=0, save=False,
    ...                            progress=False)
    >>> factor_index(ds, 30)
    1
    >>> factor_index(ds, 33)
    Traceback (most recent call last):
    ...
    ValueError: scaling_factor is 33, expected one of the searched factors 5, 30, 80
    """
    factors = dataset.scaling_factor.values
    matches = np.flatnonzero(np.isclose(factors, float(scaling_factor), rtol=1e-9, atol=0))
    if matches.size == 0:
        raise ValueError(f"scaling_factor is {scaling_factor!r}, expected one of the "
                         f"searched factors {', '.join(f'{f:g}' for f in factors)}")
    return int(matches[0])
