"""The accuracy of a search against the scaling factor."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from bokeh.models import ColumnDataSource, HoverTool, Range1d, Whisker
from bokeh.palettes import Category10_10

from .base import (
    ACCURACY_PLACEHOLDER,
    SPIKING_COLOR,
    Plot,
    add_placeholder,
    check_dataset,
    legend_below,
    new_figure,
)

__all__ = ["AccuracyPlot", "plot_accuracy"]

#: Colours of the per-condition accuracy lines (neither red nor blue).
_CONDITION_COLORS = tuple(Category10_10[k] for k in (2, 4, 5, 9, 6, 8, 1, 7))


@dataclass
class AccuracyPlot(Plot):
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
        check_dataset(ds, "ds", ("accuracy", "accuracy_ci_low", "accuracy_ci_high"))
        self.show_placeholder(False)
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


def plot_accuracy(ds: xr.Dataset | None = None, *, width: int = 440, height: int = 320,
                  placeholder: str = ACCURACY_PLACEHOLDER) -> AccuracyPlot:
    """Accuracy against scaling factor, with 95 % Wilson intervals and the optimum.

    Parameters
    ----------
    ds : xarray.Dataset, optional
        Result of :func:`~spikewidgets.search.lambda_grid_search` (a partial
        result works too). None gives an empty figure.
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
        task condition) and ``optimum``.
    """
    source = ColumnDataSource(
        {"scaling_factor": [], "lam": [], "accuracy": [], "ci_low": [], "ci_high": [],
         "n_trials": [], "mean_rate": [], "tied": []},
        name="accuracy",
    )
    conditions = ColumnDataSource({"xs": [], "ys": [], "condition": [], "color": []},
                                  name="condition_accuracy")
    optimum = ColumnDataSource({"scaling_factor": [], "accuracy": []}, name="optimum")
    fig = new_figure("accuracy_figure", "accuracy", width, height,
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
    legend_below(fig)
    plot = AccuracyPlot(fig, {"accuracy": source, "conditions": conditions, "optimum": optimum},
                        source=source, **add_placeholder(fig, placeholder, (0, 100), (0, 1)))
    if ds is not None:
        plot.update(ds)
    return plot
