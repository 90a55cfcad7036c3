"""Replaying one trial of a search: spike raster, readout and firing-rate histogram."""

from __future__ import annotations

import json
import threading

import ipywidgets as widgets
import numpy as np
import traitlets
import xarray as xr

from ..modelfile import RateModel, load_model
from ..plots import plot_output, plot_raster, plot_rates
from ..rate import simulate_rate
from ..seeding import rate_noise_seed
from ..simulate import simulate
from .bokehjs import FigurePane
from .common import NO_FACTOR, Part, Quiet, StatusLine, guarded

__all__ = ["TrialViewer", "replay_trial", "trial_text"]


def replay_trial(model: RateModel, dataset: xr.Dataset, index: int,
                 trial: int) -> tuple[xr.Dataset, xr.Dataset | None, str]:
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

    Returns
    -------
    sim : xarray.Dataset
        The spiking trial (:func:`~spikewidgets.simulate.simulate`).
    rate : xarray.Dataset or None
        The rate network's output for the same input
        (:func:`~spikewidgets.rate.simulate_rate`), None if it could not be
        computed.
    note : str
        Why not, or "".
    """
    attrs = dataset.attrs
    seed = int(attrs["seed"])
    initial = bool(attrs.get("use_initial_weights", 0))
    sim = simulate(model, float(dataset.scaling_factor.values[index]), attrs["task"],
                   settings=json.loads(attrs["task_settings"]), seed=seed, trial=int(trial),
                   downsample=int(attrs.get("downsample", 1)), use_initial_weights=initial)
    try:
        rate = simulate_rate(model, sim.stimulus.values, seed=rate_noise_seed(seed, int(trial)),
                             rates=False, use_initial_weights=initial)
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


class TrialViewer(Part, widgets.VBox):
    """One trial of a search, replayed: readout, spike raster and firing-rate histogram.

    A scaling-factor slider and a trial field choose the trial; it is
    simulated again with the search's stimulus and noise, and the rate
    network's output for the same input is drawn next to the spiking readout.

    Parameters
    ----------
    dataset : xarray.Dataset, optional
        A search Dataset (:func:`~spikewidgets.search.lambda_grid_search`).
    model : RateModel, optional
        The model it ran on (default: read from ``dataset.attrs["model_path"]``
        when a trial is first replayed).
    width, height : int
        Size of each figure in pixels.
    columns : int, optional
        Columns of the grid of figures (default: one row, wrapping).
    status : StatusLine, optional
        Where to report; by default the viewer shows its own line.
    lock : threading.RLock, optional
        Held while the figures change.

    Attributes
    ----------
    factor_index : int (trait)
        Index of the scaling factor shown, -1 (``NO_FACTOR``) for none
        (linked to ``factor_slider``).
    trial : int (trait)
        The trial shown (linked to ``trial_field``).
    model : RateModel or None (trait)
        The model trials are replayed with.
    plots : dict
        ``output``, ``raster`` and ``rates``: the objects of :mod:`spikewidgets.plots`.
    dataset : xarray.Dataset or None
        The search whose trials are replayed.
    sim, rate : xarray.Dataset or None
        The trial shown and the rate network's output for its input.
    info : ipywidgets.HTML
        One line about the trial shown.
    """

    factor_index = traitlets.Int(NO_FACTOR)
    trial = traitlets.Int(0)
    model = traitlets.Instance(RateModel, allow_none=True)

    def __init__(self, dataset: xr.Dataset | None = None, model: RateModel | None = None, *,
                 width: int = 440, height: int = 320, columns: int | None = None,
                 status: StatusLine | None = None, lock: threading.RLock | None = None,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._lock = lock if lock is not None else threading.RLock()
        self._quiet = Quiet()
        self._shown: tuple | None = None
        self.dataset: xr.Dataset | None = None
        self.sim: xr.Dataset | None = None
        self.rate: xr.Dataset | None = None
        own_status = status is None
        self.status = StatusLine() if status is None else status
        size = {"width": width, "height": height}
        self.plots = {"output": plot_output(**size), "raster": plot_raster(**size),
                      "rates": plot_rates(**size)}
        self.factor_slider = widgets.SelectionSlider(
            options=[("none", NO_FACTOR)], value=NO_FACTOR, description="scaling factor",
            continuous_update=False, layout=widgets.Layout(width="440px"),
            style={"description_width": "initial"})
        self.trial_field = widgets.BoundedIntText(
            value=0, min=0, max=0, description="trial", layout=widgets.Layout(width="140px"),
            style={"description_width": "35px"})
        self.info = widgets.HTML("")
        self.factor_slider.add_class("spw-factor")
        self.trial_field.add_class("spw-trial")
        self.pane = FigurePane([plot.figure for plot in self.plots.values()], columns=columns,
                               lock=self._lock)
        select_row = widgets.HBox([self.factor_slider, self.trial_field, self.info],
                                  layout=widgets.Layout(align_items="center"))
        self.children = (select_row, self.pane) + ((self.status,) if own_status else ())
        self.factor_slider.observe(self._on_slider, names="value")
        traitlets.link((self.trial_field, "value"), (self, "trial"))
        self.observe(self._guard(self._on_selection), names=["factor_index", "trial"])
        self.model = model
        if dataset is not None:
            self.set_dataset(dataset)

    def _guard(self, handler):
        return guarded(handler, self.status)

    # ------------------------------------------------------------------ the search

    def set_dataset(self, dataset: xr.Dataset | None) -> None:
        """Replay trials of ``dataset`` from now on (None: none, and empty figures).

        The chosen factor and trial are kept while they exist in the new Dataset;
        the figures keep showing the last trial until another is chosen.
        """
        factors = None if dataset is None else dataset.scaling_factor.values
        options = [("none", NO_FACTOR)]
        if factors is not None:
            options += [(f"{f:g}", index) for index, f in enumerate(factors)]
        with self._quiet():
            self.dataset = dataset
            if tuple(self.factor_slider.options) != tuple(options):
                keep = self.factor_index if factors is not None else NO_FACTOR
                keep = keep if keep < len(options) - 1 else NO_FACTOR
                self.factor_slider.options = options
                self.factor_slider.value = keep
                self.factor_index = keep
            if dataset is not None:
                total = int(dataset.attrs.get("n_trials", dataset.sizes.get("trial", 1)))
                self.trial_field.max = max(total - 1, 0)
        if dataset is None:
            self.clear()

    def clear(self) -> None:
        """Empty the figures (they then say what will appear) and forget the trial shown."""
        with self._lock:
            for plot in self.plots.values():
                plot.update(None)
            self.sim = self.rate = self._shown = None
        self.info.value = ""

    @traitlets.validate("factor_index")
    def _check_index(self, proposal: traitlets.Bunch) -> int:
        index, count = int(proposal.value), len(self.factor_slider.options) - 1
        if index != NO_FACTOR and not 0 <= index < count:
            raise traitlets.TraitError(
                f"factor_index is {index}, expected -1 (none) or the index of one of the "
                f"{count} scaling factors of the search")
        return index

    # ------------------------------------------------------------------ choosing a trial

    def _on_slider(self, change: traitlets.Bunch) -> None:
        if not self._quiet:
            self.factor_index = change.new

    def _on_selection(self, change: traitlets.Bunch) -> None:
        if change.name == "factor_index" and self.factor_slider.value != change.new:
            with self._quiet():
                self.factor_slider.value = change.new
        if not self._quiet and self.factor_index != NO_FACTOR:
            self.show(self.factor_index, self.trial)

    def select(self, scaling_factor: float, trial: int = 0) -> xr.Dataset:
        """Show one trial at one searched scaling factor and return it (as ``simulate`` does).

        Raises
        ------
        ValueError
            If there is no search Dataset yet, ``scaling_factor`` was not
            searched, or ``trial`` is not one of its trials.
        """
        if self.dataset is None:
            raise ValueError("there is no search result yet: run a search first")
        if not 0 <= int(trial) <= self.trial_field.max:
            raise ValueError(f"trial is {trial!r}, expected 0 to {self.trial_field.max} (the "
                             "trials of the search)")
        factors = self.dataset.scaling_factor.values
        matches = np.flatnonzero(np.isclose(factors, float(scaling_factor), rtol=1e-9, atol=0))
        if matches.size == 0:
            raise ValueError(f"scaling_factor is {scaling_factor!r}, expected one of the "
                             f"searched factors {', '.join(f'{f:g}' for f in factors)}")
        with self._quiet():
            self.trial = int(trial)
            self.factor_index = int(matches[0])
        return self.show(int(matches[0]), int(trial))

    def show(self, index: int, trial: int) -> xr.Dataset:
        """Replay trial ``trial`` at the factor of index ``index`` and draw it; return it."""
        dataset = self.dataset
        if dataset is None:
            raise ValueError("there is no search result yet: run a search first")
        key = (id(dataset), int(index), int(trial))
        if key == self._shown and self.sim is not None:
            return self.sim
        if self.model is None:
            self.model = load_model(dataset.attrs["model_path"])
        sim, rate, note = replay_trial(self.model, dataset, int(index), int(trial))
        with self._lock:
            self.plots["raster"].update(sim)
            self.plots["output"].update(sim, rate)
            self.plots["rates"].update(sim)
            self.sim, self.rate, self._shown = sim, rate, key
        self.info.value = trial_text(sim, dataset, int(index)) + note
        return sim
