"""Figures of a perturbation search: accuracy against strength, one bar per perturbation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import skip_or_fail

try:
    import bokeh  # noqa: F401
except ImportError as error:  # the lab extra
    skip_or_fail(f"the plots need {error.name} (the lab extra)", allow_module_level=True)

from bokeh.embed import json_item
from bokeh.models import HoverTool, TapTool

from spikewidgets import lambda_grid_search
from spikewidgets.perturbations import RemoveSelfConnections, lesion_sweep, scale_sweep
from spikewidgets.plots import plot_accuracy, plot_perturbation_effects, plot_perturbation_sweep
from spikewidgets.plots._base import EFFECTS_PLACEHOLDER, PERTURBATION_PLACEHOLDER
from spikewidgets.search import perturbation_search

SHORT = {"T": 41, "stim_on": 5, "stim_dur": 10, "resp_start": 20}
FACTORS = [1.0, 2.0]
N_TRIALS = 8


@pytest.fixture
def model_path(write_model):
    return write_model(n_units=40, seed=3)


@pytest.fixture
def sweep_ds(model_path):
    """I -> E scaled 0.5, 1, 1.5 (given out of order), two lesions, no self-connections."""
    perturbations = [*scale_sweep("inh", "exc", [1.5, 0.5, 1.0]), *lesion_sweep([0.3, 0.1]),
                     RemoveSelfConnections()]
    return perturbation_search(model_path, "go_nogo", perturbations, scaling_factors=FACTORS,
                               n_trials=N_TRIALS, task_settings=SHORT, seed=2, progress=False)


@pytest.fixture
def presets_ds(model_path):
    return perturbation_search(model_path, "go_nogo", ["ei_dec", "ee_inc", "ii_dec"],
                               scaling_factors=FACTORS, n_trials=N_TRIALS, task_settings=SHORT,
                               seed=2, progress=False)


def _columns(plot, *names):
    return [list(plot.source.data[name]) for name in names]


def test_sweep_draws_one_line_per_kind_and_target(sweep_ds):
    plot = plot_perturbation_sweep(sweep_ds)
    data = plot.source.data
    labels, groups, strengths = _columns(plot, "label", "group", "strength")
    # Sorted by strength within each group, groups in the order of the Dataset; the
    # intact network and the perturbation without a strength are left out.
    assert labels == ["inh->exc x0.5", "inh->exc x1", "inh->exc x1.5", "lesion 0.1",
                      "lesion 0.3"]
    assert groups == ["scale: inh->exc"] * 3 + ["lesion: connections"] * 2
    assert strengths == [0.5, 1.0, 1.5, 0.1, 0.3]
    at_first = sweep_ds.isel(scaling_factor=0)
    for row, label in enumerate(labels):
        one = at_first.sel(perturbation=label)
        assert data["value"][row] == float(one.accuracy)
        assert data["low"][row] == float(one.accuracy_ci_low)
        assert data["high"][row] == float(one.accuracy_ci_high)
        assert data["mcnemar_p"][row] == float(one.mcnemar_p)
        assert data["change"][row] == float(one.accuracy_change)
    lines = plot.sources["lines"].data
    assert lines["group"] == ["scale: inh->exc", "lesion: connections"]
    np.testing.assert_array_equal(lines["xs"][0], [0.5, 1.0, 1.5])
    assert len(set(lines["color"])) == 2 and set(data["color"]) == set(lines["color"])
    intact = at_first.sel(perturbation="none")
    assert plot.sources["intact"].data == {"y": [float(intact.accuracy)],
                                           "low": [float(intact.accuracy_ci_low)],
                                           "high": [float(intact.accuracy_ci_high)],
                                           "label": ["intact network"]}
    assert "scaling factor 1" in plot.figure.title.text and "8 of 8" in plot.figure.title.text
    assert plot.figure.xaxis.axis_label.startswith("perturbation strength")  # two kinds
    assert not plot.placeholder.visible
    json_item(plot.figure)


def test_sweep_change_against_the_intact_network(sweep_ds):
    plot = plot_perturbation_sweep(sweep_ds, change=True, scaling_factor=2.0)
    at_second = sweep_ds.sel(scaling_factor=2.0)
    for row, label in enumerate(plot.source.data["label"]):
        one = at_second.sel(perturbation=label)
        assert plot.source.data["value"][row] == float(one.accuracy_change)
        assert plot.source.data["low"][row] == float(one.accuracy_change_ci_low)
        assert plot.source.data["high"][row] == float(one.accuracy_change_ci_high)
    assert plot.sources["intact"].data["y"] == [0.0]
    assert plot.figure.yaxis.axis_label.startswith("change in accuracy vs intact")
    assert "scaling factor 2" in plot.figure.title.text


def test_sweep_of_one_kind_names_its_axis(model_path):
    ds = perturbation_search(model_path, "go_nogo", lesion_sweep([0.0, 0.2, 0.4]),
                             scaling_factors=[2.0], n_trials=4, task_settings=SHORT, seed=1,
                             progress=False)
    plot = plot_perturbation_sweep(ds)
    assert plot.figure.xaxis.axis_label == "fraction of the connections removed"
    assert list(plot.source.data["strength"]) == [0.0, 0.2, 0.4]


def test_sweep_hover_and_whiskers(sweep_ds):
    plot = plot_perturbation_sweep(sweep_ds)
    (hover,) = [tool for tool in plot.figure.tools if isinstance(tool, HoverTool)]
    text = " ".join(f"{name} {value}" for name, value in hover.tooltips)
    for fragment in ("@label", "@accuracy", "95 % CI", "@change", "McNemar p", "@mcnemar_p"):
        assert fragment in text
    whiskers = [item for item in plot.figure.center if type(item).__name__ == "Whisker"]
    assert len(whiskers) == 1 and whiskers[0].source is plot.source
    legend = plot.figure.legend[0]
    assert [getattr(item.label, "field", None) for item in legend.items] == ["label", "group"]


def test_sweep_update_changes_data_not_figure(sweep_ds):
    plot = plot_perturbation_sweep()
    figure, source, renderers = plot.figure, plot.source, list(plot.figure.renderers)
    assert plot.placeholder.visible
    assert plot.placeholder.text.replace("\n", " ") == PERTURBATION_PLACEHOLDER
    assert len(source.data["value"]) == 0
    plot.update(sweep_ds)
    assert not plot.placeholder.visible
    partial = sweep_ds.isel(trial=slice(0, 3)).assign_attrs(n_trials=N_TRIALS)
    plot.update(partial)
    assert plot.figure is figure and plot.source is source
    assert list(plot.figure.renderers) == renderers
    assert "3 of 8" in plot.figure.title.text
    plot.update(None)
    assert len(source.data["value"]) == 0 and plot.sources["intact"].data["y"] == []
    assert plot.placeholder.visible


def test_a_search_without_strengths_leaves_the_sweep_empty(model_path):
    ds = perturbation_search(model_path, "go_nogo", [RemoveSelfConnections()],
                             scaling_factors=[2.0], n_trials=4, task_settings=SHORT, seed=1,
                             progress=False)
    plot = plot_perturbation_sweep(ds)
    assert len(plot.source.data["label"]) == 0 and plot.placeholder.visible
    assert "plot_perturbation_effects shows each one" in plot.placeholder.text.replace("\n", " ")
    plot.update(None)  # empty again: it says what will appear
    assert plot.placeholder.text.replace("\n", " ") == PERTURBATION_PLACEHOLDER
    assert len(plot_perturbation_effects(ds).source.data["label"]) == 1


def test_effects_one_bar_per_perturbation_first_on_top(presets_ds):
    plot = plot_perturbation_effects(presets_ds)
    data = plot.source.data
    assert list(data["label"]) == ["ei_dec", "ee_inc", "ii_dec"]
    assert list(data["row"]) == [2.0, 1.0, 0.0]
    at_first = presets_ds.isel(scaling_factor=0)
    np.testing.assert_array_equal(
        data["value"], at_first.accuracy_change.sel(perturbation=["ei_dec", "ee_inc",
                                                                  "ii_dec"]).values)
    np.testing.assert_array_equal(
        data["low"], at_first.accuracy_change_ci_low.values[1:])
    np.testing.assert_array_equal(
        data["high"], at_first.accuracy_change_ci_high.values[1:])
    assert plot.figure.yaxis.ticker.ticks == [2.0, 1.0, 0.0]
    assert plot.figure.yaxis.major_label_overrides == {2.0: "ei_dec", 1.0: "ee_inc",
                                                        0.0: "ii_dec"}
    assert plot.sources["intact"].data == {"x": [0.0], "label": ["intact network"]}
    intact = float(at_first.accuracy.sel(perturbation="none"))
    assert plot.figure.title.text.endswith(f"intact {intact:.0%}")
    (hover,) = [tool for tool in plot.figure.tools if isinstance(tool, HoverTool)]
    assert "McNemar p" in dict(hover.tooltips)
    json_item(plot.figure)


def test_effects_mark_small_p_values(presets_ds):
    ds = presets_ds.copy(deep=True)
    ds["mcnemar_p"][1, 0] = 0.01  # pretend ei_dec made a difference at the first factor
    plot = plot_perturbation_effects(ds)
    significance = list(plot.source.data["significance"])
    assert significance == ["McNemar p < 0.05", "p ≥ 0.05", "p ≥ 0.05"]
    colors = list(plot.source.data["color"])
    assert colors[0] != colors[1] == colors[2]
    strict = plot_perturbation_effects(ds, alpha=0.001)
    assert set(strict.source.data["significance"]) == {"p ≥ 0.001"}


def test_effects_of_accuracy_and_emptying(presets_ds):
    plot = plot_perturbation_effects(presets_ds, change=False, scaling_factor=2.0)
    at_second = presets_ds.sel(scaling_factor=2.0)
    np.testing.assert_array_equal(plot.source.data["value"], at_second.accuracy.values[1:])
    assert plot.sources["intact"].data["x"] == [float(at_second.accuracy.sel(
        perturbation="none"))]
    figure = plot.figure
    plot.update(None)
    assert plot.figure is figure and plot.placeholder.visible
    assert plot.placeholder.text.replace("\n", " ") == EFFECTS_PLACEHOLDER
    assert len(plot.source.data["label"]) == 0 and plot.figure.yaxis.ticker.ticks == []
    plot.update(presets_ds)
    assert not plot.placeholder.visible and len(plot.source.data["label"]) == 3


def test_wrong_datasets_are_refused(model_path, presets_ds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = lambda_grid_search(model_path, "go_nogo", 2, FACTORS, SHORT, seed=1,
                                   save=False, progress=False)
    for build in (plot_perturbation_sweep, plot_perturbation_effects):
        with pytest.raises(ValueError, match="perturbation_search"):
            build(plain)
        with pytest.raises(ValueError, match="no perturbation dimension"):
            build(presets_ds.isel(perturbation=1))
        with pytest.raises(TypeError, match="xarray.Dataset"):
            build({"accuracy": [1.0]})
        with pytest.raises(ValueError, match="expected one of the Dataset's factors 1, 2"):
            build(presets_ds, scaling_factor=3.0)


def test_a_partial_search_without_trials_serializes(presets_ds):
    empty = presets_ds.isel(trial=slice(0, 0)).copy()
    for name in ("accuracy", "accuracy_change", "accuracy_ci_low", "accuracy_ci_high",
                 "accuracy_change_ci_low", "accuracy_change_ci_high"):
        empty[name][:] = np.nan
    for build in (plot_perturbation_sweep, plot_perturbation_effects):
        plot = build(empty)
        assert "0 of 8" in plot.figure.title.text
        json_item(plot.figure)


def test_accuracy_plot_shows_the_intact_and_the_perturbed_curves(presets_ds):
    plot = plot_accuracy(presets_ds)
    intact = presets_ds.sel(perturbation="none")
    np.testing.assert_array_equal(plot.source.data["accuracy"], intact.accuracy.values)
    assert plot.sources["optimum"].data["scaling_factor"] == [float(intact.opt_scaling_factor)]
    perturbed = plot.sources["perturbed"].data
    assert perturbed["perturbation"] == ["ei_dec"] * 2 + ["ee_inc"] * 2 + ["ii_dec"] * 2
    assert perturbed["scaling_factor"] == FACTORS * 3
    assert perturbed["accuracy"] == presets_ds.accuracy.values[1:].ravel().tolist()
    assert perturbed["change"] == presets_ds.accuracy_change.values[1:].ravel().tolist()
    assert perturbed["mcnemar_p"] == presets_ds.mcnemar_p.values[1:].ravel().tolist()
    lines = plot.sources["perturbed_lines"].data
    assert lines["legend"] == ["perturbed: ei_dec", "perturbed: ee_inc", "perturbed: ii_dec"]
    assert len(set(lines["color"])) == 3
    assert plot.intact_item.label.value == "intact, all trials"
    assert "intact and ei_dec, ee_inc, ii_dec" in plot.figure.title.text
    (tap,) = [tool for tool in plot.figure.tools if isinstance(tool, TapTool)]
    assert [renderer.data_source for renderer in tap.renderers] == [plot.source]
    json_item(plot.figure)
    plot.update(intact)  # one network: the plain figure again
    assert plot.sources["perturbed"].data["accuracy"] == []
    assert plot.sources["perturbed_lines"].data["xs"] == []
    assert plot.intact_item.label.value == "all trials"


def test_fractions_of_the_same_units_in_the_same_window_make_one_line(model_path):
    from spikewidgets.perturbations import Stimulate, UnitSelection

    silences = [Stimulate(UnitSelection(unit_type="inh", fraction=fraction), "inh", *window)
                for window in ((0.025, 0.075), (0.1, 0.2)) for fraction in (0.5, 1.0)]
    ds = perturbation_search(model_path, "go_nogo", silences, scaling_factors=[2.0],
                             n_trials=4, task_settings=SHORT, seed=1, progress=False)
    plot = plot_perturbation_sweep(ds, change=True)
    assert plot.sources["lines"].data["group"] == ["silence: inh units, 0.025-0.075 s",
                                                   "silence: inh units, 0.1-0.2 s"]
    assert list(plot.source.data["strength"]) == [0.5, 1.0, 0.5, 1.0]
    assert plot.figure.xaxis.axis_label == "units silenced (fraction of a type, or count)"


def test_one_trial_is_counted_in_the_singular(model_path):
    ds = perturbation_search(model_path, "go_nogo", ["ei_dec"], scaling_factors=[2.0],
                             n_trials=1, task_settings=SHORT, seed=1, progress=False)
    for build in (plot_perturbation_sweep, plot_perturbation_effects):
        assert ": 1 of 1 trial" in build(ds).figure.title.text
        assert "1 trials" not in build(ds).figure.title.text
    assert "1 of 1 trial per factor" in plot_accuracy(ds).figure.title.text


def test_empty_perturbation_figures_say_what_will_appear_and_validate():
    from bokeh.core.validation import check_integrity

    for build, text in ((plot_perturbation_sweep, PERTURBATION_PLACEHOLDER),
                        (plot_perturbation_effects, EFFECTS_PLACEHOLDER)):
        for change in (False, True):
            plot = build(change=change)
            assert plot.placeholder.visible
            assert plot.placeholder.text.replace("\n", " ") == text
            assert text.startswith("Run perturbation_search")
            # Their legends take every label from a column: no bare words while empty.
            assert all(hasattr(item.label, "field") for item in plot.figure.legend[0].items)
            assert check_integrity([plot.figure]).error == []
