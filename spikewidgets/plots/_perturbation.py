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
draw come from ``spikewidgets.plots._perturbation_data``.

The examples below run small perturbation searches of the bundled Go-NoGo
model, copied into the working folder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from bokeh.models import (
    ColumnDataSource,
    FixedTicker,
    HoverTool,
    Range1d,
    Whisker,
)

from spikewidgets.plots._base import (
    EFFECTS_PLACEHOLDER,
    PERTURBATION_PLACEHOLDER,
    SPIKING_COLOR,
    Plot,
    add_placeholder,
    legend_below,
    new_figure,
    plural,
)
from spikewidgets.plots._perturbation_data import (
    PERTURBATION_COLUMNS,
    at_scaling_factor,
    check_perturbation_dataset,
    group_name,
    intact_label,
    perturbation_columns,
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
#: Colours of the bars: significant (McNemar p < alpha) or not.
SIGNIFICANT_COLOR, NOT_SIGNIFICANT_COLOR = "#555555", "#c7c7c7"
#: Colour of the intact network's reference line.
INTACT_COLOR = SPIKING_COLOR

#: x-axis label of a sweep, by the kind of its perturbations.
_STRENGTH_LABELS = {
    "scale": "factor multiplying the weights",
    "lesion": "fraction of the connections removed",
    "lesion_units": "units lesioned (fraction of a type, or count)",
    "silence": "units silenced (fraction of a type, or count)",
    "stimulate": "units stimulated (fraction of a type, or count)",
}

_TOOLTIPS = [
    ("perturbation", "@label"),
    ("strength", "@strength{0.[000]}"),
    ("accuracy", "@accuracy{0.0%} (95 % CI @accuracy_low{0.0%} – @accuracy_high{0.0%})"),
    ("change", "@change{+0.0%} (95 % CI @change_low{+0.0%} – @change_high{+0.0%})"),
    ("trials gained / lost", "@gained / @lost"),
    ("McNemar p", "@mcnemar_p{0.[0000]}"),
]

def _title(ds: xr.Dataset, factor: float) -> str:
    completed = int(ds.sizes.get("trial", 0))
    total = ds.attrs.get("n_trials", completed)
    task = ds.attrs.get("task", "")
    return (f"{task} at scaling factor {factor:g}: {completed} of "
            f"{plural(int(total), 'trial')}").strip()


#: What an axis of changes spans without data.
_EMPTY_CHANGE_SPAN = (-0.5, 0.5)
#: The label of an axis of changes in accuracy.
_CHANGE_LABEL = "change in accuracy vs the intact network (same trials)"
#: What a sweep says when none of its perturbations has a strength.
_NO_STRENGTH = ("No perturbation of this search has a strength to plot against: "
                "plot_perturbation_effects shows each one")


def _change_span(*arrays: np.ndarray) -> tuple[float, float]:
    """An axis range holding 0 and every finite value of ``arrays`` (whiskers included).

    Bokeh's automatic ranges ignore annotations such as whiskers, so axes of
    changes get their range from here.
    """
    values = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays] + [[0.0]])
    values = values[np.isfinite(values)]
    low, high = float(values.min()), float(values.max())
    pad = max(high - low, 0.1) * 0.06
    return low - pad, high + pad


def _strength_label(kinds: set[str]) -> str:
    labels = {_STRENGTH_LABELS.get(kind, "perturbation strength") for kind in kinds}
    return labels.pop() if len(labels) == 1 else "perturbation strength (factor, fraction or units)"


def _values(columns: dict[str, np.ndarray], change: bool) -> tuple[np.ndarray, ...]:
    if change:
        return columns["change"], columns["change_low"], columns["change_high"]
    return columns["accuracy"], columns["accuracy_low"], columns["accuracy_high"]


# --------------------------------------------------------------------------- sweep


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
                self.figure.y_range.start, self.figure.y_range.end = _EMPTY_CHANGE_SPAN
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
        value, low, high = _values(columns, self.change)
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
            self.figure.y_range.start, self.figure.y_range.end = _change_span(
                data["value"], data["low"], data["high"])
        self.figure.xaxis.axis_label = _strength_label(set(data["kind"].tolist()))
        self.figure.title.text = _title(ds, factor)


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
    y_range = Range1d(*_EMPTY_CHANGE_SPAN) if change else Range1d(-0.02, 1.05)
    y_label = _CHANGE_LABEL if change else "fraction of trials correct"
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
    fig.add_tools(HoverTool(renderers=[points], tooltips=_TOOLTIPS))
    legend_below(fig)
    plot = PerturbationSweepPlot(
        fig, {"sweep": source, "lines": lines, "intact": intact}, source=source,
        change=bool(change), scaling_factor=scaling_factor, empty_text=placeholder,
        **add_placeholder(fig, placeholder, (0, 1), _EMPTY_CHANGE_SPAN if change else (0, 1)))
    if ds is not None:
        plot.update(ds)
    return plot


# --------------------------------------------------------------------------- effects


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
                self.figure.x_range.start, self.figure.x_range.end = _EMPTY_CHANGE_SPAN
            return
        check_perturbation_dataset(ds)
        at_factor, factor = at_scaling_factor(ds, self.scaling_factor)
        columns = perturbation_columns(at_factor)
        intact = intact_label(ds)
        reference = int(np.flatnonzero(columns["label"] == intact)[0])
        keep = np.flatnonzero(columns["label"] != intact)
        value, low, high = _values(columns, self.change)
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
            self.figure.x_range.start, self.figure.x_range.end = _change_span(
                data["value"], data["low"], data["high"])
        self.show_placeholder(keep.size == 0)
        self.figure.title.text = (f"{_title(ds, factor)}, intact "
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
    x_range = Range1d(*_EMPTY_CHANGE_SPAN) if change else Range1d(-0.02, 1.05)
    x_label = _CHANGE_LABEL if change else "fraction of trials correct"
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
    fig.add_tools(HoverTool(renderers=[bars], tooltips=[t for t in _TOOLTIPS
                                                        if t[0] != "strength"]))
    legend_below(fig)
    plot = PerturbationEffectsPlot(
        fig, {"effects": source, "intact": intact}, source=source, change=bool(change),
        scaling_factor=scaling_factor, alpha=float(alpha),
        **add_placeholder(fig, placeholder, _EMPTY_CHANGE_SPAN if change else (0, 1),
                          (-0.5, 0.5)))
    if ds is not None:
        plot.update(ds)
    return plot
