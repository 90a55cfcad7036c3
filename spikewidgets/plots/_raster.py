"""The spike raster of one simulated trial: excitatory units in red, inhibitory in blue.

The examples below replay trials of the bundled Go-NoGo model, copied into
the working folder.
"""

from __future__ import annotations

from dataclasses import dataclass

import bokeh.models
import numpy as np
import xarray as xr
from bokeh.models import CDSView, ColumnDataSource, GroupFilter, Range1d

from spikewidgets.plots._base import (
    EXC_COLOR,
    INH_COLOR,
    RASTER_PLACEHOLDER,
    Plot,
    add_caption,
    add_placeholder,
    legend_below,
    new_figure,
)
from spikewidgets.plots._datasets import check_dataset, trial_title
from spikewidgets.sim._kernel import V_PEAK, V_RESET, V_SPIKE

__all__ = ["FIRST_STEP_SHARE", "RASTER_CAPTION", "RasterPlot", "plot_raster"]

#: Share of the units whose initial voltage, drawn uniformly between the reset and the
#: spike value as in the original code, is at or above the threshold: they spike at step 1.
FIRST_STEP_SHARE = (V_SPIKE - V_PEAK) / (V_SPIKE - V_RESET)
#: The caption of a spike raster: why it starts with a vertical line.
RASTER_CAPTION = (
    f"The line at 0 s: as in the original code, initial voltages are uniform between "
    f"reset ({V_RESET:g} mV) and {V_SPIKE:+g} mV, so about {FIRST_STEP_SHARE * 100:.0f} % "
    f"of the units start above threshold ({V_PEAK:g} mV) and spike in the first step.")


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
    starts with (``RASTER_CAPTION``): as in the original code, the
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
