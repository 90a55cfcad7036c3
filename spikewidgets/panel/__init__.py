"""An interactive panel for the scaling-factor search, in Jupyter (ipywidgets + Bokeh).

::

    from spikewidgets import SearchPanel
    panel = SearchPanel()            # the bundled Go-NoGo example model
    panel                            # show it; press Run
    panel.result                     # the search Dataset (also partial ones)

    SearchPanel(perturbation="ei_dec")   # the intact and a perturbed network, paired

The search runs in a background thread, so the notebook stays usable; the
plots follow it live. Clicking a point of the accuracy plot (or moving the
scaling-factor slider) and choosing a trial shows that trial of the search
(same stimulus, same noise) in the spike raster, the readout plot (with the
rate network's output for the same input) and the firing-rate histogram.

:class:`SearchPanel` is an ``ipywidgets.VBox`` composed of parts, each an
ipywidgets container with traitlets traits. Two of them work on their own,
next to a search of your own:

- :class:`AccuracyView`: the accuracy plot of a search Dataset (trait
  ``selected_index``, set by a tap on a point; trait ``perturbation``, what
  the empty plot announces); for a perturbation search, the intact and the
  perturbed curves;
- :class:`TrialViewer`: replays one trial of a search Dataset (traits
  ``factor_index``, ``trial``, ``perturbation``, ``model``).

The others are the panel's own: the model picker (bundled example, file,
task and task settings), the run controls (grid, trials, seed, Run and Stop,
progress), the perturbation controls (none, one of the eight published
presets, or a custom connection scaling to run next to the intact network),
Save and Export, and the status line (what happened last, in words).

With "compare with rate network" ticked, the search also compares each
spiking unit with its rate unit (``compare_rate=True``), and three more
figures show it: the rate correlation beside the accuracy, each unit's gain
at the selected factor, and one unit's traces in both networks.

Before the first run every plot shows its axes, its legend and a line saying
what will appear there, and the line above the trial plots says how to choose
a trial. Sliders read scaling factors with the decimals their grid needs
("10 – 65" for a step of 5).

BokehJS is loaded from the kernel, with no CDN (see :func:`setup_notebook`);
:func:`figure_widget` shows any Bokeh figure the same way.
"""

from spikewidgets.panel._accuracy_view import AccuracyView
from spikewidgets.panel._bokehjs import figure_widget, setup_notebook
from spikewidgets.panel._search_panel import SearchPanel
from spikewidgets.panel._trial_viewer import TrialViewer

__all__ = ["AccuracyView", "SearchPanel", "TrialViewer", "figure_widget", "setup_notebook"]
