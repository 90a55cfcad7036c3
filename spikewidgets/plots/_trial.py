"""One simulated trial: its readout and its units' firing rates (its raster: ``_raster``).

The spike raster's names (:func:`plot_raster`, :class:`RasterPlot`,
:data:`RASTER_CAPTION`, :data:`FIRST_STEP_SHARE`) are importable from here too.

The examples below replay trials of the bundled Go-NoGo model, copied into
the working folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import xarray as xr
from bokeh.models import ColumnDataSource, HoverTool

from spikewidgets.plots._base import (
    EXC_COLOR,
    INH_COLOR,
    MAX_TRACE_POINTS,
    OUTPUT_PLACEHOLDER,
    RATE_COLOR,
    RATES_PLACEHOLDER,
    SPIKING_COLOR,
    Plot,
    add_placeholder,
    legend_below,
    new_figure,
)
from spikewidgets.plots._datasets import check_dataset, dataset_settings, trial_title
from spikewidgets.plots._raster import FIRST_STEP_SHARE, RASTER_CAPTION, RasterPlot, plot_raster
from spikewidgets.tasks import get_task

__all__ = ["FIRST_STEP_SHARE", "RASTER_CAPTION", "OutputPlot", "RasterPlot", "RatePlot",
           "plot_output", "plot_raster", "plot_rates"]


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
class OutputPlot(Plot):
    """Spiking readout and rate-network output of one trial, with the response window.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots import plot_output
    >>> path = sw.example_model("go_nogo", ".")
    >>> plot = plot_output()
    >>> plot.update(sw.simulate(path, 30, "go_nogo", seed=0, trial=3))
    >>> plot.figure.title.text
    'readout, scaling factor 30, trial 3, go correct'
    >>> plot.update(None)  # empty again: the figure says what will appear
    >>> plot.placeholder.visible, plot.figure.title.text
    (True, 'readout of one trial')
    """

    source: ColumnDataSource = None  # type: ignore[assignment]

    def update(self, sim: xr.Dataset | None, rate: xr.Dataset | None = None) -> None:
        """Show the readout of ``sim`` and, if given, the rate output ``rate``."""
        if sim is None:
            self.clear()
            self.figure.title.text = "readout of one trial"
            return
        check_dataset(sim, "sim", ("output", "stimulus"))
        self.show_placeholder(False)
        time, out = _decimate(np.asarray(sim.time.values, dtype=np.float64),
                              np.asarray(sim.output.values, dtype=np.float64))
        self.source.data = {"time": time, "output": out}
        if rate is not None:
            check_dataset(rate, "rate", ("output",))
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
            {"left": [float(start)], "right": [end], "name": ["response window"]}
            if start is not None else {"left": [], "right": [], "name": []})
        self.sources["thresholds"].data = _thresholds(sim.attrs.get("task"), dataset_settings(sim))
        self.figure.title.text = trial_title("readout", sim)


def plot_output(sim: xr.Dataset | None = None, rate: xr.Dataset | None = None, *,
                width: int = 440, height: int = 320,
                placeholder: str = OUTPUT_PLACEHOLDER) -> OutputPlot:
    """Spiking readout against time, with the rate network's output for the same input.

    The response window is shaded and the task's decision levels
    (:meth:`~spikewidgets.tasks.Task.decision_lines`: Go threshold and NoGo
    ceiling for Go-NoGo, ±threshold otherwise) are dashed lines; both are
    named in the legend. The task input is drawn in grey.

    Parameters
    ----------
    sim : xarray.Dataset, optional
        Result of :func:`~spikewidgets.search.simulate`.
    rate : xarray.Dataset, optional
        Result of :func:`~spikewidgets.sim.simulate_rate` for the same input
        (its ``time`` is in seconds, one sample per 5 ms step).
    width, height : int
        Size of the figure in pixels.
    placeholder : str
        Line shown in the middle of the figure while it has no data.

    Returns
    -------
    OutputPlot
        ``figure``; ``placeholder`` (the Label of that line); ``source``
        (spiking readout: ``time`` in s, ``output``); ``sources`` also holds
        ``rate``, ``stimulus``, ``window`` and ``thresholds`` (``y``,
        ``label``, ``color``: one row per decision line).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots import plot_output
    >>> from spikewidgets.sim._rate import simulate_rate
    >>> path = sw.example_model("go_nogo", ".")
    >>> sim = sw.simulate(path, 30, "go_nogo", seed=0, trial=3)
    >>> rate = simulate_rate(sw.load_model(path), sim.stimulus.values, seed=0, rates=False)
    >>> plot = plot_output(sim, rate, width=640, height=260)
    >>> plot.sources["thresholds"].data["label"], plot.sources["window"].data["name"]
    (['Go threshold', 'NoGo ceiling'], ['response window'])
    """
    source = ColumnDataSource({"time": [], "output": []}, name="spiking_output")
    rate_source = ColumnDataSource({"time": [], "output": []}, name="rate_output")
    stimulus = ColumnDataSource({"xs": [], "ys": [], "input": []}, name="stimulus")
    window = ColumnDataSource({"left": [], "right": [], "name": []}, name="response_window")
    thresholds = ColumnDataSource({"y": [], "label": [], "color": []}, name="thresholds")
    fig = new_figure("output_figure", "readout of one trial", width, height,
                     x_axis_label="time (s)", y_axis_label="readout (arbitrary units)")
    fig.vstrip(x0="left", x1="right", source=window, fill_color="#2ca02c", fill_alpha=0.08,
               line_alpha=0, legend_field="name")
    fig.multi_line(xs="xs", ys="ys", source=stimulus, color="#999999", line_alpha=0.6,
                   legend_label="task input")
    fig.hspan(y="y", source=thresholds, line_color="color", line_dash="dashed", line_width=1.2,
              legend_field="label")
    fig.line("time", "output", source=rate_source, color=RATE_COLOR, line_width=2,
             line_alpha=0.9, legend_label="rate network")
    spiking = fig.line("time", "output", source=source, color=SPIKING_COLOR, line_width=1.5,
                       legend_label="spiking network")
    fig.add_tools(HoverTool(renderers=[spiking], mode="vline",
                            tooltips=[("time", "@time{0.000} s"), ("readout", "@output{0.00}")]))
    legend_below(fig)
    plot = OutputPlot(fig, {"output": source, "rate": rate_source, "stimulus": stimulus,
                            "window": window, "thresholds": thresholds},
                      source=source, **add_placeholder(fig, placeholder, (0, 1), (-1, 1)))
    plot.update(sim, rate)
    return plot


# --------------------------------------------------------------------------- rates


@dataclass
class RatePlot(Plot):
    """Histogram of the units' mean firing rates, excitatory and inhibitory apart.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots import plot_rates
    >>> path = sw.example_model("go_nogo", ".")
    >>> plot = plot_rates(bins=10)
    >>> plot.update(sw.simulate(path, 30, "go_nogo", seed=0, trial=3), bins=5)
    >>> len(plot.source.data["left"]), plot.figure.yaxis.axis_label
    (5, 'number of units')
    """

    source: ColumnDataSource = None  # type: ignore[assignment]

    def update(self, sim: xr.Dataset | None, bins: int = 25) -> None:
        """Show the mean rates of the trial ``sim``."""
        if sim is None:
            self.clear()
            self.figure.title.text = "mean firing rates in one trial"
            return
        check_dataset(sim, "sim", ("mean_rate",))
        self.show_placeholder(False)
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
        self.figure.title.text = (f"mean rates: excitatory {mean_exc:.1f} Hz, "
                                  f"inhibitory {mean_inh:.1f} Hz")


def plot_rates(sim: xr.Dataset | None = None, *, bins: int = 25, width: int = 440,
               height: int = 320, placeholder: str = RATES_PLACEHOLDER) -> RatePlot:
    """Histogram of the mean firing rate of every unit in one trial.

    Parameters
    ----------
    sim : xarray.Dataset, optional
        Result of :func:`~spikewidgets.search.simulate`.
    bins : int
        Number of bins between 0 Hz and the highest rate.
    width, height : int
        Size of the figure in pixels.
    placeholder : str
        Line shown in the middle of the figure while it has no data.

    Returns
    -------
    RatePlot
        ``figure``, ``placeholder`` (the Label of that line) and ``source``
        (one row per bin: ``left`` and ``right`` in Hz, ``exc`` and ``inh``
        unit counts).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots import plot_rates
    >>> path = sw.example_model("go_nogo", ".")
    >>> sim = sw.simulate(path, 30, "go_nogo", seed=0, trial=3)
    >>> plot = plot_rates(sim, bins=20)
    >>> counted = plot.source.data["exc"].sum() + plot.source.data["inh"].sum()
    >>> int(counted) == sim.sizes["unit"]  # every unit is in one bin
    True
    """
    source = ColumnDataSource({"left": [], "right": [], "exc": [], "inh": []},
                              name="rate_histogram")
    fig = new_figure("rates_figure", "mean firing rates in one trial", width, height,
                     x_axis_label="mean firing rate (Hz)", y_axis_label="number of units")
    exc = fig.quad(left="left", right="right", bottom=0, top="exc", source=source,
                   fill_color=EXC_COLOR, fill_alpha=0.5, line_color=EXC_COLOR,
                   legend_label="excitatory")
    inh = fig.quad(left="left", right="right", bottom=0, top="inh", source=source,
                   fill_color=INH_COLOR, fill_alpha=0.5, line_color=INH_COLOR,
                   legend_label="inhibitory")
    fig.add_tools(HoverTool(renderers=[exc, inh], tooltips=[
        ("rate", "@left{0.0} – @right{0.0} Hz"), ("excitatory units", "@exc"),
        ("inhibitory units", "@inh"),
    ]))
    legend_below(fig)
    plot = RatePlot(fig, {"rates": source}, source=source,
                    **add_placeholder(fig, placeholder, (0, 50), (0, 10)))
    plot.update(sim, bins)
    return plot
