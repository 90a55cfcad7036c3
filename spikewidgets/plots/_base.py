"""What every figure of :mod:`spikewidgets.plots` shares: colours, the figure, the empty state.

:class:`Plot` is the base of the objects the builders return. An empty
figure shows its axes, its legend and one line saying what will appear in it
(:func:`add_placeholder`); ``update`` hides that line when data arrives.
:func:`plural` writes counts in words ("1 trial", "12 trials") for the
titles of every figure and the texts of the panel.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field

import bokeh.models
from bokeh.models import ColumnDataSource, GlyphRenderer, Label, Node, Title
from bokeh.plotting import figure

__all__ = [
    "ACCURACY_PLACEHOLDER",
    "EFFECTS_PLACEHOLDER",
    "EXC_COLOR",
    "INH_COLOR",
    "MAX_TRACE_POINTS",
    "OUTPUT_PLACEHOLDER",
    "PERTURBATION_PLACEHOLDER",
    "RASTER_PLACEHOLDER",
    "RATES_PLACEHOLDER",
    "RATE_COLOR",
    "SPIKING_COLOR",
    "TRIAL_PLACEHOLDER",
    "Plot",
    "add_caption",
    "add_legend_keys",
    "add_placeholder",
    "legend_below",
    "new_figure",
    "plural",
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
#: How the empty figures of one trial begin to say what will appear in them.
TRIAL_PLACEHOLDER = "Click a point of the accuracy plot to see one trial here"
#: What the empty readout figure says will appear in it.
OUTPUT_PLACEHOLDER = (f"{TRIAL_PLACEHOLDER}: its readout in the spiking and in the rate "
                      "network")
#: What the empty spike raster says will appear in it.
RASTER_PLACEHOLDER = f"{TRIAL_PLACEHOLDER}: its spikes, one row per unit"
#: What the empty firing-rate histogram says will appear in it.
RATES_PLACEHOLDER = f"{TRIAL_PLACEHOLDER}: how many units fire at each mean rate"
#: What the empty sweep of a perturbation search says will appear in it.
PERTURBATION_PLACEHOLDER = ("Run perturbation_search: the accuracy of each perturbed network "
                            "against the strength of its perturbation appears here")
#: What the empty bars of a perturbation search say will appear in them.
EFFECTS_PLACEHOLDER = ("Run perturbation_search: one bar per perturbation, its effect on "
                       "accuracy, appears here")
#: Columns of glyphs that take one list per row (their legend keys need a list of NaN).
_LIST_COLUMNS = ("xs", "ys")


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``count`` and ``noun``, in the plural unless ``count`` is 1.

    Parameters
    ----------
    count : int
        How many.
    noun : str
        The noun in the singular.
    nouns : str, optional
        The plural (default: ``noun + "s"``).

    Returns
    -------
    str

    Examples
    --------
    >>> from spikewidgets.plots._base import plural
    >>> plural(1, "trial"), plural(12, "scaling factor"), plural(0, "unit")
    ('1 trial', '12 scaling factors', '0 units')
    >>> plural(2, "analysis", "analyses")
    '2 analyses'
    """
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


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

    Examples
    --------
    >>> from spikewidgets.plots._base import new_figure
    >>> fig = new_figure("demo", "a demo", 300, 200, x_axis_label="time (s)")
    >>> fig.name, fig.title.text, fig.xaxis.axis_label, fig.toolbar.logo
    ('demo', 'a demo', 'time (s)', None)
    """
    fig = figure(width=width, height=height, tools=_TOOLS, title=title, name=name,
                 toolbar_location="right", **kwargs)
    fig.toolbar.logo = None
    fig.toolbar.autohide = True
    fig.title.text_font_size = "10pt"
    return fig


def _legend_width(legend: object) -> float:
    """Pixels the items of a horizontal legend take, guessed from their labels (8 pt).

    8 pt text averages up to about 6.5 px a character in the sans-serif fonts a
    browser falls back to on Linux (DejaVu Sans is the widest); each item adds
    its glyph and the spacing.
    """
    pixels = 0.0
    for item in legend.items:  # type: ignore[attr-defined]
        if hasattr(item.label, "value"):
            pixels += len(str(item.label.value)) * 6.5 + 26
        else:  # labels taken from a column: usually two, as "go" and "nogo", or two thresholds
            pixels += 2 * (12 * 6.5 + 26)
    return pixels


def legend_below(fig: figure) -> None:
    """Put the legend under the figure, in as many rows as its items need; a click hides an item.

    Examples
    --------
    >>> from spikewidgets.plots._base import legend_below, new_figure
    >>> fig = new_figure("demo", "two lines", 300, 200)
    >>> for label in ("spiking network", "rate network"):
    ...     _ = fig.line([0, 1], [0, 1], legend_label=label)
    >>> legend_below(fig)
    >>> fig.legend[0] in fig.below, fig.legend[0].orientation
    (True, 'horizontal')
    """
    legend = fig.legend[0]
    legend.orientation = "horizontal"
    rows = math.ceil(_legend_width(legend) / max(fig.width - 40, 1))
    if rows > 1:
        legend.nrows = rows
    legend.label_text_font_size = "8pt"
    legend.spacing = 4
    legend.padding = 2
    legend.margin = 0
    legend.border_line_alpha = 0
    legend.click_policy = "hide"
    fig.center = [item for item in fig.center if item is not legend]
    fig.add_layout(legend, "below")


def wrap_text(text: str, pixels: int, char_width: float = 6.2) -> str:
    """``text`` in as few balanced lines as fit in ``pixels`` (``char_width`` pixels a character).

    The default width suits 9.5 pt italic text.

    Examples
    --------
    >>> from spikewidgets.plots._base import wrap_text
    >>> wrap_text("short enough", 300)
    'short enough'
    >>> print(wrap_text("one sentence that is too long for a narrow figure", 200))
    one sentence that is too
    long for a narrow figure
    """
    lines = math.ceil(len(text) * char_width / max(pixels, 1))
    if lines <= 1:
        return text
    return "\n".join(textwrap.wrap(text, width=math.ceil(len(text) / lines) + 3))


def add_legend_keys(fig: figure) -> list[bokeh.models.GlyphRenderer]:
    """Give each legend item with a fixed label a swatch that shows before any data.

    BokehJS draws an item's swatch only from a glyph that has data, so the
    legend of an empty figure would be bare words. For each item labelled
    with a fixed text (not from a column), a copy of its glyph with one row
    of NaN, drawn nowhere, joins the item's renderers (named
    ``"legend_key"``): the swatch shows while the figure is empty, and a
    click on the item still hides the real glyph.

    Parameters
    ----------
    fig : bokeh.plotting.figure
        A figure with a legend (a figure without one is left alone).

    Returns
    -------
    list of GlyphRenderer
        The keys added.

    Examples
    --------
    >>> from bokeh.models import ColumnDataSource
    >>> from spikewidgets.plots._base import add_legend_keys, new_figure
    >>> fig = new_figure("demo", "empty", 300, 200)
    >>> line = fig.line("x", "y", source=ColumnDataSource({"x": [], "y": []}),
    ...                 legend_label="readout")
    >>> (key,) = add_legend_keys(fig)
    >>> key.name, key.data_source.data["x"], fig.legend[0].items[0].renderers == [line, key]
    ('legend_key', [nan], True)
    """
    keys = []
    for legend in fig.legend:
        for item in legend.items:
            if not hasattr(item.label, "value") or not item.renderers:
                continue
            renderer = item.renderers[0]
            columns = {name: [[math.nan]] if name in _LIST_COLUMNS else [math.nan]
                       for name in renderer.data_source.column_names}
            key = GlyphRenderer(data_source=ColumnDataSource(columns),
                                glyph=renderer.glyph.clone(), name="legend_key")
            fig.renderers.append(key)
            item.renderers = [*item.renderers, key]
            keys.append(key)
    return keys


def add_placeholder(fig: figure, text: str, x: tuple[float, float],
                    y: tuple[float, float]) -> dict[str, object]:
    """What an empty figure shows: a grey line of text in the middle, axes, a legend with swatches.

    Axes with automatic ranges have nothing to span without data, and Bokeh
    then draws no axes at all: an invisible two-point glyph (the "extent")
    spans ``x`` and ``y`` while the figure is empty. The legend gets its
    swatches from :func:`add_legend_keys`.

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

    Examples
    --------
    >>> from spikewidgets.plots._base import Plot, add_placeholder, new_figure
    >>> fig = new_figure("demo", "demo", 300, 200)
    >>> plot = Plot(fig, **add_placeholder(fig, "Data appears here", (0, 1), (0, 10)))
    >>> plot.placeholder.text, plot.placeholder.visible, plot.extent.data["y"]
    ('Data appears here', True, [0, 10])
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
    add_legend_keys(fig)
    return {"placeholder": label, "extent": extent, "extent_data": extent_data}


def add_caption(fig: figure, text: str) -> bokeh.models.Title:
    """A short caption in small grey italics under the figure (under its legend, if below).

    Parameters
    ----------
    fig : bokeh.plotting.figure
        The figure.
    text : str
        The caption (wrapped to the figure's width).

    Returns
    -------
    bokeh.models.Title
        The caption, named ``"<figure name>_caption"``; set its ``visible`` to hide it.

    Examples
    --------
    >>> from spikewidgets.plots._base import add_caption, new_figure
    >>> fig = new_figure("demo", "demo", 300, 200)
    >>> caption = add_caption(fig, "Grey: the task input.")
    >>> caption.name, caption in fig.below
    ('demo_caption', True)
    """
    # The caption starts under the frame (about 50 pixels in): 8 pt italic, about 5.6
    # pixels a character.
    caption = Title(text=wrap_text(text, fig.width - 70, char_width=5.6), align="left",
                    text_font_size="8pt", text_font_style="italic", text_color="#555555",
                    text_line_height=1.1, name=f"{fig.name}_caption")
    fig.add_layout(caption, "below")
    return caption


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

    Examples
    --------
    >>> from bokeh.models import ColumnDataSource
    >>> from spikewidgets.plots._base import Plot, add_placeholder, new_figure
    >>> fig = new_figure("demo", "demo", 300, 200)
    >>> source = ColumnDataSource({"x": [1.0], "y": [2.0]})
    >>> plot = Plot(fig, {"points": source}, **add_placeholder(fig, "Points appear here",
    ...                                                        (0, 1), (0, 1)))
    >>> plot.show_placeholder(False)  # what update does when data arrives
    >>> plot.placeholder.visible, plot.extent.data["x"]
    (False, [])
    >>> plot.clear()
    >>> plot.placeholder.visible, source.data["x"]
    (True, [])
    >>> plot.say("Press Run first")
    >>> plot.placeholder.text
    'Press Run first'
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

    def say(self, text: str) -> None:
        """Change what the empty figure says will appear (wrapped to the figure's width)."""
        if self.placeholder is not None:
            wrapped = wrap_text(text, self.figure.width - 90)
            if self.placeholder.text != wrapped:
                self.placeholder.text = wrapped
