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
3. The fit starts where the curve starts to fall (at a lag below 4).
4. ``y(x) = A * (exp(b * x) + C)`` is fitted to the curve from there on; the
   timescale is ``-1 / b`` bins, in ms.

Steps 3 and 4 are ``spikewidgets.analysis._fitting`` (``fit_timescale``, and
``population_timescale`` for the mean curve of a population), whose names
this module exports too.

Units whose mean firing rate in the window lies outside a range (published:
[0, 100] Hz, inclusive) are left out, as are units of too few trials, with
NaN or a late fall in their curve, or whose fit fails or does not decay
(``b >= 0``, which the published script kept as a negative timescale) or
gives a timescale longer than the lags span (``max_timescale``, which the
published script kept too): each is marked with its reason in
``exclusion``. The results do not depend on the memory layout of the counts
(C or Fortran order, a transposed view): the same counts give the same bits.
The Fano factor of
``model/compute_fano.m`` (variance over mean of the count summed over the
window, across trials) is computed for every unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from spikewidgets.analysis._fitting import (
    BIN_WIDTH,
    EXCLUDED_FIT,
    EXCLUDED_NAN,
    EXCLUDED_NO_DECAY,
    EXCLUDED_NO_FALL,
    EXCLUDED_TOO_LONG,
    TimescaleFit,
    fit_timescale,
    lag_span,
)
from spikewidgets.io._labels import variable_attrs
from spikewidgets.io._validation import positive_number

__all__ = [
    "EXCLUDED_RATE",
    "EXCLUDED_TRIALS",
    "MAX_LAG",
    "MIN_TRIALS",
    "RATE_RANGE",
    "autocorrelation",
    "fano_factor",
    "timescales_from_counts",
]

#: Largest lag of the autocorrelation (bins).
MAX_LAG = 15
#: Fewest trials a unit needs (the published ``size(spk, 1) > 10``).
MIN_TRIALS = 11
#: Mean firing rates (Hz) of the units kept, inclusive (the published ``fr_lim``).
RATE_RANGE = (0.0, 100.0)

#: Exclusion: fewer trials than ``min_trials``.
EXCLUDED_TRIALS = "too few trials"
#: Exclusion: the unit's mean firing rate in the window lies outside ``rate_range``.
EXCLUDED_RATE = "firing rate outside range"
#: Every reason, in the order they are checked.
_REASONS = (EXCLUDED_TRIALS, EXCLUDED_RATE, EXCLUDED_NAN, EXCLUDED_NO_FALL, EXCLUDED_FIT,
            EXCLUDED_NO_DECAY, EXCLUDED_TOO_LONG)


def _c_order(counts: np.ndarray | xr.DataArray) -> np.ndarray:
    """Counts as a C-ordered float64 array, so that every sum runs in the same order."""
    return np.ascontiguousarray(counts, dtype=np.float64)


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
        NaN if every pair is). The same bits for the same counts in any
        memory layout.

    Examples
    --------
    A count that is steady within each trial (12 trials, 5 bins) is correlated
    at every lag; independent counts are not:

    >>> import numpy as np
    >>> from spikewidgets.analysis._timescales import autocorrelation
    >>> autocorrelation(np.repeat(np.arange(1, 13)[:, None], 5, axis=1)[None], max_lag=3)
    array([[1., 1., 1.]])
    >>> independent = np.random.default_rng(0).poisson(5, size=(1, 500, 6))
    >>> bool(np.all(np.abs(autocorrelation(independent, max_lag=2)) < 0.1))
    True
    """
    counts = _c_order(counts)
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

    Examples
    --------
    Poisson counts have a Fano factor of 1; counts that never vary, 0:

    >>> import numpy as np
    >>> from spikewidgets.analysis._timescales import fano_factor
    >>> poisson = np.random.default_rng(0).poisson(2.0, size=(1, 2000, 10))
    >>> np.round(fano_factor(poisson), 2), fano_factor(np.full((1, 12, 5), 3))
    (array([0.99]), array([0.]))
    """
    totals = _c_order(counts).sum(axis=2)
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
          rate_range: tuple[float, float], bin_width: float,
          max_timescale: float) -> list[TimescaleFit]:
    fits = []
    for curve, rate in zip(curves, rates, strict=True):
        if n_trials < min_trials:
            fits.append(TimescaleFit(math.nan, exclusion=EXCLUDED_TRIALS))
        elif not rate_range[0] <= rate <= rate_range[1]:
            fits.append(TimescaleFit(math.nan, exclusion=EXCLUDED_RATE))
        else:
            fits.append(fit_timescale(curve, bin_width, max_timescale))
    return fits


def _per_unit(values: np.ndarray, long_name: str, description: str,
              units: str | None = None) -> tuple:
    return ("unit", values, variable_attrs(long_name, description, units))


def timescales_from_counts(
    counts: np.ndarray | xr.DataArray,
    *,
    bin_width: float = BIN_WIDTH,
    max_lag: int = MAX_LAG,
    rate_range: Sequence[float] | None = RATE_RANGE,
    min_trials: int = MIN_TRIALS,
    max_timescale: float | None = None,
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
    max_timescale : float, optional
        Longest timescale (ms) kept, a finite positive number: a unit whose
        fitted timescale is longer is excluded (``EXCLUDED_TOO_LONG``), as
        lags that span less cannot identify it. None (the default) is the
        lag span, the longest lag minus the shortest: ``(max_lag - 1) *
        bin_width``, 700 ms as published (the published script kept every one).
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
        (Hz), ``fano_factor`` (unit), and ``synaptic_decay`` (ms) if given;
        the options in the attrs (``max_timescale_ms``: the bound applied).

    Examples
    --------
    Counts of 3 units driven by a process whose correlation falls by ``e``
    every 4.5 bins (-1 / ln 0.8), 224 ms:

    >>> import numpy as np
    >>> from spikewidgets.analysis import timescales_from_counts
    >>> rng = np.random.default_rng(0)
    >>> latent = [rng.standard_normal((3, 200))]  # 3 units, 200 trials
    >>> for _ in range(19):  # 20 bins of 50 ms, a correlation of 0.8 from one to the next
    ...     latent.append(0.8 * latent[-1] + 0.6 * rng.standard_normal((3, 200)))
    >>> counts = rng.poisson(np.exp(1 + 0.5 * np.stack(latent, axis=-1)))
    >>> ds = timescales_from_counts(counts)
    >>> dict(ds.sizes), ds.timescale.attrs["units"], ds.attrs["max_timescale_ms"]
    ({'unit': 3, 'lag': 15}, 'ms', 700.0)

    A timescale is kept only within the lag span; the others are NaN, with
    their reason:

    >>> kept = ds.exclusion.values == ""
    >>> bool(np.all(ds.timescale.values[kept] <= 700)), bool(np.all(np.isnan(
    ...     ds.timescale.values[~kept])))
    (True, True)
    >>> strict = timescales_from_counts(counts, max_timescale=50)  # ms, shorter than all three
    >>> strict.attrs["max_timescale_ms"], bool(strict.timescale.isnull().all())
    (50.0, True)
    >>> "timescale beyond the lag span" in strict.exclusion.values
    True
    """
    counts = _c_order(counts)
    if counts.ndim != 3 or min(counts.shape) < 1:
        raise ValueError(f"counts has shape {counts.shape}, expected (unit, trial, bin) "
                         "with at least one of each")
    n_units, n_trials, n_bins = counts.shape
    bin_ms = bin_width * 1000.0
    low, high = _rate_range(rate_range)
    bound = lag_span(max_lag, bin_width) if max_timescale is None \
        else positive_number("max_timescale", max_timescale)
    curves = autocorrelation(counts, max_lag)
    rates = counts.sum(axis=(1, 2)) / (n_trials * n_bins * bin_width)
    fits = _fits(curves, rates, n_trials, min_trials, (low, high), bin_width, bound)
    lags = bin_ms * np.arange(1, max_lag + 1)
    data = {
        "autocorrelation": (("unit", "lag"), curves,
                            variable_attrs("autocorrelation", "spike-count autocorrelation")),
        "autocorrelation_fit": (("unit", "lag"), np.stack([f.curve(max_lag) for f in fits]),
                                variable_attrs("fitted autocorrelation",
                                               "fitted A (exp(b x) + C)")),
        "timescale": _per_unit(np.array([f.timescale for f in fits]), "timescale",
                               "autocorrelation timescale", "ms"),
        "fit_amplitude": _per_unit(np.array([f.amplitude for f in fits]), "fit amplitude A",
                                   "A of the fit (x = 1 at the start lag)"),
        "fit_rate": _per_unit(np.array([f.rate for f in fits]), "fit rate b", "b of the fit",
                              "1/bin"),
        "fit_offset": _per_unit(np.array([f.offset for f in fits]), "fit offset C",
                                "C of the fit"),
        "fit_start_lag": _per_unit(np.array([f.start_lag * bin_ms if f.start_lag else np.nan
                                             for f in fits]), "fit start lag",
                                   "first lag of the fit", "ms"),
        "exclusion": _per_unit(np.array([f.exclusion for f in fits], dtype=str), "exclusion",
                               "why the unit has no timescale (empty if it has one): "
                               + "; ".join(_REASONS)),
        "mean_rate": _per_unit(rates, "mean firing rate", "mean firing rate in the window",
                               "Hz"),
        "fano_factor": _per_unit(fano_factor(counts), "Fano factor",
                                 "Fano factor of the count in the window"),
    }
    if synaptic_decay is not None:
        data["synaptic_decay"] = _per_unit(np.asarray(synaptic_decay, dtype=np.float64),
                                           "synaptic decay", "synaptic decay time constant td",
                                           "ms")
    coords = {
        "unit": ("unit", np.arange(n_units), variable_attrs("unit", "unit index")),
        "lag": ("lag", lags, variable_attrs("lag", "lag of the autocorrelation", "ms")),
    }
    if unit_type is not None:
        coords["unit_type"] = ("unit", np.asarray(unit_type, dtype=str),
                               variable_attrs("unit type", "excitatory or inhibitory"))
    ds_attrs = {
        "method": "Murray et al. 2014, as in rkim35/wmRNN data/autocorr_analysis_pfc3.m",
        "n_trials": int(n_trials), "n_bins": int(n_bins), "bin_width_ms": float(bin_ms),
        "max_lag": int(max_lag), "min_trials": int(min_trials),
        "rate_min_hz": float(low), "rate_max_hz": float(high), "max_timescale_ms": bound,
        "n_fitted": int(sum(not f.exclusion for f in fits)),
    }
    ds_attrs.update(attrs or {})
    return xr.Dataset(data, coords=coords, attrs=ds_attrs)
