"""The spiking network against its rate network in the panel (a search with ``compare_rate``).

:class:`RateView` shows three figures of :mod:`spikewidgets.plots`: the mean
rate correlation beside the accuracy against the factor, each unit's gain
against its correlation at the selected factor (by population), and one
chosen unit's ``r_spk / sf`` over its rate unit's ``r`` in the trial shown.
It stays empty (no figures at all) until it is told to expect a comparison or
is given a search that has one, so a panel without the comparison looks as
before.
"""

from __future__ import annotations

import threading

import ipywidgets as widgets
import numpy as np
import traitlets
import xarray as xr

from spikewidgets.panel._bokehjs import FigurePane
from spikewidgets.panel._common import NO_FACTOR, Part
from spikewidgets.panel._replay import perturbation_labels
from spikewidgets.plots import plot_rate_correlation, plot_unit_traces
from spikewidgets.plots._rate_comparison import plot_unit_gain

__all__ = ["RateView", "has_comparison"]

#: What the line above the figures says while there is no trial to compare.
TRIAL_HINT = ("Choose a scaling factor and a trial: the unit below is drawn in both networks "
              "(r_spk / factor over the rate unit's r).")


def has_comparison(dataset: xr.Dataset | None) -> bool:
    """Whether ``dataset`` (a search or a trial) holds the comparison with the rate network.

    Examples
    --------
    >>> import xarray as xr
    >>> from spikewidgets.panel._rate_view import has_comparison
    >>> has_comparison(None), has_comparison(xr.Dataset({"rate_correlation": 0.5}))
    (False, True)
    """
    return dataset is not None and ("rate_correlation" in dataset or "rate_spiking" in dataset)


def _intact(dataset: xr.Dataset) -> xr.Dataset:
    """The intact network of a perturbation search; a plain search as it is."""
    if "perturbation" not in dataset.dims:
        return dataset
    return dataset.sel(perturbation=perturbation_labels(dataset)[0])


class RateView(Part, widgets.VBox):
    """Rate correlation beside accuracy, per-unit gains at one factor, one unit's traces.

    Parameters
    ----------
    width, height : int
        Size of the unit-trace figure in pixels (the others have their own).
    lock : threading.RLock, optional
        Held while the figures change.

    Attributes
    ----------
    expected : bool (trait)
        Whether the next search compares with the rate network: the figures
        are shown (with placeholders) once this is set or a search with the
        comparison is shown.
    factor_index : int (trait)
        Index of the selected scaling factor (-1: none, then the gains are
        drawn at the search's optimum).
    unit : int (trait)
        The unit whose traces are drawn (linked to ``unit_field``).
    plots : dict
        ``rate_correlation``, ``unit_gain`` and ``unit_traces``.
    dataset, sim : xarray.Dataset or None
        The search and the trial shown.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._rate_view import RateView
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 2, [5, 30, 80], seed=0, save=False,
    ...                            progress=False, compare_rate=True)
    >>> view = RateView()
    >>> view.children
    ()
    >>> view.show_search(ds)
    >>> view.plots["rate_correlation"].source.data["scaling_factor"].tolist()
    [5.0, 30.0, 80.0]
    >>> view.factor_index = 2
    >>> view.plots["unit_gain"].figure.title.text
    'unit gain and correlation at scaling factor 80'
    >>> view.unit = 5
    >>> view.show_trial(sw.simulate(path, 80, "go_nogo", seed=0, trial=1, compare_rate=True))
    >>> view.plots["unit_traces"].source.data["legend"]
    ['unit 5, spiking', 'unit 5, rate']
    """

    expected = traitlets.Bool(False)
    factor_index = traitlets.Int(NO_FACTOR)
    unit = traitlets.Int(0)

    def __init__(self, *, width: int = 600, height: int = 300,
                 lock: threading.RLock | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._lock = lock if lock is not None else threading.RLock()
        self.dataset: xr.Dataset | None = None
        self.sim: xr.Dataset | None = None
        self.plots = {"rate_correlation": plot_rate_correlation(), "unit_gain": plot_unit_gain(),
                      "unit_traces": plot_unit_traces()}
        traces = self.plots["unit_traces"].figure
        traces.width, traces.height = width, height
        self.search_pane = FigurePane([self.plots["rate_correlation"].figure,
                                       self.plots["unit_gain"].figure], lock=self._lock)
        self.trial_pane = FigurePane([traces], lock=self._lock)
        self.unit_field = widgets.BoundedIntText(
            value=0, min=0, max=0, description="unit", layout=widgets.Layout(width="140px"),
            style={"description_width": "35px"})
        self.unit_field.add_class("spw-unit")
        self.info = widgets.HTML(TRIAL_HINT)
        self._content = (
            widgets.HTML("<b>Against the rate network</b>: the spiking units' "
                         "r_spk / factor against the rate units' r"),
            self.search_pane,
            widgets.HBox([self.unit_field, self.info],
                          layout=widgets.Layout(align_items="center", flex_flow="row wrap")),
            self.trial_pane)
        traitlets.link((self.unit_field, "value"), (self, "unit"))
        self.observe(self._refresh_shown, names="expected")
        self.observe(lambda _change: self._draw_gain(), names="factor_index")
        self.observe(lambda _change: self._draw_traces(), names="unit")

    @property
    def owned_widgets(self) -> tuple[widgets.Widget, ...]:
        """The figures and controls, also while hidden (closed with the view)."""
        return self._content

    def _refresh_shown(self, _change: object = None) -> None:
        shown = self.expected or has_comparison(self.dataset)
        wanted = self._content if shown else ()
        if tuple(self.children) != wanted:
            self.children = wanted

    def show_search(self, dataset: xr.Dataset | None) -> None:
        """Show a search Dataset (partial too); None, or one without the comparison, empties."""
        with self._lock:
            self.dataset = dataset
            if not has_comparison(dataset):
                self.plots["rate_correlation"].update(None)
                self.plots["unit_gain"].update(None)
                self.show_trial(None)
            else:
                self.plots["rate_correlation"].update(_intact(dataset))
                self.unit_field.max = max(int(dataset.sizes["unit"]) - 1, 0)
                self._draw_gain()
        self._refresh_shown()

    def show_trial(self, sim: xr.Dataset | None) -> None:
        """Draw the chosen unit of a trial (``simulate(..., compare_rate=True)``); None empties."""
        self.sim = sim
        self._draw_traces()

    def _draw_gain(self) -> None:
        dataset = self.dataset
        if not has_comparison(dataset):
            return
        intact = _intact(dataset)
        factors = intact.scaling_factor.values
        if 0 <= self.factor_index < factors.size:
            factor = float(factors[self.factor_index])
        else:
            optimum = float(intact.get("opt_scaling_factor", np.nan))
            factor = optimum if np.isclose(factors, optimum).any() else float(factors[0])
        with self._lock:
            self.plots["unit_gain"].update(intact, scaling_factor=factor)

    def _draw_traces(self) -> None:
        sim, plot = self.sim, self.plots["unit_traces"]
        with self._lock:
            if not has_comparison(sim) or "rate_spiking" not in sim:
                plot.update(None)
                self.info.value = TRIAL_HINT
                return
            unit = min(max(int(self.unit), 0), int(sim.sizes["unit"]) - 1)
            plot.update(sim, [unit])
        kind = str(sim.unit_type.values[unit]) if "unit_type" in sim else ""
        self.info.value = (f"unit {unit}{f' ({kind})' if kind else ''}, scaling factor "
                           f"{sim.attrs['scaling_factor']:g}, trial {sim.attrs.get('trial', 0)}: "
                           f"trial's rate correlation {sim.attrs['rate_correlation']:.3f}, "
                           f"gain {sim.attrs['rate_gain']:.2f}")
