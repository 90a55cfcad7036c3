"""Bokeh figure builders: sources hold the Dataset's values, updates never rebuild figures."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.io
from conftest import skip_or_fail

try:
    import bokeh  # noqa: F401
except ImportError as error:  # the lab extra
    skip_or_fail(f"the plots need {error.name} (the lab extra)", allow_module_level=True)

from bokeh.embed import json_item
from bokeh.models import GroupFilter, HoverTool, TapTool

from spikewidgets import lambda_grid_search, load_model, simulate
from spikewidgets.plots import (
    ACCURACY_PLACEHOLDER,
    EXC_COLOR,
    INH_COLOR,
    MAX_TRACE_POINTS,
    TRIAL_PLACEHOLDER,
    plot_accuracy,
    plot_output,
    plot_raster,
    plot_rates,
)
from spikewidgets.rate import simulate_rate
from spikewidgets.synthetic import random_model_arrays


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("plots") / "gonogo_model.mat"
    scipy.io.savemat(path, random_model_arrays(80, 1, seed=4))
    return path


@pytest.fixture(scope="module")
def search(model_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lambda_grid_search(model_path, "go_nogo", 6, "20:40:10", seed=11, save=False,
                                  progress=False)


@pytest.fixture(scope="module")
def trial(model_path):
    sim = simulate(model_path, 30.0, "go_nogo", seed=11, trial=2)
    rate = simulate_rate(load_model(model_path), sim.stimulus.values, seed=5)
    return sim, rate


def test_accuracy_source_holds_one_row_per_factor(search):
    plot = plot_accuracy(search)
    data = plot.source.data
    np.testing.assert_array_equal(data["scaling_factor"], search.scaling_factor.values)
    np.testing.assert_allclose(data["lam"], 1 / search.scaling_factor.values)
    np.testing.assert_array_equal(data["accuracy"], search.accuracy.values)
    np.testing.assert_array_equal(data["ci_low"], search.accuracy_ci_low.values)
    np.testing.assert_array_equal(data["ci_high"], search.accuracy_ci_high.values)
    np.testing.assert_array_equal(data["n_trials"], [6, 6, 6])
    np.testing.assert_allclose(data["mean_rate"], search.mean_rate.mean("trial").values)
    assert plot.source.name == "accuracy"


def test_accuracy_conditions_and_optimum(search):
    plot = plot_accuracy(search)
    lines = plot.sources["conditions"].data
    present = [c for c in ("go", "nogo") if (search.condition.values == c).any()]
    assert lines["condition"] == present
    for name, ys in zip(lines["condition"], lines["ys"], strict=True):
        expected = search.condition_accuracy.sel(task_condition=name).values
        np.testing.assert_array_equal(ys, expected)
    optimum = plot.sources["optimum"].data
    assert optimum["scaling_factor"] == [float(search.opt_scaling_factor)]
    index = int(np.flatnonzero(search.scaling_factor.values == float(search.opt_scaling_factor))[0])
    assert optimum["accuracy"] == [float(search.accuracy.values[index])]


def test_accuracy_hover_units_and_tap(search):
    plot = plot_accuracy(search)
    hovers = [tool for tool in plot.figure.tools if isinstance(tool, HoverTool)]
    text = " ".join(f"{name} {value}" for name, value in hovers[0].tooltips)
    assert "Hz" in text and "%" in text and "λ" in text
    assert any(isinstance(tool, TapTool) for tool in plot.figure.tools)
    plot.select(1)
    assert list(plot.source.selected.indices) == [1]
    plot.select(None)
    assert list(plot.source.selected.indices) == []


def test_accuracy_update_changes_data_not_figure(search):
    plot = plot_accuracy()
    figure, source, renderers = plot.figure, plot.source, list(plot.figure.renderers)
    assert len(source.data["accuracy"]) == 0
    plot.update(search)
    partial = search.isel(trial=slice(0, 2))
    plot.update(partial.assign_attrs(n_trials=6))
    assert plot.figure is figure and plot.source is source
    assert list(plot.figure.renderers) == renderers
    np.testing.assert_array_equal(source.data["n_trials"], [2, 2, 2])
    assert "2 of 6" in plot.figure.title.text
    plot.update(None)
    assert len(source.data["accuracy"]) == 0 and len(plot.sources["optimum"].data["accuracy"]) == 0


def test_accuracy_without_trials_has_no_optimum(search):
    empty = search.isel(trial=slice(0, 0)).copy()
    empty["accuracy"][:] = np.nan
    empty["opt_scaling_factor"] = np.nan
    plot = plot_accuracy(empty)
    assert np.isnan(plot.source.data["accuracy"]).all()
    assert plot.sources["optimum"].data["scaling_factor"] == []
    json_item(plot.figure)  # NaN values serialize


def test_raster_rows_and_colours(trial):
    sim, _ = trial
    plot = plot_raster(sim)
    data = plot.source.data
    assert len(data["time"]) == sim.sizes["spike"] > 0
    np.testing.assert_array_equal(data["time"], sim.spike_time.values)
    n_exc = int((sim.unit_type.values == "exc").sum())
    is_exc = data["unit_type"] == "exc"
    np.testing.assert_array_equal(is_exc, sim.unit_type.values[sim.spike_unit.values] == "exc")
    assert data["row"][is_exc].max() < n_exc <= data["row"][~is_exc].min()
    colours = {}
    for renderer in plot.figure.renderers:
        if renderer.name == "extent":  # what spans the axes of the empty figure
            continue
        colours[renderer.view.filter.group] = renderer.glyph.line_color
        assert isinstance(renderer.view.filter, GroupFilter)
    assert colours == {"exc": EXC_COLOR, "inh": INH_COLOR}
    assert "trial 2" in plot.figure.title.text


def test_output_traces_window_and_thresholds(trial):
    sim, rate = trial
    plot = plot_output(sim, rate)
    data = plot.source.data
    assert 0 < len(data["time"]) <= MAX_TRACE_POINTS
    stride = int(np.ceil(sim.sizes["time"] / MAX_TRACE_POINTS))
    np.testing.assert_array_equal(data["output"], sim.output.values[::stride])
    np.testing.assert_array_equal(plot.sources["rate"].data["output"], rate.output.values)
    np.testing.assert_array_equal(plot.sources["rate"].data["time"], rate.time.values)
    window = plot.sources["window"].data
    assert window["left"] == [sim.attrs["response_window_start"]]
    assert window["right"] == [sim.attrs["trial_length"]]
    assert plot.sources["thresholds"].data["y"] == [0.7, 0.3]
    assert len(plot.sources["stimulus"].data["ys"]) == 1


def test_output_thresholds_of_signed_tasks(tmp_path):
    path = tmp_path / "xor_model.mat"
    scipy.io.savemat(path, random_model_arrays(40, 2, seed=1))
    sim = simulate(path, 25.0, "xor", seed=3, settings={"eval_amp_thresh": 0.5})
    plot = plot_output(sim)
    assert plot.sources["thresholds"].data["y"] == [0.5, -0.5]
    assert len(plot.sources["stimulus"].data["ys"]) == 2
    assert plot.sources["rate"].data["time"] == []


def test_rate_histogram_counts_every_unit(trial):
    sim, _ = trial
    plot = plot_rates(sim, bins=10)
    data = plot.source.data
    exc = sim.unit_type.values == "exc"
    assert data["exc"].sum() == exc.sum() and data["inh"].sum() == (~exc).sum()
    assert data["left"][0] == 0 and data["right"][-1] >= sim.mean_rate.values.max()
    assert len(data["left"]) == 10
    assert "Hz" in plot.figure.title.text


def test_trial_plots_update_in_place(model_path, trial):
    sim, rate = trial
    other = simulate(model_path, 40.0, "go_nogo", seed=11, trial=3)
    for build, args in ((plot_raster, (sim,)), (plot_output, (sim, rate)), (plot_rates, (sim,))):
        plot = build(*args)
        figure, source = plot.figure, plot.source
        before = dict(source.data)
        plot.update(other)
        assert plot.figure is figure and plot.source is source
        assert any(not np.array_equal(before[key], source.data[key]) for key in before)
        plot.update(None)
        assert all(len(column) == 0 for column in source.data.values())


def test_wrong_datasets_are_refused(search, trial):
    with pytest.raises(ValueError, match="spike_unit"):
        plot_raster(search)
    with pytest.raises(ValueError, match="accuracy"):
        plot_accuracy(trial[0])
    with pytest.raises(TypeError, match="xarray.Dataset"):
        plot_rates({"mean_rate": [1.0]})


def test_empty_figures_say_what_will_appear(search, trial):
    sim, rate = trial
    accuracy = plot_accuracy()
    assert accuracy.placeholder.visible and accuracy.placeholder.text == ACCURACY_PLACEHOLDER
    assert "Press Run" in ACCURACY_PLACEHOLDER
    assert accuracy.placeholder in accuracy.figure.center  # drawn over the axes
    assert accuracy.extent.data["x"] == [0, 100]  # the axes span something
    accuracy.update(search)
    assert not accuracy.placeholder.visible and accuracy.extent.data["x"] == []
    accuracy.update(None)
    assert accuracy.placeholder.visible and accuracy.extent.data["x"] == [0, 100]
    for build, args in ((plot_raster, (sim,)), (plot_output, (sim, rate)), (plot_rates, (sim,))):
        plot = build()
        assert plot.placeholder.visible and plot.placeholder.text == TRIAL_PLACEHOLDER
        plot.update(*args)
        assert not plot.placeholder.visible
        plot.update(None)
        assert plot.placeholder.visible
        assert not build(*args).placeholder.visible  # built with data: no placeholder
        assert all(len(column) == 0 for column in build(*args).extent.data.values())
    custom = plot_rates(placeholder="nothing yet")
    assert custom.placeholder.text == "nothing yet"
    narrow = plot_raster(width=300).placeholder.text  # wrapped to fit the figure
    assert "\n" in narrow and narrow.replace("\n", " ") == TRIAL_PLACEHOLDER
    json_item(custom.figure)  # the placeholder's position serializes
