"""One simulated trial: its spike raster, its readout and its units' firing rates.

The examples below replay trials of the bundled Go-NoGo model, copied into
the working folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import bokeh.models
import numpy as np
import xarray as xr
from bokeh.models import CDSView, ColumnDataSource, GroupFilter, HoverTool, Range1d

from spikewidgets.plots._base import (
    EXC_COLOR,
    INH_COLOR,
    MAX_TRACE_POINTS,
    OUTPUT_PLACEHOLDER,
    RASTER_PLACEHOLDER,
    RATE_COLOR,
    RATES_PLACEHOLDER,
    SPIKING_COLOR,
    Plot,
    add_caption,
    add_placeholder,
    check_dataset,
    dataset_settings,
    legend_below,
    new_figure,
    trial_title,
)
from spikewidgets.sim._kernel import V_PEAK, V_RESET, V_SPIKE
from spikewidgets.tasks import get_task

__all__ = ["FIRST_STEP_SHARE", "RASTER_CAPTION", "OutputPlot", "RasterPlot", "RatePlot",
           "plot_output", "plot_raster", "plot_rates"]

#: Share of the units whose initial voltage, drawn uniformly between the reset and the
#: spike value as in the original code, is at or above the threshold: they spike at step 1.
FIRST_STEP_SHARE = (V_SPIKE - V_PEAK) / (V_SPIKE - V_RESET)
#: The caption of a spike raster: why it starts with a vertical line.
RASTER_CAPTION = (
    f"The line at 0 s: as in the original code, initial voltages are uniform between "
    f"reset ({V_RESET:g} mV) and {V_SPIKE:+g} mV, so about {FIRST_STEP_SHARE * 100:.0f} % "
    f"of the units start above threshold ({V_PEAK:g} mV) and spike in the first step.")


# --------------------------------------------------------------------------- raster


@dataclass
class RasterPlot(Plot):
    """Spike raster of one trial; ``source`` holds one row per spike.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots import plot_raster
    >>> path = sw.example_model("go_nogo", ".")
    >>> plot = plot_raster()  # empty: it says what will appear
    >>> plot.placeholder.visible, plot.figure.title.text
    (True, 'spikes of one trial')
    >>> sim = sw.simulate(path, 30, "go_nogo", seed=0, trial=3)
    >>> plot.update(sim)
    >>> len(plot.source.data["time"]) == sim.sizes["spike"], plot.placeholder.visible
    (True, False)
    """

    source: ColumnDataSource = None  # type: ignore[assignment]
    #: The caption under the figure (None without one).
    caption: bokeh.models.Title | None = None

    def update(self, sim: xr.Dataset | None) -> None:
        """Show the trial ``sim`` returned by :func:`~spikewidgets.search.simulate`."""
        if sim is None:
            self.clear()
            self.figure.title.text = "spikes of one trial"
            return
        check_dataset(sim, "sim", ("spike_unit", "spike_time"))
        self.show_placeholder(False)
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
        self.figure.title.text = trial_title("spikes", sim)


def plot_raster(sim: xr.Dataset | None = None, *, width: int = 440, height: int = 320,
                placeholder: str = RASTER_PLACEHOLDER,
                caption: str | None = RASTER_CAPTION) -> RasterPlot:
    """Spike raster: excitatory units in red (lower rows), inhibitory in blue (upper rows).

    Under the figure, a caption explains the vertical line every raster
    starts with (:data:`RASTER_CAPTION`): as in the original code, the
    initial voltages are drawn uniformly between the reset and the spike
    value, so about three units in four start above the threshold and spike
    in the first step.

    Parameters
    ----------
    sim : xarray.Dataset, optional
        Result of :func:`~spikewidgets.search.simulate`. None gives an empty figure.
    width, height : int
        Size of the figure in pixels.
    placeholder : str
        Line shown in the middle of the figure while it has no data.
    caption : str or None
        Text under the figure (None: no caption).

    Returns
    -------
    RasterPlot
        ``figure``, ``placeholder`` (the Label of that line), ``caption``
        (a Bokeh Title, or None) and ``source`` (one row per spike: ``time``
        in s, ``row``, ``unit``, ``unit_type``).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots import plot_raster
    >>> path = sw.example_model("go_nogo", ".")
    >>> sim = sw.simulate(path, 30, "go_nogo", seed=0, trial=3)
    >>> plot = plot_raster(sim, width=330, height=300)
    >>> plot.figure.title.text
    'spikes, scaling factor 30, trial 3, go correct'
    >>> first_step = plot.source.data["time"] == sim.spike_time.values.min()
    >>> print(f"{first_step.sum() / sim.sizes['unit']:.0%} of the units spike in the first step")
    74% of the units spike in the first step
    >>> print(plot.caption.text.replace("\\n", " "))
    The line at 0 s: as in the original code, initial voltages are uniform between reset
    (-65 mV) and +30 mV, so about 74 % of the units start above threshold (-40 mV) and spike
    in the first step.
    """
    source = ColumnDataSource({"time": [], "row": [], "unit": [], "unit_type": []},
                              name="raster")
    fig = new_figure("raster_figure", "spikes of one trial", width, height,
                     x_axis_label="time (s)",
                     y_axis_label="unit (excitatory, then inhibitory)",
                     y_range=Range1d(-0.5, 99.5))
    for kind, color, label in (("exc", EXC_COLOR, "excitatory"), ("inh", INH_COLOR, "inhibitory")):
        fig.scatter("time", "row", source=source, marker="dash", angle=np.pi / 2, size=4,
                    line_color=color, line_width=1.2, legend_label=label,
                    view=CDSView(filter=GroupFilter(column_name="unit_type", group=kind)))
    legend_below(fig)
    plot = RasterPlot(fig, {"raster": source}, source=source,
                      caption=None if caption is None else add_caption(fig, caption),
                      **add_placeholder(fig, placeholder, (0, 1), (0, 99)))
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
