"""Analyses of the spiking network's activity (NumPy, SciPy and xarray; no widgets).

``spikewidgets.analysis._timescales``: spike-count autocorrelation,
neuronal timescales by the method of Murray et al. (2014) as the
working-memory study applied it, and the Fano factor, from spike counts
(``spikewidgets.analysis._spiketimes``: from spike times); the exponential fit
of each autocorrelation curve, and of a population's mean curve, is
``spikewidgets.analysis._fitting``, which leaves out a timescale longer than
the lags span.
``spikewidgets.analysis._spontaneous``: spike counts of the
spiking network in trials without stimulus, and every unit's timescale next
to its synaptic decay constant. The Bokeh figures of these Datasets are in
:mod:`spikewidgets.plots` (imported on its own: it needs Bokeh).

Example
-------
>>> from spikewidgets.analysis import network_timescales
>>> ds = network_timescales("dms_example.mat", n_trials=100, seed=0)  # doctest: +SKIP
>>> ds.timescale.groupby("unit_type").median()  # doctest: +SKIP
"""

from spikewidgets.analysis._fitting import (
    EXCLUDED_FIT,
    EXCLUDED_NO_DECAY,
    EXCLUDED_TOO_LONG,
    population_timescale,
)
from spikewidgets.analysis._spiketimes import timescales_from_spike_times
from spikewidgets.analysis._spontaneous import network_timescales, spontaneous_spike_counts
from spikewidgets.analysis._timescales import timescales_from_counts

__all__ = [
    "EXCLUDED_FIT",
    "EXCLUDED_NO_DECAY",
    "EXCLUDED_TOO_LONG",
    "network_timescales",
    "population_timescale",
    "spontaneous_spike_counts",
    "timescales_from_counts",
    "timescales_from_spike_times",
]
