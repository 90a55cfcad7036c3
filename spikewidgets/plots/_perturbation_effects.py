"""One bar per perturbation of a perturbation search: its effect on accuracy, with its interval.

:func:`plot_perturbation_effects` is for unordered perturbations (the eight
published presets); :func:`~spikewidgets.plots.plot_perturbation_sweep`
draws ordered ones against their strength.

The examples below run small perturbation searches of the bundled Go-NoGo
model, copied into the working folder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from bokeh.models import ColumnDataSource, FixedTicker, HoverTool, Range1d, Whisker

from spikewidgets.plots._base import (
    EFFECTS_PLACEHOLDER,
    SPIKING_COLOR,
    Plot,
    add_placeholder,
    legend_below,
    new_figure,
)
from spikewidgets.plots._perturbation_common import (
    CHANGE_LABEL,
    EMPTY_CHANGE_SPAN,
    INTACT_COLOR,
    TOOLTIPS,
    change_span,
    figure_title,
    shown_values,
)
from spikewidgets.plots._perturbation_data import (
    PERTURBATION_COLUMNS,
    at_scaling_factor,
    check_perturbation_dataset,
    intact_label,
    perturbation_columns,
)

__all__ = [
    "NOT_SIGNIFICANT_COLOR",
    "SIGNIFICANT_COLOR",
    "PerturbationEffectsPlot",
    "plot_perturbation_effects",
]

#: Colours of the bars: significant (McNemar p < alpha) or not.
SIGNIFICANT_COLOR, NOT_SIGNIFICANT_COLOR = "#555555", "#c7c7c7"


@dataclass
class PerturbationEffectsPlot(Plot):
    """One horizontal bar per perturbation: its change in accuracy (or accuracy), with interval.

    ``source`` holds one row per perturbation (the intact network left out),
    the first at the top: the columns of
    ``spikewidgets.plots._perturbation_data.perturbation_columns()`` plus
    ``row``, ``base``, ``value``, ``low``, ``high``, ``significance`` and
    ``color``.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots import plot_perturbation_effects
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.perturbation_search(path, "go_nogo", ["ei_dec", "ie_dec"], n_trials=2,
    ...                             seed=0, progress=False)
    >>> plot = plot_perturbation_effects(change=False)
    >>> plot.placeholder.visible
    True
    >>> plot.update(ds)
    >>> plot.source.data["label"].tolist(), plot.placeholder.visible
    (['ei_dec', 'ie_dec'], False)
    """

    source: ColumnDataSource = None  # type: ignore[assignment]
    change: bool = True
    scaling_factor: float | None = None
    alpha: float = 0.05

    def update(self, ds: xr.Dataset | None) -> None:
        """Show a perturbation search's Dataset (partial ones too); None empties the figure."""
        if ds is None:
            self.clear()
            self.figure.yaxis.ticker.ticks = []
            self.figure.yaxis.major_label_overrides = {}
            if self.change:
                self.figure.x_range.start, self.figure.x_range.end = EMPTY_CHANGE_SPAN
            return
        check_perturbation_dataset(ds)
        at_factor, factor = at_scaling_factor(ds, self.scaling_factor)
        columns = perturbation_columns(at_factor)
        intact = intact_label(ds)
        reference = int(np.flatnonzero(columns["label"] == intact)[0])
        keep = np.flatnonzero(columns["label"] != intact)
        value, low, high = shown_values(columns, self.change)
        significant = columns["mcnemar_p"][keep] < self.alpha
        data = {key: column[keep] for key, column in columns.items()}
        rows = np.arange(keep.size)[::-1].astype(np.float64)  # the first at the top
        data.update(
            row=rows, base=np.zeros(keep.size), value=value[keep], low=low[keep],
            high=high[keep],
            significance=np.where(significant, f"McNemar p < {self.alpha:g}",
                                  f"p ≥ {self.alpha:g}"),
            color=np.where(significant, SIGNIFICANT_COLOR, NOT_SIGNIFICANT_COLOR))
        self.source.data = data
        level = 0.0 if self.change else float(value[reference])
        self.sources["intact"].data = {"x": [level], "label": ["intact network"]}
        self.figure.yaxis.ticker.ticks = rows.tolist()
        self.figure.yaxis.major_label_overrides = {
            float(row): str(label) for row, label in zip(rows, data["label"], strict=True)}
        self.figure.y_range.start, self.figure.y_range.end = -0.6, max(keep.size, 1) - 0.4
        if self.change:
            self.figure.x_range.start, self.figure.x_range.end = change_span(
                data["value"], data["low"], data["high"])
        self.show_placeholder(keep.size == 0)
        self.figure.title.text = (f"{figure_title(ds, factor)}, intact "
                                  f"{float(columns['accuracy'][reference]):.0%}")


def plot_perturbation_effects(ds: xr.Dataset | None = None, *, change: bool = True,
                              scaling_factor: float | None = None, alpha: float = 0.05,
                              width: int = 520, height: int = 340,
                              placeholder: str = EFFECTS_PLACEHOLDER
                              ) -> PerturbationEffectsPlot:
    """One bar per perturbation (the eight presets, say): change in accuracy with its interval.

    Bars are dark where McNemar's exact test gives ``p < alpha`` and light
    otherwise (one test per bar: with several perturbations, some small
    p-values are expected by chance). The intact network is the vertical
    reference line.

    Parameters
    ----------
    ds : xarray.Dataset, optional
        Result of :func:`~spikewidgets.search.perturbation_search` (a partial
        result works too). None gives an empty figure.
    change : bool, default True
        Show the paired change against the intact network (Newcombe's 95 %
        interval; the reference is 0). False shows the accuracy (Wilson's
        interval; the reference is the intact accuracy).
    scaling_factor : float, optional
        Which of the Dataset's factors to show (default: the first).
    alpha : float, default 0.05
        Level below which a bar is drawn dark.
    width, height : int
        Size of the figure in pixels.
    placeholder : str
        Line shown in the middle of the figure while it has no data.

    Returns
    -------
    PerturbationEffectsPlot
        ``figure``; ``placeholder``; ``source`` (one row per perturbation,
        the first at the top: ``label``, ``row``, ``value``, ``low``,
        ``high``, ``accuracy``, ``change``, their bounds, ``gained``,
        ``lost``, ``mcnemar_p``, ``significance``, ``color``); ``sources``
        also holds ``intact``. ``update(ds)`` shows another Dataset.

    Raises
    ------
    ValueError
        If ``ds`` is not a perturbation search's Dataset, or
        ``scaling_factor`` is not one of its factors.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots import plot_perturbation_effects
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.perturbation_search(path, "go_nogo", ["ei_dec", "ee_inc"], n_trials=4,
    ...                             seed=0, progress=False)
    >>> plot = plot_perturbation_effects(ds, width=560)
    >>> plot.figure.title.text
    'go_nogo at scaling factor 30: 4 of 4 trials, intact 100%'
    >>> plot.source.data["label"].tolist()  # the first at the top
    ['ei_dec', 'ee_inc']
    """
    columns = (*PERTURBATION_COLUMNS, "row", "base", "value", "low", "high", "significance",
               "color")
    source = ColumnDataSource({key: [] for key in columns}, name="perturbation_effects")
    intact = ColumnDataSource({"x": [], "label": []}, name="perturbation_effects_intact")
    x_range = Range1d(*EMPTY_CHANGE_SPAN) if change else Range1d(-0.02, 1.05)
    x_label = CHANGE_LABEL if change else "fraction of trials correct"
    fig = new_figure("perturbation_effects_figure", "effect of each perturbation", width,
                     height, x_axis_label=x_label, x_range=x_range, y_range=Range1d(-0.6, 0.6))
    fig.yaxis.ticker = FixedTicker(ticks=[])
    fig.ygrid.visible = False
    bars = fig.hbar(y="row", left="base", right="value", height=0.6, source=source,
                    fill_color="color", line_color="color", legend_field="significance")
    fig.add_layout(Whisker(source=source, base="row", lower="low", upper="high",
                           dimension="width", line_color=SPIKING_COLOR))
    fig.vspan(x="x", source=intact, line_color=INTACT_COLOR, line_dash="dashed",
              line_width=1.5, legend_field="label")
    fig.add_tools(HoverTool(renderers=[bars], tooltips=[t for t in TOOLTIPS
                                                        if t[0] != "strength"]))
    legend_below(fig)
    plot = PerturbationEffectsPlot(
        fig, {"effects": source, "intact": intact}, source=source, change=bool(change),
        scaling_factor=scaling_factor, alpha=float(alpha),
        **add_placeholder(fig, placeholder, EMPTY_CHANGE_SPAN if change else (0, 1),
                          (-0.5, 0.5)))
    if ds is not None:
        plot.update(ds)
    return plot
