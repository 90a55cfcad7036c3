"""Spike counts of the spiking network in trials without stimulus, and their timescales.

:func:`~spikewidgets.analysis.spontaneous_spike_counts` runs the LIF network of a rate model at one
scaling factor for ``n_trials`` trials with a zero input (or an input you
give), on a pool of threads (the kernel releases the GIL), and bins each
unit's spikes in a window; :func:`~spikewidgets.analysis.network_timescales` adds the timescale
analysis of :func:`~spikewidgets.analysis.timescales_from_counts`, with each unit's type
and synaptic decay constant. Trial ``t`` draws its initial voltages and noise
from ``spikewidgets.sim._seeding.trial_generator`` of the seed and ``t``: the
same seed gives the same counts on any number of threads.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import xarray as xr

from spikewidgets.analysis._fitting import BIN_WIDTH
from spikewidgets.analysis._timescales import (
    MAX_LAG,
    MIN_TRIALS,
    RATE_RANGE,
    timescales_from_counts,
)
from spikewidgets.io._labels import variable_attrs
from spikewidgets.io._modelfile import RateModel, load_model
from spikewidgets.io._validation import positive_int, positive_number
from spikewidgets.sim._kernel import LIFNetwork, run_lif
from spikewidgets.sim._scheduling import available_workers
from spikewidgets.sim._seeding import entropy_from_seed, seed_attr, trial_generator
from spikewidgets.sim.constants import RATE_STEP

__all__ = ["DEFAULT_WINDOW", "network_timescales", "spontaneous_spike_counts"]

#: Default analysis window (s): 20 bins of 50 ms (the study's 1 s) after 250 ms of settling
#: from the random initial voltages.
DEFAULT_WINDOW = (0.25, 1.25)


def _scaling_factor(model: RateModel, scaling_factor: float | None) -> float:
    if scaling_factor is None:
        if model.opt_scaling_factor is None:
            raise ValueError(
                "scaling_factor is None and the model holds no opt_scaling_factor; pass a "
                "scaling factor or search one with lambda_grid_search first"
            )
        return float(model.opt_scaling_factor)
    return positive_number("scaling_factor", scaling_factor)


def _steps(value: float, dt: float, name: str) -> int:
    steps = round(value / dt)
    if abs(steps * dt - value) > 1e-9 or steps < 0:
        raise ValueError(f"{name} is {value!r} s, expected a non-negative multiple of the "
                         f"LIF step {dt:g} s")
    return int(steps)


def _input(model: RateModel, u: np.ndarray | None, stop: float) -> np.ndarray:
    """The trial's input: ``u``, or zeros long enough to reach ``stop`` seconds."""
    if u is None:
        return np.zeros((model.n_inputs, math.ceil(stop / RATE_STEP - 1e-9) + 1))
    u = np.asarray(u, dtype=np.float64)
    if u.ndim != 2 or u.shape[0] != model.n_inputs:
        raise ValueError(f"u has shape {u.shape}, expected ({model.n_inputs}, n_columns)")
    return u


class _Counter:
    """Runs trials of one network and bins their spikes (shared by the worker threads)."""

    def __init__(self, network: LIFNetwork, u: np.ndarray, entropy: int,
                 window: tuple[int, int], bin_steps: int) -> None:
        self.network, self.u, self.entropy = network, u, entropy
        self.first, self.bin_steps = window[0], bin_steps
        self.n_bins = (window[1] - window[0]) // bin_steps

    def block(self, trials: Sequence[int]) -> np.ndarray:
        """Counts (unit, len(trials), bin) of a block of trials."""
        counts = np.zeros((self.network.n_units, len(trials), self.n_bins), dtype=np.int64)
        n_steps = self.network.timing(self.u.shape[1])[1]
        for row, trial in enumerate(trials):
            result = run_lif(self.network, self.u, rng=trial_generator(self.entropy, trial),
                             record_spikes=True, out_start=n_steps)
            index = (result.spike_steps[0] - self.first) // self.bin_steps
            inside = (result.spike_steps[0] >= self.first) & (index < self.n_bins)
            np.add.at(counts, (result.spike_units[0][inside], row, index[inside]), 1)
        return counts


def spontaneous_spike_counts(
    model: str | os.PathLike | RateModel,
    scaling_factor: float | None = None,
    n_trials: int = 100,
    *,
    window: tuple[float, float] = DEFAULT_WINDOW,
    bin_width: float = BIN_WIDTH,
    u: np.ndarray | None = None,
    seed: int | None = None,
    n_workers: int | None = None,
) -> xr.Dataset:
    """Run the spiking network ``n_trials`` times without stimulus; count spikes in bins.

    Parameters
    ----------
    model : path-like or RateModel
        Trained rate model.
    scaling_factor : float, optional
        Factor dividing the recurrent and readout weights (default: the
        model's stored ``opt_scaling_factor``).
    n_trials : int
        Trials to simulate.
    window : (float, float)
        Start and end (s) of the counted window, multiples of the LIF step;
        default ``DEFAULT_WINDOW``.
    bin_width : float
        Bin width (s), a multiple of the LIF step; bins are counted from the
        window's start, as many as fit.
    u : ndarray, shape (n_inputs, n_columns), optional
        Input of every trial (one column per 5 ms); default zeros just long
        enough for the window.
    seed : int, optional
        Seed of every random draw (None: a fresh one, stored in the attrs).
    n_workers : int, optional
        Threads (default: the cores this process may use).

    Returns
    -------
    xarray.Dataset
        ``spike_count`` (unit, trial, time_bin) with coordinates ``time_bin``
        (start of each bin, s), ``unit_type`` and the variable
        ``synaptic_decay`` (unit, ms); attrs: scaling factor, seed, window,
        bin width.

    Examples
    --------
    Four trials of the bundled Go-NoGo model at its stored optimum, counted
    in four bins from 0.1 s to 0.3 s; the counts do not depend on the number
    of threads:

    >>> import numpy as np
    >>> import spikewidgets as sw
    >>> from spikewidgets.analysis import spontaneous_spike_counts
    >>> path = sw.example_model("go_nogo", ".")
    >>> counts = spontaneous_spike_counts(path, n_trials=4, window=(0.1, 0.3), seed=0,
    ...                                   n_workers=1)
    >>> counts.spike_count.shape, counts.attrs["scaling_factor"]
    ((200, 4, 4), 30.0)
    >>> counts.time_bin.values
    array([0.1 , 0.15, 0.2 , 0.25])
    >>> again = spontaneous_spike_counts(path, n_trials=4, window=(0.1, 0.3), seed=0,
    ...                                  n_workers=2)
    >>> np.array_equal(counts.spike_count, again.spike_count)
    True
    """
    model = model if isinstance(model, RateModel) else load_model(model)
    factor = _scaling_factor(model, scaling_factor)
    n_trials = positive_int("n_trials", n_trials)
    entropy = entropy_from_seed(seed)
    network = LIFNetwork.from_model(model, [factor])
    dt = network.dt
    start, stop = (float(v) for v in window)
    bin_steps = _steps(positive_number("bin_width", bin_width), dt, "bin_width")
    first, last = _steps(start, dt, "window start"), _steps(stop, dt, "window end")
    u = _input(model, u, stop)
    n_steps = network.timing(u.shape[1])[1]
    if last > n_steps or (last - first) // bin_steps < 2:
        raise ValueError(f"window is {window!r}, expected at least two bins of {bin_width} s "
                         f"inside the trial of {n_steps * dt:g} s")
    counter = _Counter(network, u, entropy, (first, last), bin_steps)
    workers = available_workers() if n_workers is None else positive_int("n_workers", n_workers)
    blocks = [list(range(b, min(b + 5, n_trials))) for b in range(0, n_trials, 5)]
    with ThreadPoolExecutor(workers) as pool:
        counts = np.concatenate(list(pool.map(counter.block, blocks)), axis=1)
    return _counts_dataset(model, counts, factor, entropy, (start, stop), bin_width)


def _counts_dataset(model: RateModel, counts: np.ndarray, factor: float, entropy: int,
                    window: tuple[float, float], bin_width: float) -> xr.Dataset:
    exc = np.asarray(model.exc, dtype=bool)
    attrs = {"scaling_factor": float(factor), "seed": seed_attr(entropy),
             "n_trials": int(counts.shape[1]), "window_start_s": float(window[0]),
             "window_stop_s": float(window[1]), "bin_width_ms": float(bin_width * 1000)}
    if model.path is not None:
        attrs["model_path"] = str(Path(model.path).resolve())
    bins = window[0] + bin_width * np.arange(counts.shape[2])
    return xr.Dataset(
        {
            "spike_count": (("unit", "trial", "time_bin"), counts,
                            variable_attrs("spike count", "spikes in the bin")),
            "synaptic_decay": ("unit", model.synaptic_decay() * 1000,
                               variable_attrs("synaptic decay", "synaptic decay time constant td",
                                              "ms")),
        },
        coords={
            "unit": ("unit", np.arange(model.n_units), variable_attrs("unit", "unit index")),
            "unit_type": ("unit", np.where(exc, "exc", "inh"),
                          variable_attrs("unit type", "excitatory or inhibitory")),
            "trial": ("trial", np.arange(counts.shape[1]), variable_attrs("trial", "trial index")),
            "time_bin": ("time_bin", bins,
                         variable_attrs("bin start", "start of the bin, from trial start", "s")),
        },
        attrs=attrs,
    )


def network_timescales(
    model: str | os.PathLike | RateModel,
    scaling_factor: float | None = None,
    n_trials: int = 100,
    *,
    window: tuple[float, float] = DEFAULT_WINDOW,
    bin_width: float = BIN_WIDTH,
    max_lag: int = MAX_LAG,
    rate_range: Sequence[float] | None = RATE_RANGE,
    min_trials: int = MIN_TRIALS,
    max_timescale: float | None = None,
    u: np.ndarray | None = None,
    seed: int | None = None,
    n_workers: int | None = None,
) -> xr.Dataset:
    """Timescales of every unit of the spiking network, from trials without stimulus.

    :func:`~spikewidgets.analysis.spontaneous_spike_counts`, then
    :func:`~spikewidgets.analysis.timescales_from_counts` with each unit's
    type and synaptic decay constant. See those two for the parameters
    (``max_timescale``, in ms: the longest timescale kept, by default the
    lag span).

    Returns
    -------
    xarray.Dataset
        Dims ``unit`` and ``lag``: ``autocorrelation``, ``timescale`` (ms),
        ``exclusion``, ``mean_rate``, ``fano_factor``, ``synaptic_decay``
        (ms), ... and the attrs of both steps.

    Examples
    --------
    The units of the bundled DMS model, from 20 trials of 1 s without
    stimulus (the study used 100 or more; with fewer, more units lack a
    timescale). A unit has a timescale (within the 700 ms the lags span) or
    the reason why not:

    >>> import numpy as np
    >>> import spikewidgets as sw
    >>> from spikewidgets.analysis import network_timescales
    >>> ds = network_timescales(sw.example_model("dms", "."), n_trials=20, seed=0)
    >>> dict(ds.sizes), ds.attrs["max_timescale_ms"], ds.timescale.attrs["units"]
    ({'unit': 200, 'lag': 15}, 700.0, 'ms')
    >>> kept = ds.exclusion.values == ""
    >>> bool(np.all(ds.timescale.values[kept] <= 700))
    True
    >>> bool(np.array_equal(np.isnan(ds.timescale.values), ~kept))
    True
    """
    counts = spontaneous_spike_counts(model, scaling_factor, n_trials, window=window,
                                      bin_width=bin_width, u=u, seed=seed, n_workers=n_workers)
    return timescales_from_counts(
        counts.spike_count.values, bin_width=bin_width, max_lag=max_lag,
        rate_range=rate_range, min_trials=min_trials, max_timescale=max_timescale,
        unit_type=counts.unit_type.values,
        synaptic_decay=counts.synaptic_decay.values, attrs=counts.attrs,
    )
