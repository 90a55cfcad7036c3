"""What both figures of a perturbation search share: tooltips, the axis of changes, the title."""

from __future__ import annotations

import numpy as np
import xarray as xr

from spikewidgets.plots._base import SPIKING_COLOR, plural

__all__ = [
    "CHANGE_LABEL",
    "EMPTY_CHANGE_SPAN",
    "INTACT_COLOR",
    "TOOLTIPS",
    "change_span",
    "figure_title",
    "shown_values",
]

#: Colour of the intact network's reference line.
INTACT_COLOR = SPIKING_COLOR
#: What an axis of changes spans without data.
EMPTY_CHANGE_SPAN = (-0.5, 0.5)
#: The label of an axis of changes in accuracy.
CHANGE_LABEL = "change in accuracy vs intact (same trials)"
#: What the hover tool shows of a perturbation.
TOOLTIPS = [
    ("perturbation", "@label"),
    ("strength", "@strength{0.[000]}"),
    ("accuracy", "@accuracy{0.0%} (95 % CI @accuracy_low{0.0%} – @accuracy_high{0.0%})"),
    ("change", "@change{+0.0%} (95 % CI @change_low{+0.0%} – @change_high{+0.0%})"),
    ("trials gained / lost", "@gained / @lost"),
    ("McNemar p", "@mcnemar_p{0.[0000]}"),
]


def figure_title(ds: xr.Dataset, factor: float) -> str:
    """``"go_nogo at scaling factor 30: 2 of 4 trials"``: the task, the factor, the trials run."""
    completed = int(ds.sizes.get("trial", 0))
    total = ds.attrs.get("n_trials", completed)
    task = ds.attrs.get("task", "")
    return (f"{task} at scaling factor {factor:g}: {completed} of "
            f"{plural(int(total), 'trial')}").strip()


def change_span(*arrays: np.ndarray) -> tuple[float, float]:
    """An axis range holding 0 and every finite value of ``arrays`` (whiskers included).

    Bokeh's automatic ranges ignore annotations such as whiskers, so axes of
    changes get their range from here.
    """
    values = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays] + [[0.0]])
    values = values[np.isfinite(values)]
    low, high = float(values.min()), float(values.max())
    pad = max(high - low, 0.1) * 0.06
    return low - pad, high + pad


def shown_values(columns: dict[str, np.ndarray], change: bool) -> tuple[np.ndarray, ...]:
    """The value drawn and its interval: the change against the intact network, or the accuracy."""
    if change:
        return columns["change"], columns["change_low"], columns["change_high"]
    return columns["accuracy"], columns["accuracy_low"], columns["accuracy_high"]
