"""The accuracy of a search against the scaling factor.

The examples below search the bundled Go-NoGo model, copied into the working
folder, on a small grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from bokeh.core.properties import value
from bokeh.models import (
    ColumnDataSource,
    GlyphRenderer,
    HoverTool,
    LegendItem,
    Range1d,
    TapTool,
    Whisker,
)
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from spikewidgets.plots._base import (
    ACCURACY_PLACEHOLDER,
    SPIKING_COLOR,
    Plot,
    add_placeholder,
    legend_below,
    new_figure,
    plural,
)
from spikewidgets.plots._datasets import check_dataset
from spikewidgets.plots._perturbation_data import check_perturbation_dataset, intact_label

__all__ = ["LEFT_COLOR", "PERTURBED_COLORS", "AccuracyPlot", "plot_accuracy"]

#: Colour of the factors that left an adaptive search early (fewer trials, wider intervals).
LEFT_COLOR = "#b0b0b0"

#: Colours of the per-condition accuracy lines (neither red nor blue).
_CONDITION_COLORS = tuple(Category10_10[k] for k in (2, 4, 5, 9, 6, 8, 1, 7))
#: Colours of the curves of perturbed networks (none of the conditions' first colours).
PERTURBED_COLORS = ("#c51b7d", "#8c6d31", "#17becf", "#bcbd22", "#7f7f7f")
#: Columns of ``sources["perturbed"]`` taken from the Dataset's variables.
_PERTURBED_VARIABLES = {"accuracy": "accuracy", "ci_low": "accuracy_ci_low",
                        "ci_high": "accuracy_ci_high", "change": "accuracy_change",
                        "change_low": "accuracy_change_ci_low",
                        "change_high": "accuracy_change_ci_high", "mcnemar_p": "mcnemar_p"}


@dataclass
class AccuracyPlot(Plot):
    """Accuracy against scaling factor; ``source`` holds one row per factor.

    Tapping a point selects it: ``source.selected.indices`` then holds the
    index of the factor (watch it with ``source.selected.on_change``).

    Given the Dataset of a perturbation search, ``source`` holds the intact
    network and ``sources["perturbed"]`` one row per perturbed network and
    factor, drawn as a second curve (its own colour and marker).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots import plot_accuracy
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 2, [5, 30, 80], seed=0, save=False,
    ...                            progress=False)
    >>> plot = plot_accuracy()
    >>> plot.figure.title.text
    'accuracy against scaling factor'
    >>> plot.update(ds.isel(trial=slice(0, 1)).assign_attrs(n_trials=2))  # a partial search
    >>> plot.figure.title.text
    'go_nogo accuracy, 1 of 2 trials per factor'
    >>> plot.select(1)  # what a tap on the second point does
    >>> list(plot.source.selected.indices)
    [1]
    """

    source: ColumnDataSource = None  # type: ignore[assignment]
    #: The legend entry of the curve of all trials (renamed for a perturbation search).
    intact_item: LegendItem | None = None
    #: The legend entry of the factors that left an adaptive search (shown only then).
    left_item: LegendItem | None = None

    def update(self, ds: xr.Dataset | None) -> None:
        """Show the search Dataset ``ds`` (partial or complete); None empties the plot.

        ``ds`` may also be a perturbation search's Dataset: the intact network
        is then drawn as a plain search, each perturbed network beside it.
        """
        if ds is None:
            self.clear()
            self._name_intact(False)
            self.figure.title.text = "accuracy against scaling factor"
            return
        check_dataset(ds, "ds", ("accuracy", "accuracy_ci_low", "accuracy_ci_high"))
        self.show_placeholder(False)
        perturbed = "perturbation" in ds.dims
        labels: list[str] = []
        if perturbed:
            check_perturbation_dataset(ds)
            intact = intact_label(ds)
            labels = self._show_perturbed(ds, intact)
            ds = ds.sel(perturbation=intact)
        else:
            self.sources["perturbed"].data = {key: [] for key in self.sources["perturbed"].data}
            self.sources["perturbed_lines"].data = {key: [] for key in
                                                    self.sources["perturbed_lines"].data}
        self._name_intact(perturbed)
        factors = np.asarray(ds.scaling_factor.values, dtype=np.float64)
        completed = int(ds.sizes.get("trial", 0))
        mean_rate = (ds.mean_rate.mean("trial").values if completed
                     else np.full(factors.size, np.nan))
        tied = np.asarray(ds.tied_with_optimum.values, dtype=bool) if completed \
            else np.zeros(factors.size, dtype=bool)
        trials_run = (np.asarray(ds.n_trials_run.values) if "n_trials_run" in ds
                      else np.full(factors.size, completed))
        accuracy = np.asarray(ds.accuracy.values, dtype=np.float64)
        self.source.data = {
            "scaling_factor": factors,
            "lam": 1.0 / factors,
            "accuracy": accuracy,
            "ci_low": np.asarray(ds.accuracy_ci_low.values, dtype=np.float64),
            "ci_high": np.asarray(ds.accuracy_ci_high.values, dtype=np.float64),
            "n_trials": trials_run,
            "mean_rate": np.asarray(mean_rate, dtype=np.float64),
            "tied": np.where(tied, "yes", "no"),
        }
        left = (np.asarray(ds.left_in_round.values) >= 0) if "left_in_round" in ds \
            else np.zeros(factors.size, dtype=bool)
        reasons = np.asarray(ds.left_reason.values, dtype=str) if "left_reason" in ds \
            else np.full(factors.size, "")
        self.sources["left"].data = {"scaling_factor": factors[left], "accuracy": accuracy[left],
                                     "n_trials": trials_run[left], "reason": reasons[left]}
        if self.left_item is not None:
            self.left_item.visible = bool(left.any())
        self._show_conditions(ds, factors, completed)
        self._show_optimum(ds, factors, completed)
        self.figure.title.text = _title(ds, completed, labels)

    def _show_conditions(self, ds: xr.Dataset, factors: np.ndarray, completed: int) -> None:
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

    def _show_optimum(self, ds: xr.Dataset, factors: np.ndarray, completed: int) -> None:
        optimum = float(ds.opt_scaling_factor) if "opt_scaling_factor" in ds else float("nan")
        if completed and np.isfinite(optimum):
            index = int(np.argmin(np.abs(factors - optimum)))
            self.sources["optimum"].data = {"scaling_factor": [optimum],
                                            "accuracy": [float(ds.accuracy.values[index])]}
        else:
            self.sources["optimum"].data = {"scaling_factor": [], "accuracy": []}

    def _show_perturbed(self, ds: xr.Dataset, intact: str) -> list[str]:
        """Fill the perturbed networks' sources; return their labels."""
        factors = np.asarray(ds.scaling_factor.values, dtype=np.float64)
        labels = [str(label) for label in ds.perturbation.values if str(label) != intact]
        columns: dict[str, list] = {key: [] for key in self.sources["perturbed"].data}
        lines: dict[str, list] = {"xs": [], "ys": [], "legend": [], "color": []}
        for k, label in enumerate(labels):
            one = ds.sel(perturbation=label)
            color, legend, n = PERTURBED_COLORS[k % len(PERTURBED_COLORS)], \
                f"perturbed: {label}", factors.size
            added = {"perturbation": [label] * n, "legend": [legend] * n, "color": [color] * n,
                     "scaling_factor": factors, "lam": 1.0 / factors}
            for key, name in _PERTURBED_VARIABLES.items():
                added[key] = np.asarray(one[name].values, dtype=np.float64)
            for key, column in added.items():
                columns[key].extend(np.asarray(column).tolist())
            lines["xs"].append(factors)
            lines["ys"].append(added["accuracy"])
            lines["legend"].append(legend)
            lines["color"].append(color)
        self.sources["perturbed"].data = columns
        self.sources["perturbed_lines"].data = lines
        return labels

    def _name_intact(self, perturbed: bool) -> None:
        if self.intact_item is not None:
            wanted = "intact, all trials" if perturbed else "all trials"
            if getattr(self.intact_item.label, "value", None) != wanted:
                self.intact_item.label = value(wanted)

    def select(self, index: int | None) -> None:
        """Select the point of factor number ``index`` (None clears the selection)."""
        wanted = [] if index is None else [int(index)]
        if list(self.source.selected.indices) != wanted:
            self.source.selected.indices = wanted


def plot_accuracy(ds: xr.Dataset | None = None, *, width: int = 440, height: int = 320,
                  placeholder: str = ACCURACY_PLACEHOLDER) -> AccuracyPlot:
    """Accuracy against scaling factor, with 95 % Wilson intervals and the optimum.

    Parameters
    ----------
    ds : xarray.Dataset, optional
        Result of :func:`~spikewidgets.search.lambda_grid_search` (a partial
        result works too), or of :func:`~spikewidgets.search.perturbation_search`
        (the intact network as the main curve, each perturbed network as
        another, with its change against the intact one in the hover). None
        gives an empty figure.
    width, height : int
        Size of the figure in pixels.
    placeholder : str
        Line shown in the middle of the figure while it has no data.

    Returns
    -------
    AccuracyPlot
        ``figure``; ``placeholder`` (the Label of that line); ``source`` (one
        row per factor: ``scaling_factor``, ``lam`` = 1 / factor,
        ``accuracy``, ``ci_low``, ``ci_high``, ``n_trials``, ``mean_rate`` in
        Hz, ``tied``); ``sources`` also holds ``conditions`` (one line per
        task condition), ``optimum``, ``left`` (the factors that left an
        adaptive search early, drawn grey) and, for a perturbation search,
        ``perturbed`` (one row per perturbed network and factor:
        ``perturbation``, ``scaling_factor``, ``accuracy``, ``ci_low``,
        ``ci_high``, ``change``, ``change_low``, ``change_high``,
        ``mcnemar_p``) and ``perturbed_lines``.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots import plot_accuracy
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 4, [5, 30, 80], seed=0, save=False,
    ...                            progress=False)
    >>> plot = plot_accuracy(ds, width=600)
    >>> plot.figure.title.text
    'go_nogo accuracy, 4 of 4 trials per factor'
    >>> plot.source.data["accuracy"].tolist(), plot.sources["optimum"].data["scaling_factor"]
    ([0.25, 1.0, 0.5], [30.0])
    """
    source = ColumnDataSource(
        {"scaling_factor": [], "lam": [], "accuracy": [], "ci_low": [], "ci_high": [],
         "n_trials": [], "mean_rate": [], "tied": []},
        name="accuracy",
    )
    conditions = ColumnDataSource({"xs": [], "ys": [], "condition": [], "color": []},
                                  name="condition_accuracy")
    optimum = ColumnDataSource({"scaling_factor": [], "accuracy": []}, name="optimum")
    left = ColumnDataSource({"scaling_factor": [], "accuracy": [], "n_trials": [], "reason": []},
                            name="left_early")
    fig = new_figure("accuracy_figure", "accuracy against scaling factor", width, height,
                     x_axis_label="scaling factor (weights ÷ factor; λ = 1/factor)",
                     y_axis_label="fraction of trials correct", y_range=Range1d(-0.02, 1.05))
    fig.multi_line(xs="xs", ys="ys", color="color", source=conditions, line_width=2,
                   line_alpha=0.85, line_dash="dashed", legend_field="condition")
    fig.add_layout(Whisker(source=source, base="scaling_factor", lower="ci_low",
                           upper="ci_high", line_color=SPIKING_COLOR, line_alpha=0.6))
    # The curve stays as it is when a point is selected (only the points show the selection).
    fig.line("scaling_factor", "accuracy", source=source, color=SPIKING_COLOR, line_width=2,
             nonselection_line_alpha=1.0, nonselection_line_color=SPIKING_COLOR)
    points = fig.scatter("scaling_factor", "accuracy", source=source, size=10,
                         color=SPIKING_COLOR, selection_color="#2ca02c",
                         nonselection_alpha=0.5, legend_label="all trials")
    left_points = fig.scatter("scaling_factor", "accuracy", source=left, size=10,
                              color=LEFT_COLOR, legend_label="left the adaptive search early")
    perturbed, perturbed_lines, markers = _perturbed_curves(fig)
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
    fig.add_tools(HoverTool(renderers=[left_points], tooltips=[
        ("scaling factor", "@scaling_factor{0.[00]}"),
        ("accuracy", "@accuracy{0.0%} over @n_trials trials"),
        ("", "@reason"),
    ]))
    fig.add_tools(_perturbed_hover(markers))
    fig.add_tools(TapTool(renderers=[points]))
    legend_below(fig)
    item = next(item for item in fig.legend[0].items if points in item.renderers)
    left_item = next(item for item in fig.legend[0].items if left_points in item.renderers)
    left_item.visible = False
    plot = AccuracyPlot(fig, {"accuracy": source, "conditions": conditions, "optimum": optimum,
                              "left": left, "perturbed": perturbed,
                              "perturbed_lines": perturbed_lines},
                        source=source, intact_item=item, left_item=left_item,
                        **add_placeholder(fig, placeholder, (0, 100), (0, 1)))
    if ds is not None:
        plot.update(ds)
    return plot


def _title(ds: xr.Dataset, completed: int, labels: list[str]) -> str:
    """The title of a (partial) search: task, networks, trials, and an adaptive search's cost."""
    task = ds.attrs.get("task", "")
    if not task:
        return "accuracy against scaling factor"
    total = int(ds.attrs.get("n_trials", completed))
    networks = f", intact and {', '.join(labels)}" if labels else ""
    if "adaptive_simulations" in ds.attrs:
        return (f"{task} accuracy, {str(ds.attrs['adaptive']).replace('_', ' ')}: "
                f"{ds.attrs['adaptive_simulations']} of {ds.attrs['full_grid_simulations']} "
                "simulations")
    return f"{task} accuracy{networks}, {completed} of {plural(total, 'trial')} per factor"


def _perturbed_curves(fig: figure) -> tuple[ColumnDataSource, ColumnDataSource, GlyphRenderer]:
    """The glyphs of perturbed networks: lines, whiskers, square markers."""
    perturbed = ColumnDataSource(
        {key: [] for key in ("perturbation", "legend", "scaling_factor", "lam", "accuracy",
                             "ci_low", "ci_high", "change", "change_low", "change_high",
                             "mcnemar_p", "color")}, name="perturbed_accuracy")
    lines = ColumnDataSource({"xs": [], "ys": [], "legend": [], "color": []},
                             name="perturbed_accuracy_lines")
    fig.multi_line(xs="xs", ys="ys", color="color", source=lines, line_width=2,
                   legend_field="legend")
    fig.add_layout(Whisker(source=perturbed, base="scaling_factor", lower="ci_low",
                           upper="ci_high", line_color="color", line_alpha=0.6))
    markers = fig.scatter("scaling_factor", "accuracy", source=perturbed, marker="square",
                          size=9, color="color")
    return perturbed, lines, markers


def _perturbed_hover(markers: GlyphRenderer) -> HoverTool:
    """What hovering over a perturbed network's point says."""
    return HoverTool(renderers=[markers], tooltips=[
        ("network", "@perturbation"),
        ("scaling factor", "@scaling_factor{0.[00]}"),
        ("accuracy", "@accuracy{0.0%} (95 % CI @ci_low{0.0%} – @ci_high{0.0%})"),
        ("change vs intact", "@change{+0.0%} (95 % CI @change_low{+0.0%} – "
                             "@change_high{+0.0%})"),
        ("McNemar p", "@mcnemar_p{0.[0000]}"),
    ])
