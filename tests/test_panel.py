"""The search panel driven without a browser: controls in, Dataset and plot sources out."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import scipy.io
import xarray as xr

if not os.environ.get("CI"):  # CI installs the lab extra: missing packages fail there
    pytest.importorskip("ipywidgets")
    pytest.importorskip("jupyter_bokeh")

import bokeh

from spikewidgets import lambda_grid_search, load_model, simulate
from spikewidgets.panel import SearchPanel
from spikewidgets.synthetic import random_model_arrays
from spikewidgets.tasks import get_task, task_names

GRID = (20.0, 40.0, 10.0)

# The panel reports these in its status line (pytest resets the panel's filters).
pytestmark = pytest.mark.filterwarnings(
    "ignore::spikewidgets.results.EdgeOfGridWarning",
    "ignore::spikewidgets.search.SearchInterrupted",
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
    assert panel.controls.progress.value == 1.0
    assert panel.controls.progress.bar_style == "success"
    assert "Optimum: scaling factor" in panel.status
    assert not panel.controls.save.disabled and not panel.controls.export.disabled
    assert panel.timings["started"] < panel.timings["first_point"] <= panel.timings["finished"]


def test_controls_set_the_search(panel):
    c = panel.controls
    c.n_trials.value = 3
    c.factor_range.value = (30.0, 50.0)
    c.factor_step.value = 10.0
    c.seed.value = 7
    c.settings["eval_amp_thresh"].value = 0.5
    assert "3 scaling factors: 30, 40, 50" in c.grid_label.value
    c.run.click()
    ds = panel.wait(timeout=30)
    np.testing.assert_array_equal(ds.scaling_factor.values, [30, 40, 50])
    assert ds.sizes["trial"] == 3 and ds.attrs["seed"] == 7
    assert '"eval_amp_thresh": 0.5' in ds.attrs["task_settings"]


def test_live_updates_reach_the_accuracy_source(model_path):
    panel = SearchPanel(model_path, n_trials=6, scaling_factors=GRID, seed=1)
    drawn = []  # trials per factor behind each drawing of the accuracy plot
    panel.plots["accuracy"].source.on_change(
        "data", lambda _attr, _old, new: drawn.append(list(new["n_trials"])))
    panel.controls.run.click()
    assert panel.running
    ds = panel.wait(timeout=30)
    assert ds.sizes["trial"] == 6
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
        panel.controls.run.click()
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
    panel.controls.path.value = str(missing)
    assert "does not exist" in panel.status and "nowhere.mat" in panel.status
    panel.controls.run.click()
    assert panel.status.startswith("✖ Cannot run") and "nowhere.mat" in panel.status
    assert panel.result is None and not panel.running
    with pytest.raises(FileNotFoundError, match="nowhere.mat"):
        panel.run()


def test_bad_file_is_reported_in_words(panel, tmp_path):
    bad = tmp_path / "notes.mat"
    bad.write_text("not a model")
    panel.controls.path.value = str(bad)
    assert "not a MATLAB .mat file" in panel.status and "Traceback" not in panel.status


def test_wrong_task_is_reported_in_words(panel):
    panel.controls.task.value = "xor"
    assert "Wrong task" in panel.status and "2 input(s)" in panel.status
    panel.controls.run.click()
    assert "Cannot run" in panel.status and "xor" in panel.status
    assert panel.result is None and not panel.running


def test_task_is_inferred_from_inputs_and_name(tmp_path):
    for n_inputs, name, expected in ((2, "model_a.mat", "xor"), (4, "model_b.mat", "mante"),
                                     (1, "my_xor_try.mat", "go_nogo"),
                                     (1, "GoNoGo_200.mat", "go_nogo")):
        path = _write(tmp_path / name, n_units=30, n_inputs=n_inputs)
        panel = SearchPanel(path)
        assert panel.controls.task.value == expected, name
        assert set(panel.controls.settings) == set(get_task(expected).defaults)
        panel.close()
    override = SearchPanel(_write(tmp_path / "m.mat", n_units=30, n_inputs=2), task="xor",
                           task_settings={"delay": 20})
    assert override.controls.settings["delay"].value == 20
    override.close()


def test_settings_accordion_holds_every_default(panel):
    assert panel.controls.settings_accordion.selected_index is None  # collapsed
    for name in task_names():
        panel.controls.task.value = name
        fields = panel.controls.settings
        assert {key: box.value for key, box in fields.items()} == dict(get_task(name).defaults)
        assert all(box.description for box in fields.values())
    assert "5 ms" in panel.controls.settings["T"].description


def test_bad_settings_and_grid_are_refused(panel):
    panel.controls.settings["stim_on"].value = 500
    with pytest.raises(ValueError, match="past the end of the trial"):
        panel.run()
    assert "past the end of the trial" in panel.status
    panel.controls.settings["stim_on"].value = 50
    panel.controls.factor_step.value = 100.0
    panel.controls.factor_range.value = (40.0, 40.0)
    assert "1 scaling factors: 40" in panel.controls.grid_label.value


def test_stop_ends_the_run_and_keeps_finished_trials(panel, model_path):
    before = model_path.read_bytes()
    panel.controls.n_trials.value = 400
    panel.controls.run.click()
    _wait_for(lambda: "first_point" in panel.timings)
    pressed = time.perf_counter()
    panel.controls.stop.click()
    ds = panel.wait(timeout=5)
    assert time.perf_counter() - pressed < 1.0
    assert not panel.running and ds is panel.result
    assert ds.attrs["complete"] == 0 and 0 < ds.sizes["trial"] < 400
    assert "Stopped after" in panel.status and panel.controls.progress.bar_style == "warning"
    np.testing.assert_array_equal(panel.plots["accuracy"].source.data["accuracy"],
                                  ds.accuracy.values)
    with pytest.raises(ValueError, match="stopped before its end"):
        panel.save()
    assert model_path.read_bytes() == before


def test_second_run_is_refused_while_running(panel):
    panel.controls.n_trials.value = 400
    panel.controls.run.click()
    first = panel._run
    panel.controls.run.click()
    assert "already running" in panel.status and panel._run is first
    with pytest.raises(RuntimeError, match="already running"):
        panel.run()
    panel.stop()
    assert not panel.running


def test_tap_and_slider_show_the_trial_of_the_search(panel, model_path):
    ds = panel.run(wait=True)
    assert len(panel.plots["raster"].source.data["time"]) == 0
    panel.plots["accuracy"].source.selected.indices = [1]  # what a tap sends
    assert panel.controls.factor.value == 1
    expected = simulate(model_path, 30.0, "go_nogo", seed=3, trial=0)
    np.testing.assert_array_equal(panel.plots["raster"].source.data["time"],
                                  expected.spike_time.values)
    assert len(panel.plots["output"].sources["rate"].data["output"]) == 200
    panel.controls.trial.value = 2
    assert panel.sim.attrs["trial"] == 2
    assert panel.sim.attrs["correct"] == int(ds.correct.sel(trial=2).values[1])
    searched = "correct" if ds.correct.sel(trial=2).values[1] else "wrong"
    assert f"in the search: {searched}" in panel.controls.trial_info.value
    panel.controls.factor.value = 2
    assert list(panel.plots["accuracy"].source.selected.indices) == [2]
    assert panel.sim.attrs["scaling_factor"] == 40.0
    panel.plots["accuracy"].source.selected.indices = []  # a click beside the points
    assert list(panel.plots["accuracy"].source.selected.indices) == [2]


def test_select_checks_the_factor(panel):
    with pytest.raises(ValueError, match="no search result"):
        panel.select(20)
    panel.run(wait=True)
    sim = panel.select(40, trial=1)
    assert sim.attrs["scaling_factor"] == 40 and sim.attrs["trial"] == 1
    with pytest.raises(ValueError, match="20, 30, 40"):
        panel.select(33)


def test_save_writes_the_optimum_into_the_model(panel, model_path):
    with pytest.raises(ValueError, match="run a search first"):
        panel.save()
    ds = panel.run(wait=True)
    panel.controls.save.click()
    assert "Saved opt_scaling_factor" in panel.status
    model = load_model(model_path)
    assert model.opt_scaling_factor == float(ds.opt_scaling_factor)
    assert ds.attrs["saved_to_model"] == 1
    _write(model_path, seed=9)  # another model under the same name
    panel.controls.save.click()
    assert "changed since the search" in panel.status


def test_export_writes_netcdf(panel, tmp_path):
    panel.run(wait=True)
    panel.controls.export_path.value = str(tmp_path / "result")
    panel.controls.export.click()
    target = tmp_path / "result.nc"
    assert "Wrote" in panel.status and target.exists()
    with xr.open_dataset(target) as loaded:
        np.testing.assert_array_equal(loaded.accuracy.values, panel.result.accuracy.values)


def test_bokehjs_comes_from_the_kernel(panel):
    from spikewidgets._panel_bokehjs import bokehjs_loader

    (output,) = bokehjs_loader().outputs
    script = output["data"]["application/javascript"]
    assert len(script) > 1_000_000 and f'"{bokeh.__version__}"' in script
    assert "cdn.bokeh.org" not in script.split("script.textContent")[0]
    gate = panel._gate
    assert bokehjs_loader() in gate.widget.children
    assert panel._plot_area.children[0].__class__.__name__ == "HTML"
    gate.open()  # what the page does once BokehJS is loaded
    assert panel._plot_area.children == (panel._plot_grid,)
    assert len(panel._plot_grid.children) == 4
    assert "spw-ready-" in gate._waiter_script("abc") and "abc" in gate._waiter_script("abc")
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_figure_widget_waits_for_bokehjs():
    from jupyter_bokeh import BokehModel

    from spikewidgets.panel import figure_widget
    from spikewidgets.plots import plot_rates

    plot = plot_rates()
    box = figure_widget(plot.figure)
    area = box.children[0]
    assert not any(isinstance(child, BokehModel) for child in area.children)
    plot.source.data = {"left": [0.0], "right": [1.0], "exc": [3], "inh": [1]}
    box.gate.open()  # what the page does once BokehJS is loaded
    assert area.children == (box.bokeh_model,)
    assert "('exc', [3])" in str(box.bokeh_model.render_bundle)  # the bundle has today's data


def test_setup_notebook_shows_the_loader(monkeypatch):
    import IPython.display

    from spikewidgets._panel_bokehjs import bokehjs_loader
    from spikewidgets.panel import setup_notebook

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objects: shown.extend(objects))
    setup_notebook()
    assert shown == [bokehjs_loader()]


def test_example_dropdown_copies_the_example(monkeypatch, tmp_path):
    import spikewidgets.examples as examples

    copies = []

    def fake_example(task="go_nogo", directory=None):
        path = _write(tmp_path / f"{task}_example.mat", n_units=30,
                      n_inputs=get_task(task).n_inputs)
        copies.append(path)
        return path

    monkeypatch.setattr(examples, "example_model", fake_example)
    panel = SearchPanel()
    assert panel.controls.path.value == str(copies[0]) and panel.controls.task.value == "go_nogo"
    panel.controls.example.value = "mante"
    assert panel.controls.path.value == str(copies[-1]) and panel.controls.task.value == "mante"
    assert "Loaded mante_example.mat" in panel.status
    panel.close()


def test_missing_example_is_reported(monkeypatch):
    import spikewidgets.examples as examples

    def missing(task="go_nogo", directory=None):
        raise FileNotFoundError(f"the bundled example model {task}.mat is missing")

    monkeypatch.setattr(examples, "example_model", missing)
    panel = SearchPanel()
    assert "not available" in panel.status and panel.controls.path.value == ""
    panel.close()


def test_importing_the_package_does_not_import_widgets():
    code = ("import sys, spikewidgets; "
            "bad = [m for m in ('ipywidgets', 'bokeh', 'jupyter_bokeh') if m in sys.modules]; "
            "assert not bad, bad; "
            "from spikewidgets import SearchPanel; print(SearchPanel.__module__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "spikewidgets.panel"
