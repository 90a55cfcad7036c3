"""The grid search: Dataset layout, reproducibility, write-back, interruption, errors."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import xarray as xr
from conftest import skip_or_fail

from spikewidgets import (
    EdgeOfGridWarning,
    ModelFileError,
    SearchInterrupted,
    TaskSettingsError,
    evaluate_single_trial,
    lambda_grid_search,
    simulate,
)
from spikewidgets.io import read_raw
from spikewidgets.search import parse_scaling_factors

SHORT = {"T": 41, "stim_on": 5, "stim_dur": 10, "resp_start": 20}
FACTORS = [0.5, 1.0, 2.0, 4.0]


def _search(path, **kwargs):
    options = dict(task_settings=SHORT, seed=3, progress=False)
    options.update(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeOfGridWarning)
        return lambda_grid_search(path, "go_nogo", options.pop("n_trials", 12),
                                  options.pop("factors", FACTORS), **options)


def test_dataset_layout_units_and_netcdf_round_trip(write_model, tmp_path):
    path = write_model()
    ds = _search(path, save=False)
    assert dict(ds.sizes) == {"scaling_factor": 4, "trial": 12, "task_condition": 2}
    assert ds.scaling_factor.values.tolist() == FACTORS
    assert ds.trial.values.tolist() == list(range(12))
    assert set(ds.condition.values) <= {"go", "nogo"}
    assert np.array_equal(ds.label.values == 1, ds.condition.values == "go")
    assert ds.correct.dtype == bool and ds.correct.dims == ("scaling_factor", "trial")
    for name in ("response", "response_time", "mean_rate"):
        assert ds[name].dims == ("scaling_factor", "trial")
    assert ds.opt_scaling_factor.dims == ()
    for name, variable in {**ds.data_vars, **ds.coords}.items():
        assert "long_name" in variable.attrs and "description" in variable.attrs, name
    assert ds.mean_rate.attrs["units"] == "Hz" and ds.response_time.attrs["units"] == "s"
    np.testing.assert_array_equal(ds.accuracy, ds.correct.mean("trial"))
    assert np.all((ds.accuracy_ci_low <= ds.accuracy) & (ds.accuracy <= ds.accuracy_ci_high))
    by_condition = ds.correct.groupby("condition").mean()
    for condition in by_condition.condition.values:
        np.testing.assert_allclose(by_condition.sel(condition=condition),
                                   ds.condition_accuracy.sel(task_condition=condition))
    for key in ("task", "task_settings", "model_path", "model_sha256", "seed", "n_trials",
                "spikewidgets_version"):
        assert key in ds.attrs
    assert ds.attrs["task"] == "go_nogo" and ds.attrs["seed"] == 3
    assert '"T": 41' in ds.attrs["task_settings"]
    target = tmp_path / "result.nc"
    ds.to_netcdf(target)
    with xr.open_dataset(target) as back:
        assert back.load().identical(ds)


def test_same_seed_same_dataset_whatever_the_workers(write_model):
    path = write_model()
    one = _search(path, n_workers=1, save=False, trials_per_block=5)
    two = _search(path, n_workers=2, save=False, trials_per_block=2)
    with ThreadPoolExecutor(3) as pool:
        other = _search(path, executor=pool, save=False, trials_per_block=1)
    assert one.identical(two) and one.identical(other)
    different = _search(path, seed=4, save=False)
    assert not np.array_equal(different.response.values, one.response.values)


def test_paired_trials_are_shared_and_unpaired_are_not(write_model):
    path = write_model()
    paired = _search(path, save=False)
    sims = [simulate(path, sf, "go_nogo", task_settings=SHORT, seed=3, trial=5) for sf in FACTORS]
    assert len({s.attrs["condition"] for s in sims}) == 1
    for sf, sim in zip(FACTORS, sims, strict=True):
        assert sim.attrs["response"] == paired.response.sel(scaling_factor=sf, trial=5)
    unpaired = _search(path, save=False, paired=False)
    assert unpaired.attrs["paired"] == 0
    assert not np.array_equal(unpaired.response.values, paired.response.values)
    assert unpaired.identical(_search(path, save=False, paired=False, n_workers=1))


def test_write_back_and_replacement(write_model):
    path = write_model(extra_key=np.arange(4, dtype=np.int32))
    before = read_raw(path)
    ds = _search(path)
    assert ds.attrs["saved_to_model"] == 1
    after = read_raw(path)
    for key, value in before.items():
        assert after[key].dtype == value.dtype and np.array_equal(after[key], value), key
    assert after["opt_scaling_factor"][0, 0] == float(ds.opt_scaling_factor)
    assert np.array_equal(after["all_perfs"].ravel(), ds.accuracy.values)
    assert np.array_equal(after["scaling_factors"].ravel(), FACTORS)
    _search(path, factors=[1.0, 3.0])
    again = read_raw(path)
    assert again["scaling_factors"].tolist() == [[1.0, 3.0]]
    assert again["all_perfs"].shape == (2, 1)


def test_ties_go_to_the_smallest_factor(write_model):
    # An untrained model never answers: every factor scores the same.
    path = write_model()
    ds = _search(path, save=False)
    best = float(ds.accuracy.max())
    tied = ds.scaling_factor.values[ds.tied_with_optimum.values]
    assert np.all(ds.accuracy.values[ds.tied_with_optimum.values] == best)
    assert float(ds.opt_scaling_factor) == tied.min()


def test_edge_of_grid_warning(write_model):
    path = write_model()
    with pytest.warns(EdgeOfGridWarning, match="widen the grid") as caught:
        ds = lambda_grid_search(path, "go_nogo", 4, [1.0, 2.0], SHORT, seed=0,
                                progress=False, save=False)
    assert float(ds.opt_scaling_factor) in (1.0, 2.0)
    # The warning points at the caller's line, not into the package.
    assert caught[0].filename == __file__


def test_stop_keeps_finished_trials_and_leaves_the_file(write_model):
    path = write_model()
    original = path.read_bytes()
    stop = threading.Event()
    partial_sizes = []

    def on_block(partial):
        partial_sizes.append(partial.sizes["trial"])
        stop.set()

    with pytest.warns(SearchInterrupted, match="not modified") as caught:
        ds = _search(path, n_trials=40, trials_per_block=2, n_workers=1, callback=on_block,
                     stop=stop)
    assert caught[0].filename == __file__  # points at the caller, not into the package
    assert ds.attrs["complete"] == 0 and ds.attrs["saved_to_model"] == 0
    assert 2 <= ds.sizes["trial"] < 40
    assert partial_sizes[0] == 2
    assert path.read_bytes() == original
    full = _search(path, n_trials=40, save=False)
    kept = full.sel(trial=ds.trial)
    assert np.array_equal(kept.correct.values, ds.correct.values)


def test_keyboard_interrupt_returns_what_finished(write_model):
    path = write_model()
    original = path.read_bytes()

    def interrupt(partial):
        raise KeyboardInterrupt

    with pytest.warns(SearchInterrupted):
        ds = _search(path, n_trials=30, trials_per_block=3, n_workers=1, callback=interrupt)
    assert ds.attrs["complete"] == 0 and 0 < ds.sizes["trial"] < 30
    assert path.read_bytes() == original


def test_read_only_model_still_returns_results(write_model):
    path = write_model()
    original = path.read_bytes()
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
        skip_or_fail("chattr +i is not supported here")
    try:
        with pytest.warns(UserWarning, match="could not write search results.*unchanged"):
            ds = _search(path)
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    assert ds.attrs["saved_to_model"] == 0 and ds.sizes["trial"] == 12
    assert path.read_bytes() == original


BLAS_THREADS_CHECK = """
import os, sys
import numpy as np
from spikewidgets.io import _examples as examples
from spikewidgets.io import _modelfile as modelfile
from spikewidgets import tasks
from spikewidgets.search._plan import SearchPlan

def other_threads_cpu():
    seconds = 0.0
    for thread in os.listdir("/proc/self/task"):
        if int(thread) != os.getpid():
            fields = open(f"/proc/self/task/{thread}/stat").read().rsplit(")", 1)[1].split()
            seconds += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds

task = tasks.get_task("go_nogo")
model = modelfile.load_model(examples.example_model("go_nogo", sys.argv[1]))
before = None
for seed in range(5):  # each new plan builds its networks again
    plan = SearchPlan(model, task, task.settings(None), np.array([20.0, 40.0]), seed)
    plan.score_trials([0, 1])
    before = other_threads_cpu() if before is None else before  # after start-up
print(other_threads_cpu() - before)
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"),
                    reason="reads the CPU time of each thread from /proc (Linux)")
def test_search_blocks_leave_blas_threads_idle(tmp_path):
    # BLAS threads spin for a while after each call; in a search they would take
    # CPU from the other workers. Simulating and scoring must not call BLAS.
    run = subprocess.run([sys.executable, "-c", BLAS_THREADS_CHECK, str(tmp_path)],
                         capture_output=True, text=True, check=True)
    assert float(run.stdout) < 0.05


def test_evaluate_single_trial(write_model):
    path = write_model()
    ds = _search(path, save=False, seed=9)
    for sf in FACTORS:
        value = evaluate_single_trial("go-nogo", path, sf, SHORT, seed=9)
        assert value in (0, 1) and isinstance(value, int)
        assert value == int(ds.correct.sel(scaling_factor=sf, trial=0))
    with pytest.raises(FileNotFoundError):
        evaluate_single_trial("go_nogo", path.with_name("missing.mat"), 1.0)
    with pytest.raises(TaskSettingsError, match="'xor' has 2 input"):
        evaluate_single_trial("xor", path, 1.0)


def test_unseeded_single_trials_estimate_the_accuracy(tmp_path):
    # As the published function (and the PyTorch port), each unseeded call is a
    # new trial, so that averaging calls estimates the accuracy. Factor 55 of
    # the bundled Go-NoGo network is on the falling edge (accuracy about 0.6),
    # where a repeated trial would give a mean of exactly 0 or 1.
    from spikewidgets import example_model

    path = example_model("go_nogo", tmp_path)
    n_calls, factor = 200, 55.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeOfGridWarning)
        ds = lambda_grid_search(path, "go_nogo", n_calls, [factor], seed=0, progress=False,
                                save=False)
    expected = float(ds.accuracy.sel(scaling_factor=factor))
    assert 0.2 < expected < 0.8
    calls = np.array([evaluate_single_trial("go_nogo", path, factor) for _ in range(n_calls)])
    assert set(calls.tolist()) == {0, 1}
    # Two independent estimates of the same accuracy: 3 standard errors of their difference.
    standard_error = np.sqrt(2 * expected * (1 - expected) / n_calls)
    assert abs(calls.mean() - expected) <= 3 * standard_error


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n_trials": 0}, ValueError, "n_trials is 0, expected a positive integer"),
    ({"n_trials": 2.5}, ValueError, "n_trials is 2.5"),
    ({"factors": []}, ValueError, "scaling_factors is empty"),
    ({"factors": [1.0, -2.0, 0.0]}, ValueError, r"contains \[-2.0, 0.0\]"),
    ({"factors": [1.0, 1.0]}, ValueError, "duplicates"),
    ({"seed": -1}, ValueError, "seed is -1"),
])
def test_bad_arguments(write_model, kwargs, error, match):
    path = write_model()
    with pytest.raises(error, match=match):
        _search(path, **kwargs)


def test_bad_model_and_task(write_model, tmp_path):
    path = write_model(n_inputs=2)
    with pytest.raises(TaskSettingsError, match="'go_nogo' has 1 input.*has 2"):
        _search(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _search(tmp_path / "absent.mat")
    broken = tmp_path / "broken.mat"
    broken.write_bytes(b"\x00" * 300)
    with pytest.raises(ModelFileError):
        _search(broken)


def test_parse_scaling_factors():
    assert parse_scaling_factors("20:75:5").tolist() == list(range(20, 80, 5))
    assert parse_scaling_factors("0.5:1.0:0.25").tolist() == [0.5, 0.75, 1.0]
    assert parse_scaling_factors([30, 20]).tolist() == [20, 30]
    assert parse_scaling_factors("25").tolist() == [25.0]
    for bad in ("20:10:5", "a:b:c", "1:2", "1:5:0"):
        with pytest.raises(ValueError, match="scaling_factors"):
            parse_scaling_factors(bad)


def test_wilson_interval_matches_scipy():
    from scipy.stats import binomtest

    from spikewidgets.stats import wilson_interval

    for n in (1, 7, 20, 100):
        counts = np.arange(n + 1)
        low, high = wilson_interval(counts, n)
        for k in counts:
            expected = binomtest(int(k), n).proportion_ci(0.95, method="wilson")
            assert low[k] == pytest.approx(expected.low, abs=1e-12)
            assert high[k] == pytest.approx(expected.high, abs=1e-12)


def test_simulate_without_a_seed_replays_the_default_search(write_model):
    path = write_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeOfGridWarning)
        ds = lambda_grid_search(path, "go_nogo", 6, [1.0, 4.0], SHORT, save=False,
                                progress=False)
    assert str(ds.attrs["seed"]) == "0"
    for factor in (1.0, 4.0):
        for trial in range(6):
            sim = simulate(path, factor, "go_nogo", task_settings=SHORT, trial=trial)
            assert bool(sim.attrs["correct"]) == bool(
                ds.correct.sel(scaling_factor=factor, trial=trial))
