"""Why a factor works: the spiking units against their rate units (``compare_rate=True``).

Three figures, for notebooks: the mean rate correlation beside the accuracy
against the factor (:func:`plot_rate_correlation`), both networks' traces of a
few units of one trial (:func:`plot_unit_traces`), and each unit's gain
against its correlation at one factor, by population (:func:`plot_unit_gain`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr
from bokeh.models import ColumnDataSource, HoverTool, Span
from bokeh.palettes import Category10_10

from spikewidgets.plots._base import (
    EXC_COLOR,
    INH_COLOR,
    RATE_COLOR,
    SPIKING_COLOR,
    Plot,
    add_placeholder,
    legend_below,
    new_figure,
)
from spikewidgets.plots._datasets import check_dataset

__all__ = ["RateCorrelationPlot", "UnitGainPlot", "UnitTracesPlot", "plot_rate_correlation",
           "plot_unit_gain", "plot_unit_traces"]

_CORRELATION_PLACEHOLDER = ("Search with compare_rate=True: accuracy and the correlation of "
                            "the spiking units with the rate units appear here")
_TRACES_PLACEHOLDER = ("Simulate with compare_rate=True: r_spk / factor and the rate "
                       "network's r of a few units appear here")
_GAIN_PLACEHOLDER = ("Search with compare_rate=True: each unit's gain against its "
                     "correlation appears here")
_UNIT_COLORS = tuple(Category10_10[k] for k in (2, 4, 5, 9, 6, 8))


def _empty(source: ColumnDataSource) -> None:
    source.data = {key: [] for key in source.data}


@dataclass
class RateCorrelationPlot(Plot):
    """Accuracy and mean rate correlation against the factor; ``source``: one row per factor.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots import plot_rate_correlation
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 2, [10, 30, 80], seed=0, save=False,
    ...                            progress=False, compare_rate=True)
    >>> plot = plot_rate_correlation(ds)
    >>> plot.source.data["scaling_factor"].tolist(), plot.sources["best"].data["scaling_factor"]
    ([10.0, 30.0, 80.0], [30.0])
    """

    source: ColumnDataSource = None  # type: ignore[assignment]

    def update(self, ds: xr.Dataset | None) -> None:
        """Show the search Dataset ``ds`` (with ``compare_rate``); None empties the plot."""
        if ds is None:
            self.clear()
            return
        check_dataset(ds, "ds", ("accuracy", "rate_correlation", "rate_gain"))
        self.show_placeholder(False)
        factors = np.asarray(ds.scaling_factor.values, dtype=np.float64)
        correlation = ds.rate_correlation.mean("trial").values
        self.source.data = {"scaling_factor": factors,
                            "accuracy": np.asarray(ds.accuracy.values, dtype=np.float64),
                            "correlation": correlation,
                            "gain": ds.rate_gain.mean("trial").values}
        if np.isfinite(correlation).any():
            best = int(np.nanargmax(correlation))
            self.sources["best"].data = {"scaling_factor": [float(factors[best])],
                                         "correlation": [float(correlation[best])]}
        else:
            _empty(self.sources["best"])


def plot_rate_correlation(ds: xr.Dataset | None = None) -> RateCorrelationPlot:
    """Accuracy and the mean correlation of ``r_spk / sf`` with ``r_rate`` against the factor.

    Parameters
    ----------
    ds : xarray.Dataset, optional
        A search with ``compare_rate=True``; None for an empty figure.

    Returns
    -------
    RateCorrelationPlot

    Examples
    --------
    >>> from spikewidgets.plots import plot_rate_correlation
    >>> plot_rate_correlation().placeholder.visible
    True
    """
    fig = new_figure("rate_correlation", "accuracy and rate correlation against scaling "
                     "factor", 480, 320, x_axis_label="scaling factor",
                     y_axis_label="accuracy, correlation")
    source = ColumnDataSource({"scaling_factor": [], "accuracy": [], "correlation": [],
                               "gain": []}, name="rate_correlation_source")
    best = ColumnDataSource({"scaling_factor": [], "correlation": []})
    fig.line("scaling_factor", "accuracy", source=source, color=SPIKING_COLOR,
             legend_label="accuracy")
    fig.scatter("scaling_factor", "accuracy", source=source, color=SPIKING_COLOR, size=6)
    fig.line("scaling_factor", "correlation", source=source, color=RATE_COLOR,
             legend_label="rate correlation (mean over trials)")
    fig.scatter("scaling_factor", "correlation", source=source, color=RATE_COLOR, size=6,
                marker="square")
    fig.scatter("scaling_factor", "correlation", source=best, color=RATE_COLOR, size=14,
                marker="circle", fill_alpha=0, line_width=2, legend_label="highest correlation")
    fig.add_tools(HoverTool(tooltips=[("factor", "@scaling_factor"), ("accuracy", "@accuracy"),
                                      ("correlation", "@correlation{0.000}"),
                                      ("gain", "@gain{0.00}")]))
    legend_below(fig)
    plot = RateCorrelationPlot(fig, {"curves": source, "best": best},
                               **add_placeholder(fig, _CORRELATION_PLACEHOLDER, (0, 1), (0, 1)),
                               source=source)
    plot.update(ds)
    return plot


@dataclass
class UnitTracesPlot(Plot):
    """Both networks' traces of a few units of one trial; ``source``: one line per trace.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots import plot_unit_traces
    >>> sim = sw.simulate(sw.example_model("go_nogo", "."), 30, "go_nogo", compare_rate=True)
    >>> plot = plot_unit_traces(sim, units=[0, 5])
    >>> plot.source.data["legend"]
    ['unit 0, spiking', 'unit 0, rate', 'unit 5, spiking', 'unit 5, rate']
    """

    source: ColumnDataSource = None  # type: ignore[assignment]

    def update(self, sim: xr.Dataset | None, units: Sequence[int] | None = None) -> None:
        """Show units ``units`` (default: the first 3) of ``sim``; None empties the plot."""
        if sim is None:
            self.clear()
            return
        check_dataset(sim, "sim", ("rate_spiking", "rate_network"))
        chosen = list(range(min(3, sim.sizes["unit"]))) if units is None else list(units)
        for unit in chosen:
            if not 0 <= int(unit) < sim.sizes["unit"]:
                raise ValueError(f"units holds {unit}, expected unit indices from 0 to "
                                 f"{sim.sizes['unit'] - 1}")
        self.show_placeholder(False)
        time = np.asarray(sim.rate_time.values, dtype=np.float64)
        data: dict[str, list] = {"xs": [], "ys": [], "legend": [], "color": [], "dash": []}
        for index, unit in enumerate(chosen):
            color = _UNIT_COLORS[index % len(_UNIT_COLORS)]
            for name, kind, dash in (("rate_spiking", "spiking", "solid"),
                                     ("rate_network", "rate", "dashed")):
                data["xs"].append(time)
                data["ys"].append(np.asarray(sim[name].values[int(unit)], dtype=np.float64))
                data["legend"].append(f"unit {int(unit)}, {kind}")
                data["color"].append(color)
                data["dash"].append(dash)
        self.source.data = data


def plot_unit_traces(sim: xr.Dataset | None = None,
                     units: Sequence[int] | None = None) -> UnitTracesPlot:
    """``r_spk / sf`` (solid) over the rate network's ``r`` (dashed) of a few units.

    Parameters
    ----------
    sim : xarray.Dataset, optional
        A trial of :func:`~spikewidgets.search.simulate` with ``compare_rate=True``.
    units : sequence of int, optional
        The units to draw (default: the first 3).

    Returns
    -------
    UnitTracesPlot

    Examples
    --------
    >>> from spikewidgets.plots import plot_unit_traces
    >>> plot_unit_traces().figure.yaxis.axis_label
    'r_spk / scaling factor, rate r'
    """
    fig = new_figure("unit_traces", "spiking units over their rate units", 600, 300,
                     x_axis_label="time (s)", y_axis_label="r_spk / scaling factor, rate r")
    source = ColumnDataSource({"xs": [], "ys": [], "legend": [], "color": [], "dash": []},
                              name="unit_traces_source")
    fig.multi_line("xs", "ys", source=source, color="color", line_dash="dash",
                   legend_field="legend", line_width=1.5)
    legend_below(fig)
    plot = UnitTracesPlot(fig, {"traces": source},
                          **add_placeholder(fig, _TRACES_PLACEHOLDER, (0, 1), (0, 1)),
                          source=source)
    plot.update(sim, units)
    return plot


@dataclass
class UnitGainPlot(Plot):
    """Each unit's gain against its correlation at one factor; ``source``: one row per unit.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots._rate_comparison import plot_unit_gain
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 2, [10, 30, 80], seed=0, save=False,
    ...                            progress=False, compare_rate=True)
    >>> plot = plot_unit_gain(ds, scaling_factor=80)
    >>> len(plot.source.data["unit"]), sorted(set(plot.source.data["unit_type"]))
    (200, ['exc', 'inh'])
    >>> plot.figure.title.text
    'unit gain and correlation at scaling factor 80'
    """

    source: ColumnDataSource = None  # type: ignore[assignment]

    def update(self, ds: xr.Dataset | None, scaling_factor: float | None = None) -> None:
        """Show factor ``scaling_factor`` of ``ds`` (default: its optimum); None empties it."""
        if ds is None:
            self.clear()
            return
        check_dataset(ds, "ds", ("unit_rate_gain", "unit_rate_correlation"))
        factor = float(ds.opt_scaling_factor) if scaling_factor is None else float(scaling_factor)
        factors = np.asarray(ds.scaling_factor.values, dtype=np.float64)
        if not np.isclose(factors, factor).any():
            raise ValueError(f"scaling_factor is {factor:g}, expected a factor of the search "
                             f"({', '.join(f'{f:g}' for f in factors)})")
        self.show_placeholder(False)
        row = ds.isel(scaling_factor=int(np.argmin(np.abs(factors - factor))))
        kinds = np.asarray(ds.unit_type.values, dtype=str)
        self.source.data = {"unit": np.asarray(ds.unit.values),
                            "gain": np.asarray(row.unit_rate_gain.values, dtype=np.float64),
                            "correlation": np.asarray(row.unit_rate_correlation.values,
                                                      dtype=np.float64),
                            "unit_type": kinds.tolist(),
                            "color": np.where(kinds == "exc", EXC_COLOR, INH_COLOR)}
        self.figure.title.text = f"unit gain and correlation at scaling factor {factor:g}"


def plot_unit_gain(ds: xr.Dataset | None = None,
                   scaling_factor: float | None = None) -> UnitGainPlot:
    """Per unit, ``unit_rate_gain`` against ``unit_rate_correlation``, coloured by population.

    Parameters
    ----------
    ds : xarray.Dataset, optional
        A search with ``compare_rate=True``.
    scaling_factor : float, optional
        The factor shown (default: the search's optimum).

    Returns
    -------
    UnitGainPlot

    Examples
    --------
    >>> from spikewidgets.plots._rate_comparison import plot_unit_gain
    >>> plot_unit_gain().figure.xaxis.axis_label
    'unit rate correlation'
    """
    fig = new_figure("unit_gain", "unit gain and correlation", 420, 340,
                     x_axis_label="unit rate correlation", y_axis_label="unit rate gain")
    source = ColumnDataSource({"unit": [], "gain": [], "correlation": [], "unit_type": [],
                               "color": []}, name="unit_gain_source")
    fig.scatter("correlation", "gain", source=source, color="color", legend_field="unit_type",
                size=5, alpha=0.7)
    fig.add_layout(Span(location=1.0, dimension="width", line_dash="dotted",
                        line_color="#888888"))
    fig.add_tools(HoverTool(tooltips=[("unit", "@unit (@unit_type)"), ("gain", "@gain{0.00}"),
                                      ("correlation", "@correlation{0.000}")]))
    legend_below(fig)
    plot = UnitGainPlot(fig, {"units": source},
                        **add_placeholder(fig, _GAIN_PLACEHOLDER, (0, 1), (0, 2)),
                        source=source)
    plot.update(ds, scaling_factor)
    return plot
