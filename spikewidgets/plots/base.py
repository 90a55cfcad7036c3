"""What every figure of :mod:`spikewidgets.plots` shares: colours, the figure, the empty state.

:class:`Plot` is the base of the objects the builders return. An empty
figure shows its axes and one line saying what will appear in it
(:func:`add_placeholder`); ``update`` hides that line when data arrives.
"""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import dataclass, field

import xarray as xr
from bokeh.models import ColumnDataSource, Label, Node
from bokeh.plotting import figure

__all__ = [
    "ACCURACY_PLACEHOLDER",
    "EXC_COLOR",
    "INH_COLOR",
    "MAX_TRACE_POINTS",
    "PERTURBATION_PLACEHOLDER",
    "RATE_COLOR",
    "SPIKING_COLOR",
    "TRIAL_PLACEHOLDER",
    "Plot",
    "add_placeholder",
    "check_dataset",
    "dataset_settings",
    "legend_below",
    "new_figure",
    "trial_title",
    "wrap_text",
]

#: Colour of excitatory units (red, as in the figures of Kim, Li & Sejnowski 2019).
EXC_COLOR = "#d62728"
#: Colour of inhibitory units (blue).
INH_COLOR = "#1f77b4"
#: Colour of the spiking readout and of the accuracy curve.
SPIKING_COLOR = "#222222"
#: Colour of the rate network's output.
RATE_COLOR = "#ff7f0e"
#: Most samples sent to the browser for one trace.
MAX_TRACE_POINTS = 4000

_TOOLS = "pan,box_zoom,wheel_zoom,reset,save"

#: What the empty accuracy figure says will appear in it.
ACCURACY_PLACEHOLDER = "Press Run: accuracy for each scaling factor appears here"
#: What the empty figures of one trial say will appear in them.
TRIAL_PLACEHOLDER = "Click a point of the accuracy plot to see one trial here"
#: What the empty figures of a perturbation search say will appear in them.
PERTURBATION_PLACEHOLDER = ("Run perturbation_search: the accuracy of each perturbed network "
                            "appears here")


def new_figure(name: str, title: str, width: int, height: int, **kwargs: object) -> figure:
    """A Bokeh figure in the style of the package: pan and zoom tools, no logo, 10 pt title.

    Parameters
    ----------
    name : str
        The figure's ``name`` (what browser tests look it up by).
    title : str
        Its title.
    width, height : int
        Size in pixels.
    **kwargs
        Passed to :func:`bokeh.plotting.figure` (axis labels, ranges).

    Returns
    -------
    bokeh.plotting.figure
    """
    fig = figure(width=width, height=height, tools=_TOOLS, title=title, name=name,
                 toolbar_location="right", **kwargs)
    fig.toolbar.logo = None
    fig.toolbar.autohide = True
    fig.title.text_font_size = "10pt"
    return fig


def legend_below(fig: figure) -> None:
    """Put the legend in one row under the figure (two rows when a long one would not fit)."""
    legend = fig.legend[0]
    legend.orientation = "horizontal"
    # Labels taken from a column are guessed at 15 characters (they can be several).
    chars = sum(len(str(item.label.value)) if hasattr(item.label, "value") else 15
                for item in legend.items)
    if chars * 5 + 22 * len(legend.items) > fig.width - 40:
        legend.nrows = 2
    legend.label_text_font_size = "8pt"
    legend.spacing = 4
    legend.padding = 2
    legend.margin = 0
    legend.border_line_alpha = 0
    legend.click_policy = "hide"
    fig.center = [item for item in fig.center if item is not legend]
    fig.add_layout(legend, "below")


def wrap_text(text: str, pixels: int, char_width: float = 6.2) -> str:
    """``text`` in as few balanced lines as fit in ``pixels`` (9.5 pt italic)."""
    lines = math.ceil(len(text) * char_width / max(pixels, 1))
    if lines <= 1:
        return text
    return "\n".join(textwrap.wrap(text, width=math.ceil(len(text) / lines) + 3))


def add_placeholder(fig: figure, text: str, x: tuple[float, float],
                    y: tuple[float, float]) -> dict[str, object]:
    """What an empty figure shows: a grey line of text in the middle, and axes from x and y.

    Axes with automatic ranges have nothing to span without data, and Bokeh
    then draws no axes at all: an invisible two-point glyph (the "extent")
    spans ``x`` and ``y`` while the figure is empty.

    Parameters
    ----------
    fig : bokeh.plotting.figure
        The figure.
    text : str
        What will appear there (wrapped to the figure's width).
    x, y : (float, float)
        What the empty axes span.

    Returns
    -------
    dict
        ``placeholder`` (the Label), ``extent`` (its source) and
        ``extent_data``: the keyword arguments of :class:`Plot`.
    """
    label = Label(x=Node.frame.center, y=Node.frame.center, text=wrap_text(text, fig.width - 90),
                  text_align="center", text_baseline="middle", text_color="#666666",
                  text_font_size="9.5pt",
                  text_font_style="italic", background_fill_color="#ffffff",
                  background_fill_alpha=0.85, padding=4, name=f"{fig.name}_placeholder")
    fig.add_layout(label)
    extent_data = {"x": list(x), "y": list(y)}
    extent = ColumnDataSource(dict(extent_data), name=f"{fig.name}_extent")
    fig.scatter("x", "y", source=extent, size=1, alpha=0, name="extent")
    return {"placeholder": label, "extent": extent, "extent_data": extent_data}


def check_dataset(ds: object, name: str, needed: tuple[str, ...],
                  made_by: str | None = None) -> None:
    """Raise if ``ds`` is not a Dataset holding the variables ``needed`` (``name`` is the argument).

    Parameters
    ----------
    ds : object
        What was passed.
    name : str
        The argument's name, for the message.
    needed : tuple of str
        Variables (or coordinates) ``ds`` must hold.
    made_by : str, optional
        The function whose Dataset is expected, for the message (default:
        ``lambda_grid_search`` for ``ds``, ``simulate`` otherwise).

    Raises
    ------
    TypeError
        If ``ds`` is not an xarray.Dataset.
    ValueError
        If variables are missing (in words).
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"{name} is {type(ds).__name__}, expected an xarray.Dataset")
    missing = [key for key in needed if key not in ds.variables]
    if missing:
        made_by = made_by or ("lambda_grid_search" if name == "ds" else "simulate")
        raise ValueError(
            f"{name} has no variable(s) {', '.join(missing)}; expected the Dataset returned "
            f"by {made_by}"
        )


def dataset_settings(ds: xr.Dataset) -> dict[str, float]:
    """The task settings stored in ``ds.attrs["task_settings"]`` (JSON), or {}."""
    text = ds.attrs.get("task_settings")
    return json.loads(text) if isinstance(text, str) and text else {}


@dataclass
class Plot:
    """A figure and its sources; subclasses add ``source`` and ``update``.

    Attributes
    ----------
    figure : bokeh.plotting.figure
        The figure (never rebuilt).
    sources : dict of ColumnDataSource
        Every source drawn, by name.
    placeholder : bokeh.models.Label or None
        The line shown while the figure is empty.
    extent, extent_data
        Invisible points that span the empty figure's axes, and their values.
    """

    figure: object
    sources: dict[str, ColumnDataSource] = field(default_factory=dict)
    #: The line shown in the empty figure (hidden while the figure shows data).
    placeholder: Label | None = None
    #: Invisible points that give the empty figure's axes a range.
    extent: ColumnDataSource | None = None
    extent_data: dict = field(default_factory=dict)

    def clear(self) -> None:
        """Empty every source (keeping its columns) and show the placeholder line."""
        for source in self.sources.values():
            source.data = {key: [] for key in source.data}
        self.show_placeholder(True)

    def show_placeholder(self, shown: bool) -> None:
        """Show (for an empty figure) or hide the placeholder line and the extent."""
        if self.placeholder is not None and self.placeholder.visible != shown:
            self.placeholder.visible = shown
        if self.extent is not None:
            wanted = self.extent_data if shown else {key: [] for key in self.extent_data}
            if dict(self.extent.data) != wanted:
                self.extent.data = dict(wanted)


def trial_title(prefix: str, sim: xr.Dataset) -> str:
    """``"prefix, scaling factor 30, trial 2, go correct"`` from a simulated trial's attrs.

    A trial of a perturbed network ends with ``", perturbed: LABEL"``.
    """
    parts = [prefix]
    if "scaling_factor" in sim.attrs:
        parts.append(f"scaling factor {sim.attrs['scaling_factor']:g}")
    if "trial" in sim.attrs:
        parts.append(f"trial {sim.attrs['trial']}")
    if "condition" in sim.attrs:
        verdict = {1: "correct", 0: "wrong"}.get(sim.attrs.get("correct"), "")
        parts.append(f"{sim.attrs['condition']} {verdict}".strip())
    if sim.attrs.get("perturbation") not in (None, "none"):
        parts.append(f"perturbed: {sim.attrs['perturbation']}")
    return ", ".join(parts)

