"""Timescales of spike trains you already have: spike times binned, then analysed.

``bin_spike_times`` counts the spikes of every unit
and trial in consecutive bins of a window (the first step of the method of
``spikewidgets.analysis._timescales``);
:func:`~spikewidgets.analysis.timescales_from_spike_times` does that and then
:func:`~spikewidgets.analysis.timescales_from_counts`.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from spikewidgets.analysis._fitting import BIN_WIDTH
from spikewidgets.analysis._timescales import timescales_from_counts

__all__ = ["bin_spike_times", "timescales_from_spike_times"]


def bin_spike_times(
    spike_times: np.ndarray,
    spike_units: np.ndarray,
    spike_trials: np.ndarray,
    *,
    n_units: int,
    n_trials: int,
    window: tuple[float, float],
    bin_width: float = BIN_WIDTH,
) -> np.ndarray:
    """Spike counts (unit, trial, bin) in consecutive bins of ``window``.

    Parameters
    ----------
    spike_times, spike_units, spike_trials : ndarray, shape (n_spikes,)
        Time (s), unit (0-based) and trial (0-based) of every spike.
    n_units, n_trials : int
        Sizes of the result.
    window : (float, float)
        Start and end (s); bins of ``bin_width`` from the start, as many as
        fit; a spike at time t falls in the bin ``[start + k w, start + (k + 1) w)``.
    bin_width : float
        Bin width (s).

    Returns
    -------
    ndarray of int64, shape (n_units, n_trials, n_bins)

    Examples
    --------
    Four spikes (times, units, trials) in the four 50 ms bins of 0 to 0.2 s:

    >>> from spikewidgets.analysis._spiketimes import bin_spike_times
    >>> counts = bin_spike_times([0.01, 0.02, 0.06, 0.19], [0, 0, 1, 0], [0, 0, 0, 1],
    ...                          n_units=2, n_trials=2, window=(0.0, 0.2))
    >>> counts[0]  # unit 0: trial x bin
    array([[2, 0, 0, 0],
           [0, 0, 0, 1]])
    """
    start, stop = (float(v) for v in window)
    n_bins = math.floor((stop - start) / bin_width + 1e-9)
    if n_bins < 2:
        raise ValueError(f"window is {window!r}, expected at least two bins of {bin_width} s")
    times = np.asarray(spike_times, dtype=np.float64).ravel()
    units = np.asarray(spike_units, dtype=np.int64).ravel()
    trials = np.asarray(spike_trials, dtype=np.int64).ravel()
    if not times.size == units.size == trials.size:
        raise ValueError("spike_times, spike_units and spike_trials have different lengths")
    index = np.floor((times - start) / bin_width + 1e-9).astype(np.int64)
    inside = (index >= 0) & (index < n_bins)
    if units.size and (units.min() < 0 or units.max() >= n_units
                       or trials.min() < 0 or trials.max() >= n_trials):
        raise ValueError(f"spike units or trials lie outside 0..{n_units - 1} and "
                         f"0..{n_trials - 1}")
    counts = np.zeros((n_units, n_trials, n_bins), dtype=np.int64)
    np.add.at(counts, (units[inside], trials[inside], index[inside]), 1)
    return counts


def timescales_from_spike_times(
    spike_times: np.ndarray,
    spike_units: np.ndarray,
    spike_trials: np.ndarray,
    *,
    n_units: int,
    n_trials: int,
    window: tuple[float, float],
    bin_width: float = BIN_WIDTH,
    **options: object,
) -> xr.Dataset:
    """Timescales of spike trains you already have, binned and analysed.

    ``bin_spike_times``, then
    :func:`~spikewidgets.analysis.timescales_from_counts` (``options`` go to it:
    ``max_lag``, ``rate_range``, ``min_trials``, ``max_timescale``, ...).

    Returns
    -------
    xarray.Dataset
        As :func:`~spikewidgets.analysis.timescales_from_counts`, with the window in the
        attrs.

    Examples
    --------
    3000 spikes of 3 units in 50 trials of 1 s: 60 Hz in all:

    >>> import numpy as np
    >>> from spikewidgets.analysis import timescales_from_spike_times
    >>> rng = np.random.default_rng(0)
    >>> ds = timescales_from_spike_times(rng.uniform(0, 1, 3000), rng.integers(0, 3, 3000),
    ...                                  rng.integers(0, 50, 3000), n_units=3, n_trials=50,
    ...                                  window=(0.0, 1.0))
    >>> dict(ds.sizes), float(ds.mean_rate.sum()), ds.attrs["window_stop_s"]
    ({'unit': 3, 'lag': 15}, 60.0, 1.0)
    >>> timescales_from_spike_times([0.01], [0], [0], n_units=1, n_trials=12,
    ...                             window=(0.0, 1.0), max_timescale=400).attrs["max_timescale_ms"]
    400.0
    """
    counts = bin_spike_times(spike_times, spike_units, spike_trials, n_units=n_units,
                             n_trials=n_trials, window=window, bin_width=bin_width)
    attrs = {"window_start_s": float(window[0]), "window_stop_s": float(window[1]),
             **dict(options.pop("attrs", None) or {})}
    return timescales_from_counts(counts, bin_width=bin_width, attrs=attrs, **options)
