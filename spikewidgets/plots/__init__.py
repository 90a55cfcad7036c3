"""Bokeh figures of a scaling-factor search, of a perturbation search and of one simulated trial.

Every builder takes an :class:`xarray.Dataset` (the result of
:func:`~spikewidgets.search.lambda_grid_search`, of
:func:`~spikewidgets.search.perturbation_search`, of
:func:`~spikewidgets.search.simulate` (``compare_rate=True`` for
:func:`plot_rate_correlation` and :func:`plot_unit_traces`) or of
:func:`~spikewidgets.sim.simulate_rate`) and returns a small object that holds
the figure and its :class:`~bokeh.models.ColumnDataSource` objects. Its
``update`` method replaces the data of the sources and never rebuilds the
figure, so a figure shown in a notebook (for example through
``jupyter_bokeh.BokehModel``) follows the new data. Every builder also accepts
``None`` for an empty figure to be filled later: it shows its axes, its
legend and one line saying what will appear there (``placeholder``, a
:class:`~bokeh.models.Label` that ``update`` hides when data arrives and shows
again when the figure is emptied). A spike raster has a caption explaining
the vertical line it starts with.

The figures can be used on their own::

    from bokeh.io import show
    show(plot_accuracy(dataset).figure)
"""

from spikewidgets.plots._accuracy import plot_accuracy
from spikewidgets.plots._base import EXC_COLOR, INH_COLOR
from spikewidgets.plots._perturbation import plot_perturbation_effects, plot_perturbation_sweep
from spikewidgets.plots._rate_comparison import plot_rate_correlation, plot_unit_traces
from spikewidgets.plots._timescales import plot_autocorrelation, plot_timescale_vs_decay
from spikewidgets.plots._trial import plot_output, plot_raster, plot_rates

__all__ = [
    "EXC_COLOR",
    "INH_COLOR",
    "plot_accuracy",
    "plot_autocorrelation",
    "plot_output",
    "plot_perturbation_effects",
    "plot_perturbation_sweep",
    "plot_raster",
    "plot_rate_correlation",
    "plot_rates",
    "plot_timescale_vs_decay",
    "plot_unit_traces",
]
