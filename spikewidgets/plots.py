"""Bokeh figures of a scaling-factor search and of one simulated trial.

Every builder takes an :class:`xarray.Dataset` (the result of
:func:`~spikewidgets.search.lambda_grid_search`, of
:func:`~spikewidgets.simulate.simulate` or of
:func:`~spikewidgets.rate.simulate_rate`) and returns a small object that holds
the figure and its :class:`~bokeh.models.ColumnDataSource` objects. Its
``update`` method replaces the data of the sources and never rebuilds the
figure, so a figure shown in a notebook (for example through
``jupyter_bokeh.BokehModel``) follows the new data. Every builder also accepts
``None`` for an empty figure to be filled later.

The figures can be used on their own::

    from bokeh.io import show
    show(plot_accuracy(dataset).figure)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from bokeh.models import CDSView, ColumnDataSource, GroupFilter, HoverTool, Range1d, Whisker
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from .tasks import get_task

__all__ = [
    "EXC_COLOR",
    "INH_COLOR",
    "AccuracyPlot",
    "OutputPlot",
    "RasterPlot",
    "RatePlot",
    "plot_accuracy",
    "plot_output",
    "plot_raster",
    "plot_rates",
]

#: Colour of excitatory units (red, as in the figures of Kim, Li & Sejnowski 2019).
EXC_COLOR = "#d62728"
#: Colour of inhibitory units (blue).
INH_COLOR = "#1f77b4"
#: Colour of the spiking readout and of the accuracy curve.
SPIKING_COLOR = "#222222"
#: Colour of the rate network's output.
RATE_COLOR = "#ff7f0e"
#: Colours of the per-condition accuracy lines (neither red nor blue).
_CONDITION_COLORS = tuple(Category10_10[k] for k in (2, 4, 5, 9, 6, 8, 1, 7))
#: Most samples sent to the browser for one trace.
MAX_TRACE_POINTS = 4000

_TOOLS = "pan,box_zoom,wheel_zoom,reset,save"


def _figure(name: str, title: str, width: int, height: int, **kwargs):
    fig = figure(width=width, height=height, tools=_TOOLS, title=title, name=name,
                 toolbar_location="right", **kwargs)
    fig.toolbar.logo = None
    fig.toolbar.autohide = True
    fig.title.text_font_size = "10pt"
    return fig


def _legend_above(fig) -> None:
    legend = fig.legend[0]
    legend.orientation = "horizontal"
    legend.label_text_font_size = "8pt"
    legend.spacing = 4
    legend.padding = 2
    legend.margin = 0
    legend.border_line_alpha = 0
    legend.click_policy = "hide"
    fig.center = [item for item in fig.center if item is not legend]
    fig.add_layout(legend, "below")


def _check_dataset(ds: object, name: str, needed: tuple[str, ...]) -> None:
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"{name} is {type(ds).__name__}, expected an xarray.Dataset")
    missing = [key for key in needed if key not in ds.variables]
    if missing:
        raise ValueError(
            f"{name} has no variable(s) {', '.join(missing)}; expected the Dataset returned "
            f"by {'lambda_grid_search' if name == 'ds' else 'simulate'}"
        )


def _settings(ds: xr.Dataset) -> dict[str, float]:
    text = ds.attrs.get("task_settings")
    return json.loads(text) if isinstance(text, str) and text else {}


@dataclass
class _Plot:
    figure: object
    sources: dict[str, ColumnDataSource] = field(default_factory=dict)

    def clear(self) -> None:
        """Empty every source (keeping its columns)."""
        for source in self.sources.values():
            source.data = {key: [] for key in source.data}


# --------------------------------------------------------------------------- accuracy


@dataclass
class AccuracyPlot(_Plot):
    """Accuracy against scaling factor; ``source`` holds one row per factor.

    Tapping a point selects it: ``source.selected.indices`` then holds the
    index of the factor (watch it with ``source.selected.on_change``).
    """

    source: ColumnDataSource = None  # type: ignore[assignment]

    def update(self, ds: xr.Dataset | None) -> None:
        """Show the search Dataset ``ds`` (partial or complete); None empties the plot."""
        if ds is None:
            self.clear()
            return
        _check_dataset(ds, "ds", ("accuracy", "accuracy_ci_low", "accuracy_ci_high"))
        factors = np.asarray(ds.scaling_factor.values, dtype=np.float64)
        completed = int(ds.sizes.get("trial", 0))
        mean_rate = (ds.mean_rate.mean("trial").values if completed
                     else np.full(factors.size, np.nan))
        tied = np.asarray(ds.tied_with_optimum.values, dtype=bool) if completed \
            else np.zeros(factors.size, dtype=bool)
        self.source.data = {
            "scaling_factor": factors,
            "lam": 1.0 / factors,
            "accuracy": np.asarray(ds.accuracy.values, dtype=np.float64),
            "ci_low": np.asarray(ds.accuracy_ci_low.values, dtype=np.float64),
            "ci_high": np.asarray(ds.accuracy_ci_high.values, dtype=np.float64),
            "n_trials": np.full(factors.size, completed),
            "mean_rate": np.asarray(mean_rate, dtype=np.float64),
            "tied": np.where(tied, "yes", "no"),
        }
        conditions = [str(c) for c in ds.task_condition.values] if "task_condition" in ds.dims \
            else []
        xs, ys, names, colors = [], [], [], []
        if completed and "condition_accuracy" in ds:
            for column, name in enumerate(conditions):
                values = ds.condition_accuracy.values[:, column]
                if np.all(np.isnan(values)):
                    continue
                xs.append(factors)
                ys.append(np.asarray(values, dtype=np.float64))
                names.append(name)
                colors.append(_CONDITION_COLORS[column % len(_CONDITION_COLORS)])
        self.sources["conditions"].data = {"xs": xs, "ys": ys, "condition": names,
                                           "color": colors}
        optimum = float(ds.opt_scaling_factor) if "opt_scaling_factor" in ds else float("nan")
        if completed and np.isfinite(optimum):
            index = int(np.argmin(np.abs(factors - optimum)))
            self.sources["optimum"].data = {"scaling_factor": [optimum],
                                            "accuracy": [float(ds.accuracy.values[index])]}
        else:
            self.sources["optimum"].data = {"scaling_factor": [], "accuracy": []}
        total = ds.attrs.get("n_trials", completed)
        task = ds.attrs.get("task", "")
        self.figure.title.text = (f"{task} accuracy, {completed} of {total} trials per factor"
                                  if task else "accuracy")

    def select(self, index: int | None) -> None:
        """Select the point of factor number ``index`` (None clears the selection)."""
        wanted = [] if index is None else [int(index)]
        if list(self.source.selected.indices) != wanted:
            self.source.selected.indices = wanted


def plot_accuracy(ds: xr.Dataset | None = None, *, width: int = 440,
                  height: int = 320) -> AccuracyPlot:
    """Accuracy against scaling factor, with 95 % Wilson intervals and the optimum.

    Parameters
    ----------
    ds : xarray.Dataset, optional
        Result of :func:`~spikewidgets.search.lambda_grid_search` (a partial
        result works too). None gives an empty figure.
    width, height : int
        Size of the figure in pixels.

    Returns
    -------
    AccuracyPlot
        ``figure``; ``source`` (one row per factor: ``scaling_factor``,
        ``lam`` = 1 / factor, ``accuracy``, ``ci_low``, ``ci_high``,
        ``n_trials``, ``mean_rate`` in Hz, ``tied``); ``sources`` also holds
        ``conditions`` (one line per task condition) and ``optimum``.
    """
    source = ColumnDataSource(
        {"scaling_factor": [], "lam": [], "accuracy": [], "ci_low": [], "ci_high": [],
         "n_trials": [], "mean_rate": [], "tied": []},
        name="accuracy",
    )
    conditions = ColumnDataSource({"xs": [], "ys": [], "condition": [], "color": []},
                                  name="condition_accuracy")
    optimum = ColumnDataSource({"scaling_factor": [], "accuracy": []}, name="optimum")
    fig = _figure("accuracy_figure", "accuracy", width, height,
                  x_axis_label="scaling factor (weights ÷ factor; λ = 1/factor)",
                  y_axis_label="fraction of trials correct", y_range=Range1d(-0.02, 1.05))
    fig.multi_line(xs="xs", ys="ys", color="color", source=conditions, line_width=2,
                   line_alpha=0.85, line_dash="dashed", legend_field="condition")
    fig.add_layout(Whisker(source=source, base="scaling_factor", lower="ci_low",
                           upper="ci_high", line_color=SPIKING_COLOR, line_alpha=0.6))
    fig.line("scaling_factor", "accuracy", source=source, color=SPIKING_COLOR, line_width=2)
    points = fig.scatter("scaling_factor", "accuracy", source=source, size=10,
                         color=SPIKING_COLOR, selection_color="#2ca02c",
                         nonselection_alpha=0.5, legend_label="all trials")
    fig.scatter("scaling_factor", "accuracy", source=optimum, marker="star", size=22,
                color="#ffbf00", line_color=SPIKING_COLOR, legend_label="optimum")
    fig.add_tools(HoverTool(renderers=[points], tooltips=[
        ("scaling factor", "@scaling_factor{0.[00]}"),
        ("λ (1/factor)", "@lam{0.0000}"),
        ("accuracy", "@accuracy{0.0%} (95 % CI @ci_low{0.0%} – @ci_high{0.0%})"),
        ("trials", "@n_trials"),
        ("mean rate", "@mean_rate{0.0} Hz"),
        ("tied with optimum", "@tied"),
    ]))
    fig.add_tools("tap")
    _legend_above(fig)
    plot = AccuracyPlot(fig, {"accuracy": source, "conditions": conditions,
                              "optimum": optimum}, source)
    if ds is not None:
        plot.update(ds)
    return plot


# --------------------------------------------------------------------------- raster


@dataclass
class RasterPlot(_Plot):
    """Spike raster of one trial; ``source`` holds one row per spike."""

    source: ColumnDataSource = None  # type: ignore[assignment]

    def update(self, sim: xr.Dataset | None) -> None:
        """Show the trial ``sim`` returned by :func:`~spikewidgets.simulate.simulate`."""
        if sim is None:
            self.clear()
            self.figure.title.text = "spikes"
            return
        _check_dataset(sim, "sim", ("spike_unit", "spike_time"))
        unit_type = np.asarray(sim.unit_type.values).astype(str)
        exc = unit_type == "exc"
        # Excitatory units in the lower rows, inhibitory units above them.
        order = np.concatenate([np.flatnonzero(exc), np.flatnonzero(~exc)])
        row = np.empty(order.size, dtype=np.int64)
        row[order] = np.arange(order.size)
        units = np.asarray(sim.spike_unit.values, dtype=np.int64)
        self.source.data = {
            "time": np.asarray(sim.spike_time.values, dtype=np.float64),
            "row": row[units],
            "unit": units,
            "unit_type": unit_type[units],
        }
        self.figure.y_range.end = max(order.size, 1) - 0.5
        self.figure.title.text = _trial_title("spikes", sim)


def _trial_title(prefix: str, sim: xr.Dataset) -> str:
    parts = [prefix]
    if "scaling_factor" in sim.attrs:
        parts.append(f"scaling factor {sim.attrs['scaling_factor']:g}")
    if "trial" in sim.attrs:
        parts.append(f"trial {sim.attrs['trial']}")
    if "condition" in sim.attrs:
        verdict = {1: "correct", 0: "wrong"}.get(sim.attrs.get("correct"), "")
        parts.append(f"{sim.attrs['condition']} {verdict}".strip())
    return ", ".join(parts)


def plot_raster(sim: xr.Dataset | None = None, *, width: int = 440,
                height: int = 320) -> RasterPlot:
    """Spike raster: excitatory units in red (lower rows), inhibitory in blue (upper rows).

    Parameters
    ----------
    sim : xarray.Dataset, optional
        Result of :func:`~spikewidgets.simulate.simulate`. None gives an empty figure.
    width, height : int
        Size of the figure in pixels.

    Returns
    -------
    RasterPlot
        ``figure`` and ``source`` (one row per spike: ``time`` in s, ``row``,
        ``unit``, ``unit_type``).
    """
    source = ColumnDataSource({"time": [], "row": [], "unit": [], "unit_type": []},
                              name="raster")
    fig = _figure("raster_figure", "spikes", width, height, x_axis_label="time (s)",
                  y_axis_label="unit (excitatory below, inhibitory above)",
                  y_range=Range1d(-0.5, 1))
    for kind, color, label in (("exc", EXC_COLOR, "excitatory"), ("inh", INH_COLOR, "inhibitory")):
        fig.scatter("time", "row", source=source, marker="dash", angle=np.pi / 2, size=4,
                    line_color=color, line_width=1.2, legend_label=label,
                    view=CDSView(filter=GroupFilter(column_name="unit_type", group=kind)))
    _legend_above(fig)
    plot = RasterPlot(fig, {"raster": source}, source)
    plot.update(sim)
    return plot


# --------------------------------------------------------------------------- output


def _decimate(time: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    stride = max(1, int(np.ceil(time.size / MAX_TRACE_POINTS)))
    return time[::stride], values[::stride]


#: Colours of a task's decision lines, in the order the task gives them.
_DECISION_COLORS = ("#2ca02c", "#9467bd", "#8c564b", "#17becf")


def _thresholds(task_name: str | None, settings: Mapping[str, float]) -> dict[str, list]:
    """The task's decision lines (:meth:`~spikewidgets.tasks.Task.decision_lines`)."""
    empty = {"y": [], "label": [], "color": []}
    if not task_name or not settings:
        return empty
    try:
        lines = get_task(task_name).decision_lines(settings)
    except (ValueError, KeyError):  # a task not registered in this session, or partial settings
        return empty
    return {"y": [float(line.level) for line in lines], "label": [line.label for line in lines],
            "color": [_DECISION_COLORS[k % len(_DECISION_COLORS)] for k in range(len(lines))]}


@dataclass
class OutputPlot(_Plot):
    """Spiking readout and rate-network output of one trial, with the response window."""

    source: ColumnDataSource = None  # type: ignore[assignment]

    def update(self, sim: xr.Dataset | None, rate: xr.Dataset | None = None) -> None:
        """Show the readout of ``sim`` and, if given, the rate output ``rate``."""
        if sim is None:
            self.clear()
            self.figure.title.text = "readout"
            return
        _check_dataset(sim, "sim", ("output", "stimulus"))
        time, out = _decimate(np.asarray(sim.time.values, dtype=np.float64),
                              np.asarray(sim.output.values, dtype=np.float64))
        self.source.data = {"time": time, "output": out}
        if rate is not None:
            _check_dataset(rate, "rate", ("output",))
            self.sources["rate"].data = {"time": np.asarray(rate.time.values, dtype=np.float64),
                                         "output": np.asarray(rate.output.values,
                                                              dtype=np.float64)}
        else:
            self.sources["rate"].data = {"time": [], "output": []}
        stimulus = np.asarray(sim.stimulus.values, dtype=np.float64)
        rate_time = np.asarray(sim.rate_time.values, dtype=np.float64)
        self.sources["stimulus"].data = {
            "xs": [rate_time] * stimulus.shape[0],
            "ys": list(stimulus),
            "input": [f"input {k}" for k in range(stimulus.shape[0])],
        }
        end = float(sim.attrs.get("trial_length", time[-1] if time.size else 0.0))
        start = sim.attrs.get("response_window_start")
        self.sources["window"].data = (
            {"left": [float(start)], "right": [end], "label": ["response window"]}
            if start is not None else {"left": [], "right": [], "label": []})
        self.sources["thresholds"].data = _thresholds(sim.attrs.get("task"), _settings(sim))
        self.figure.title.text = _trial_title("readout", sim)


def plot_output(sim: xr.Dataset | None = None, rate: xr.Dataset | None = None, *,
                width: int = 440, height: int = 320) -> OutputPlot:
    """Spiking readout against time, with the rate network's output for the same input.

    The response window is shaded and the decision thresholds are drawn
    (Go threshold and NoGo ceiling for Go-NoGo, ±threshold otherwise). The
    task input is drawn in grey.

    Parameters
    ----------
    sim : xarray.Dataset, optional
        Result of :func:`~spikewidgets.simulate.simulate`.
    rate : xarray.Dataset, optional
        Result of :func:`~spikewidgets.rate.simulate_rate` for the same input
        (its ``time`` is in seconds, one sample per 5 ms step).
    width, height : int
        Size of the figure in pixels.

    Returns
    -------
    OutputPlot
        ``figure``; ``source`` (spiking readout: ``time`` in s, ``output``);
        ``sources`` also holds ``rate``, ``stimulus``, ``window`` and ``thresholds``.
    """
    source = ColumnDataSource({"time": [], "output": []}, name="spiking_output")
    rate_source = ColumnDataSource({"time": [], "output": []}, name="rate_output")
    stimulus = ColumnDataSource({"xs": [], "ys": [], "input": []}, name="stimulus")
    window = ColumnDataSource({"left": [], "right": [], "label": []}, name="response_window")
    thresholds = ColumnDataSource({"y": [], "label": [], "color": []}, name="thresholds")
    fig = _figure("output_figure", "readout", width, height, x_axis_label="time (s)",
                  y_axis_label="readout (a.u.)")
    fig.vstrip(x0="left", x1="right", source=window, fill_color="#2ca02c", fill_alpha=0.08,
               line_alpha=0, legend_field="label")
    fig.multi_line(xs="xs", ys="ys", source=stimulus, color="#999999", line_alpha=0.6,
                   legend_label="task input")
    fig.hspan(y="y", source=thresholds, line_color="color", line_dash="dashed", line_width=1.2)
    fig.line("time", "output", source=rate_source, color=RATE_COLOR, line_width=2,
             line_alpha=0.9, legend_label="rate network")
    spiking = fig.line("time", "output", source=source, color=SPIKING_COLOR, line_width=1.5,
                       legend_label="spiking network")
    fig.add_tools(HoverTool(renderers=[spiking], mode="vline",
                            tooltips=[("time", "@time{0.000} s"), ("readout", "@output{0.00}")]))
    _legend_above(fig)
    plot = OutputPlot(fig, {"output": source, "rate": rate_source, "stimulus": stimulus,
                            "window": window, "thresholds": thresholds}, source)
    plot.update(sim, rate)
    return plot


# --------------------------------------------------------------------------- rates


@dataclass
class RatePlot(_Plot):
    """Histogram of the units' mean firing rates, excitatory and inhibitory apart."""

    source: ColumnDataSource = None  # type: ignore[assignment]

    def update(self, sim: xr.Dataset | None, bins: int = 25) -> None:
        """Show the mean rates of the trial ``sim``."""
        if sim is None:
            self.clear()
            self.figure.title.text = "mean firing rates"
            return
        _check_dataset(sim, "sim", ("mean_rate",))
        rates = np.asarray(sim.mean_rate.values, dtype=np.float64)
        exc = np.asarray(sim.unit_type.values).astype(str) == "exc"
        top = float(np.nanmax(rates)) if rates.size and np.isfinite(rates).any() else 0.0
        edges = np.linspace(0.0, max(top, 1.0) * (1 + 1e-9), int(bins) + 1)
        exc_counts, _ = np.histogram(rates[exc], bins=edges)
        inh_counts, _ = np.histogram(rates[~exc], bins=edges)
        self.source.data = {"left": edges[:-1], "right": edges[1:], "exc": exc_counts,
                            "inh": inh_counts}
        mean_exc = rates[exc].mean() if exc.any() else float("nan")
        mean_inh = rates[~exc].mean() if (~exc).any() else float("nan")
        self.figure.title.text = (f"mean firing rates: excitatory {mean_exc:.1f} Hz, "
                                  f"inhibitory {mean_inh:.1f} Hz")


def plot_rates(sim: xr.Dataset | None = None, *, bins: int = 25, width: int = 440,
               height: int = 320) -> RatePlot:
    """Histogram of the mean firing rate of every unit in one trial.

    Parameters
    ----------
    sim : xarray.Dataset, optional
        Result of :func:`~spikewidgets.simulate.simulate`.
    bins : int
        Number of bins between 0 Hz and the highest rate.
    width, height : int
        Size of the figure in pixels.

    Returns
    -------
    RatePlot
        ``figure`` and ``source`` (one row per bin: ``left`` and ``right`` in
        Hz, ``exc`` and ``inh`` unit counts).
    """
    source = ColumnDataSource({"left": [], "right": [], "exc": [], "inh": []},
                              name="rate_histogram")
    fig = _figure("rates_figure", "mean firing rates", width, height,
                  x_axis_label="mean firing rate (Hz)", y_axis_label="units")
    exc = fig.quad(left="left", right="right", bottom=0, top="exc", source=source,
                   fill_color=EXC_COLOR, fill_alpha=0.5, line_color=EXC_COLOR,
                   legend_label="excitatory")
    inh = fig.quad(left="left", right="right", bottom=0, top="inh", source=source,
                   fill_color=INH_COLOR, fill_alpha=0.5, line_color=INH_COLOR,
                   legend_label="inhibitory")
    fig.add_tools(HoverTool(renderers=[exc, inh], tooltips=[
        ("rate", "@left{0.0} – @right{0.0} Hz"), ("excitatory", "@exc"), ("inhibitory", "@inh"),
    ]))
    _legend_above(fig)
    plot = RatePlot(fig, {"rates": source}, source)
    plot.update(sim, bins)
    return plot
