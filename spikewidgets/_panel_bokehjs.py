"""Loading BokehJS into the notebook page from the kernel, with no CDN.

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
created before BokehJS has run. The panel therefore adds its Bokeh views only
after a hidden button has been clicked by a small script that waits for
BokehJS: :class:`BokehJSGate`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import bokeh
import ipywidgets as widgets
from bokeh.resources import Resources

__all__ = ["BokehJSGate", "bokehjs_loader", "figure_widget", "setup_notebook"]

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
    """
    global _LOADER
    if _LOADER is None or _LOADER.comm is None:  # none yet, or closed
        loader = widgets.Output(layout=widgets.Layout(display="none"))
        loader.outputs = (_javascript_output(_loader_script()),)
        loader.add_class("spw-bokehjs-loader")
        _LOADER = loader
    return _LOADER


def setup_notebook() -> None:
    """Load BokehJS into the notebook page, without a CDN and without bloating the file.

    :class:`~spikewidgets.panel.SearchPanel` and :func:`figure_widget` do
    this by themselves. Call it in a cell before showing a Bokeh figure
    through ``jupyter_bokeh.BokehModel`` directly (``bokeh.io.show`` needs
    ``bokeh.io.output_notebook`` instead). Such a BokehModel relies on the
    loader's view being created before its own, which JupyterLab does (also
    in one cell and after a page reload) without promising it;
    :func:`figure_widget` does not rely on it.
    """
    from IPython.display import display

    display(bokehjs_loader())


class BokehJSGate:
    """Calls ``on_ready`` each time a page that shows ``self.widget`` has BokehJS.

    ``self.widget`` holds the shared loader, a hidden button, and a small
    script that clicks the button once BokehJS of the kernel's Bokeh version
    is in the page (each view clicks once). Without a browser, ``on_ready``
    is never called; call :meth:`open` to do what a click does.
    """

    def __init__(self, on_ready: Callable[[], None]) -> None:
        token = uuid.uuid4().hex
        self._on_ready = on_ready
        self.ready_count = 0
        self.button = widgets.Button(description="BokehJS ready",
                                     layout=widgets.Layout(display="none"))
        self.button.add_class(f"spw-ready-{token}")
        self.button.on_click(lambda _button: self.open())
        waiter = widgets.Output(layout=widgets.Layout(display="none"))
        waiter.outputs = (_javascript_output(self._waiter_script(token)),)
        self.widget = widgets.Box([bokehjs_loader(), waiter, self.button],
                                  layout=widgets.Layout(display="none"))

    @staticmethod
    def _waiter_script(token: str) -> str:
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

    def open(self) -> None:
        """Run ``on_ready`` (what a click on the hidden button does)."""
        self.ready_count += 1
        self._on_ready()


def figure_widget(model) -> widgets.VBox:
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
    ipywidgets.VBox
        The widget to display; its ``bokeh_model`` attribute is the
        ``jupyter_bokeh.BokehModel``.
    """
    from jupyter_bokeh import BokehModel

    view = BokehModel(model)
    area = widgets.Box([widgets.HTML("<i>Loading BokehJS…</i>")])

    def show() -> None:
        view.update_from_model(model)
        area.children = ()
        area.children = (view,)

    gate = BokehJSGate(show)
    box = widgets.VBox([area, gate.widget])
    box.bokeh_model = view
    box.gate = gate
    return box
