"""Neuronal timescales: the published method on synthetic spike trains, exclusions, the network."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from spikewidgets import load_model, simulate
from spikewidgets.analysis import (
    EXCLUDED_TOO_LONG,
    network_timescales,
    population_timescale,
    spontaneous_spike_counts,
    timescales_from_counts,
    timescales_from_spike_times,
)
from spikewidgets.analysis._fitting import (
    EXCLUDED_NAN,
    EXCLUDED_NO_FALL,
    exponential,
    fit_timescale,
    lag_span,
    start_of_fall,
)
from spikewidgets.analysis._spiketimes import bin_spike_times
from spikewidgets.analysis._timescales import (
    EXCLUDED_RATE,
    EXCLUDED_TRIALS,
    autocorrelation,
    fano_factor,
)
from spikewidgets.io import example_model


def ou_poisson_counts(tau: float, *, n_units: int = 100, n_trials: int = 300, n_bins: int = 20,
                      rate: float = 30.0, depth: float = 0.5, seed: int = 0) -> np.ndarray:
    """Poisson counts in 50 ms bins of a rate ``rate * (1 + depth * x(t))``, x an OU process.

    x has unit variance and autocorrelation exp(-|t| / tau), drawn every
    5 ms; the rate, rarely negative at this depth, is clipped at 0. The counts
    of two different bins then have an autocorrelation proportional to
    exp(-lag / tau): the timescale to recover is ``tau``.
    """
    rng = np.random.default_rng(seed)
    dt, per_bin = 0.005, 10
    decay = math.exp(-dt / tau)
    x = np.empty((n_units, n_trials, n_bins * per_bin))
    x[..., 0] = rng.standard_normal((n_units, n_trials))
    kicks = rng.standard_normal(x.shape) * math.sqrt(1 - decay**2)
    for step in range(1, x.shape[2]):
        x[..., step] = decay * x[..., step - 1] + kicks[..., step]
    expected = (rate * np.clip(1 + depth * x, 0, None) * dt).reshape(
        n_units, n_trials, n_bins, per_bin).sum(axis=3)
    return rng.poisson(expected)


@pytest.mark.parametrize("tau_ms", [50, 100, 200])
def test_median_timescale_of_synthetic_spike_trains_is_within_15_percent(tau_ms):
    ds = timescales_from_counts(ou_poisson_counts(tau_ms / 1000, seed=tau_ms))
    fitted = ds.timescale.values[np.isfinite(ds.timescale.values)]
    assert fitted.size >= 90  # every unit fires at ~30 Hz: few fits fail
    median = float(np.median(fitted))
    assert abs(median - tau_ms) <= 0.15 * tau_ms, (tau_ms, median)
    assert 0.85 * tau_ms <= population_timescale(ds) <= 1.15 * tau_ms


def test_autocorrelation_is_the_published_average_of_pearson_correlations():
    rng = np.random.default_rng(1)
    counts = rng.poisson(1.5, size=(3, 25, 12)).astype(float)
    counts[1, :, 4] = 2.0  # a bin that never varies: its pairs are left out (nanmean)
    expected = np.full((3, 5), np.nan)
    for unit in range(3):
        for lag in range(1, 6):
            pairs = []
            for first in range(12 - lag):
                a, b = counts[unit, :, first], counts[unit, :, first + lag]
                pairs.append(np.nan if a.std() == 0 or b.std() == 0 else np.corrcoef(a, b)[0, 1])
            expected[unit, lag - 1] = np.nanmean(pairs)
    np.testing.assert_allclose(autocorrelation(counts, 5), expected, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="max_lag is 12"):
        autocorrelation(counts, 12)


def test_start_of_fall_follows_the_published_scan():
    assert start_of_fall(np.array([0.5, 0.4, 0.3, 0.2])) == 1
    assert start_of_fall(np.array([0.3, 0.5, 0.4, 0.3])) == 2
    assert start_of_fall(np.array([0.3, 0.3, 0.5, 0.4])) == 3  # equal values do not stop it
    assert start_of_fall(np.array([0.1, 0.2, 0.3, 0.4])) == 0  # never falls


def test_fit_recovers_an_exact_exponential_from_the_start_of_its_fall():
    lags = np.arange(1, 16)
    curve = exponential(lags.astype(float), 0.4, -50 / 120, 0.05)  # tau = 120 ms
    curve[0] = curve[1] - 0.1  # rises to lag 2 (refractoriness), then falls
    fit = fit_timescale(curve)
    assert fit.exclusion == "" and fit.start_lag == 2
    assert fit.timescale == pytest.approx(120.0, rel=1e-6)
    np.testing.assert_allclose(fit.curve(15)[1:], curve[1:], rtol=1e-6)
    assert np.isnan(fit.curve(15)[0])


def test_no_fall_found_excludes_the_unit():
    rising = np.array([0.05, 0.1, 0.15, 0.2, 0.18, 0.1, 0.05, 0, 0, 0, 0, 0, 0, 0, 0])
    fit = fit_timescale(rising)
    assert fit.exclusion == EXCLUDED_NO_FALL and fit.start_lag == 4 and np.isnan(fit.timescale)
    assert fit_timescale(np.linspace(-0.2, 0.1, 15)).exclusion == EXCLUDED_NO_FALL
    # From spike counts: negative correlations that fade with the lag rise over lags 1..4.
    n_bins, rng = 20, np.random.default_rng(5)
    distance = np.abs(np.subtract.outer(np.arange(n_bins), np.arange(n_bins)))
    covariance = np.where(distance == 0, 1.0, -0.15 * np.exp(-distance / 3.0))
    counts = 10 + rng.multivariate_normal(np.zeros(n_bins), covariance, size=(2, 3000))
    ds = timescales_from_counts(counts, rate_range=None)
    assert (np.diff(ds.autocorrelation.values[:, :4], axis=1) > 0).all()
    assert ds.exclusion.values.tolist() == [EXCLUDED_NO_FALL] * 2
    assert np.isnan(ds.timescale.values).all() and np.isnan(ds.autocorrelation_fit.values).all()


def test_nan_lags_exclude_the_unit():
    counts = ou_poisson_counts(0.1, n_units=2, n_trials=60, seed=3)
    counts[1, :, 5:] = 0  # the unit falls silent after 250 ms: no correlation at lags >= 5
    ds = timescales_from_counts(counts)
    assert ds.exclusion.values.tolist() == ["", EXCLUDED_NAN]
    curve = ds.autocorrelation.values[1]
    assert np.isfinite(curve[:4]).all() and np.isnan(curve[4:]).all()
    assert np.isfinite(ds.timescale.values[0]) and np.isnan(ds.timescale.values[1])
    assert fit_timescale(np.r_[0.3, np.nan, np.zeros(13)]).exclusion == EXCLUDED_NAN


def test_too_few_trials_exclude_every_unit():
    counts = ou_poisson_counts(0.1, n_units=3, n_trials=11, seed=4)
    assert EXCLUDED_TRIALS not in timescales_from_counts(counts).exclusion.values
    ds = timescales_from_counts(counts[:, :10])
    assert ds.exclusion.values.tolist() == [EXCLUDED_TRIALS] * 3
    assert np.isnan(ds.timescale.values).all() and ds.attrs["n_fitted"] == 0
    assert np.isfinite(ds.autocorrelation.values).all()  # computed, but not fitted
    assert ds.attrs["min_trials"] == 11


def test_units_outside_the_rate_range_are_left_out():
    counts = ou_poisson_counts(0.1, n_units=3, n_trials=100, seed=6)
    counts[2] *= 5  # about 150 Hz
    ds = timescales_from_counts(counts)
    assert (ds.attrs["rate_min_hz"], ds.attrs["rate_max_hz"]) == (0.0, 100.0)
    assert ds.mean_rate.values[2] > 100 and 20 < ds.mean_rate.values[0] < 40
    assert ds.exclusion.values[2] == EXCLUDED_RATE and np.isnan(ds.timescale.values[2])
    kept = timescales_from_counts(counts, rate_range=(0, 200))
    assert kept.exclusion.values[2] != EXCLUDED_RATE
    assert timescales_from_counts(counts, rate_range=(25, 100)).exclusion.values[1] in (
        EXCLUDED_RATE, "")
    with pytest.raises(ValueError, match="rate_range"):
        timescales_from_counts(counts, rate_range=(10, 5))


def ar1_counts(taus_ms: list[float], *, n_trials: int = 4000, n_bins: int = 20,
               seed: int = 0) -> np.ndarray:
    """Counts ``2 + x / 2`` per 50 ms bin, x a unit-variance AR(1) of correlation exp(-lag / tau).

    Their autocorrelation at lag k bins is exp(-50 k / tau) up to sampling
    noise: nearly flat over lags of 50 to 750 ms for a tau of seconds.
    """
    rng = np.random.default_rng(seed)
    decay = np.exp(-50.0 / np.asarray(taus_ms, dtype=np.float64))[:, None]
    x = np.empty((len(taus_ms), n_trials, n_bins))
    x[..., 0] = rng.standard_normal(x.shape[:2])
    for step in range(1, n_bins):
        x[..., step] = decay * x[..., step - 1] + np.sqrt(1 - decay**2) * rng.standard_normal(
            x.shape[:2])
    return 2 + 0.5 * x


def test_a_timescale_longer_than_the_lags_span_is_left_out():
    ds = timescales_from_counts(ar1_counts([150, 2000]))
    assert ds.attrs["max_timescale_ms"] == 700.0 == ds.lag.values[-1] - ds.lag.values[0]
    assert ds.exclusion.values.tolist() == ["", EXCLUDED_TOO_LONG]
    assert 120 < ds.timescale.values[0] < 180 and np.isnan(ds.timescale.values[1])
    assert np.ptp(ds.autocorrelation.values[1]) < 0.4  # falls from about 0.98 to 0.69
    assert ds.fit_rate.values[1] < 0 and np.isfinite(ds.fit_start_lag.values[1])
    assert EXCLUDED_TOO_LONG in ds.exclusion.attrs["description"]
    assert ds.attrs["n_fitted"] == 1
    unbounded = timescales_from_counts(ar1_counts([150, 2000]), max_timescale=10_000)
    assert unbounded.attrs["max_timescale_ms"] == 10_000.0
    assert unbounded.exclusion.values.tolist() == ["", ""]
    assert 700 < unbounded.timescale.values[1] < 10_000
    assert unbounded.timescale.values[0] == ds.timescale.values[0]
    strict = timescales_from_counts(ar1_counts([150, 2000]), max_timescale=100)
    assert strict.exclusion.values.tolist() == [EXCLUDED_TOO_LONG] * 2


def test_the_default_bound_is_the_lag_span():
    assert lag_span(15) == 700.0 and lag_span(10, bin_width=0.02) == 180.0
    curve = 0.5 * np.exp(-np.arange(1, 16) * 50 / 600)  # 600 ms
    assert fit_timescale(curve).timescale == pytest.approx(600, rel=1e-6)  # within 700 ms
    short = fit_timescale(curve[:10])  # lags of 50 to 500 ms span 450 ms
    assert short.exclusion == EXCLUDED_TOO_LONG and np.isnan(short.timescale)
    assert -50 / short.rate == pytest.approx(600, rel=1e-6)  # the fit is kept
    assert fit_timescale(curve[:10], max_timescale=601).timescale == pytest.approx(600, rel=1e-6)
    assert fit_timescale(curve, max_timescale=599).exclusion == EXCLUDED_TOO_LONG
    ds = timescales_from_counts(ar1_counts([150], n_trials=200), max_lag=8, bin_width=0.02)
    assert ds.attrs["max_timescale_ms"] == pytest.approx(140.0)
    for bad in (0, -5, math.inf, math.nan, "700", True):
        with pytest.raises(ValueError, match="max_timescale"):
            timescales_from_counts(ar1_counts([150], n_trials=20), max_timescale=bad)
        with pytest.raises(ValueError, match="max_timescale"):
            fit_timescale(curve, max_timescale=bad)


def test_population_timescale_keeps_to_the_bound():
    ds = timescales_from_counts(ar1_counts([150, 150, 2000]))
    assert 100 < population_timescale(ds) < 700
    assert math.isnan(population_timescale(ds, max_timescale=50))
    slow = timescales_from_counts(ar1_counts([2000, 2000]))
    assert set(slow.exclusion.values) == {EXCLUDED_TOO_LONG}
    assert math.isnan(population_timescale(slow))  # about 2 s, beyond the 700 ms of the lags
    assert 700 < population_timescale(slow, max_timescale=10_000) < 10_000
    with pytest.raises(ValueError, match="max_timescale"):
        population_timescale(slow, max_timescale=-1)


def _layouts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """The same counts in C order, Fortran order and as transposed views of other orders."""
    return {
        "C": np.ascontiguousarray(counts),
        "F": np.asfortranarray(counts),
        "bin-trial-unit view": np.ascontiguousarray(counts.transpose(2, 1, 0)).transpose(2, 1, 0),
        "trial-unit-bin view": np.ascontiguousarray(counts.transpose(1, 0, 2)).transpose(1, 0, 2),
        "float F": np.asfortranarray(counts, dtype=np.float64),
    }


def test_results_do_not_depend_on_the_memory_layout_of_the_counts():
    counts = np.concatenate([ou_poisson_counts(tau, n_units=10, n_trials=40, seed=11)
                             for tau in (0.05, 0.5, 5.0)])
    counts[3, :, 6:] = 0  # NaN lags
    counts[4] *= 6  # outside the rate range
    layouts = _layouts(counts)
    assert not layouts["F"].flags.c_contiguous
    assert not layouts["bin-trial-unit view"].flags.c_contiguous
    reference = timescales_from_counts(layouts["C"])
    assert len(set(reference.exclusion.values.tolist())) >= 4  # several kinds of unit
    for name, layout in layouts.items():
        np.testing.assert_array_equal(autocorrelation(layout), reference.autocorrelation.values,
                                      err_msg=name)
        ds = timescales_from_counts(layout)
        for variable in ("autocorrelation", "timescale", "fit_rate", "exclusion", "fano_factor",
                         "mean_rate"):
            np.testing.assert_array_equal(ds[variable].values, reference[variable].values,
                                          err_msg=f"{variable} of {name}")
    curves = reference.autocorrelation.values
    for unit in np.flatnonzero(reference.exclusion.values == ""):  # the fit alone
        again = fit_timescale(np.asfortranarray(curves)[unit])
        assert again == fit_timescale(curves[unit].copy())
        assert again.timescale == reference.timescale.values[unit]


def test_fano_factor():
    rng = np.random.default_rng(8)
    poisson = rng.poisson(0.5, size=(2, 20000, 20))
    np.testing.assert_allclose(fano_factor(poisson), 1.0, atol=0.06)
    counts = np.array([[[1, 2], [3, 0], [0, 0]], [[0, 0], [0, 0], [0, 0]]])
    totals = np.array([3.0, 3.0, 0.0])
    assert fano_factor(counts)[0] == pytest.approx(totals.var(ddof=1) / totals.mean())
    assert np.isnan(fano_factor(counts)[1])


def test_spike_times_are_binned_from_the_window_start():
    times = np.array([0.20, 0.25, 0.2999, 0.30, 0.74, 0.75, 0.9])
    units = np.array([0, 1, 1, 0, 0, 1, 1])
    trials = np.array([0, 0, 1, 1, 0, 1, 0])
    counts = bin_spike_times(times, units, trials, n_units=2, n_trials=2, window=(0.25, 0.75))
    assert counts.shape == (2, 2, 10) and counts.sum() == 4
    assert counts[1, 0, 0] == 1 and counts[1, 1, 0] == 1 and counts[0, 1, 1] == 1
    assert counts[0, 0, 9] == 1  # 0.74 s; 0.75 s is past the window
    with pytest.raises(ValueError, match="outside"):
        bin_spike_times(times, units + 1, trials, n_units=2, n_trials=2, window=(0, 1))


@pytest.fixture(scope="module")
def xor_model(tmp_path_factory):
    return load_model(example_model("xor", tmp_path_factory.mktemp("xor")))


def test_spontaneous_counts_are_the_spikes_of_simulate(xor_model):
    counts = spontaneous_spike_counts(xor_model, n_trials=12, window=(0.1, 0.6), seed=5,
                                      n_workers=2)
    assert counts.spike_count.dims == ("unit", "trial", "time_bin")
    assert counts.spike_count.shape == (200, 12, 10)
    assert counts.attrs["scaling_factor"] == xor_model.opt_scaling_factor
    one = spontaneous_spike_counts(xor_model, n_trials=12, window=(0.1, 0.6), seed=5,
                                   n_workers=1)
    xr.testing.assert_identical(counts, one)
    # Trial 3 is the trial simulate() runs with a zero input and the same seed.
    sim = simulate(xor_model, xor_model.opt_scaling_factor, u=np.zeros((2, 121)), seed=5,
                   trial=3)
    expected = bin_spike_times(sim.spike_time.values, sim.spike_unit.values,
                               np.zeros(sim.sizes["spike"], dtype=int), n_units=200,
                               n_trials=1, window=(0.1, 0.6))
    np.testing.assert_array_equal(counts.spike_count.values[:, 3], expected[:, 0])
    np.testing.assert_allclose(counts.synaptic_decay.values, xor_model.synaptic_decay() * 1000)
    with pytest.raises(ValueError, match="multiple of the LIF step"):
        spontaneous_spike_counts(xor_model, n_trials=2, window=(0.1, 0.60001), seed=0)


def test_network_timescales_dataset(xor_model, tmp_path):
    ds = network_timescales(xor_model, n_trials=20, seed=1)
    assert dict(ds.sizes) == {"unit": 200, "lag": 15}
    np.testing.assert_allclose(ds.lag.values, 50 * np.arange(1, 16))
    for name, variable in ds.variables.items():
        assert {"long_name", "description"} <= set(variable.attrs), name
    for value in ds.attrs.values():
        assert isinstance(value, (str, int, float)), value
    assert ds.timescale.attrs["units"] == "ms" and ds.synaptic_decay.attrs["units"] == "ms"
    assert set(ds.unit_type.values) == {"exc", "inh"}
    fitted = ds.exclusion.values == ""
    assert fitted.sum() == ds.attrs["n_fitted"] > 10
    assert ds.attrs["max_timescale_ms"] == 700.0
    assert (ds.timescale.values[fitted] <= 700).all()
    assert np.isfinite(ds.timescale.values[fitted]).all()
    assert np.isnan(ds.timescale.values[~fitted]).all()
    assert (ds.timescale.values[fitted] > 0).all()
    # The same from the spike times of the same trials.
    counts = spontaneous_spike_counts(xor_model, n_trials=20, seed=1)
    unit, trial, index = np.nonzero(counts.spike_count.values)
    repeats = counts.spike_count.values[unit, trial, index]
    times = np.repeat(0.25 + 0.05 * index + 0.01, repeats)
    again = timescales_from_spike_times(times, np.repeat(unit, repeats),
                                        np.repeat(trial, repeats), n_units=200, n_trials=20,
                                        window=(0.25, 1.25))
    np.testing.assert_array_equal(again.timescale.values, ds.timescale.values)
    ds.to_netcdf(tmp_path / "timescales.nc")
    with xr.open_dataset(tmp_path / "timescales.nc") as stored:
        np.testing.assert_array_equal(stored.timescale.values, ds.timescale.values)
        assert stored.exclusion.values.tolist() == ds.exclusion.values.tolist()


def test_network_timescales_passes_the_bound(xor_model):
    ds = network_timescales(xor_model, n_trials=12, window=(0.25, 0.75), max_lag=5, seed=2,
                            max_timescale=120)
    assert ds.attrs["max_timescale_ms"] == 120.0
    fitted = ds.exclusion.values == ""
    assert (ds.timescale.values[fitted] <= 120).all()
    with pytest.raises(ValueError, match="max_timescale"):
        network_timescales(xor_model, n_trials=12, max_timescale=0)


def test_figures_of_a_timescale_dataset():
    pytest.importorskip("bokeh")
    from bokeh.models import GlyphRenderer

    from spikewidgets.plots import plot_autocorrelation, plot_timescale_vs_decay

    counts = ou_poisson_counts(0.1, n_units=6, n_trials=100, seed=9)
    counts[5] = 0  # silent: no timescale, not drawn
    types = ["exc", "exc", "inh", "exc", "inh", "inh"]
    ds = timescales_from_counts(counts, unit_type=types,
                                synaptic_decay=[20.0, 40.0, 60.0, 80.0, 90.0, 99.0])
    fitted = ds.exclusion.values == ""
    assert fitted[:5].all() and not fitted[5]
    fig = plot_autocorrelation(ds)
    assert fig.name == "autocorrelation" and "5 of 6 units" in fig.title.text
    sources = {r.data_source.name: r for r in fig.renderers if isinstance(r, GlyphRenderer)}
    assert len(sources["autocorrelation_exc_units"].data_source.data["ys"]) == 3
    assert len(sources["autocorrelation_inh_units"].data_source.data["ys"]) == 2
    assert sources["autocorrelation_exc_units"].glyph.line_color == "#d62728"
    assert sources["autocorrelation_inh_mean"].glyph.line_color == "#1f77b4"
    labels = [item.label.value for item in fig.legend[0].items]
    assert labels == ["excitatory (mean of 3)", "inhibitory (mean of 2)"]
    scatter = plot_timescale_vs_decay(ds)
    data = {r.data_source.name: r.data_source.data for r in scatter.renderers}
    assert list(data["timescale_inh"]["synaptic_decay"]) == [60.0, 90.0]
    np.testing.assert_array_equal(data["timescale_exc"]["timescale"],
                                  ds.timescale.values[[0, 1, 3]])
    assert scatter.y_scale.__class__.__name__ == "LogScale"
    with pytest.raises(ValueError, match="no variable.*synaptic_decay"):
        plot_timescale_vs_decay(ds.drop_vars("synaptic_decay"))
    with pytest.raises(TypeError, match="expected an xarray.Dataset"):
        plot_autocorrelation(counts)
