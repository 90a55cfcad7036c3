"""The exponential fit of spike-count autocorrelation curves: steps 3 and 4 of the method.

Given a unit's autocorrelation at lags 1, 2, ... bins (the ``autocorrelation``
of a timescale Dataset, or your own), as the working-memory study (Kim &
Sejnowski, Nat. Neurosci. 2021, ``data/autocorr_analysis_pfc3.m`` of
``rkim35/wmRNN``) fitted it after Murray et al. (Nat. Neurosci. 2014):

3. The fit starts where the curve starts to fall: the first lag m (from 1) at
   which the next value is lower, scanning ``y(m) - y(m - 1)`` from m = 2;
   a unit is fitted only if m < 4 and no value is NaN.
4. ``y(x) = A * (exp(b * x) + C)`` is fitted to the curve from lag m on, at
   ``x = 1, 2, ...`` (the published convention; only ``b`` matters), by
   Levenberg-Marquardt from ``[0, 0, 0]``; the timescale is ``-1 / b`` bins,
   in ms.

A curve with NaN or a late fall, a fit that fails and a fit that does not
decay (``b >= 0``, which the published script kept as a negative timescale)
give no timescale, with the reason; so does a timescale longer than the lags
span (``max_timescale``, by default the longest lag minus the shortest: 700 ms
for lags of 50 to 750 ms), which the published script kept: a curve that
hardly falls over the lags fits as well with 10 s as with 1000 s, and the
last bits of the curve decide between them. :func:`population_timescale`
fits the mean curve of the fitted units of a Dataset, as the study's ``pop_fit``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.optimize import OptimizeWarning, curve_fit

from spikewidgets.io._validation import positive_number

__all__ = [
    "BIN_WIDTH",
    "EXCLUDED_FIT",
    "EXCLUDED_NAN",
    "EXCLUDED_NO_DECAY",
    "EXCLUDED_NO_FALL",
    "EXCLUDED_TOO_LONG",
    "TimescaleFit",
    "exponential",
    "fit_timescale",
    "lag_span",
    "population_timescale",
    "start_of_fall",
]

#: Width of the count bins (s).
BIN_WIDTH = 0.05
#: The fit starts at a lag below this, or the unit is left out.
LATEST_START = 4

#: Exclusion: the curve has a NaN value (a lag with no defined correlation).
EXCLUDED_NAN = "NaN in autocorrelation"
#: Exclusion: the curve does not start to fall before lag 4.
EXCLUDED_NO_FALL = "no fall before lag 4"
#: Exclusion: the least-squares fit did not converge or gave a non-finite value.
EXCLUDED_FIT = "fit failed"
#: Exclusion: the fitted curve does not decay (``b >= 0``).
EXCLUDED_NO_DECAY = "fit does not decay"
#: Exclusion: the fitted timescale is longer than the lags span (``max_timescale``), so the
#: lags cannot tell it from any longer one.
EXCLUDED_TOO_LONG = "timescale beyond the lag span"


def lag_span(n_lags: int, bin_width: float = BIN_WIDTH) -> float:
    """The span (ms) of lags 1..n_lags bins: the longest lag minus the shortest.

    The default ``max_timescale`` of :func:`fit_timescale` and
    :func:`~spikewidgets.analysis.timescales_from_counts`.

    Examples
    --------
    >>> from spikewidgets.analysis._fitting import lag_span
    >>> lag_span(15), lag_span(15, bin_width=0.02)  # lags 50-750 ms, 20-300 ms
    (700.0, 280.0)
    """
    return (int(n_lags) - 1) * (bin_width * 1000.0)


def _max_timescale(max_timescale: float | None, n_lags: int, bin_width: float) -> float:
    """``max_timescale`` (ms) validated, or the lag span when it is None."""
    if max_timescale is None:
        return lag_span(n_lags, bin_width)
    return positive_number("max_timescale", max_timescale)


def exponential(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """The fitted curve ``a * (exp(b * x) + c)``.

    Examples
    --------
    >>> from spikewidgets.analysis._fitting import exponential
    >>> float(exponential(0.0, 2.0, -1.0, 0.5)), round(float(exponential(1.0, 2.0, -1.0, 0.5)), 4)
    (3.0, 1.7358)
    """
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

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.analysis._fitting import fit_timescale
    >>> fit = fit_timescale(0.5 * np.exp(-np.arange(1, 16) / 4))  # falls by e every 4 bins
    >>> round(float(fit.timescale)), round(float(fit.rate), 3), fit.start_lag
    (200, -0.25, 1)
    >>> fit.curve(2).round(4)  # the fitted curve at lags 1 and 2
    array([0.3894, 0.3033])
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

    Examples
    --------
    >>> from spikewidgets.analysis._fitting import start_of_fall
    >>> start_of_fall([0.5, 0.6, 0.4, 0.3]), start_of_fall([0.5, 0.4]), start_of_fall([0.1, 0.2])
    (2, 1, 0)
    """
    values = np.asarray(curve, dtype=np.float64)
    for lag in range(1, values.size):
        if not values[lag] - values[lag - 1] >= 0:
            return lag
    return 0


def _fit_exponential(y: np.ndarray) -> tuple[float, float, float] | None:
    """``(A, b, C)`` of the fit of ``y`` at ``x = 1, 2, ...``; None if the fit fails."""
    x = np.arange(1, y.size + 1, dtype=np.float64)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            (a, b, c), _ = curve_fit(exponential, x, y, p0=[0.0, 0.0, 0.0], method="lm")
    except (RuntimeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (a, b, c)):
        return None
    return float(a), float(b), float(c)


def fit_timescale(curve: np.ndarray, bin_width: float = BIN_WIDTH,
                  max_timescale: float | None = None) -> TimescaleFit:
    """Fit the timescale of one autocorrelation curve, given from lag 1 bin on.

    Parameters
    ----------
    curve : ndarray, shape (n_lags,)
        Autocorrelation at lags 1..n_lags.
    bin_width : float
        Bin width (s).
    max_timescale : float, optional
        Longest timescale (ms) the lags can identify: a longer fitted one is
        excluded (``EXCLUDED_TOO_LONG``). A finite positive number; None (the
        default) is the lag span, :func:`lag_span` of ``n_lags``.

    Returns
    -------
    TimescaleFit
        With ``exclusion`` "" (fitted), ``EXCLUDED_NAN``, ``EXCLUDED_NO_FALL``,
        ``EXCLUDED_FIT``, ``EXCLUDED_NO_DECAY`` or ``EXCLUDED_TOO_LONG`` (which
        keeps the fitted ``A``, ``b`` and ``C``).

    Examples
    --------
    A fall by ``e`` every 4 bins is a timescale of 4 x 50 ms; a late fall has none:

    >>> import numpy as np
    >>> from spikewidgets.analysis._fitting import fit_timescale
    >>> round(float(fit_timescale(0.5 * np.exp(-np.arange(1, 16) / 4)).timescale), 1)
    200.0
    >>> fit_timescale([0.1, 0.2, 0.3, 0.4, 0.3, 0.2]).exclusion
    'no fall before lag 4'

    A curve that falls by ``e`` only every 40 bins (2 s) hardly falls over
    lags of 50 to 750 ms, 700 ms apart:

    >>> slow = 0.5 * np.exp(-np.arange(1, 16) / 40)
    >>> fit_timescale(slow).exclusion, fit_timescale(slow, max_timescale=5000).exclusion
    ('timescale beyond the lag span', '')
    """
    bound = _max_timescale(max_timescale, np.size(curve), bin_width)
    values = np.ascontiguousarray(curve, dtype=np.float64).ravel()
    if np.isnan(values).any():
        return TimescaleFit(math.nan, exclusion=EXCLUDED_NAN)
    start = start_of_fall(values)
    if not 0 < start < LATEST_START:
        return TimescaleFit(math.nan, start_lag=start, exclusion=EXCLUDED_NO_FALL)
    fitted = _fit_exponential(values[start - 1:])
    if fitted is None:
        return TimescaleFit(math.nan, start_lag=start, exclusion=EXCLUDED_FIT)
    a, b, c = fitted
    if b >= 0:
        return TimescaleFit(math.nan, a, b, c, start, EXCLUDED_NO_DECAY)
    timescale = -1.0 / b * bin_width * 1000.0
    if timescale > bound:
        return TimescaleFit(math.nan, a, b, c, start, EXCLUDED_TOO_LONG)
    return TimescaleFit(timescale, a, b, c, start)


def population_timescale(ds: xr.Dataset, unit_type: str | None = None, *,
                         max_timescale: float | None = None) -> float:
    """Timescale (ms) of the mean autocorrelation of the fitted units, as the study's ``pop_fit``.

    Each curve a fit was tried on (whatever the fit gave: a timescale, none,
    or one beyond the bound) is taken from its start lag on (shifted to start at lag 1, as
    ``new_auto_c`` of ``fnc_get_models.m``), averaged over units (of
    ``unit_type`` if given) and fitted like one unit's curve, starting at
    lag 1. NaN when no unit was fitted, the fit fails or does not decay, or
    its timescale is longer than ``max_timescale``.

    Parameters
    ----------
    ds : xarray.Dataset
        A Dataset of :func:`~spikewidgets.analysis.timescales_from_counts`
        (``autocorrelation``, ``fit_start_lag``, ``exclusion`` and the
        ``bin_width_ms`` attribute).
    unit_type : str, optional
        Average only the units of this ``unit_type`` (``"exc"`` or ``"inh"``).
    max_timescale : float, optional
        Longest timescale (ms) returned, a finite positive number; None (the
        default) is the Dataset's ``max_timescale_ms`` attribute (the lag span
        if it has none).

    Returns
    -------
    float
        The timescale in ms, NaN when there is none.

    Examples
    --------
    The units of :func:`~spikewidgets.analysis.timescales_from_counts`' example:

    >>> import numpy as np
    >>> from spikewidgets.analysis import population_timescale, timescales_from_counts
    >>> rng = np.random.default_rng(0)
    >>> latent = [rng.standard_normal((3, 200))]  # 3 units, 200 trials
    >>> for _ in range(19):  # 20 bins of 50 ms, a correlation of 0.8 from one to the next
    ...     latent.append(0.8 * latent[-1] + 0.6 * rng.standard_normal((3, 200)))
    >>> counts = rng.poisson(np.exp(1 + 0.5 * np.stack(latent, axis=-1)))
    >>> ds = timescales_from_counts(counts)
    >>> population = population_timescale(ds)  # ms; the process's is 224 ms
    >>> bool(100 < population < 400), ds.attrs["max_timescale_ms"]
    (True, 700.0)
    >>> bool(np.isnan(population_timescale(ds, max_timescale=100)))  # longer than 100 ms
    True
    """
    bin_ms = ds.attrs["bin_width_ms"]
    if max_timescale is None:
        bound = float(ds.attrs.get("max_timescale_ms", lag_span(ds.sizes["lag"], bin_ms / 1000)))
    else:
        bound = positive_number("max_timescale", max_timescale)
    start = ds.fit_start_lag.values / bin_ms
    chosen = np.isfinite(start) & np.isin(ds.exclusion.values, ["", EXCLUDED_NO_DECAY,
                                                                EXCLUDED_FIT, EXCLUDED_TOO_LONG])
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
    fitted = _fit_exponential(mean[np.isfinite(mean)])
    if fitted is None or fitted[1] >= 0 or -1.0 / fitted[1] * bin_ms > bound:
        return math.nan
    return -1.0 / fitted[1] * bin_ms
