"""Replaying one trial of a search: spike raster, readout and firing-rate histogram."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

import ipywidgets as widgets
import traitlets
import xarray as xr

from spikewidgets.io._modelfile import RateModel, load_model
from spikewidgets.panel._bokehjs import FigurePane
from spikewidgets.panel._common import (
    NO_FACTOR,
    Part,
    Quiet,
    StatusLine,
    check_factor_index,
    factor_labels,
    guarded,
)
from spikewidgets.panel._network_toggle import NetworkToggle
from spikewidgets.panel._rate_view import has_comparison
from spikewidgets.panel._replay import (
    INTACT,
    factor_index,
    perturbations_by_label,
    replay_trial,
    resolve_perturbation,
    trial_text,
)
from spikewidgets.perturbations import Perturbation
from spikewidgets.plots import plot_output, plot_raster, plot_rates

__all__ = ["TrialViewer", "replay_trial", "trial_text"]

#: What the line above the figures says before a search.
NO_SEARCH_HINT = "Run a search: then click a point of the accuracy plot to replay one trial."
#: What it says while no scaling factor is chosen.
CHOOSE_HINT = ("Click a point of the accuracy plot (or move the scaling-factor slider) to "
               "replay one trial of the search.")


def _choosers() -> tuple[widgets.SelectionSlider, widgets.BoundedIntText]:
    """The scaling-factor slider (labels at the grid's precision) and the trial field."""
    slider = widgets.SelectionSlider(
        options=[("none", NO_FACTOR)], value=NO_FACTOR, description="scaling factor",
        continuous_update=False, layout=widgets.Layout(width="440px"),
        style={"description_width": "initial"})
    field = widgets.BoundedIntText(
        value=0, min=0, max=0, description="trial", layout=widgets.Layout(width="140px"),
        style={"description_width": "35px"})
    slider.add_class("spw-factor")
    field.add_class("spw-trial")
    return slider, field


class TrialViewer(Part, widgets.VBox):
    """One trial of a search, replayed: readout, spike raster and firing-rate histogram.

    A scaling-factor slider and a trial field choose the trial; it is
    simulated again with the search's stimulus and noise, and the rate
    network's output for the same input is drawn next to the spiking readout.
    For a search with ``compare_rate=True``, the trial is replayed with
    ``simulate(..., compare_rate=True)`` (both networks' unit traces), and the
    callbacks of :meth:`on_trial` get each trial drawn.
    For a perturbation search, a toggle (``intact`` / ``perturbed: LABEL``)
    chooses which network replays the trial, with
    :func:`~spikewidgets.search.simulate` ``(..., perturbation=...)``.

    Parameters
    ----------
    dataset : xarray.Dataset, optional
        A search Dataset (:func:`~spikewidgets.search.lambda_grid_search`,
        or :func:`~spikewidgets.search.perturbation_search`).
    perturbations : sequence of Perturbation or str, optional
        The perturbations of a perturbation search, to replay its perturbed
        networks (the Dataset holds their labels only; presets are found by
        name without this).
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
    perturbation : str (trait)
        Label of the network that replays the trial: ``"none"`` for the
        intact network, or one of the Dataset's perturbations (linked to
        ``perturbation_toggle``, a ``NetworkToggle`` shown only for a
        perturbation search).
    perturbations : dict
        Perturbation objects by label (see the parameter).
    model : RateModel or None (trait)
        The model trials are replayed with.
    plots : dict
        ``output``, ``raster`` and ``rates``: the objects of :mod:`spikewidgets.plots`.
    dataset : xarray.Dataset or None
        The search whose trials are replayed.
    sim, rate : xarray.Dataset or None
        The trial shown and the rate network's output for its input.
    info : ipywidgets.HTML
        One line about the trial shown (before that, how to choose one).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel import TrialViewer
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 4, [5, 30, 80], seed=0, save=False,
    ...                            progress=False)
    >>> viewer = TrialViewer(ds, width=360, height=300)
    >>> [label for label, _ in viewer.factor_slider.options]
    ['none', '5', '30', '80']
    >>> sim = viewer.select(30, trial=3)  # what a tap on the point at 30 then trial 3 do
    >>> viewer.info.value
    'trial 3: go, correct (response 2.19); in the search: correct'
    >>> viewer.plots["raster"].figure.title.text
    'spikes, scaling factor 30, trial 3, go correct'
    """

    factor_index = traitlets.Int(NO_FACTOR)
    trial = traitlets.Int(0)
    perturbation = traitlets.Unicode(INTACT)
    model = traitlets.Instance(RateModel, allow_none=True)

    def __init__(self, dataset: xr.Dataset | None = None, model: RateModel | None = None, *,
                 perturbations: Iterable[Perturbation | str] | None = None,
                 width: int = 440, height: int = 320, columns: int | None = None,
                 status: StatusLine | None = None, lock: threading.RLock | None = None,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._lock = lock if lock is not None else threading.RLock()
        self._quiet = Quiet()
        self._shown: tuple | None = None
        self.perturbations = perturbations_by_label(perturbations)
        self.dataset: xr.Dataset | None = None
        self.sim: xr.Dataset | None = None
        self.rate: xr.Dataset | None = None
        own_status = status is None
        self.status = StatusLine() if status is None else status
        size = {"width": width, "height": height}
        self.plots = {"output": plot_output(**size), "raster": plot_raster(**size),
                      "rates": plot_rates(**size)}
        self.factor_slider, self.trial_field = _choosers()
        self.perturbation_toggle = NetworkToggle()
        self.info = widgets.HTML(NO_SEARCH_HINT)
        self.pane = FigurePane([plot.figure for plot in self.plots.values()], columns=columns,
                               lock=self._lock)
        select_row = widgets.HBox([self.factor_slider, self.trial_field,
                                   self.perturbation_toggle, self.info],
                                  layout=widgets.Layout(align_items="center",
                                                        flex_flow="row wrap"))
        self.children = (select_row, self.pane) + ((self.status,) if own_status else ())
        self.factor_slider.observe(self._on_slider, names="value")
        self.perturbation_toggle.observe(self._on_toggle, names="value")
        traitlets.link((self.trial_field, "value"), (self, "trial"))
        self.observe(self._guard(self._on_selection),
                     names=["factor_index", "trial", "perturbation"])
        self._trial_callbacks = widgets.CallbackDispatcher()
        self.model = model
        if dataset is not None:
            self.set_dataset(dataset)

    def on_trial(self, callback: Callable[[xr.Dataset | None], None],
                 remove: bool = False) -> None:
        """Call ``callback(sim)`` with each trial drawn, ``callback(None)`` when emptied.

        ``remove`` unregisters it.
        """
        self._trial_callbacks.register_callback(callback, remove=remove)

    def _guard(self, handler):
        return guarded(handler, self.status)

    # ------------------------------------------------------------------ the search

    def set_dataset(self, dataset: xr.Dataset | None) -> None:
        """Replay trials of ``dataset`` from now on (None: none, and empty figures).

        The chosen factor and trial are kept while they exist in the new Dataset;
        the figures keep showing the last trial until another is chosen.
        """
        factors = [] if dataset is None else dataset.scaling_factor.values
        options = [("none", NO_FACTOR), *((label, index) for index, label
                                          in enumerate(factor_labels(factors)))]
        with self._quiet():
            self.dataset = dataset
            if tuple(self.factor_slider.options) != tuple(options):
                keep = self.factor_index if dataset is not None else NO_FACTOR
                keep = keep if keep < len(options) - 1 else NO_FACTOR
                self.factor_slider.options = options
                self.factor_slider.value = keep
                self.factor_index = keep
            if dataset is not None:
                total = int(dataset.attrs.get("n_trials", dataset.sizes.get("trial", 1)))
                self.trial_field.max = max(total - 1, 0)
            chosen = self.perturbation_toggle.set_networks(dataset, self.perturbation)
            if chosen != self.perturbation:
                self.perturbation = chosen
        if dataset is None:
            self.clear()
        elif self.factor_index == NO_FACTOR:
            self.info.value = CHOOSE_HINT

    def clear(self) -> None:
        """Empty the figures (they then say what will appear) and forget the trial shown."""
        with self._lock:
            for plot in self.plots.values():
                plot.update(None)
            self.sim = self.rate = self._shown = None
        self._trial_callbacks(None)
        self.info.value = NO_SEARCH_HINT if self.dataset is None else CHOOSE_HINT

    @traitlets.validate("perturbation")
    def _check_perturbation(self, proposal: traitlets.Bunch) -> str:
        allowed = self.perturbation_toggle.labels
        if proposal.value not in allowed:
            raise traitlets.TraitError(
                f"perturbation is {proposal.value!r}, expected one of the networks of the "
                f"search: {', '.join(allowed)}")
        return proposal.value

    @traitlets.validate("factor_index")
    def _check_index(self, proposal: traitlets.Bunch) -> int:
        return check_factor_index("factor_index", proposal.value,
                                  len(self.factor_slider.options) - 1, "of the search")

    # ------------------------------------------------------------------ choosing a trial

    def _on_slider(self, change: traitlets.Bunch) -> None:
        if not self._quiet:
            self.factor_index = change.new

    def _on_toggle(self, change: traitlets.Bunch) -> None:
        if not self._quiet:
            self.perturbation = change.new

    def _on_selection(self, change: traitlets.Bunch) -> None:
        widget = {"factor_index": self.factor_slider,
                  "perturbation": self.perturbation_toggle}.get(change.name)
        if widget is not None and widget.value != change.new:
            with self._quiet():
                widget.value = change.new
        if not self._quiet and self.factor_index != NO_FACTOR:
            self.show(self.factor_index, self.trial)

    def select(self, scaling_factor: float, trial: int = 0,
               perturbation: str | None = None) -> xr.Dataset:
        """Show one trial at one searched scaling factor and return it (as ``simulate`` does).

        ``perturbation`` (a label of a perturbation search, ``"none"`` for the
        intact network) also chooses the network; by default the one chosen
        stays.

        Raises
        ------
        ValueError
            If there is no search Dataset yet, ``scaling_factor`` was not
            searched, ``trial`` is not one of its trials, or ``perturbation``
            is not one of its networks.
        """
        if self.dataset is None:
            raise ValueError("there is no search result yet: run a search first")
        if not 0 <= int(trial) <= self.trial_field.max:
            raise ValueError(f"trial is {trial!r}, expected 0 to {self.trial_field.max} (the "
                             "trials of the search)")
        index = factor_index(self.dataset, scaling_factor)
        with self._quiet():
            if perturbation is not None:
                try:
                    self.perturbation = str(perturbation)
                except traitlets.TraitError as error:
                    raise ValueError(str(error)) from None
            self.trial = int(trial)
            self.factor_index = index
        return self.show(index, int(trial))

    def show(self, index: int, trial: int) -> xr.Dataset:
        """Replay trial ``trial`` at the factor of index ``index`` and draw it; return it.

        The network is the one ``perturbation`` names.
        """
        dataset = self.dataset
        if dataset is None:
            raise ValueError("there is no search result yet: run a search first")
        label = self.perturbation
        key = (id(dataset), int(index), int(trial), label)
        if key == self._shown and self.sim is not None:
            return self.sim
        perturbation = resolve_perturbation(label, self.perturbations)
        if self.model is None:
            self.model = load_model(dataset.attrs["model_path"])
        sim, rate, note = replay_trial(self.model, dataset, int(index), int(trial),
                                       perturbation, has_comparison(dataset))
        with self._lock:
            self.plots["raster"].update(sim)
            self.plots["output"].update(sim, rate)
            self.plots["rates"].update(sim)
            self.sim, self.rate, self._shown = sim, rate, key
        self.info.value = trial_text(sim, dataset, int(index), label) + note
        self._trial_callbacks(sim)
        return sim
