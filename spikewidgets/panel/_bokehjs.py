"""Loading BokehJS into the notebook page from the kernel, with no CDN, and showing figures.

``jupyter_bokeh.BokehModel`` needs BokehJS in the page before its view is
created, and its JupyterLab extension does not ship BokehJS.
``bokeh.io.output_notebook(INLINE)`` would put about 4 MB of JavaScript into
the outputs of every saved notebook. Instead, the core BokehJS bundle
(``bokeh.min.js``, about 1.3 MB; the panel needs none of the widget, table,
WebGL or MathJax bundles) is placed in the *state* of an
``ipywidgets.Output`` widget. The page receives it through the widget comm
and runs it once; the notebook file only holds a small widget-view reference
(JupyterLab does not save widget state unless asked to).

Widget views are created asynchronously, so a ``BokehModel`` view may be
created before BokehJS has run. A :class:`FigurePane` therefore adds its Bokeh
views only after a hidden button has been clicked by a small script that
waits for BokehJS: :class:`BokehJSGate`.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Sequence

import bokeh
import ipywidgets as widgets
import traitlets
from bokeh.resources import Resources

from spikewidgets.panel._common import Part, share

__all__ = [
    "BokehJSGate",
    "FigurePane",
    "bokehjs_loader",
    "figure_widget",
    "setup_notebook",
]

_LOADER: widgets.Output | None = None


def _bundle() -> str:
    parts = Resources(mode="inline", components=["bokeh"]).js_raw
    # The last part only sets the log level: keep BokehJS's default.
    return "\n".join(part for part in parts if not part.startswith("Bokeh.set_log_level"))


def _loader_script() -> str:
    version = json.dumps(bokeh.__version__)
    return (
        "(function () {\n"
        f"  var version = {version};\n"
        "  var B = window.Bokeh;\n"
        "  var loaded = B !== undefined && (B.version === version ||\n"
        "    (B.versions !== undefined && B.versions.has && B.versions.has(version)));\n"
        "  if (loaded || window.__spikewidgets_bokehjs === version) { return; }\n"
        "  window.__spikewidgets_bokehjs = version;\n"
        "  var script = document.createElement('script');\n"
        f"  script.textContent = {json.dumps(_bundle())};\n"
        "  document.head.appendChild(script);\n"
        "})();\n"
    )


def _javascript_output(code: str) -> dict:
    return {"output_type": "display_data", "data": {"application/javascript": code,
                                                    "text/plain": ""}, "metadata": {}}


def bokehjs_loader() -> widgets.Output:
    """The (hidden) Output widget that loads BokehJS into every page that shows it.

    One instance per kernel: its state goes through the comm once, and each
    of its views runs the script, which loads BokehJS only if the page does
    not have this version yet.

    Returns
    -------
    ipywidgets.Output
        The loader (CSS class ``spw-bokehjs-loader``).

    Examples
    --------
    >>> import bokeh
    >>> from spikewidgets.panel._bokehjs import bokehjs_loader
    >>> loader = bokehjs_loader()
    >>> loader is bokehjs_loader()  # one per kernel
    True
    >>> script = loader.outputs[0]["data"]["application/javascript"]
    >>> f'"{bokeh.__version__}"' in script, len(script) > 1_000_000
    (True, True)
    """
    global _LOADER
    if _LOADER is None or _LOADER.comm is None:  # none yet, or closed
        loader = widgets.Output(layout=widgets.Layout(display="none"))
        loader.outputs = (_javascript_output(_loader_script()),)
        loader.add_class("spw-bokehjs-loader")
        _LOADER = loader
        share("BokehJS loader", loader)
    return _LOADER


def setup_notebook() -> None:
    """Load BokehJS into the notebook page, without a CDN and without bloating the file.

    :class:`~spikewidgets.panel.SearchPanel`, its parts and
    :func:`figure_widget` do this by themselves. Call it in a cell before
    showing a Bokeh figure through ``jupyter_bokeh.BokehModel`` directly
    (``bokeh.io.show`` needs ``bokeh.io.output_notebook`` instead). Such a
    BokehModel relies on the loader's view being created before its own,
    which JupyterLab does (also in one cell and after a page reload) without
    promising it; :func:`figure_widget` does not rely on it.

    Examples
    --------
    Outside a notebook, ``display`` prints the loader widget's text:

    >>> from spikewidgets.panel import setup_notebook
    >>> setup_notebook()  # doctest: +ELLIPSIS
    Output(layout=Layout(display='none'), outputs=...)
    """
    from IPython.display import display

    display(bokehjs_loader())


class BokehJSGate(Part, widgets.Box):
    """A hidden widget that calls back each time a page that shows it has BokehJS.

    It holds the shared loader, a hidden button, and a small script that
    clicks the button once BokehJS of the kernel's Bokeh version is in the
    page (each view clicks once). Without a browser nothing clicks; call
    :meth:`mark_ready` to do what a click does.

    Parameters
    ----------
    on_ready : callable, optional
        Called with no argument on each click (more with :meth:`on_ready`).

    Attributes
    ----------
    ready_count : int (trait)
        Clicks so far (one per page view that got BokehJS).

    Examples
    --------
    >>> from spikewidgets.panel._bokehjs import BokehJSGate
    >>> shown = []
    >>> gate = BokehJSGate(lambda: shown.append("figures"))
    >>> gate.mark_ready()  # what the page's script does once BokehJS is in
    >>> gate.ready_count, shown
    (1, ['figures'])
    """

    ready_count = traitlets.Int(0)

    def __init__(self, on_ready: Callable[[], None] | None = None, **kwargs: object) -> None:
        super().__init__(layout=widgets.Layout(display="none"), **kwargs)
        token = uuid.uuid4().hex
        self._callbacks = widgets.CallbackDispatcher()
        if on_ready is not None:
            self.on_ready(on_ready)
        self.button = widgets.Button(description="BokehJS ready",
                                     layout=widgets.Layout(display="none"))
        self.button.add_class(f"spw-ready-{token}")
        self.button.on_click(lambda _button: self.mark_ready())
        waiter = widgets.Output(layout=widgets.Layout(display="none"))
        waiter.outputs = (_javascript_output(self.waiter_script(token)),)
        self.children = (bokehjs_loader(), waiter, self.button)

    def on_ready(self, callback: Callable[[], None], remove: bool = False) -> None:
        """Register (or with ``remove``, unregister) a callback run when BokehJS is ready."""
        self._callbacks.register_callback(callback, remove=remove)

    @staticmethod
    def waiter_script(token: str) -> str:
        """The script that clicks the button of class ``spw-ready-TOKEN`` once BokehJS is in."""
        version = json.dumps(bokeh.__version__)
        return (
            "(function () {\n"
            f"  var version = {version}, selector = '.spw-ready-{token}', tries = 0;\n"
            "  function ready() {\n"
            "    var B = window.Bokeh;\n"
            "    return B !== undefined && B.require !== undefined && (B.version === version ||\n"
            "      (B.versions !== undefined && B.versions.has && B.versions.has(version)));\n"
            "  }\n"
            "  function tick() {\n"
            "    if (ready()) {\n"
            "      var found = document.querySelectorAll(selector + ':not([data-spw-clicked])');\n"
            "      if (found.length) {\n"
            "        found.forEach(function (b) { b.setAttribute('data-spw-clicked', '1');\n"
            "                                     b.click(); });\n"
            "        return;\n"
            "      }\n"
            "    }\n"
            "    if (++tries < 600) { setTimeout(tick, 50); }\n"
            "  }\n"
            "  tick();\n"
            "})();\n"
        )

    def mark_ready(self) -> None:
        """Do what a click on the hidden button does: count it and run the callbacks."""
        self.ready_count += 1
        self._callbacks()


class FigurePane(Part, widgets.VBox):
    """Bokeh figures shown through ``jupyter_bokeh``, once the page has BokehJS.

    Until then it shows a one-line "loading" note. Changes to the figures'
    sources reach the page, as with ``jupyter_bokeh.BokehModel``.

    Parameters
    ----------
    figures : sequence of bokeh.models.LayoutDOM
        Figures (or layouts) to show, in order.
    columns : int, optional
        Columns of the grid of several figures (default: all in one row,
        wrapping when the page is narrow).
    loading : str
        The note shown until BokehJS is in the page.
    lock : threading.RLock, optional
        Held while the figures are serialized for the page (pass the lock
        under which other threads change them).

    Attributes
    ----------
    ready : bool (trait)
        Whether the figures are in the page.
    bokeh_models : tuple of jupyter_bokeh.BokehModel
        One widget per figure.
    area : ipywidgets.Box
        Holds the note, then the figures.
    gate : BokehJSGate
        Says when the page has BokehJS.

    Examples
    --------
    >>> from spikewidgets.panel._bokehjs import FigurePane
    >>> from spikewidgets.plots import plot_raster, plot_rates
    >>> pane = FigurePane([plot_raster().figure, plot_rates().figure], columns=2)
    >>> pane.ready, pane.area.children[0].value
    (False, '<i>Loading the plots (BokehJS)…</i>')
    >>> pane.gate.mark_ready()  # what the page does once it has BokehJS
    >>> pane.ready, pane.area.children == (pane.content,)
    (True, True)
    """

    ready = traitlets.Bool(False)

    def __init__(self, figures: Sequence[object], *, columns: int | None = None,
                 loading: str = "Loading the plots (BokehJS)…",
                 lock: threading.RLock | None = None, **kwargs: object) -> None:
        from jupyter_bokeh import BokehModel

        super().__init__(**kwargs)
        self.figures = tuple(figures)
        self.bokeh_models = tuple(BokehModel(figure) for figure in self.figures)
        self._lock = lock if lock is not None else threading.RLock()
        if len(self.bokeh_models) == 1:
            self.content: widgets.Widget = self.bokeh_models[0]
        elif columns:
            self.content = widgets.GridBox(
                list(self.bokeh_models), layout=widgets.Layout(
                    grid_template_columns=f"repeat({int(columns)}, max-content)",
                    grid_gap="4px"))
        else:
            self.content = widgets.HBox(list(self.bokeh_models),
                                        layout=widgets.Layout(flex_flow="row wrap"))
        self.area = widgets.Box([widgets.HTML(f"<i>{loading}</i>")])
        self.gate = BokehJSGate(self._show)
        self.children = (self.area, self.gate)

    @property
    def owned_widgets(self) -> tuple[widgets.Widget, ...]:
        """The Bokeh views, also before they are shown (closed with the pane)."""
        return (self.content, *self.bokeh_models)

    def _show(self) -> None:
        with self._lock:
            for view, figure in zip(self.bokeh_models, self.figures, strict=True):
                view.update_from_model(figure)  # the bundle holds today's data
            self.area.children = ()
            self.area.children = (self.content,)
        self.ready = True


def figure_widget(model: object) -> FigurePane:
    """A widget that shows a Bokeh figure or layout, loading BokehJS itself.

    Like ``jupyter_bokeh.BokehModel(model)`` (changes to the model's sources
    reach the page), but the Bokeh view is created only once the page has
    BokehJS, so it renders in any cell, offline, and after a page reload.

    Parameters
    ----------
    model : bokeh.models.LayoutDOM
        A figure (for example ``plot_accuracy(ds).figure``) or a layout.

    Returns
    -------
    FigurePane
        The widget to display; its ``bokeh_model`` attribute is the
        ``jupyter_bokeh.BokehModel``.

    Examples
    --------
    >>> from bokeh.plotting import figure
    >>> from spikewidgets.panel import figure_widget
    >>> fig = figure(width=300, height=150, title="a line")
    >>> _ = fig.line([0, 1, 2], [0, 1, 0])
    >>> box = figure_widget(fig)  # the value of a cell shows it
    >>> type(box.bokeh_model).__name__, box.ready
    ('BokehModel', False)
    """
    pane = FigurePane([model], loading="Loading BokehJS…")
    pane.bokeh_model = pane.bokeh_models[0]
    return pane
