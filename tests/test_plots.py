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

from bokeh.core.validation import check_integrity
from bokeh.embed import json_item
from bokeh.models import GroupFilter, HoverTool, TapTool

from spikewidgets import lambda_grid_search, load_model, simulate
from spikewidgets.io import random_model_arrays
from spikewidgets.plots import (
    EXC_COLOR,
    INH_COLOR,
    plot_accuracy,
    plot_output,
    plot_raster,
    plot_rates,
)
from spikewidgets.plots._base import (
    ACCURACY_PLACEHOLDER,
    MAX_TRACE_POINTS,
    OUTPUT_PLACEHOLDER,
    RASTER_PLACEHOLDER,
    RATES_PLACEHOLDER,
    TRIAL_PLACEHOLDER,
    add_legend_keys,
    legend_below,
    new_figure,
    plural,
)
from spikewidgets.plots._trial import FIRST_STEP_SHARE, RASTER_CAPTION
from spikewidgets.sim import _kernel as kernel
from spikewidgets.sim import simulate_rate

#: Each trial figure's builder and the line its empty figure shows.
TRIAL_FIGURES = ((plot_output, OUTPUT_PLACEHOLDER), (plot_raster, RASTER_PLACEHOLDER),
                 (plot_rates, RATES_PLACEHOLDER))


def _legend_items(fig):
    """(label, fixed) of each legend item: a fixed text, or the name of a column."""
    return [(item.label.value, True) if hasattr(item.label, "value")
            else (item.label.field, False) for item in fig.legend[0].items]


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
        if renderer.name in ("extent", "legend_key"):  # the empty figure's axes and legend
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
    assert plot.sources["thresholds"].data["label"] == ["Go threshold", "NoGo ceiling"]
    assert len(plot.sources["stimulus"].data["ys"]) == 1
    # The decision lines and the response window are named in the legend, each by its own item.
    for name in ("thresholds", "window"):
        (item,) = [item for item in plot.figure.legend[0].items
                   if any(r.data_source is plot.sources[name] for r in item.renderers)]
        assert hasattr(item.label, "field") and item.label.field in plot.sources[name].data
        assert {id(r.data_source) for r in item.renderers} == {id(plot.sources[name])}
    assert plot.sources["window"].data["name"] == ["response window"]
    assert check_integrity([plot.figure]).error == []


def test_output_thresholds_of_signed_tasks(tmp_path):
    path = tmp_path / "xor_model.mat"
    scipy.io.savemat(path, random_model_arrays(40, 2, seed=1))
    sim = simulate(path, 25.0, "xor", seed=3, task_settings={"eval_amp_thresh": 0.5})
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
    assert plot.figure.yaxis.axis_label == "number of units"
    assert plot.figure.xaxis.axis_label == "mean firing rate (Hz)"


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
    arguments = {plot_raster: (sim,), plot_output: (sim, rate), plot_rates: (sim,)}
    for build, text in TRIAL_FIGURES:
        plot = build()
        assert plot.placeholder.visible and plot.placeholder.text.replace("\n", " ") == text
        assert text.startswith(TRIAL_PLACEHOLDER + ": ")  # what to do, then what appears
        empty_title = plot.figure.title.text
        assert empty_title.endswith("one trial"), empty_title
        plot.update(*arguments[build])
        assert not plot.placeholder.visible and plot.figure.title.text != empty_title
        plot.update(None)
        assert plot.placeholder.visible and plot.figure.title.text == empty_title
        assert not build(*arguments[build]).placeholder.visible  # built with data
        assert all(len(column) == 0 for column in build(*arguments[build]).extent.data.values())
    custom = plot_rates(placeholder="nothing yet")
    assert custom.placeholder.text == "nothing yet"
    narrow = plot_raster(width=300).placeholder.text  # wrapped to fit the figure
    assert "\n" in narrow and narrow.replace("\n", " ") == RASTER_PLACEHOLDER
    json_item(custom.figure)  # the placeholder's position serializes


@pytest.mark.parametrize("build", [plot_accuracy, plot_output, plot_raster, plot_rates])
def test_empty_legends_have_swatches_not_bare_words(build):
    plot = build()
    keys = {renderer.name: renderer for renderer in plot.figure.renderers
            if renderer.name == "legend_key"}
    assert keys, "no legend key"
    for item, (label, fixed) in zip(plot.figure.legend[0].items, _legend_items(plot.figure),
                                    strict=True):
        if not fixed:  # labels from a column: nothing is drawn until the column has data
            continue
        # BokehJS draws a swatch only from a renderer with data: the key has one row of NaN.
        key = item.renderers[-1]
        assert key.name == "legend_key", label
        assert key.glyph is not item.renderers[0].glyph
        assert type(key.glyph) is type(item.renderers[0].glyph), label
        assert all(len(column) == 1 for column in key.data_source.data.values()), label
        assert np.isnan(np.asarray(key.data_source.data[next(iter(key.data_source.data))],
                                   dtype=float)).all()
    assert check_integrity([plot.figure]).error == []
    json_item(plot.figure)  # NaN rows serialize


def test_legend_keys_copy_the_glyph_and_skip_column_labels():
    from bokeh.models import ColumnDataSource

    fig = new_figure("keys", "keys", 300, 200)
    source = ColumnDataSource({"x": [], "y": [], "kind": []})
    fig.line("x", "y", source=source, line_color="#123456", legend_label="fixed")
    fig.scatter("x", "y", source=source, legend_field="kind")
    legend_below(fig)
    (key,) = add_legend_keys(fig)
    assert key.glyph.line_color == "#123456" and key.data_source is not source
    assert [len(item.renderers) for item in fig.legend[0].items] == [2, 1]


def test_the_raster_caption_explains_the_first_step_volley(trial, model_path):
    share = (kernel.V_SPIKE - kernel.V_PEAK) / (kernel.V_SPIKE - kernel.V_RESET)
    assert FIRST_STEP_SHARE == share
    assert f"{share * 100:.0f} %" in RASTER_CAPTION
    for value in (kernel.V_RESET, kernel.V_PEAK):
        assert f"{value:g} mV" in RASTER_CAPTION
    plot = plot_raster(trial[0], width=330)
    assert plot.caption.text.replace("\n", " ") == RASTER_CAPTION
    assert plot.caption in plot.figure.below and plot.caption.name == "raster_figure_caption"
    assert all(len(line) * 5.6 <= 330 - 70 for line in plot.caption.text.split("\n"))
    assert plot_raster(caption=None).caption is None
    # What the caption says: about that share of the units spike in the first step.
    first = []
    for t in range(4):
        sim = simulate(model_path, 30.0, "go_nogo", seed=11, trial=t)
        times = sim.spike_time.values
        first.append(np.unique(sim.spike_unit.values[times == times.min()]).size
                     / sim.sizes["unit"])
    assert abs(np.mean(first) - share) < 0.1, first


def test_counts_are_written_in_words():
    assert [plural(n, "trial") for n in (0, 1, 2)] == ["0 trials", "1 trial", "2 trials"]
    assert plural(1, "scaling factor") == "1 scaling factor"
    assert plural(3, "analysis", "analyses") == "3 analyses"


def test_one_trial_per_factor_in_the_singular(model_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = lambda_grid_search(model_path, "go_nogo", 1, "20:30:10", seed=2, save=False,
                                 progress=False)
    assert plot_accuracy(one).figure.title.text == "go_nogo accuracy, 1 of 1 trial per factor"
    assert plot_accuracy(None).figure.title.text == "accuracy against scaling factor"
