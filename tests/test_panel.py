"""The search panel and its parts driven without a browser: controls in, Dataset and plots out.

The first half drives the whole :class:`SearchPanel`; the second half uses each
part (ModelPicker, RunControls, AccuracyView, TrialViewer, FileActions,
StatusLine, the BokehJS pane) on its own.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import xarray as xr
from conftest import skip_or_fail

try:
    import ipywidgets
    import jupyter_bokeh  # noqa: F401
except ImportError as error:  # the lab extra
    skip_or_fail(f"the panel needs {error.name} (the lab extra)", allow_module_level=True)

import bokeh
import traitlets

import spikewidgets
from spikewidgets import lambda_grid_search, load_model, simulate
from spikewidgets.io import random_model_arrays
from spikewidgets.panel import AccuracyView, SearchPanel, TrialViewer
from spikewidgets.panel._bokehjs import FigurePane, bokehjs_loader
from spikewidgets.panel._common import NO_FACTOR, StatusLine
from spikewidgets.panel._file_actions import FileActions
from spikewidgets.panel._model_picker import ModelPicker
from spikewidgets.panel._perturbation_controls import PerturbationControls
from spikewidgets.panel._run_controls import RunControls
from spikewidgets.tasks import get_task, task_names

GRID = (20.0, 40.0, 10.0)
COMPARISON_VARIABLES = ("rate_correlation", "rate_gain", "output_divergence",
                        "unit_rate_correlation", "unit_rate_gain")

# The panel reports these in its status line (pytest resets the panel's filters).
pytestmark = pytest.mark.filterwarnings(
    "ignore::spikewidgets.errors.EdgeOfGridWarning",
    "ignore::spikewidgets.errors.SearchInterrupted",
)


def _write(path, n_units=60, n_inputs=1, seed=2):
    scipy.io.savemat(path, random_model_arrays(n_units, n_inputs, seed=seed))
    return path


@pytest.fixture
def model_path(tmp_path):
    return _write(tmp_path / "gonogo_model.mat")


@pytest.fixture
def panel(model_path):
    made = SearchPanel(model_path, n_trials=4, scaling_factors=GRID, seed=3)
    yield made
    made.close()


def _wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def test_run_wait_returns_the_search_of_the_controls(panel, model_path):
    ds = panel.run(wait=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = lambda_grid_search(model_path, "go_nogo", 4, [20, 30, 40], seed=3,
                                      save=False, progress=False)
    assert panel.result is ds and ds.attrs["complete"] == 1
    for name in ("correct", "response", "mean_rate", "accuracy", "opt_scaling_factor"):
        xr.testing.assert_equal(ds[name], expected[name])
    np.testing.assert_array_equal(panel.plots["accuracy"].source.data["accuracy"],
                                  ds.accuracy.values)
    assert panel.run_controls.progress_bar.value == 1.0
    assert panel.run_controls.progress_bar.bar_style == "success"
    assert "Optimum: scaling factor" in panel.status
    files = panel.file_actions
    assert not files.save_button.disabled and not files.export_button.disabled
    assert panel.timings["started"] < panel.timings["first_point"] <= panel.timings["finished"]
    assert not set(COMPARISON_VARIABLES) & set(ds.data_vars)  # the box is not ticked
    assert panel.rate_view.children == ()  # and the comparison's figures are not shown


def test_the_panel_is_a_widget_of_parts(panel):
    assert isinstance(panel, ipywidgets.VBox) and "spw-panel" in panel._dom_classes
    def inside(widget):
        for child in getattr(widget, "children", ()):
            yield child
            yield from inside(child)

    shown = list(inside(panel))
    for part in (panel.model_picker, panel.run_controls, panel.status_line,
                 panel.accuracy_view, panel.trial_viewer, panel.file_actions):
        assert part in shown
    assert list(panel.plots) == ["accuracy", "output", "raster", "rates"]
    assert "application/vnd.jupyter.widget-view+json" in panel._repr_mimebundle_()


def test_controls_set_the_search(panel):
    controls, picker = panel.run_controls, panel.model_picker
    controls.trials_field.value = 3
    controls.range_slider.value = (30.0, 50.0)
    controls.step_field.value = 10.0
    controls.seed_field.value = 7
    picker.setting_fields["eval_amp_thresh"].value = 0.5
    assert "3 scaling factors: 30, 40, 50" in controls.grid_label.value
    controls.run_button.click()
    ds = panel.wait(timeout=30)
    np.testing.assert_array_equal(ds.scaling_factor.values, [30, 40, 50])
    assert ds.sizes["trial"] == 3 and ds.attrs["seed"] == 7
    assert '"eval_amp_thresh": 0.5' in ds.attrs["task_settings"]


def test_live_updates_reach_the_accuracy_source(model_path):
    panel = SearchPanel(model_path, n_trials=6, scaling_factors=GRID, seed=1)
    drawn = []  # trials per factor behind each drawing of the accuracy plot
    panel.plots["accuracy"].source.on_change(
        "data", lambda _attr, _old, new: drawn.append(list(new["n_trials"])))
    panel.run_controls.run_button.click()
    assert panel.running and not panel.run_controls.stop_button.disabled
    ds = panel.wait(timeout=30)
    assert ds.sizes["trial"] == 6 and panel.run_controls.stop_button.disabled
    partial = [trials[0] for trials in drawn if trials and trials[0] < 6]
    assert partial and partial == sorted(partial)  # drawn while running, growing
    assert drawn[-1] == [6, 6, 6]
    panel.close()


def test_live_updates_through_a_dask_executor(model_path):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        executor = client.get_executor()
        panel = SearchPanel(model_path, n_trials=6, scaling_factors=GRID, seed=1,
                            executor=executor)
        drawn = []
        panel.plots["accuracy"].source.on_change(
            "data", lambda _attr, _old, new: drawn.append(list(new["n_trials"])))
        panel.run_controls.run_button.click()
        ds = panel.wait(timeout=60)
        panel.close()
        assert executor.submit(abs, -1).result() == 1  # the user's executor still works
    assert [trials[0] for trials in drawn if trials and trials[0] < 6]  # drawn while running
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = lambda_grid_search(model_path, "go_nogo", 6, [20, 30, 40], seed=1,
                                      save=False, progress=False)
    xr.testing.assert_equal(ds.correct, expected.correct)


def test_missing_file_is_reported_in_words(panel, tmp_path):
    missing = tmp_path / "nowhere.mat"
    panel.model_picker.path_field.value = str(missing)
    assert "does not exist" in panel.status and "nowhere.mat" in panel.status
    assert panel.model_picker.model is None
    panel.run_controls.run_button.click()
    assert panel.status.startswith("✖ Cannot run") and "nowhere.mat" in panel.status
    assert panel.result is None and not panel.running
    with pytest.raises(FileNotFoundError, match="nowhere.mat"):
        panel.run()


def test_bad_file_is_reported_in_words(panel, tmp_path):
    bad = tmp_path / "notes.mat"
    bad.write_text("ideas for the next model: more units, longer delay\n")  # 52 bytes
    panel.model_picker.path_field.value = str(bad)
    assert panel.status.startswith("✖ Cannot use this model: ")
    assert f"{bad}: not a readable MATLAB model file (no MAT-file header;" in panel.status
    assert "Traceback" not in panel.status and "index out of range" not in panel.status
    panel.run_controls.run_button.click()
    assert panel.status.startswith("✖ Cannot run") and str(bad) in panel.status


def test_wrong_task_is_reported_in_words(panel):
    panel.model_picker.task_field.value = "xor"
    assert "Wrong task" in panel.status and "2 inputs" in panel.status
    panel.run_controls.run_button.click()
    assert "Cannot run" in panel.status and "xor" in panel.status
    assert panel.result is None and not panel.running


def test_task_is_inferred_from_inputs_and_name(tmp_path):
    for n_inputs, name, expected in ((2, "model_a.mat", "xor"), (4, "model_b.mat", "mante"),
                                     (1, "my_xor_try.mat", "go_nogo"),
                                     (1, "GoNoGo_200.mat", "go_nogo")):
        path = _write(tmp_path / name, n_units=30, n_inputs=n_inputs)
        panel = SearchPanel(path)
        assert panel.model_picker.task_field.value == expected, name
        assert set(panel.model_picker.settings) == set(get_task(expected).defaults)
        panel.close()
    override = SearchPanel(_write(tmp_path / "m.mat", n_units=30, n_inputs=2), task="xor",
                           task_settings={"delay": 20})
    assert override.model_picker.setting_fields["delay"].value == 20
    assert override.model_picker.settings["delay"] == 20
    override.close()


def test_settings_accordion_holds_every_default(panel):
    picker = panel.model_picker
    assert picker.settings_accordion.selected_index is None  # collapsed
    for name in task_names():
        picker.task_field.value = name
        fields = picker.setting_fields
        assert {key: box.value for key, box in fields.items()} == dict(get_task(name).defaults)
        assert picker.settings == dict(get_task(name).defaults)
        assert all(box.description for box in fields.values())
    assert "5 ms" in picker.setting_fields["T"].description


def test_bad_settings_and_grid_are_refused(panel):
    picker, controls = panel.model_picker, panel.run_controls
    picker.setting_fields["stim_on"].value = 500
    with pytest.raises(ValueError, match="past the end of the trial"):
        panel.run()
    assert "past the end of the trial" in panel.status
    picker.setting_fields["stim_on"].value = 50
    controls.step_field.value = 100.0
    controls.range_slider.value = (40.0, 40.0)
    assert "1 scaling factor: 40 (paper's λ = 1/factor: 0.025)" in controls.grid_label.value


def test_stop_ends_the_run_and_keeps_finished_trials(panel, model_path):
    before = model_path.read_bytes()
    panel.run_controls.trials_field.value = 400
    panel.run_controls.run_button.click()
    _wait_for(lambda: "first_point" in panel.timings)
    pressed = time.perf_counter()
    panel.run_controls.stop_button.click()
    ds = panel.wait(timeout=5)
    assert time.perf_counter() - pressed < 1.0
    assert not panel.running and ds is panel.result
    assert ds.attrs["complete"] == 0 and 0 < ds.sizes["trial"] < 400
    assert "Stopped after" in panel.status
    assert panel.run_controls.progress_bar.bar_style == "warning"
    np.testing.assert_array_equal(panel.plots["accuracy"].source.data["accuracy"],
                                  ds.accuracy.values)
    assert panel.file_actions.save_button.disabled
    assert not panel.file_actions.export_button.disabled
    with pytest.raises(ValueError, match="stopped before its end"):
        panel.save()
    assert model_path.read_bytes() == before


def test_second_run_is_refused_while_running(panel):
    panel.run_controls.trials_field.value = 400
    panel.run_controls.run_button.click()
    first, started = panel.runner.run, panel.timings
    panel.run_controls.run_button.click()
    assert "already running" in panel.status and panel.runner.run is first
    assert panel.timings is started
    with pytest.raises(RuntimeError, match="already running"):
        panel.run()
    panel.stop()
    assert not panel.running


def test_tap_and_slider_show_the_trial_of_the_search(panel, model_path):
    ds = panel.run(wait=True)
    viewer = panel.trial_viewer
    assert len(panel.plots["raster"].source.data["time"]) == 0
    panel.plots["accuracy"].source.selected.indices = [1]  # what a tap sends
    assert panel.accuracy_view.selected_index == 1 and viewer.factor_index == 1
    assert viewer.factor_slider.value == 1
    expected = simulate(model_path, 30.0, "go_nogo", seed=3, trial=0)
    np.testing.assert_array_equal(panel.plots["raster"].source.data["time"],
                                  expected.spike_time.values)
    assert len(panel.plots["output"].sources["rate"].data["output"]) == 200
    viewer.trial_field.value = 2
    assert panel.sim.attrs["trial"] == 2
    assert panel.sim.attrs["correct"] == int(ds.correct.sel(trial=2).values[1])
    searched = "correct" if ds.correct.sel(trial=2).values[1] else "wrong"
    assert f"in the search: {searched}" in viewer.info.value
    viewer.factor_slider.value = 2
    assert list(panel.plots["accuracy"].source.selected.indices) == [2]
    assert panel.accuracy_view.selected_index == 2
    assert panel.sim.attrs["scaling_factor"] == 40.0
    panel.plots["accuracy"].source.selected.indices = []  # a click beside the points
    assert list(panel.plots["accuracy"].source.selected.indices) == [2]


def test_select_checks_the_factor(panel):
    with pytest.raises(ValueError, match="no search result"):
        panel.select(20)
    panel.run(wait=True)
    sim = panel.select(40, trial=1)
    assert sim.attrs["scaling_factor"] == 40 and sim.attrs["trial"] == 1
    assert panel.accuracy_view.selected_index == 2 and panel.trial_viewer.trial == 1
    with pytest.raises(ValueError, match="20, 30, 40"):
        panel.select(33)
    with pytest.raises(ValueError, match="expected 0 to 3"):
        panel.select(40, trial=4)


def test_save_writes_the_optimum_into_the_model(panel, model_path):
    with pytest.raises(ValueError, match="run a search first"):
        panel.save()
    ds = panel.run(wait=True)
    panel.file_actions.save_button.click()
    assert "Saved opt_scaling_factor" in panel.status
    model = load_model(model_path)
    assert model.opt_scaling_factor == float(ds.opt_scaling_factor)
    assert ds.attrs["saved_to_model"] == 1
    panel.file_actions.save_button.click()  # saving the same result twice is fine
    assert "Saved opt_scaling_factor" in panel.status
    _write(model_path, seed=9)  # another model under the same name
    panel.file_actions.save_button.click()
    assert "changed since the search" in panel.status


def test_export_writes_netcdf(panel, tmp_path):
    panel.run(wait=True)
    panel.file_actions.path_field.value = str(tmp_path / "result")
    panel.file_actions.export_button.click()
    target = tmp_path / "result.nc"
    assert "Wrote" in panel.status and target.exists()
    with xr.open_dataset(target) as loaded:
        np.testing.assert_array_equal(loaded.accuracy.values, panel.result.accuracy.values)
    assert panel.export(tmp_path / "again.nc") == tmp_path / "again.nc"


def test_views_say_what_will_appear_before_the_first_run(panel):
    from spikewidgets.panel._trial_viewer import CHOOSE_HINT, NO_SEARCH_HINT
    from spikewidgets.plots._base import (
        ACCURACY_PLACEHOLDER,
        OUTPUT_PLACEHOLDER,
        RASTER_PLACEHOLDER,
        RATES_PLACEHOLDER,
    )

    expected = {"accuracy": ACCURACY_PLACEHOLDER, "output": OUTPUT_PLACEHOLDER,
                "raster": RASTER_PLACEHOLDER, "rates": RATES_PLACEHOLDER}
    for name, plot in panel.plots.items():
        assert plot.placeholder.visible, name
        assert plot.placeholder.text.replace("\n", " ") == expected[name]
        keys = [r for r in plot.figure.renderers if r.name == "legend_key"]
        assert keys, f"the legend of the empty {name} figure has no swatches"
    assert "Press Run" in panel.plots["accuracy"].placeholder.text
    assert "Click a point" in panel.plots["raster"].placeholder.text
    viewer = panel.trial_viewer
    assert viewer.info.value == NO_SEARCH_HINT
    panel.run(wait=True)
    assert not panel.plots["accuracy"].placeholder.visible
    assert panel.plots["raster"].placeholder.visible  # no trial chosen yet
    assert viewer.info.value == CHOOSE_HINT
    panel.select(30)
    assert not any(plot.placeholder.visible for plot in panel.plots.values())
    assert viewer.info.value.startswith("trial 0: ")
    panel.run(wait=False)  # a new run empties the trial plots again
    assert panel.plots["raster"].placeholder.visible
    assert viewer.info.value in (NO_SEARCH_HINT, CHOOSE_HINT)
    panel.stop()


def test_the_empty_accuracy_plot_names_the_networks_of_the_next_run(panel):
    from spikewidgets.panel._accuracy_view import accuracy_placeholder
    from spikewidgets.plots._base import ACCURACY_PLACEHOLDER

    plot = panel.plots["accuracy"]
    panel.perturbation_controls.choice_field.value = "ei_dec"
    assert panel.accuracy_view.perturbation == "ei_dec"
    text = plot.placeholder.text.replace("\n", " ")
    assert text == accuracy_placeholder("ei_dec") and "intact and perturbed (ei_dec)" in text
    panel.perturbation_controls.choice_field.value = "none"
    assert plot.placeholder.text.replace("\n", " ") == ACCURACY_PLACEHOLDER


def test_the_empty_accuracy_axis_spans_the_grid_of_the_controls(panel):
    """Before a result the x axis spans the grid Run would search, and follows its changes."""
    extent = panel.plots["accuracy"].extent
    assert extent.data["x"] == [20.0, 40.0]
    panel.run_controls.factor_range = (10.0, 70.0)
    assert extent.data["x"] == [10.0, 70.0] == [min(panel.run_controls.grid),
                                                 max(panel.run_controls.grid)]
    panel.run(wait=True)
    assert extent.data["x"] == []  # the data's own factors span the axis
    panel.run_controls.factor_range = (30.0, 50.0)
    panel.plots["accuracy"].clear()
    assert extent.data["x"] == [30.0, 50.0]

def test_counts_in_the_panel_are_singular_or_plural(model_path):
    panel = SearchPanel(model_path, n_trials=1, scaling_factors=GRID, seed=3)
    assert "60 units" in panel.status and "1 input;" in panel.status
    assert "input(s)" not in panel.status
    started = []
    panel.status_line.observe(lambda change: started.append(change.new), names="message")
    ds = panel.run(wait=True)
    assert ds.sizes["trial"] == 1
    assert any(m.startswith("Running 3 scaling factors × 1 trial of go_nogo") for m in started)
    assert "3 factors × 1 trial in" in panel.status and "1 trials" not in panel.status
    assert panel.run_controls.progress_label.value.startswith("1/1 trial × 3 factors")
    assert panel.plots["accuracy"].figure.title.text.endswith("1 of 1 trial per factor")
    panel.run_controls.range_slider.value = (30.0, 30.0)
    assert panel.run_controls.grid_label.value.startswith("1 scaling factor: 30 ")
    panel.close()


def test_bokehjs_comes_from_the_kernel(panel):
    (output,) = bokehjs_loader().outputs
    script = output["data"]["application/javascript"]
    assert len(script) > 1_000_000 and f'"{bokeh.__version__}"' in script
    assert "cdn.bokeh.org" not in script.split("script.textContent")[0]
    panes = [panel.accuracy_view.pane, panel.trial_viewer.pane]
    for pane in panes:
        assert bokehjs_loader() in pane.gate.children
        assert pane.area.children[0].__class__.__name__ == "HTML" and not pane.ready
        pane.gate.mark_ready()  # what the page does once BokehJS is loaded
        assert pane.area.children == (pane.content,) and pane.ready
        assert pane.gate.ready_count == 1
    assert len(panes[1].content.children) == 3
    script = panes[0].gate.waiter_script("abc")
    assert "spw-ready-abc" in script


def test_close_keeps_the_shared_loader(model_path):
    panel = SearchPanel(model_path, n_trials=2, scaling_factors=GRID)
    views = panel.accuracy_view.pane.bokeh_models + panel.trial_viewer.pane.bokeh_models
    panel.close()
    assert panel.comm is None and panel.model_picker.path_field.comm is None
    assert all(view.comm is None for view in views)  # closed although never shown
    assert bokehjs_loader().comm is not None


def test_figure_widget_waits_for_bokehjs():
    from jupyter_bokeh import BokehModel

    from spikewidgets.panel import figure_widget
    from spikewidgets.plots import plot_rates

    plot = plot_rates()
    box = figure_widget(plot.figure)
    assert isinstance(box, FigurePane)
    area = box.children[0]
    assert not any(isinstance(child, BokehModel) for child in area.children)
    plot.source.data = {"left": [0.0], "right": [1.0], "exc": [3], "inh": [1]}
    box.gate.mark_ready()  # what the page does once BokehJS is loaded
    assert area.children == (box.bokeh_model,)
    assert "('exc', [3])" in str(box.bokeh_model.render_bundle)  # the bundle has today's data


def test_setup_notebook_shows_the_loader(monkeypatch):
    import IPython.display

    from spikewidgets.panel import setup_notebook

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objects: shown.extend(objects))
    setup_notebook()
    assert shown == [bokehjs_loader()]


def test_example_dropdown_copies_the_example(monkeypatch, tmp_path):
    import spikewidgets.io._examples as examples

    copies = []

    def fake_example(task="go_nogo", directory=None):
        path = _write(tmp_path / f"{task}_example.mat", n_units=30,
                      n_inputs=get_task(task).n_inputs)
        copies.append(path)
        return path

    monkeypatch.setattr(examples, "example_model", fake_example)
    panel = SearchPanel()
    picker = panel.model_picker
    assert picker.path == str(copies[0]) and picker.task == "go_nogo"
    picker.example_field.value = "mante"
    assert picker.path_field.value == str(copies[-1]) and picker.task_field.value == "mante"
    assert "Loaded mante_example.mat" in panel.status
    panel.close()


def test_missing_example_is_reported(monkeypatch):
    import spikewidgets.io._examples as examples

    def missing(task="go_nogo", directory=None):
        raise FileNotFoundError(f"the bundled example model {task}.mat is missing")

    monkeypatch.setattr(examples, "example_model", missing)
    panel = SearchPanel()
    assert "not available" in panel.status and panel.model_picker.path == ""
    panel.close()


def test_importing_the_package_does_not_import_widgets():
    code = ("import sys, spikewidgets; "
            "bad = [m for m in ('ipywidgets', 'bokeh', 'jupyter_bokeh') if m in sys.modules]; "
            "assert not bad, bad; "
            "from spikewidgets import SearchPanel; import spikewidgets.panel as panel; "
            "assert SearchPanel is panel.SearchPanel; print(SearchPanel.__module__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("spikewidgets.panel")


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a part of the name is a module, not a package
        return False


def test_the_panel_imports_no_private_name_of_another_module():
    """``from x import _y`` only where ``_y`` is a module: private modules are the package's own.

    Any module of spikewidgets may import a private module (``spikewidgets.plots._base``),
    by its absolute name; a private name (``_f``) stays in the module that defines it.
    """
    package = Path(spikewidgets.__file__).parent
    files = sorted((package / "panel").glob("*.py")) + sorted((package / "plots").glob("*.py"))
    assert len(files) >= 12
    imported_modules = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            assert node.level == 0, f"{path.name}:{node.lineno} imports by a relative name"
            if node.module == "__future__":
                continue
            private = [alias.name for alias in node.names if alias.name.startswith("_")
                       and not alias.name.endswith("__")  # __version__
                       and not _is_module(f"{node.module}.{alias.name}")]
            assert not private, f"{path.name}:{node.lineno} imports {private}"
            imported_modules.add(node.module)
    assert "spikewidgets.plots._base" in imported_modules  # private modules are allowed


# --------------------------------------------------------------------------- the parts alone


@pytest.fixture(scope="module")
def search_ds(tmp_path_factory):
    path = _write(tmp_path_factory.mktemp("parts") / "gonogo_model.mat")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lambda_grid_search(path, "go_nogo", 4, "20:40:10", seed=5,
                                  save=False, progress=False)


def test_model_picker_loads_a_file_and_reports_a_bad_one(tmp_path):
    path = _write(tmp_path / "xor_model.mat", n_units=30, n_inputs=2)
    picker = ModelPicker(path)
    assert picker.status in picker.children  # used alone, it shows its own line
    assert picker.model is not None and picker.model.n_inputs == 2
    assert picker.path == str(path) and picker.task == "xor"
    assert picker.settings == dict(get_task("xor").defaults)
    assert "Loaded xor_model.mat" in picker.status.text
    seen = []
    picker.observe(lambda change: seen.append(change.new), names="model")
    bad = tmp_path / "bad.mat"
    bad.write_text("no")
    picker.path = str(bad)
    assert picker.model is None and seen == [None]
    assert picker.status.level == "error"
    assert f"{bad}: not a readable MATLAB model file" in picker.status.text
    with pytest.raises(ValueError, match="MATLAB"):
        picker.read()
    picker.path = str(path)
    picker.setting_fields["delay"].value = 15
    choice = picker.read()
    assert choice.task == "xor" and choice.settings["delay"] == 15 and choice.path == path
    picker.task = "go_nogo"
    assert "Wrong task" in picker.status.text
    with pytest.raises(ValueError, match="input"):
        picker.read()
    picker.close()


def test_model_picker_refuses_unknown_settings(tmp_path):
    path = _write(tmp_path / "model.mat", n_units=30)
    picker = ModelPicker(task="go_nogo", task_settings={"bogus": 3})
    assert "unknown key 'bogus'" in picker.status.text
    picker.load(path)
    assert picker.model is not None
    picker.close()


def test_run_controls_validate_the_grid_and_report_clicks():
    with pytest.raises(ValueError, match="start <= stop"):
        RunControls("60:20:5")
    with pytest.raises(ValueError, match="start, stop, step"):
        RunControls((1, 2))
    controls = RunControls("20:40:10", n_trials=3, seed=4)
    assert controls.grid == [20.0, 30.0, 40.0] and controls.n_trials == 3 and controls.seed == 4
    controls.factor_step = 5.0
    assert controls.grid == [20.0, 25.0, 30.0, 35.0, 40.0]
    assert controls.step_field.value == 5.0 and "5 scaling factors" in controls.grid_label.value
    controls.factor_range = (30.0, 30.0)
    np.testing.assert_array_equal(controls.read_grid(), [30.0])
    controls.seed_field.value = 9
    assert controls.seed == 9
    clicks = []
    controls.on_run(lambda part: clicks.append(("run", part)))
    controls.on_stop(lambda part: clicks.append(("stop", part)))
    controls.run_button.click()
    assert clicks == [("run", controls)]
    assert controls.stop_button.disabled
    controls.running = True
    controls.stop_button.click()
    assert clicks[-1] == ("stop", controls) and not controls.stop_button.disabled
    controls.progress, controls.progress_text, controls.progress_style = 0.5, "half", "info"
    assert controls.progress_bar.value == 0.5 and controls.progress_label.value == "half"
    assert controls.progress_bar.bar_style == "info"
    controls.close()


def test_slider_readouts_have_the_precision_of_the_grid():
    controls = RunControls("10:65:5")
    slider = controls.range_slider
    assert (slider.readout_format, slider.step) == (".0f", 1.0)  # "10 – 65", not "10.00 – 65.00"
    assert "spw-factor-range" in slider._dom_classes
    controls.factor_step = 0.5
    assert (slider.readout_format, slider.step) == (".1f", 0.1)
    assert controls.grid[:3] == [10.0, 10.5, 11.0]
    assert "10.0, 10.5, …, 65.0" in controls.grid_label.value
    controls.factor_range, controls.factor_step = (10.25, 12.0), 0.25
    assert slider.readout_format == ".2f" and slider.value == (10.25, 12.0)
    controls.factor_range, controls.factor_step = (20.0, 40.0), 10.0
    assert (slider.readout_format, slider.step) == (".0f", 1.0)
    assert "3 scaling factors: 20, 30, 40" in controls.grid_label.value
    controls.close()


def test_the_factor_slider_labels_have_the_precision_of_the_grid(tmp_path):
    path = _write(tmp_path / "gonogo_model.mat", n_units=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        decimal = lambda_grid_search(path, "go_nogo", 1, [10, 12.5, 15], seed=1, save=False,
                                     progress=False)
        whole = lambda_grid_search(path, "go_nogo", 1, [10, 20], seed=1, save=False,
                                   progress=False)
    viewer = TrialViewer(decimal)
    assert [label for label, _ in viewer.factor_slider.options] == \
        ["none", "10.0", "12.5", "15.0"]
    viewer.set_dataset(whole)
    assert [label for label, _ in viewer.factor_slider.options] == ["none", "10", "20"]
    viewer.close()


def test_the_model_dropdown_names_the_file_it_shows(tmp_path):
    from spikewidgets.panel._model_picker import OWN_FILE

    own = _write(tmp_path / "gonogo_model.mat", n_units=30)
    copy = _write(tmp_path / "go_nogo_example.mat", n_units=30)
    picker = ModelPicker(own)
    labels = dict((value, label) for label, value in picker.example_field.options)
    assert picker.example_field.value == "" and labels[""] == OWN_FILE
    assert not any("below" in label for label in labels.values())  # no prompt left over
    picker.path = str(copy)  # a copy of a bundled example, by its name
    assert picker.example_field.value == "go_nogo" and picker.model is not None
    picker.path = str(own)
    assert picker.example_field.value == ""
    picker.path = str(tmp_path / "nowhere.mat")
    assert picker.example_field.value == "" and picker.model is None
    picker.close()


def test_accuracy_view_shows_a_dataset_and_a_tap_sets_its_trait(search_ds):
    view = AccuracyView()
    assert view.plot.placeholder.visible and view.selected_index == NO_FACTOR
    view.show(search_ds)
    assert view.factors == [20.0, 30.0, 40.0] and not view.plot.placeholder.visible
    np.testing.assert_array_equal(view.plot.source.data["accuracy"], search_ds.accuracy.values)
    taps = []
    view.observe(lambda change: taps.append(change.new), names="selected_index")
    view.plot.source.selected.indices = [2]  # what a tap sends
    assert view.selected_index == 2 and taps == [2]
    view.selected_index = 0
    assert list(view.plot.source.selected.indices) == [0]
    with pytest.raises(traitlets.TraitError, match=r"0 to 2 \(3 scaling factors shown\)"):
        view.selected_index = 3
    view.show(search_ds.isel(scaling_factor=slice(0, 2)))
    assert view.selected_index == 0  # still there
    view.show(None)
    assert view.selected_index == NO_FACTOR and view.factors == []
    assert view.plot.placeholder.visible
    view.close()


def test_trial_viewer_replays_a_trial_of_a_dataset(search_ds):
    viewer = TrialViewer(search_ds)  # the model is read from the Dataset's model_path
    assert viewer.status in viewer.children
    assert [label for label, _ in viewer.factor_slider.options] == ["none", "20", "30", "40"]
    assert viewer.trial_field.max == 3 and viewer.sim is None
    assert all(plot.placeholder.visible for plot in viewer.plots.values())
    viewer.factor_index = 1
    expected = simulate(search_ds.attrs["model_path"], 30.0, "go_nogo", seed=5, trial=0)
    np.testing.assert_array_equal(viewer.plots["raster"].source.data["time"],
                                  expected.spike_time.values)
    assert viewer.factor_slider.value == 1 and viewer.model is not None
    assert viewer.rate is not None and not viewer.plots["rates"].placeholder.visible
    viewer.trial = 3
    assert viewer.sim.attrs["trial"] == 3 and viewer.trial_field.value == 3
    correct = bool(search_ds.correct.sel(trial=3).values[1])
    assert viewer.sim.attrs["correct"] == int(correct)
    sim = viewer.select(40.0, trial=2)
    assert sim is viewer.sim and sim.attrs["scaling_factor"] == 40.0
    assert viewer.factor_index == 2 and viewer.trial == 2
    viewer.set_dataset(None)
    assert viewer.factor_index == NO_FACTOR and viewer.sim is None
    assert all(plot.placeholder.visible for plot in viewer.plots.values())
    viewer.close()


def test_file_actions_export_atomically_and_check_before_saving(search_ds, tmp_path,
                                                                  monkeypatch):
    import spikewidgets.io._atomic
    import spikewidgets.panel._file_actions as file_actions

    assert file_actions.write_netcdf is spikewidgets.io._atomic.write_netcdf
    written = []

    def recording(dataset, path):
        written.append(path)
        return spikewidgets.io._atomic.write_netcdf(dataset, path)

    monkeypatch.setattr(file_actions, "write_netcdf", recording)
    actions = FileActions()
    assert actions.save_button.disabled and actions.export_button.disabled
    with pytest.raises(ValueError, match="run a search first"):
        actions.export(tmp_path / "x.nc")
    actions.set_dataset(search_ds.copy())
    assert not actions.save_button.disabled and not actions.export_button.disabled
    actions.export_path = str(tmp_path / "out")
    actions.export_button.click()
    assert written == [tmp_path / "out.nc"] and (tmp_path / "out.nc").exists()
    assert "Wrote" in actions.status.text
    stopped = search_ds.copy()
    stopped.attrs["complete"] = 0
    actions.set_dataset(stopped)
    assert actions.save_button.disabled and not actions.export_button.disabled
    with pytest.raises(ValueError, match="stopped before its end"):
        actions.save()
    changed = search_ds.copy()
    changed.attrs["model_sha256"] = "0" * 64
    actions.set_dataset(changed)
    actions.save_button.click()
    assert actions.status.level == "error" and "changed since the search" in actions.status.text
    actions.close()


def test_status_line_shows_levels_in_words():
    line = StatusLine("hello")
    assert line.text == "hello" and line.level == "info"
    line.show("it broke <badly>", "error")
    assert line.text == "✖ it broke <badly>" and "&lt;badly&gt;" in line.html.value
    assert "spw-error" in line.html.value
    line.message = "fixed"
    assert line.text == "✖ fixed"
    with pytest.raises(traitlets.TraitError):
        line.level = "shouting"
    line.close()



def test_status_marks_have_glyphs_in_dejavu_sans():
    """Each status mark is a character of DejaVu Sans, where JupyterLab's fonts end on Linux.

    An hourglass (U+23F3) was in no font of a Debian desktop: Chromium drew a box.
    """
    from spikewidgets.panel._common import LEVELS

    ttlib = pytest.importorskip("fontTools.ttLib")
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not font.is_file():
        pytest.skip("DejaVu Sans is not installed")
    cmap = ttlib.TTFont(font).getBestCmap()
    marks = "".join(mark for _, mark in LEVELS.values()).replace(" ", "")
    assert len(marks) == 4
    assert [mark for mark in marks if ord(mark) not in cmap] == []


# --------------------------------------------------------------------------- perturbations


def _perturbation_search(model_path, perturbations, n_trials=4, seed=3):
    from spikewidgets.search import perturbation_search

    return perturbation_search(model_path, "go_nogo", perturbations, scaling_factors=[20, 30, 40],
                               n_trials=n_trials, seed=seed, progress=False)


def test_perturbation_controls_offer_none_presets_and_custom():
    from spikewidgets.perturbations import PRESETS, LesionConnections, ScaleConnections

    controls = PerturbationControls()
    assert controls.choice == "none" and controls.perturbation is None
    assert controls.label == "none" and controls.read() is None
    assert controls.custom_box.layout.display == "none"
    assert "intact network only" in controls.note.value
    values = [value for _, value in controls.choice_field.options]
    assert values == ["none", *PRESETS, "custom"]
    assert "ei_dec: inh → exc × 0.7" in dict(controls.choice_field.options)
    seen = []
    controls.observe(lambda change: seen.append(change.new), names="label")
    controls.choice_field.value = "ei_dec"
    assert controls.perturbation is PRESETS["ei_dec"] and seen == ["ei_dec"]
    assert "inhibitory → excitatory weights multiplied by 0.7" in controls.note.value
    assert "receiving type first" in controls.note.value
    controls.choice_field.value = "custom"
    assert controls.custom_box.layout.display is None
    controls.pre_field.value, controls.post_field.value = "exc", "inh"
    controls.factor_field.value = 1.5
    assert controls.perturbation == ScaleConnections("exc", "inh", 1.5)
    assert controls.label == "exc->inh x1.5" and seen[-1] == "exc->inh x1.5"
    with pytest.raises(traitlets.TraitError, match="expected a number > 0"):
        controls.factor = 0.0
    with pytest.raises(traitlets.TraitError, match="expected one of none, ee_inc"):
        controls.choice = "ei_down"
    with pytest.raises(traitlets.TraitError):
        controls.perturbation = PRESETS["ee_inc"]  # read-only: choose it instead
    controls.set(ScaleConnections("any", "exc", 0.5))
    assert (controls.choice, controls.pre, controls.post, controls.factor) == \
        ("custom", "any", "exc", 0.5)
    controls.set(None)
    assert controls.perturbation is None and controls.custom_box.layout.display == "none"
    with pytest.raises(ValueError, match="ScaleConnections"):
        controls.set(LesionConnections(0.2))
    with pytest.raises(ValueError, match="expected one of"):
        controls.set("ei_down")
    assert PerturbationControls("ii_dec").label == "ii_dec"
    controls.close()


def test_run_with_a_preset_searches_both_networks_on_the_same_trials(model_path):
    panel = SearchPanel(model_path, n_trials=4, scaling_factors=GRID, seed=3,
                        perturbation="ei_dec")
    assert panel.perturbation_controls in panel.children
    drawn = []  # trials behind each drawing of the perturbed curve
    panel.plots["accuracy"].sources["perturbed"].on_change(
        "data", lambda _attr, _old, new: drawn.append(len(new["accuracy"])))
    ds = panel.run(wait=True)
    expected = _perturbation_search(model_path, ["ei_dec"])
    assert panel.result is ds and ds.attrs["complete"] == 1
    assert list(ds.perturbation.values) == ["none", "ei_dec"]
    for name in ("correct", "response", "accuracy", "accuracy_change", "mcnemar_p"):
        xr.testing.assert_equal(ds[name], expected[name])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = lambda_grid_search(model_path, "go_nogo", 4, [20, 30, 40], seed=3,
                                   save=False, progress=False)
    np.testing.assert_array_equal(ds.correct.sel(perturbation="none").values,
                                  plain.correct.values)  # the intact network: a plain search
    accuracy = panel.plots["accuracy"]
    np.testing.assert_array_equal(accuracy.source.data["accuracy"], plain.accuracy.values)
    assert accuracy.sources["perturbed"].data["accuracy"] == \
        ds.accuracy.sel(perturbation="ei_dec").values.tolist()
    assert accuracy.sources["perturbed_lines"].data["legend"] == ["perturbed: ei_dec"]
    assert accuracy.intact_item.label.value == "intact, all trials"
    assert drawn and drawn[-1] == 3  # one row per factor, filled in while running
    assert "Intact network's optimum" in panel.status and "ei_dec at" in panel.status
    assert "McNemar p" in panel.status and "toggle" in panel.status
    assert "× 2 networks (intact, ei_dec)" in panel.run_controls.progress_label.value
    toggle = panel.trial_viewer.perturbation_toggle
    assert [value for _, value in toggle.options] == ["none", "ei_dec"]
    assert toggle.layout.display is None
    panel.close()


def test_the_toggle_replays_a_trial_in_either_network(model_path):
    from spikewidgets.perturbations import ScaleConnections

    custom = ScaleConnections("exc", "inh", 1.5)
    panel = SearchPanel(model_path, n_trials=4, scaling_factors=GRID, seed=3,
                        perturbation=custom)
    ds = panel.run(wait=True)
    label = "exc->inh x1.5"
    assert list(ds.perturbation.values) == ["none", label]
    viewer = panel.trial_viewer
    intact = panel.select(30, trial=1)
    expected = simulate(model_path, 30.0, "go_nogo", seed=3, trial=1)
    np.testing.assert_array_equal(intact.spike_time.values, expected.spike_time.values)
    assert viewer.perturbation == "none" and viewer.info.value.startswith("intact network")
    viewer.perturbation_toggle.value = label  # what a click on the toggle does
    assert viewer.perturbation == label
    perturbed = simulate(model_path, 30.0, "go_nogo", seed=3, trial=1, perturbation=custom)
    np.testing.assert_array_equal(panel.sim.spike_time.values, perturbed.spike_time.values)
    assert panel.sim.attrs["perturbation"] == label
    assert panel.sim.attrs["correct"] == int(ds.correct.sel(perturbation=label, trial=1)[1])
    assert viewer.info.value.startswith(f"perturbed network ({label})")
    assert panel.plots["raster"].figure.title.text.endswith(f"perturbed: {label}")
    viewer.trial_field.value = 2  # the network stays while the trial changes
    assert panel.sim.attrs["trial"] == 2 and panel.sim.attrs["perturbation"] == label
    back = panel.select(40, trial=2, perturbation="none")
    assert "perturbation" not in back.attrs and viewer.perturbation_toggle.value == "none"
    with pytest.raises(ValueError, match="networks of the search: none, exc->inh x1.5"):
        panel.select(40, perturbation="ei_dec")
    panel.close()


def test_none_after_a_perturbation_is_a_plain_search_again(model_path):
    panel = SearchPanel(model_path, n_trials=3, scaling_factors=GRID, seed=3,
                        perturbation="ii_dec")
    panel.run(wait=True)
    panel.select(30, perturbation="ii_dec")
    panel.perturbation_controls.choice_field.value = "none"
    ds = panel.run(wait=True)
    assert "perturbation" not in ds.dims and panel.result is ds
    assert panel.status.startswith("✔ Optimum") or panel.status.startswith("⚠ Optimum")
    assert panel.plots["accuracy"].sources["perturbed"].data["accuracy"] == []
    assert panel.plots["accuracy"].intact_item.label.value == "all trials"
    viewer = panel.trial_viewer
    assert viewer.perturbation == "none" and viewer.perturbation_toggle.layout.display == "none"
    assert panel.file_actions.save_button.description == "Save optimum to model file"
    panel.close()


def test_save_writes_the_intact_optimum_and_export_the_whole_search(model_path, tmp_path):
    panel = SearchPanel(model_path, n_trials=4, scaling_factors=GRID, seed=3,
                        perturbation="ie_dec")
    ds = panel.run(wait=True)
    files = panel.file_actions
    assert not files.save_button.disabled
    assert files.save_button.description == "Save intact optimum to model file"
    files.save_button.click()
    intact = ds.sel(perturbation="none")
    model = load_model(model_path)
    assert model.opt_scaling_factor == float(intact.opt_scaling_factor)
    stored = scipy.io.loadmat(model_path)
    np.testing.assert_allclose(np.ravel(stored["all_perfs"]), intact.accuracy.values)
    assert "intact network's opt_scaling_factor" in panel.status
    assert "perturbed network is not saved" in panel.status
    target = panel.export(tmp_path / "perturbed")
    assert target == tmp_path / "perturbed.nc"
    with xr.open_dataset(target) as loaded:
        assert list(loaded.perturbation.values) == ["none", "ie_dec"]
        np.testing.assert_array_equal(loaded.accuracy_change.values, ds.accuracy_change.values)
    panel.close()


def test_stopped_perturbation_run_keeps_both_networks_and_refuses_saving(model_path):
    panel = SearchPanel(model_path, n_trials=400, scaling_factors=GRID, seed=3,
                        perturbation="ee_dec")
    panel.run_controls.run_button.click()
    _wait_for(lambda: "first_point" in panel.timings)
    ds = panel.stop()
    assert ds.attrs["complete"] == 0 and 0 < ds.sizes["trial"] < 400
    assert ds.sizes["perturbation"] == 2 and "Stopped after" in panel.status
    assert panel.file_actions.save_button.disabled
    assert not panel.file_actions.export_button.disabled
    panel.close()


def test_trial_viewer_alone_replays_perturbed_networks(model_path):
    from spikewidgets.perturbations import LesionConnections

    lesion = LesionConnections(0.3)
    ds = _perturbation_search(model_path, ["ei_inc", lesion], n_trials=3)
    viewer = TrialViewer(ds, perturbations=[lesion])
    assert [label for label, _ in viewer.perturbation_toggle.options] == \
        ["intact", "perturbed: ei_inc", "perturbed: lesion 0.3"]
    sim = viewer.select(20.0, trial=2, perturbation="lesion 0.3")
    expected = simulate(model_path, 20.0, "go_nogo", seed=3, trial=2, perturbation=lesion)
    np.testing.assert_array_equal(sim.spike_time.values, expected.spike_time.values)
    assert viewer.perturbation_toggle.value == "lesion 0.3"
    viewer.perturbation = "ei_inc"  # a preset is found by its name
    assert viewer.sim.attrs["perturbation"] == "ei_inc"
    viewer.close()
    unknown = TrialViewer(ds)  # the lesion object was not given: said in words
    unknown.select(20.0)
    unknown.perturbation = "lesion 0.3"
    assert unknown.status.level == "error" and "perturbations=[...]" in unknown.status.text
    with pytest.raises(ValueError, match="not known to the trial viewer"):
        unknown.select(20.0, perturbation="lesion 0.3", trial=1)
    unknown.set_dataset(None)
    assert unknown.perturbation == "none"
    unknown.close()


def test_file_actions_alone_save_the_intact_network_of_a_perturbation_search(model_path):
    ds = _perturbation_search(model_path, ["ee_inc"], n_trials=3)
    actions = FileActions(ds)
    assert actions.save_button.description == "Save intact optimum to model file"
    actions.save()
    assert load_model(model_path).opt_scaling_factor == \
        float(ds.opt_scaling_factor.sel(perturbation="none"))
    assert ds.attrs["saved_to_model"] == 1
    actions.close()


def test_accuracy_view_alone_shows_both_curves(model_path):
    ds = _perturbation_search(model_path, ["ei_dec"], n_trials=3)
    view = AccuracyView(ds)
    assert view.factors == [20.0, 30.0, 40.0]
    assert view.plot.sources["perturbed"].data["perturbation"] == ["ei_dec"] * 3
    view.selected_index = 1
    assert list(view.plot.source.selected.indices) == [1]
    view.close()


def test_an_adaptive_run_greys_the_factors_that_left_and_counts_the_savings(tmp_path):
    from spikewidgets.io import example_model

    path = example_model("go_nogo", tmp_path)
    panel = SearchPanel(path, n_trials=30, scaling_factors=(5, 60, 5), seed=0)
    accuracy = panel.plots["accuracy"]
    assert not accuracy.left_item.visible  # no grey legend entry for a full search
    panel.run_controls.adaptive_box.value = True
    ds = panel.run(wait=True)
    expected = lambda_grid_search(path, "go_nogo", 30, "5:60:5", seed=0, save=False,
                                  progress=False, adaptive=True)
    for name in ("correct", "simulated", "n_trials_run", "left_in_round", "accuracy"):
        xr.testing.assert_equal(ds[name], expected[name])
    left = ds.left_in_round.values >= 0
    assert left.any() and accuracy.left_item.visible
    np.testing.assert_array_equal(accuracy.sources["left"].data["scaling_factor"],
                                  ds.scaling_factor.values[left])
    np.testing.assert_array_equal(accuracy.source.data["n_trials"], ds.n_trials_run.values)
    used = ds.attrs["adaptive_simulations"]
    assert f"Adaptive: {used} of 360 simulations, {360 - used} saved" in panel.status
    assert "fixed budget" in accuracy.figure.title.text
    panel.close()


def test_a_run_with_the_rate_comparison_shows_it(model_path):
    panel = SearchPanel(model_path, n_trials=4, scaling_factors=GRID, seed=3)
    controls, view = panel.run_controls, panel.rate_view
    assert view.children == ()
    controls.adaptive_box.value = True
    controls.compare_box.value = True  # an adaptive search cannot compare: one box only
    assert controls.compare_rate and not controls.adaptive
    assert view.children and all(plot.placeholder.visible for plot in view.plots.values())
    ds = panel.run(wait=True)
    expected = lambda_grid_search(model_path, "go_nogo", 4, [20, 30, 40], seed=3, save=False,
                                  progress=False, compare_rate=True)
    assert set(ds.data_vars) == set(expected.data_vars) >= set(COMPARISON_VARIABLES)
    for name in [*expected.data_vars, *expected.coords]:
        xr.testing.assert_identical(ds[name], expected[name])
    correlation = view.plots["rate_correlation"]
    assert not correlation.placeholder.visible
    np.testing.assert_array_equal(correlation.source.data["correlation"],
                                  ds.rate_correlation.mean("trial").values)
    gain = view.plots["unit_gain"]
    optimum = float(ds.opt_scaling_factor)
    assert gain.figure.title.text.endswith(f"scaling factor {optimum:g}")
    sim = panel.select(30, trial=2)
    assert "rate_spiking" in sim and "rate_network" in sim
    assert gain.figure.title.text.endswith("scaling factor 30")
    np.testing.assert_array_equal(gain.source.data["gain"],
                                  ds.unit_rate_gain.sel(scaling_factor=30).values)
    assert gain.source.data["unit_type"] == ds.unit_type.values.tolist()
    view.unit_field.value = 7
    expected_sim = simulate(model_path, 30.0, "go_nogo", seed=3, trial=2, compare_rate=True)
    traces = view.plots["unit_traces"].source.data
    assert traces["legend"] == ["unit 7, spiking", "unit 7, rate"]
    for drawn, name in zip(traces["ys"], ("rate_spiking", "rate_network"), strict=True):
        np.testing.assert_array_equal(drawn, expected_sim[name].values[7])
    np.testing.assert_array_equal(traces["xs"][0], expected_sim.rate_time.values)
    assert view.info.value.startswith("unit 7 (")
    controls.compare_box.value = False
    panel.run(wait=True)  # without the comparison, the views empty and hide again
    assert not set(COMPARISON_VARIABLES) & set(panel.result.data_vars)
    assert view.children == () and len(view.plots["unit_traces"].source.data["xs"]) == 0
    panel.close()
