"""Labels of every variable and coordinate of the Datasets the package builds.

xarray labels a plot's axes ``"long_name [units]"`` and wraps that at 30
characters, so every variable and coordinate carries a short ``long_name``,
the detail in ``description``, and ``units`` only for a physical unit: never
``"1"``, and none on flags, text, indices or counts. The attributes are plain
strings, so every Dataset writes to netCDF as it is, and ``ds.accuracy.plot()``
labels its axes "scaling factor" and "accuracy".
"""

from __future__ import annotations

import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import scipy.io
import xarray as xr

from spikewidgets import lambda_grid_search, load_model, perturbation_search, simulate
from spikewidgets.analysis import spontaneous_spike_counts, timescales_from_counts
from spikewidgets.io import random_model_arrays
from spikewidgets.io._labels import variable_attrs
from spikewidgets.search import search_models
from spikewidgets.search._results import TrialScores
from spikewidgets.sim import simulate_rate

matplotlib.use("Agg")  # no display: figures are drawn in memory

SHORT = {"T": 41, "stim_on": 5, "stim_dur": 10, "resp_start": 20}
FACTORS = [0.5, 1.0, 2.0]
#: Longest axis label that xarray keeps on one line.
LABEL_WIDTH = 30
#: The physical units that labels may carry.
PHYSICAL_UNITS = {"s", "ms", "Hz", "mV", "1/bin"}


def _quiet(call, *args, **kwargs) -> xr.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> dict[str, xr.Dataset]:
    """One Dataset of each kind the package builds, from small untrained models."""
    folder = tmp_path_factory.mktemp("labels")
    paths = []
    for index in range(2):
        (folder / f"lab{index}").mkdir()
        paths.append(folder / f"lab{index}" / "model.mat")
        scipy.io.savemat(paths[-1], random_model_arrays(30, 1, seed=index))
    options = dict(seed=1, progress=False)
    built = {
        "search": _quiet(lambda_grid_search, paths[0], "go_nogo", 4, FACTORS, SHORT,
                         save=False, **options),
        "perturbation": _quiet(perturbation_search, paths[0], "go_nogo", ["ei_dec"],
                               scaling_factors=FACTORS[:2], n_trials=3, task_settings=SHORT,
                               **options),
    }
    with ThreadPoolExecutor(1) as pool:
        built["many"] = _quiet(search_models, paths, "go_nogo", 3, FACTORS, SHORT, save=False,
                               executor=pool, **options)
        built["many perturbations"] = _quiet(
            search_models, paths, "go_nogo", 3, [1.0], SHORT, perturbations=["ie_inc"],
            executor=pool, **options)
    counts = _quiet(spontaneous_spike_counts, paths[0], 1.0, 12, seed=1, n_workers=1)
    built["spike counts"] = counts
    built["timescales"] = _quiet(
        timescales_from_counts, counts.spike_count.values, min_trials=2,
        unit_type=counts.unit_type.values, synaptic_decay=counts.synaptic_decay.values,
        attrs=counts.attrs)
    built["simulate"] = _quiet(simulate, paths[0], 1.0, "go_nogo", task_settings=SHORT, seed=1,
                               trial=2, record_voltages=True, record_rates=True)
    built["rate"] = simulate_rate(load_model(paths[0]), built["simulate"].stimulus.values,
                                  seed=1)
    return built


def _label(variable: xr.Variable) -> str:
    units = variable.attrs.get("units")
    return variable.attrs["long_name"] + (f" [{units}]" if units else "")


@pytest.mark.parametrize("kind", ["search", "perturbation", "many", "many perturbations",
                                  "spike counts", "timescales", "simulate", "rate"])
def test_every_variable_has_a_short_label_and_units_only_where_they_mean_something(
        datasets, kind):
    ds = datasets[kind]
    for name, variable in ds.variables.items():
        attrs = variable.attrs
        assert set(attrs) in ({"long_name", "description"},
                              {"long_name", "description", "units"}), (name, attrs)
        assert all(isinstance(value, str) and value for value in attrs.values()), (name, attrs)
        assert len(_label(variable)) <= LABEL_WIDTH, (name, _label(variable))
        assert len(attrs["description"]) >= len(attrs["long_name"]), name
        if "units" in attrs:
            assert attrs["units"] in PHYSICAL_UNITS, (name, attrs["units"])
            assert variable.dtype.kind == "f", f"{name} ({variable.dtype}) has units"
    for value in ds.attrs.values():
        assert isinstance(value, (str, int, float, np.integer, np.floating)), value


def test_the_units_that_are_there(datasets):
    search = datasets["search"]
    assert [name for name, variable in search.variables.items()
            if "units" in variable.attrs] == ["response_time", "mean_rate"]
    assert search.mean_rate.attrs["units"] == "Hz" and search.response_time.attrs["units"] == "s"
    assert "units" not in search.accuracy.attrs and "units" not in search.scaling_factor.attrs
    assert "units" not in datasets["perturbation"].mcnemar_p.attrs
    assert "units" not in datasets["many"].saved_to_model.attrs
    timescales = datasets["timescales"]
    assert {name: timescales[name].attrs["units"] for name in
            ("timescale", "lag", "fit_start_lag", "synaptic_decay", "mean_rate")} == {
        "timescale": "ms", "lag": "ms", "fit_start_lag": "ms", "synaptic_decay": "ms",
        "mean_rate": "Hz"}
    assert datasets["spike counts"].time_bin.attrs["units"] == "s"
    assert "units" not in datasets["spike counts"].spike_count.attrs


@pytest.mark.parametrize("kind", ["search", "perturbation", "many", "timescales", "simulate",
                                  "rate"])
def test_labels_survive_netcdf(datasets, kind, tmp_path):
    ds = datasets[kind]
    ds.to_netcdf(tmp_path / "labels.nc")
    with xr.open_dataset(tmp_path / "labels.nc") as back:
        for name, variable in ds.variables.items():
            assert dict(back[name].attrs) == dict(variable.attrs), name


def _axis_labels(artist) -> tuple[str, str]:
    axes = artist[0].axes if isinstance(artist, list) else artist.axes
    return axes.get_xlabel(), axes.get_ylabel()


def test_xarray_plots_label_their_axes(datasets):
    search = datasets["search"]
    try:
        assert _axis_labels(search.accuracy.plot()) == ("scaling factor", "accuracy")
        plt.figure()
        # keep_attrs: older xarray versions drop the labels in reductions by default.
        assert _axis_labels(search.mean_rate.mean("trial", keep_attrs=True).plot()) == (
            "scaling factor", "mean firing rate [Hz]")
        plt.figure()
        assert _axis_labels(search.condition_accuracy.plot.line(x="scaling_factor")) == (
            "scaling factor", "accuracy per condition")
        plt.figure()
        change = datasets["perturbation"].accuracy_change.sel(perturbation="ei_dec")
        assert _axis_labels(change.plot()) == ("scaling factor", "accuracy change")
        plt.figure()
        curve = datasets["timescales"].autocorrelation.isel(unit=0)
        assert _axis_labels(curve.plot()) == ("lag [ms]", "autocorrelation")
        plt.figure()
        many = datasets["many"].accuracy.plot.line(x="scaling_factor", hue="model")
        assert _axis_labels(many) == ("scaling factor", "accuracy")
    finally:
        plt.close("all")


def test_the_units_of_a_simulated_trial(datasets):
    sim, rate = datasets["simulate"], datasets["rate"]
    assert {name: variable.attrs["units"] for name, variable in sim.variables.items()
            if "units" in variable.attrs} == {
        "spike_time": "s", "mean_rate": "Hz", "voltage": "mV", "rate": "Hz", "time": "s",
        "rate_time": "s"}
    assert {name: variable.attrs["units"] for name, variable in rate.variables.items()
            if "units" in variable.attrs} == {"time": "s", "tau": "s"}


def test_xarray_plots_of_a_simulated_trial_label_their_axes(datasets):
    sim, rate = datasets["simulate"], datasets["rate"]
    try:
        assert _axis_labels(sim.output.plot()) == ("time [s]", "spiking readout")
        plt.figure()
        assert _axis_labels(sim.voltage.isel(unit=0).plot()) == ("time [s]",
                                                                 "membrane voltage [mV]")
        plt.figure()
        assert _axis_labels(sim.rate.isel(unit=0).plot()) == ("time [s]",
                                                              "filtered spike train [Hz]")
        plt.figure()
        assert _axis_labels(sim.mean_rate.plot.line("o")) == ("unit", "mean firing rate [Hz]")
        plt.figure()
        assert _axis_labels(sim.stimulus.isel(input=0).plot()) == ("input time [s]",
                                                                   "task input")
        plt.figure()
        assert _axis_labels(rate.output.plot()) == ("time [s]", "rate-network readout")
        plt.figure()
        assert _axis_labels(rate.rates.isel(unit=0).plot()) == ("time [s]", "rate r")
        plt.figure()
        assert _axis_labels(rate.tau.plot.line("o")) == ("unit", "synaptic decay [s]")
    finally:
        plt.close("all")


def test_variable_attrs_gives_units_only_when_asked():
    assert variable_attrs("accuracy", "fraction of trials correct") == {
        "long_name": "accuracy", "description": "fraction of trials correct"}
    assert variable_attrs("rate", "spikes per second", "Hz")["units"] == "Hz"


# ---------------------------------------------------------------- the optimum's labels

#: What each rule's labels must say, and must not.
RULE_WORDS = {"first": ("accuracy equals", "McNemar"), "robust": ("McNemar", "accuracy equals")}


def _count_choices(monkeypatch) -> list[str]:
    """Record each call of the optimum chooser (its rule), in every module that holds it."""
    from spikewidgets.stats._optimum import choose_optimum as choose

    calls = []

    def counted(correct, simulated, finalists, rule="first"):
        calls.append(rule)
        return choose(correct, simulated, finalists, rule)

    for name, module in list(sys.modules.items()):
        if name.startswith("spikewidgets") and getattr(module, "choose_optimum", None) is choose:
            monkeypatch.setattr(module, "choose_optimum", counted)
    return calls


def _assert_labelled_by(ds: xr.Dataset, rule: str, adaptive: bool) -> None:
    said, not_said = RULE_WORDS[rule]
    tied, optimum = ds.tied_with_optimum.attrs, ds.opt_scaling_factor.attrs
    assert ds.attrs["optimum_rule"] == rule
    assert said in tied["description"] and not_said not in tied["description"], tied
    assert ("McNemar" in optimum["description"]) == (rule == "robust"), optimum
    assert ("smallest" in optimum["description"]) == (rule == "first"), optimum
    for attrs in (tied, optimum):
        assert ("finalist" in attrs["description"]) == adaptive, attrs
        assert "units" not in attrs


@pytest.mark.parametrize("rule", ["first", "robust"])
@pytest.mark.parametrize("adaptive", [False, True], ids=["full", "adaptive"])
def test_a_search_chooses_its_optimum_once_and_labels_it_by_its_rule(
        write_model, monkeypatch, rule, adaptive):
    from spikewidgets.search.adaptive import FixedBudget

    calls = _count_choices(monkeypatch)
    strategy = FixedBudget(finalists=2) if adaptive else False
    ds = _quiet(lambda_grid_search, write_model(), "go_nogo", 6, [0.5, 1.0, 2.0, 4.0], SHORT,
                seed=1, save=False, progress=False, adaptive=strategy, optimum=rule)
    assert calls == [rule]
    assert ("left_in_round" in ds) == adaptive
    if adaptive:
        assert (ds.left_in_round.values >= 0).any()
    _assert_labelled_by(ds, rule, adaptive)


@pytest.mark.parametrize("adaptive", [False, True], ids=["full", "adaptive"])
def test_a_many_model_search_chooses_each_optimum_once(write_model, monkeypatch, adaptive):
    from spikewidgets.search.adaptive import FixedBudget

    paths = [write_model(f"model{seed}.mat", seed=seed) for seed in (0, 1)]
    calls = _count_choices(monkeypatch)
    strategy = FixedBudget(finalists=2) if adaptive else False
    ds = _quiet(search_models, paths, "go_nogo", 6, [0.5, 1.0, 2.0, 4.0], SHORT, seed=1,
                save=False, progress=False, n_workers=1, adaptive=strategy, optimum="robust")
    assert calls == ["robust", "robust"]
    _assert_labelled_by(ds, "robust", adaptive)


def test_robust_ties_are_the_mcnemar_ties_and_say_so():
    from scipy.stats import binomtest

    from spikewidgets.search._results import build_dataset

    # 20 paired trials; accuracy 0.95, 1, 1, 1, 0.85, 0.15: factor 50 (0.85) lost 3 trials
    # against the best and won none, McNemar p = 0.25, so it is tied; 0.15 is not.
    right = np.array([19, 20, 20, 20, 17, 3])
    correct = np.arange(20) < right[:, None]
    scores = [TrialScores(t, 1, "go", correct[:, t], np.ones(6), np.ones(6), np.ones(6))
              for t in range(20)]
    factors = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    first = build_dataset(factors, scores, ["go"], {}, rule="first")
    robust = build_dataset(factors, scores, ["go"], {}, rule="robust")
    mcnemar = [binomtest(int((~c & correct[1]).sum()), int((c != correct[1]).sum())).pvalue
               if (c != correct[1]).any() else 1.0 for c in correct]
    assert robust.tied_with_optimum.values.tolist() == [p >= 0.05 for p in mcnemar] == [
        True, True, True, True, True, False]
    assert first.tied_with_optimum.values.tolist() == [False, True, True, True, False, False]
    assert float(first.opt_scaling_factor) == 20.0 and float(robust.opt_scaling_factor) == 30.0
    _assert_labelled_by(first, "first", adaptive=False)
    _assert_labelled_by(robust, "robust", adaptive=False)
    assert robust.tied_with_optimum.attrs["long_name"] == "tied with the best factor"
    assert "statistically tied" in robust.opt_scaling_factor.attrs["description"]


def test_a_perturbation_search_labels_each_networks_optimum_by_its_rule():
    from spikewidgets.perturbations._presets import as_perturbation
    from spikewidgets.search._perturbation_results import perturbation_dataset

    right = np.array([[20, 17, 3], [20, 20, 20]])  # intact, perturbed: 3 factors each
    correct = (np.arange(20) < right.reshape(-1)[:, None])
    scores = [TrialScores(t, 1, "go", correct[:, t], np.ones(6), np.ones(6), np.ones(6))
              for t in range(20)]
    networks = [as_perturbation(None), as_perturbation("ei_dec")]
    ds = perturbation_dataset(np.array([10.0, 20.0, 30.0]), networks, scores, ["go"], {},
                              rule="robust")
    assert ds.tied_with_optimum.values.tolist() == [[True, True, False], [True, True, True]]
    assert ds.opt_scaling_factor.values.tolist() == [10.0, 20.0]
    assert "McNemar" in ds.tied_with_optimum.attrs["description"]
