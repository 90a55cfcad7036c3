"""The spiking network against its rate network, unit by unit (``compare_rate=True``)."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import xarray as xr

from spikewidgets import lambda_grid_search, load_model, perturbation_search, simulate
from spikewidgets.cli import main
from spikewidgets.search import search_models
from spikewidgets.search._plan import SearchPlan
from spikewidgets.search._plan_options import PlanOptions
from spikewidgets.sim._kernel import LIFNetwork, run_lif
from spikewidgets.sim._seeding import trial_generator

TRIAL_VARIABLES = ("rate_correlation", "rate_gain", "output_divergence")
UNIT_VARIABLES = ("unit_rate_correlation", "unit_rate_gain")


def _search(path, factors, **kwargs) -> xr.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lambda_grid_search(path, "go_nogo", kwargs.pop("n_trials", 4), factors, seed=3,
                                  save=False, progress=False, **kwargs)


@pytest.mark.parametrize("downsample", [1, 4])
def test_the_sampled_rates_are_the_recorded_rates_at_the_rate_steps(write_model, downsample):
    path = write_model(n_units=30)
    model = load_model(path)
    u = np.random.default_rng(1).random((1, 41))
    network = LIFNetwork.from_model(model, [5.0], downsample=downsample)
    result = run_lif(network, u, rng=trial_generator(0, 2), sample_rates=True)
    sim = simulate(path, 5.0, u=u, seed=0, trial=2, record_rates=True, downsample=downsample)
    every = 100 // downsample
    recorded = sim.rate.values[:, every - 1 :: every]
    assert result.rate_samples.shape == (1, 40, 30)
    assert np.array_equal(result.rate_samples[0].T, recorded[:, : result.rate_samples.shape[1]])
    # Sample j is at the time of the rate network's output j: (j + 1) * 5 ms.
    times = sim.time.values[every - 1 :: every]
    assert np.allclose(times, 0.005 * np.arange(1, times.size + 1), rtol=0, atol=1e-12)


def test_simulate_puts_both_networks_on_the_input_time_axis(write_model):
    path = write_model(n_units=30)
    both = simulate(path, 5.0, "go_nogo", trial=1, record_rates=True, compare_rate=True)
    assert both.rate_spiking.dims == both.rate_network.dims == ("unit", "rate_time")
    assert both.rate_spiking.shape == (30, both.sizes["rate_time"])
    assert np.array_equal(both.rate_spiking.values[:, 1:],
                          both.rate.values[:, 99::100] / 5.0)
    assert np.all(both.rate_spiking.values[:, 0] == 0)
    assert np.isfinite(both.rate_network.values).all()
    assert -1 <= both.attrs["rate_correlation"] <= 1 and both.attrs["rate_gain"] > 0
    plain = simulate(path, 5.0, "go_nogo", trial=1, record_rates=True)
    assert np.array_equal(plain.output.values, both.output.values)
    assert np.array_equal(plain.rate.values, both.rate.values)


def test_a_huge_factor_has_a_gain_near_zero_and_a_tiny_one_far_above_one(write_model):
    path = write_model(n_units=40)
    result = _search(path, [0.05, 1e5], compare_rate=True)
    gain = result.rate_gain.mean("trial").values
    assert gain[1] < 0.01, gain
    assert gain[0] > 10, gain
    assert result.unit_rate_gain.sel(scaling_factor=1e5).max() < 0.05
    assert result.rate_correlation.dims == ("scaling_factor", "trial")
    assert result.unit_rate_correlation.dims == ("scaling_factor", "unit")
    assert set(np.unique(result.unit_type.values)) == {"exc", "inh"}


def test_the_comparison_does_not_depend_on_the_workers(write_model):
    path = write_model(n_units=40)
    alone = _search(path, [2.0, 8.0], n_trials=5, compare_rate=True, n_workers=1)
    with ThreadPoolExecutor(2) as pool:
        shared = _search(path, [2.0, 8.0], n_trials=5, compare_rate=True, executor=pool,
                         trials_per_block=1)
    for name in TRIAL_VARIABLES + UNIT_VARIABLES:
        assert np.array_equal(alone[name].values, shared[name].values, equal_nan=True), name


def test_without_the_flag_nothing_changes(write_model):
    path = write_model(n_units=40)
    plain = _search(path, [2.0, 8.0])
    compared = _search(path, [2.0, 8.0], compare_rate=True)
    for name in TRIAL_VARIABLES + UNIT_VARIABLES + ("unit", "unit_type"):
        assert name not in plain.variables
    assert "compare_rate" not in plain.attrs
    without = compared.drop_vars(TRIAL_VARIABLES + UNIT_VARIABLES + ("unit", "unit_type"))
    without.attrs = {k: v for k, v in compared.attrs.items() if k != "compare_rate"}
    xr.testing.assert_identical(plain, without)


def test_the_new_variables_are_labelled(write_model):
    path = write_model(n_units=30)
    result = _search(path, [2.0, 8.0], n_trials=2, compare_rate=True)
    for name in TRIAL_VARIABLES + UNIT_VARIABLES + ("unit", "unit_type"):
        attrs = result[name].attrs
        assert attrs["long_name"] and attrs["description"], name
        assert "units" not in attrs, name
    both = simulate(path, 2.0, "go_nogo", compare_rate=True)
    for name in ("rate_spiking", "rate_network"):
        assert both[name].attrs["long_name"] and both[name].attrs["description"]


def test_many_models_compare_too(write_model, tmp_path):
    paths = [write_model("a.mat", n_units=30, seed=1), write_model("b.mat", n_units=40, seed=2)]
    store = tmp_path / "store.nc"

    def run() -> xr.Dataset:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return search_models(paths, "go_nogo", 2, [2.0, 8.0], seed=0, save=False,
                                 progress=False, compare_rate=True, store=store)

    result = run()
    assert result.rate_correlation.dims == ("model", "scaling_factor", "trial")
    assert result.unit_rate_gain.sizes["unit"] == 40
    assert result.unit_type.dims == ("model", "unit")
    for index, path in enumerate(paths):
        exc = np.asarray(load_model(path).exc, dtype=bool).ravel()
        kinds = result.unit_type.values[index]
        assert kinds[: exc.size].tolist() == np.where(exc, "exc", "inh").tolist()
        assert set(kinds[exc.size :].tolist()) <= {""}
        assert np.isnan(result.unit_rate_gain.values[index][:, exc.size :]).all()
    assert np.isfinite(result.rate_gain.values).all()
    again = run()  # every model from the store
    again.attrs, result.attrs = {}, {}  # they say when each ran
    xr.testing.assert_identical(again, result)


def test_a_perturbation_search_compares_every_variant_and_its_intact_one_as_a_search(
        write_model):
    path = write_model(n_units=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        perturbed = perturbation_search(path, "go_nogo", ["ei_dec"], 3, [2.0, 8.0], seed=3,
                                        progress=False, compare_rate=True)
    plain = _search(path, [2.0, 8.0], n_trials=3, compare_rate=True)
    assert perturbed.rate_correlation.dims == ("perturbation", "scaling_factor", "trial")
    assert perturbed.unit_rate_gain.dims == ("perturbation", "scaling_factor", "unit")
    intact = perturbed.sel(perturbation="none")
    for name in TRIAL_VARIABLES + UNIT_VARIABLES:
        assert np.array_equal(intact[name].values, plain[name].values, equal_nan=True), name
    assert perturbed.attrs["compare_rate"] == 1


def test_unpaired_searches_compare_every_variant(write_model):
    path = write_model(n_units=30)
    result = _search(path, [2.0, 8.0], n_trials=2, compare_rate=True, paired=False)
    assert result.rate_gain.shape == (2, 2) and np.isfinite(result.rate_gain.values).all()


def test_what_the_comparison_refuses(write_model):
    path = write_model(n_units=30)
    with pytest.raises(ValueError, match="compare_rate is True with an adaptive search; "
                                         "expected adaptive=False"):
        _search(path, [2.0, 8.0], compare_rate=True, adaptive=True)
    with pytest.raises(ValueError, match="downsample is 3; .* divisor of 100"):
        SearchPlan.prepare(path, "go_nogo", [2.0], seed=0,
                           options=PlanOptions(downsample=3, compare_rate=True))


def test_the_command_line_adds_a_rate_corr_column(write_model, capsys, tmp_path):
    path = write_model(n_units=30)
    out = tmp_path / "compared.nc"
    settings = '{"T": 41, "stim_on": 5, "stim_dur": 10, "resp_start": 20}'
    assert main(["search", str(path), "--trials", "3", "--scaling-factors", "1,4",
                 "--settings", settings, "--no-save", "--quiet", "--compare-rate",
                 "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.startswith("scaling factor"))
    assert "rate corr" in header
    rows = lines[lines.index(header) + 1 : lines.index(header) + 3]
    with xr.open_dataset(out) as ds:
        expected = ds.rate_correlation.mean("trial").values
        assert ds.unit_rate_gain.dims == ("scaling_factor", "unit")
    for row, value in zip(rows, expected, strict=True):
        assert f"{value:.3f}" in row.split()
    assert main(["search", str(path), "--trials", "2", "--scaling-factors", "1,4",
                 "--settings", settings, "--no-save", "--quiet"]) == 0
    assert "rate corr" not in capsys.readouterr().out


def test_the_plot_builders_show_the_comparison_and_empty_figures(write_model):
    from spikewidgets.plots._rate_comparison import (
        plot_rate_correlation,
        plot_unit_gain,
        plot_unit_traces,
    )

    path = write_model(n_units=30)
    result = _search(path, [2.0, 8.0], n_trials=2, compare_rate=True)
    curve = plot_rate_correlation(result)
    assert curve.source.data["scaling_factor"].tolist() == [2.0, 8.0]
    assert np.array_equal(curve.source.data["correlation"],
                          result.rate_correlation.mean("trial").values, equal_nan=True)
    assert not curve.placeholder.visible
    curve.update(None)
    assert curve.placeholder.visible and list(curve.source.data["accuracy"]) == []
    gain = plot_unit_gain(result, scaling_factor=8.0)
    assert np.array_equal(gain.source.data["gain"],
                          result.unit_rate_gain.sel(scaling_factor=8.0).values, equal_nan=True)
    with pytest.raises(ValueError, match="scaling_factor is 5, expected a factor of the search"):
        gain.update(result, 5.0)
    sim = simulate(path, 8.0, "go_nogo", compare_rate=True)
    traces = plot_unit_traces(sim, units=[1, 2])
    assert len(traces.source.data["xs"]) == 4
    assert np.array_equal(traces.source.data["ys"][2], sim.rate_spiking.values[2],
                          equal_nan=True)
    with pytest.raises(ValueError, match="units holds 30, expected unit indices"):
        traces.update(sim, [30])
    with pytest.raises((TypeError, ValueError), match="ds"):
        plot_rate_correlation(sim)
