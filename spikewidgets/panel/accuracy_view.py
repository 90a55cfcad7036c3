"""The accuracy plot of a search, whose points can be tapped to pick a scaling factor."""

from __future__ import annotations

import threading

import ipywidgets as widgets
import traitlets
import xarray as xr

from ..plots import AccuracyPlot, plot_accuracy
from .bokehjs import FigurePane
from .common import NO_FACTOR, Part

__all__ = ["AccuracyView"]


class AccuracyView(Part, widgets.VBox):
    """Accuracy against scaling factor (:func:`~spikewidgets.plots.plot_accuracy`), tappable.

    Before any data the figure shows its axes and a line saying that the
    accuracy of each scaling factor appears there once a search runs.

    Parameters
    ----------
    dataset : xarray.Dataset, optional
        A search Dataset (:func:`~spikewidgets.search.lambda_grid_search`,
        partial ones too) to show at once.
    width, height : int
        Size of the figure in pixels.
    lock : threading.RLock, optional
        Held while the figure changes (pass the lock of the threads that
        call :meth:`show`).

    Attributes
    ----------
    selected_index : int (trait)
        Index of the selected scaling factor, or -1 (``NO_FACTOR``) for none.
        A tap on a point sets it; setting it selects the point. A tap beside
        the points keeps the selection.
    factors : list of float (trait)
        The scaling factors shown (empty without data).
    plot : AccuracyPlot
        The figure and its sources.
    dataset : xarray.Dataset or None
        The Dataset shown.
    pane : FigurePane
        Shows the figure once the page has BokehJS.
    """

    selected_index = traitlets.Int(NO_FACTOR)
    factors = traitlets.List(traitlets.Float())

    def __init__(self, dataset: xr.Dataset | None = None, *, width: int = 440,
                 height: int = 320, lock: threading.RLock | None = None,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._lock = lock if lock is not None else threading.RLock()
        self.plot: AccuracyPlot = plot_accuracy(width=width, height=height)
        self.dataset: xr.Dataset | None = None
        self.pane = FigurePane([self.plot.figure], lock=self._lock)
        self.children = (self.pane,)
        self.plot.source.selected.on_change("indices", self._on_tap)
        self.observe(self._on_selected, names="selected_index")
        if dataset is not None:
            self.show(dataset)

    def show(self, dataset: xr.Dataset | None) -> None:
        """Show a search Dataset (partial or complete); None empties the figure.

        The selection is kept while its index exists in the new Dataset.
        """
        with self._lock:
            self.plot.update(dataset)
            self.dataset = dataset
            factors = [] if dataset is None else [float(f) for f in
                                                  dataset.scaling_factor.values]
            if self.selected_index >= len(factors):
                self.selected_index = NO_FACTOR
            self.factors = factors
            if self.selected_index != NO_FACTOR:
                self.plot.select(self.selected_index)

    @traitlets.validate("selected_index")
    def _check_index(self, proposal: traitlets.Bunch) -> int:
        index = int(proposal.value)
        if index != NO_FACTOR and not 0 <= index < len(self.factors):
            raise traitlets.TraitError(
                f"selected_index is {index}, expected -1 (none) or the index of one of the "
                f"{len(self.factors)} scaling factors shown")
        return index

    def _on_tap(self, _attr: str, _old: list, new: list) -> None:
        if new:
            if int(new[0]) != self.selected_index:
                self.selected_index = int(new[0])
        elif self.selected_index != NO_FACTOR:  # a tap beside the points
            self.plot.select(self.selected_index)

    def _on_selected(self, change: traitlets.Bunch) -> None:
        with self._lock:
            self.plot.select(None if change.new == NO_FACTOR else change.new)
