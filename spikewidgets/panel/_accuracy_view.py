"""The accuracy plot of a search, whose points can be tapped to pick a scaling factor.

What the figure draws is ``AccuracyPlot``'s: a
further mark on the points (factors left out of a search, say) is a column of
its ``source`` and a glyph of :func:`~spikewidgets.plots.plot_accuracy`;
:meth:`AccuracyView.show` passes the Dataset on unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import ipywidgets as widgets
import traitlets
import xarray as xr

from spikewidgets.panel._bokehjs import FigurePane
from spikewidgets.panel._common import NO_FACTOR, Part, check_factor_index
from spikewidgets.plots import plot_accuracy
from spikewidgets.plots._accuracy import AccuracyPlot
from spikewidgets.plots._base import ACCURACY_PLACEHOLDER

__all__ = ["AccuracyView", "accuracy_placeholder"]


def accuracy_placeholder(perturbation: str = "none") -> str:
    """What the empty accuracy plot says before a search of the intact network or a perturbed one.

    Examples
    --------
    >>> from spikewidgets.panel._accuracy_view import accuracy_placeholder
    >>> accuracy_placeholder()
    'Press Run: accuracy for each scaling factor appears here'
    >>> accuracy_placeholder("ei_dec")
    'Press Run: accuracy for each scaling factor appears here, intact and perturbed (ei_dec)'
    """
    if perturbation == "none":
        return ACCURACY_PLACEHOLDER
    return f"{ACCURACY_PLACEHOLDER}, intact and perturbed ({perturbation})"


class AccuracyView(Part, widgets.VBox):
    """Accuracy against scaling factor (:func:`~spikewidgets.plots.plot_accuracy`), tappable.

    Before any data the figure shows its axes, its legend and a line saying
    that the accuracy of each scaling factor appears there once a search runs
    (and, with ``perturbation`` set, that both networks will).

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
    perturbation : str (trait)
        The label of the perturbation the next search runs beside the intact
        network, ``"none"`` for none: what the empty figure announces.
    plot : AccuracyPlot
        The figure and its sources.
    dataset : xarray.Dataset or None
        The Dataset shown.
    pane : FigurePane
        Shows the figure once the page has BokehJS.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel import AccuracyView
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 2, [5, 30, 80], seed=0, save=False,
    ...                            progress=False)
    >>> view = AccuracyView(width=600)
    >>> view.plot.placeholder.visible, view.factors
    (True, [])
    >>> view.show(ds)
    >>> view.plot.source.selected.indices = [1]  # what a tap on the second point sends
    >>> view.selected_index, view.factors[view.selected_index]
    (1, 30.0)
    """

    selected_index = traitlets.Int(NO_FACTOR)
    factors = traitlets.List(traitlets.Float())
    perturbation = traitlets.Unicode("none")

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
        self.observe(lambda change: self.plot.say(accuracy_placeholder(change.new)),
                     names="perturbation")
        if dataset is not None:
            self.show(dataset)

    def span(self, factors: Sequence[float]) -> None:
        """Let the empty figure's x axis span ``factors``, the grid the next search runs.

        Once a search shows data, the axis spans its factors; an empty list
        leaves the axis as it is.

        Examples
        --------
        >>> from spikewidgets.panel import AccuracyView
        >>> view = AccuracyView()
        >>> view.span([10.0, 15.0, 65.0])
        >>> view.plot.extent.data["x"]
        [10.0, 65.0]
        """
        if len(factors) == 0:
            return
        low, high = float(min(factors)), float(max(factors))
        if low == high:  # one factor: a tenth on either side
            low, high = low * 0.9, high * 1.1
        with self._lock:
            self.plot.extent_data["x"] = [low, high]
            if self.plot.placeholder is not None and self.plot.placeholder.visible:
                self.plot.show_placeholder(True)

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
        return check_factor_index("selected_index", proposal.value, len(self.factors), "shown")

    def _on_tap(self, _attr: str, _old: list, new: list) -> None:
        if new:
            if int(new[0]) != self.selected_index:
                self.selected_index = int(new[0])
        elif self.selected_index != NO_FACTOR:  # a tap beside the points
            self.plot.select(self.selected_index)

    def _on_selected(self, change: traitlets.Bunch) -> None:
        with self._lock:
            self.plot.select(None if change.new == NO_FACTOR else change.new)
