"""The accuracy of perturbed networks: against perturbation strength, or one bar per perturbation.

Both builders take the Dataset of
:func:`~spikewidgets.search.perturbation_search` (dims ``perturbation`` x
``scaling_factor`` x ``trial``) and show one scaling factor (the first, or
the one asked for). :func:`plot_perturbation_sweep` is for ordered
perturbations (a connection type scaled 0.5 ... 1.5, lesion fractions): one
line per group of the same kind and target against ``perturbation_strength``.
:func:`plot_perturbation_effects` is for unordered ones (the eight published
presets): one bar per perturbation. Both draw the 95 % intervals as whiskers
and the intact network as a reference, and can show either the accuracy or
its paired change against the intact network (``change``). The rows they
draw come from ``spikewidgets.plots._perturbation_data``. The bars are in
``spikewidgets.plots._perturbation_effects`` and their names are importable
from here too.

The examples below run small perturbation searches of the bundled Go-NoGo
model, copied into the working folder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from bokeh.models import ColumnDataSource, HoverTool, Range1d, Whisker

from spikewidgets.plots._base import (
    PERTURBATION_PLACEHOLDER,
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
    group_name,
    intact_label,
    perturbation_columns,
)
from spikewidgets.plots._perturbation_effects import (
    NOT_SIGNIFICANT_COLOR,
    SIGNIFICANT_COLOR,
    PerturbationEffectsPlot,
    plot_perturbation_effects,
)

__all__ = [
    "GROUP_COLORS",
    "INTACT_COLOR",
    "NOT_SIGNIFICANT_COLOR",
    "SIGNIFICANT_COLOR",
    "PerturbationEffectsPlot",
    "PerturbationSweepPlot",
    "plot_perturbation_effects",
    "plot_perturbation_sweep",
]

#: Colours of the groups of a sweep (neither the red nor the blue of the unit types).
GROUP_COLORS = ("#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
                "#7f7f7f")
#: x-axis label of a sweep, by the kind of its perturbations.
_STRENGTH_LABELS = {
    "scale": "factor multiplying the weights",
    "lesion": "fraction of the connections removed",
    "lesion_units": "units lesioned (fraction of a type, or count)",
    "silence": "units silenced (fraction of a type, or count)",
    "stimulate": "units stimulated (fraction of a type, or count)",
}

#: What a sweep says when none of its perturbations has a strength.
_NO_STRENGTH = ("No perturbation of this search has a strength to plot against: "
                "plot_perturbation_effects shows each one")


def _strength_label(kinds: set[str]) -> str:
    labels = {_STRENGTH_LABELS.get(kind, "perturbation strength") for kind in kinds}
    return labels.pop() if len(labels) == 1 else "perturbation strength (factor, fraction or units)"



@dataclass
class PerturbationSweepPlot(Plot):
    """Accuracy (or its change) against perturbation strength, one line per group.

    ``source`` holds one row per plotted perturbation (the columns of
    ``spikewidgets.plots._perturbation_data.perturbation_columns()`` plus
    ``group``, ``value``, ``low``, ``high`` and ``color``); ``sources`` also
    holds ``lines`` (one per group) and ``intact`` (the reference).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.perturbations import scale_sweep
    >>> from spikewidgets.plots import plot_perturbation_sweep
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.perturbation_search(path, "go_nogo", ["ee_inc"], scaling_factors=[30],
    ...                             n_trials=2, seed=0, progress=False)
    >>> plot = plot_perturbation_sweep()
    >>> plot.update(ds)
    >>> plot.source.data["group"], plot.figure.xaxis.axis_label
    (['scale: exc->exc'], 'factor multiplying the weights')
    """

    source: ColumnDataSource = None  # type: ignore[assignment]
    change: bool = False
    scaling_factor: float | None = None
    #: What the figure says while it has no Dataset.
    empty_text: str = PERTURBATION_PLACEHOLDER

    def update(self, ds: xr.Dataset | None) -> None:
        """Show a perturbation search's Dataset (partial ones too); None empties the figure."""
        if ds is None:
            self.clear()
            self.say(self.empty_text)
            if self.change:
                self.figure.y_range.start, self.figure.y_range.end = EMPTY_CHANGE_SPAN
            return
        check_perturbation_dataset(ds)
        at_factor, factor = at_scaling_factor(ds, self.scaling_factor)
        columns = perturbation_columns(at_factor)
        intact = intact_label(ds)
        self.say(_NO_STRENGTH)
        chosen = (columns["label"] != intact) & np.isfinite(columns["strength"])
        groups = [group_name(kind, target)
                  for kind, target in zip(columns["kind"], columns["target"], strict=True)]
        names = list(dict.fromkeys(g for g, keep in zip(groups, chosen, strict=True) if keep))
        color_of = {name: GROUP_COLORS[k % len(GROUP_COLORS)] for k, name in enumerate(names)}
        order = [names.index(g) if g in names else len(names) for g in groups]
        rows = [int(i) for i in np.lexsort((columns["strength"], order)) if chosen[i]]
        value, low, high = shown_values(columns, self.change)
        data = {key: column[rows] for key, column in columns.items()}
        data.update(group=[groups[i] for i in rows], value=value[rows], low=low[rows],
                    high=high[rows], color=[color_of[groups[i]] for i in rows])
        self.source.data = data
        self.sources["lines"].data = {
            "xs": [data["strength"][np.asarray(data["group"]) == name] for name in names],
            "ys": [data["value"][np.asarray(data["group"]) == name] for name in names],
            "group": names, "color": [color_of[name] for name in names]}
        reference = int(np.flatnonzero(columns["label"] == intact)[0])
        level = (0.0, 0.0, 0.0) if self.change else (
            float(value[reference]), float(low[reference]), float(high[reference]))
        self.sources["intact"].data = {"y": [level[0]], "low": [level[1]], "high": [level[2]],
                                       "label": ["intact network"]}
        self.show_placeholder(not rows)
        if self.change:
            self.figure.y_range.start, self.figure.y_range.end = change_span(
                data["value"], data["low"], data["high"])
        self.figure.xaxis.axis_label = _strength_label(set(data["kind"].tolist()))
        self.figure.title.text = figure_title(ds, factor)


def plot_perturbation_sweep(ds: xr.Dataset | None = None, *, change: bool = False,
                            scaling_factor: float | None = None, width: int = 520,
                            height: int = 340,
                            placeholder: str = PERTURBATION_PLACEHOLDER
                            ) -> PerturbationSweepPlot:
    """Accuracy of perturbed networks against perturbation strength, with 95 % intervals.

    Perturbations of the same kind and target (``perturbation_kind`` and
    ``perturbation_target``: I -> E connections scaled by 0.5 ... 1.5,
    lesion fractions, fractions of the same units silenced in the same
    window) make one line against ``perturbation_strength`` (see
    ``spikewidgets.plots._perturbation_data.group_name()``). The intact
    network is a horizontal reference line (with its interval as a band).
    Perturbations without a strength (self-connections removed, shuffled
    inputs, combinations) are left out: :func:`plot_perturbation_effects`
    shows them.

    Parameters
    ----------
    ds : xarray.Dataset, optional
        Result of :func:`~spikewidgets.search.perturbation_search` (a partial
        result works too). None gives an empty figure.
    change : bool, default False
        Show the paired change in accuracy against the intact network
        (``accuracy_change`` with Newcombe's interval; the reference is 0)
        instead of the accuracy (with Wilson's interval).
    scaling_factor : float, optional
        Which of the Dataset's factors to show (default: the first).
    width, height : int
        Size of the figure in pixels.
    placeholder : str
        Line shown in the middle of the figure while it has no data.

    Returns
    -------
    PerturbationSweepPlot
        ``figure``; ``placeholder``; ``source`` (one row per perturbation
        drawn: ``label``, ``group``, ``strength``, ``value``, ``low``,
        ``high``, ``accuracy``, ``change``, their bounds, ``gained``,
        ``lost``, ``mcnemar_p``, ``color``); ``sources`` also holds ``lines``
        and ``intact``. ``update(ds)`` shows another Dataset.

    Raises
    ------
    ValueError
        If ``ds`` is not a perturbation search's Dataset, or
        ``scaling_factor`` is not one of its factors.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.perturbations import lesion_sweep
    >>> from spikewidgets.plots import plot_perturbation_sweep
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.perturbation_search(path, "go_nogo", lesion_sweep([0.2, 0.4]), n_trials=2,
    ...                             seed=0, progress=False)
    >>> plot = plot_perturbation_sweep(ds, change=True)
    >>> plot.source.data["strength"].tolist(), plot.sources["lines"].data["group"]
    ([0.2, 0.4], ['lesion: connections'])
    >>> plot.figure.title.text
    'go_nogo at scaling factor 30: 2 of 2 trials'
    """
    columns = (*PERTURBATION_COLUMNS, "group", "value", "low", "high", "color")
    source = ColumnDataSource({key: [] for key in columns}, name="perturbation_sweep")
    lines = ColumnDataSource({"xs": [], "ys": [], "group": [], "color": []},
                             name="perturbation_sweep_lines")
    intact = ColumnDataSource({"y": [], "low": [], "high": [], "label": []},
                              name="perturbation_sweep_intact")
    y_range = Range1d(*EMPTY_CHANGE_SPAN) if change else Range1d(-0.02, 1.05)
    y_label = CHANGE_LABEL if change else "fraction of trials correct"
    fig = new_figure("perturbation_sweep_figure", "accuracy against perturbation strength",
                     width, height, x_axis_label="perturbation strength",
                     y_axis_label=y_label, y_range=y_range)
    fig.hstrip(y0="low", y1="high", source=intact, fill_color=INTACT_COLOR, fill_alpha=0.08,
               line_alpha=0)
    fig.hspan(y="y", source=intact, line_color=INTACT_COLOR, line_dash="dashed",
              line_width=1.5, legend_field="label")
    fig.multi_line(xs="xs", ys="ys", color="color", source=lines, line_width=2,
                   legend_field="group")
    fig.add_layout(Whisker(source=source, base="strength", lower="low", upper="high",
                           line_color="color", line_alpha=0.7))
    points = fig.scatter("strength", "value", source=source, size=9, color="color")
    fig.add_tools(HoverTool(renderers=[points], tooltips=TOOLTIPS))
    legend_below(fig)
    plot = PerturbationSweepPlot(
        fig, {"sweep": source, "lines": lines, "intact": intact}, source=source,
        change=bool(change), scaling_factor=scaling_factor, empty_text=placeholder,
        **add_placeholder(fig, placeholder, (0, 1), EMPTY_CHANGE_SPAN if change else (0, 1)))
    if ds is not None:
        plot.update(ds)
    return plot
