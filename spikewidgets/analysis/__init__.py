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
    BIN_WIDTH,
    EXCLUDED_FIT,
    EXCLUDED_NAN,
    EXCLUDED_NO_DECAY,
    EXCLUDED_NO_FALL,
    EXCLUDED_TOO_LONG,
    TimescaleFit,
    exponential,
    fit_timescale,
    lag_span,
    population_timescale,
    start_of_fall,
)
from spikewidgets.analysis._spiketimes import bin_spike_times, timescales_from_spike_times
from spikewidgets.analysis._spontaneous import (
    DEFAULT_WINDOW,
    network_timescales,
    spontaneous_spike_counts,
)
from spikewidgets.analysis._timescales import (
    EXCLUDED_RATE,
    EXCLUDED_TRIALS,
    MAX_LAG,
    MIN_TRIALS,
    RATE_RANGE,
    autocorrelation,
    fano_factor,
    timescales_from_counts,
)

__all__ = [
    "BIN_WIDTH",
    "DEFAULT_WINDOW",
    "EXCLUDED_FIT",
    "EXCLUDED_NAN",
    "EXCLUDED_NO_DECAY",
    "EXCLUDED_NO_FALL",
    "EXCLUDED_RATE",
    "EXCLUDED_TOO_LONG",
    "EXCLUDED_TRIALS",
    "MAX_LAG",
    "MIN_TRIALS",
    "RATE_RANGE",
    "TimescaleFit",
    "autocorrelation",
    "bin_spike_times",
    "exponential",
    "fano_factor",
    "fit_timescale",
    "lag_span",
    "network_timescales",
    "population_timescale",
    "spontaneous_spike_counts",
    "start_of_fall",
    "timescales_from_counts",
    "timescales_from_spike_times",
]
