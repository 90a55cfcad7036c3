"""Neuronal timescales from spike counts: the method of Murray et al. (Nat. Neurosci. 2014).

As the working-memory study (Kim & Sejnowski, Nat. Neurosci. 2021) applied it
to monkey prefrontal neurons (``data/autocorr_analysis_pfc3.m`` of
``rkim35/wmRNN``) and to its spiking networks:

1. Per unit, spike counts in consecutive bins (50 ms) of a window without
   stimulus, one row per trial; at least 11 trials.
2. Autocorrelation at lag k bins (k = 1..15): the Pearson correlation across
   trials between the counts of bin i and of bin i + k, averaged over every
   i where it is defined (a bin whose count is the same in every trial gives
   no correlation; a lag with none is NaN).
3. The fit starts where the curve starts to fall: the first lag m (from 1) at
   which the next value is lower, scanning ``y(m) - y(m - 1)`` from m = 2;
   a unit is fitted only if m < 4 and no value is NaN.
4. ``y(x) = A * (exp(b * x) + C)`` is fitted to the curve from lag m on, at
   ``x = 1, 2, ...`` (the published convention; only ``b`` matters), by
   Levenberg-Marquardt from ``[0, 0, 0]``; the timescale is ``-1 / b`` bins,
   in ms.

Units whose mean firing rate in the window lies outside a range (published:
[0, 100] Hz, inclusive) are left out, as are units of too few trials, with
NaN or a late fall in their curve, or whose fit fails or does not decay
(``b >= 0``, which the published script kept as a negative timescale): each
is marked with its reason in ``exclusion``. The Fano factor of
``model/compute_fano.m`` (variance over mean of the count summed over the
window, across trials) is computed for every unit.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.optimize import OptimizeWarning, curve_fit

__all__ = [
    "BIN_WIDTH",
    "EXCLUDED_FIT",
    "EXCLUDED_NAN",
    "EXCLUDED_NO_DECAY",
    "EXCLUDED_NO_FALL",
    "EXCLUDED_RATE",
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
    "population_timescale",
    "start_of_fall",
    "timescales_from_counts",
    "timescales_from_spike_times",
]

#: Width of the count bins (s).
BIN_WIDTH = 0.05
#: Largest lag of the autocorrelation (bins).
MAX_LAG = 15
#: Fewest trials a unit needs (the published ``size(spk, 1) > 10``).
MIN_TRIALS = 11
#: Mean firing rates (Hz) of the units kept, inclusive (the published ``fr_lim``).
RATE_RANGE = (0.0, 100.0)
#: The fit starts at a lag below this, or the unit is left out.
LATEST_START = 4

EXCLUDED_TRIALS = "too few trials"
EXCLUDED_RATE = "firing rate outside range"
EXCLUDED_NAN = "NaN in autocorrelation"
EXCLUDED_NO_FALL = "no fall before lag 4"
EXCLUDED_FIT = "fit failed"
EXCLUDED_NO_DECAY = "fit does not decay"


def exponential(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """The fitted curve ``a * (exp(b * x) + c)``."""
    return a * (np.exp(b * x) + c)


@dataclass(frozen=True)
class TimescaleFit:
    """The exponential fit of one autocorrelation curve.

    Attributes
    ----------
    timescale : float
        ``-1 / b`` in ms (NaN when not fitted or excluded).
    amplitude, rate, offset : float
        ``A``, ``b`` (per bin) and ``C`` of ``A * (exp(b * x) + C)`` with
        ``x = 1`` at the start lag (NaN when not fitted).
    start_lag : int
        Lag (bins, from 1) where the fit starts; 0 when no fall was found.
    exclusion : str
        Why the unit has no timescale ("" when it has one).
    """

    timescale: float
    amplitude: float = math.nan
    rate: float = math.nan
    offset: float = math.nan
    start_lag: int = 0
    exclusion: str = ""

    def curve(self, n_lags: int) -> np.ndarray:
        """The fitted curve at lags 1..n_lags, NaN before the start lag or without a fit."""
        values = np.full(n_lags, np.nan)
        if math.isfinite(self.rate) and self.start_lag:
            x = np.arange(1, n_lags - self.start_lag + 2, dtype=np.float64)
            values[self.start_lag - 1:] = exponential(x, self.amplitude, self.rate, self.offset)
        return values


def start_of_fall(curve: np.ndarray) -> int:
    """The lag (from 1) where the curve starts to fall, as the published scan finds it.

    Returns the first m with ``y(m + 1) - y(m) < 0`` or NaN (``y`` indexed
    by lag from 1); 0 if the curve never falls.
    """
    values = np.asarray(curve, dtype=np.float64)
    for lag in range(1, values.size):
        if not values[lag] - values[lag - 1] >= 0:
            return lag
    return 0


def fit_timescale(curve: np.ndarray, bin_width: float = BIN_WIDTH) -> TimescaleFit:
    """Fit the timescale of one autocorrelation curve (lags 1, 2, ... bins).

    Parameters
    ----------
    curve : ndarray, shape (n_lags,)
        Autocorrelation at lags 1..n_lags.
    bin_width : float
        Bin width (s).

    Returns
    -------
    TimescaleFit
        With ``exclusion`` "" (fitted), ``EXCLUDED_NAN``, ``EXCLUDED_NO_FALL``,
        ``EXCLUDED_FIT`` or ``EXCLUDED_NO_DECAY``.
    """
    values = np.asarray(curve, dtype=np.float64).ravel()
    if np.isnan(values).any():
        return TimescaleFit(math.nan, exclusion=EXCLUDED_NAN)
    start = start_of_fall(values)
    if not 0 < start < LATEST_START:
        return TimescaleFit(math.nan, start_lag=start, exclusion=EXCLUDED_NO_FALL)
    y = values[start - 1:]
    x = np.arange(1, y.size + 1, dtype=np.float64)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            (a, b, c), _ = curve_fit(exponential, x, y, p0=[0.0, 0.0, 0.0], method="lm")
    except (RuntimeError, ValueError):
        return TimescaleFit(math.nan, start_lag=start, exclusion=EXCLUDED_FIT)
    if not all(math.isfinite(v) for v in (a, b, c)):
        return TimescaleFit(math.nan, start_lag=start, exclusion=EXCLUDED_FIT)
    if b >= 0:
        return TimescaleFit(math.nan, a, b, c, start, EXCLUDED_NO_DECAY)
    return TimescaleFit(-1.0 / b * bin_width * 1000.0, a, b, c, start)


def _standardized(counts: np.ndarray) -> np.ndarray:
    """Counts (unit, trial, bin) standardized across trials; NaN where a bin never varies."""
    mean = counts.mean(axis=1, keepdims=True)
    spread = counts.std(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(spread > 0, (counts - mean) / np.where(spread > 0, spread, 1), np.nan)


def autocorrelation(counts: np.ndarray, max_lag: int = MAX_LAG) -> np.ndarray:
    """Spike-count autocorrelation of each unit across trials.

    Parameters
    ----------
    counts : ndarray, shape (n_units, n_trials, n_bins)
        Spike counts.
    max_lag : int
        Largest lag (bins); at most ``n_bins - 1``.

    Returns
    -------
    ndarray, shape (n_units, max_lag)
        At lag k, the mean over bins i of the Pearson correlation across
        trials of bins i and i + k (pairs with a constant bin left out;
        NaN if every pair is).
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 3:
        raise ValueError(f"counts has shape {counts.shape}, expected (unit, trial, bin)")
    if not 1 <= max_lag < counts.shape[2]:
        raise ValueError(f"max_lag is {max_lag}, expected 1 <= max_lag < n_bins = "
                         f"{counts.shape[2]}")
    z = _standardized(counts)
    result = np.full((counts.shape[0], max_lag), np.nan)
    for lag in range(1, max_lag + 1):
        pairs = (z[:, :, :-lag] * z[:, :, lag:]).mean(axis=1)  # (unit, n_bins - lag)
        defined = np.isfinite(pairs)
        total = np.where(defined, pairs, 0.0).sum(axis=1)
        n = defined.sum(axis=1)
        result[:, lag - 1] = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    return result


def fano_factor(counts: np.ndarray) -> np.ndarray:
    """Variance over mean (across trials) of each unit's count summed over the bins.

    Sample variance (``ddof=1``), as MATLAB's ``nanvar``; NaN for a silent unit.
    """
    totals = np.asarray(counts, dtype=np.float64).sum(axis=2)
    mean = totals.mean(axis=1)
    variance = totals.var(axis=1, ddof=1) if totals.shape[1] > 1 else np.full(mean.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mean > 0, variance / np.where(mean > 0, mean, 1), np.nan)


def _rate_range(value: Sequence[float] | None) -> tuple[float, float]:
    low, high = (-math.inf, math.inf) if value is None else (float(v) for v in value)
    if not low <= high:
        raise ValueError(f"rate_range is {value!r}, expected (low, high) with low <= high in Hz")
    return low, high


def _fits(curves: np.ndarray, rates: np.ndarray, n_trials: int, min_trials: int,
          rate_range: tuple[float, float], bin_width: float) -> list[TimescaleFit]:
    fits = []
    for curve, rate in zip(curves, rates, strict=True):
        if n_trials < min_trials:
            fits.append(TimescaleFit(math.nan, exclusion=EXCLUDED_TRIALS))
        elif not rate_range[0] <= rate <= rate_range[1]:
            fits.append(TimescaleFit(math.nan, exclusion=EXCLUDED_RATE))
        else:
            fits.append(fit_timescale(curve, bin_width))
    return fits


def _per_unit(values: np.ndarray, units: str, long_name: str) -> tuple:
    return ("unit", values, {"units": units, "long_name": long_name})


def timescales_from_counts(
    counts: np.ndarray | xr.DataArray,
    *,
    bin_width: float = BIN_WIDTH,
    max_lag: int = MAX_LAG,
    rate_range: Sequence[float] | None = RATE_RANGE,
    min_trials: int = MIN_TRIALS,
    unit_type: Sequence[str] | None = None,
    synaptic_decay: Sequence[float] | None = None,
    attrs: Mapping[str, object] | None = None,
) -> xr.Dataset:
    """Autocorrelation, timescale and Fano factor of every unit from binned spike counts.

    Parameters
    ----------
    counts : array-like, shape (n_units, n_trials, n_bins)
        Spike counts per bin (the ``spike_count`` of
        :func:`~spikewidgets.analysis.spontaneous_spike_counts`, or your own).
    bin_width : float
        Bin width (s); published 0.05.
    max_lag : int
        Lags 1..max_lag bins; published 15.
    rate_range : (float, float) or None
        Units whose mean rate (Hz) over the window lies outside it
        (inclusive) are excluded; None keeps every unit. Published [0, 100].
    min_trials : int
        Fewest trials for a timescale (published 11).
    unit_type : sequence of str, optional
        ``"exc"`` / ``"inh"`` per unit (a coordinate of the result).
    synaptic_decay : sequence of float, optional
        Each unit's synaptic decay time constant ``td`` in ms (a variable).
    attrs : mapping, optional
        Extra Dataset attributes (plain strings and numbers).

    Returns
    -------
    xarray.Dataset
        Dims ``unit`` and ``lag`` (coordinate in ms): ``autocorrelation``
        and ``autocorrelation_fit`` (unit, lag); ``timescale`` (ms),
        ``fit_amplitude``, ``fit_rate``, ``fit_offset``, ``fit_start_lag``
        (ms), ``exclusion`` (reason, "" for a fitted unit), ``mean_rate``
        (Hz), ``fano_factor`` (unit), and ``synaptic_decay`` (ms) if given.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 3 or min(counts.shape) < 1:
        raise ValueError(f"counts has shape {counts.shape}, expected (unit, trial, bin) "
                         "with at least one of each")
    n_units, n_trials, n_bins = counts.shape
    bin_ms = bin_width * 1000.0
    low, high = _rate_range(rate_range)
    curves = autocorrelation(counts, max_lag)
    rates = counts.sum(axis=(1, 2)) / (n_trials * n_bins * bin_width)
    fits = _fits(curves, rates, n_trials, min_trials, (low, high), bin_width)
    lags = bin_ms * np.arange(1, max_lag + 1)
    data = {
        "autocorrelation": (("unit", "lag"), curves,
                            {"units": "1", "long_name": "spike-count autocorrelation"}),
        "autocorrelation_fit": (("unit", "lag"), np.stack([f.curve(max_lag) for f in fits]),
                                {"units": "1", "long_name": "fitted A (exp(b x) + C)"}),
        "timescale": _per_unit(np.array([f.timescale for f in fits]), "ms",
                               "autocorrelation timescale"),
        "fit_amplitude": _per_unit(np.array([f.amplitude for f in fits]), "1",
                                   "A of the fit (x = 1 at the start lag)"),
        "fit_rate": _per_unit(np.array([f.rate for f in fits]), "1/bin", "b of the fit"),
        "fit_offset": _per_unit(np.array([f.offset for f in fits]), "1", "C of the fit"),
        "fit_start_lag": _per_unit(np.array([f.start_lag * bin_ms if f.start_lag else np.nan
                                             for f in fits]), "ms", "first lag of the fit"),
        "exclusion": _per_unit(np.array([f.exclusion for f in fits], dtype=str), "1",
                               "why the unit has no timescale (empty if it has one)"),
        "mean_rate": _per_unit(rates, "Hz", "mean firing rate in the window"),
        "fano_factor": _per_unit(fano_factor(counts), "1",
                                 "Fano factor of the count in the window"),
    }
    if synaptic_decay is not None:
        data["synaptic_decay"] = _per_unit(np.asarray(synaptic_decay, dtype=np.float64), "ms",
                                           "synaptic decay time constant td")
    coords = {
        "unit": ("unit", np.arange(n_units), {"units": "1", "long_name": "unit"}),
        "lag": ("lag", lags, {"units": "ms", "long_name": "lag"}),
    }
    if unit_type is not None:
        coords["unit_type"] = ("unit", np.asarray(unit_type, dtype=str),
                               {"units": "1", "long_name": "excitatory or inhibitory"})
    ds_attrs = {
        "method": "Murray et al. 2014, as in rkim35/wmRNN data/autocorr_analysis_pfc3.m",
        "n_trials": int(n_trials), "n_bins": int(n_bins), "bin_width_ms": float(bin_ms),
        "max_lag": int(max_lag), "min_trials": int(min_trials),
        "rate_min_hz": float(low), "rate_max_hz": float(high),
        "n_fitted": int(sum(not f.exclusion for f in fits)),
    }
    ds_attrs.update(attrs or {})
    return xr.Dataset(data, coords=coords, attrs=ds_attrs)


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

    :func:`~spikewidgets.analysis.bin_spike_times`, then
    :func:`~spikewidgets.analysis.timescales_from_counts` (``options`` go to it).

    Returns
    -------
    xarray.Dataset
        As :func:`~spikewidgets.analysis.timescales_from_counts`, with the window in the
        attrs.
    """
    counts = bin_spike_times(spike_times, spike_units, spike_trials, n_units=n_units,
                             n_trials=n_trials, window=window, bin_width=bin_width)
    attrs = {"window_start_s": float(window[0]), "window_stop_s": float(window[1]),
             **dict(options.pop("attrs", None) or {})}
    return timescales_from_counts(counts, bin_width=bin_width, attrs=attrs, **options)


def population_timescale(ds: xr.Dataset, unit_type: str | None = None) -> float:
    """Timescale (ms) of the mean autocorrelation of the fitted units, as the study's ``pop_fit``.

    Each fitted unit's curve is taken from its start lag on (shifted to
    start at lag 1, as ``new_auto_c`` of ``fnc_get_models.m``), averaged over
    units (of ``unit_type`` if given) and fitted like one unit's curve,
    starting at lag 1. NaN when no unit was fitted or the fit fails.
    """
    start = ds.fit_start_lag.values / ds.attrs["bin_width_ms"]
    chosen = np.isfinite(start) & np.isin(ds.exclusion.values, ["", EXCLUDED_NO_DECAY,
                                                                EXCLUDED_FIT])
    if unit_type is not None:
        chosen &= ds.unit_type.values == unit_type
    curves = ds.autocorrelation.values
    n_lags = curves.shape[1]
    shifted = np.full((int(chosen.sum()), n_lags), np.nan)
    for row, unit in enumerate(np.flatnonzero(chosen)):
        first = int(start[unit]) - 1
        shifted[row, : n_lags - first] = curves[unit, first:]
    if not shifted.size:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(shifted, axis=0)
    mean = mean[np.isfinite(mean)]
    x = np.arange(1, mean.size + 1, dtype=np.float64)
    try:
        (_, b, _), _ = curve_fit(exponential, x, mean, p0=[0.0, 0.0, 0.0], method="lm")
    except (RuntimeError, ValueError):
        return math.nan
    return -1.0 / b * ds.attrs["bin_width_ms"] if b < 0 else math.nan
