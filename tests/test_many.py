"""Many-model searches: executors, failures, resume, the model dimension, the CLI."""

from __future__ import annotations

import threading
import warnings
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest
import scipy.io
import xarray as xr

from spikewidgets import SearchInterrupted
from spikewidgets.cli import main
from spikewidgets.cli._common import EXIT_SOME_MODELS_FAILED
from spikewidgets.io import random_model_arrays, read_raw
from spikewidgets.search import DASK_LOW_OVERHEAD, search_models

SHORT = {"T": 41, "stim_on": 5, "stim_dur": 10, "resp_start": 20}
FACTORS = [0.5, 1.0, 2.0]


@pytest.fixture
def folder(tmp_path):
    for index, sub in enumerate(["a", "a", "b", "b"]):
        (tmp_path / sub).mkdir(exist_ok=True)
        scipy.io.savemat(tmp_path / sub / f"m{index}.mat",
                         random_model_arrays(30, 1, seed=index))
    return tmp_path


def _run(models, **kwargs):
    options = dict(seed=5, progress=False, save=False)
    options.update(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SearchInterrupted)
        return search_models(models, "go_nogo", options.pop("n_trials", 6),
                             options.pop("factors", FACTORS), SHORT, **options)


def test_model_dimension_and_coordinates(folder):
    ds = _run(str(folder / "**" / "*.mat"))
    assert ds.model.values.tolist() == ["a/m0.mat", "a/m1.mat", "b/m2.mat", "b/m3.mat"]
    assert ds.correct.dims == ("model", "scaling_factor", "trial")
    assert ds.opt_scaling_factor.dims == ("model",)
    assert ds.model_path.values[2] == str(folder / "b" / "m2.mat")
    assert all(len(h) == 64 for h in ds.model_sha256.values)
    assert list(ds.error.values) == [""] * 4 and ds.attrs["complete"] == 1
    for variable in ds.variables.values():
        assert "long_name" in variable.attrs and "description" in variable.attrs
    # Each model equals its own single search with the same seed.
    from spikewidgets import lambda_grid_search

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single = lambda_grid_search(folder / "b" / "m2.mat", "go_nogo", 6, FACTORS, SHORT,
                                    seed=5, progress=False, save=False)
    assert np.array_equal(ds.correct.sel(model="b/m2.mat").values, single.correct.values)


def test_same_dataset_on_every_executor(folder):
    pattern = str(folder / "**" / "*.mat")
    default = _run(pattern)  # a pool of threads, one per core
    one = _run(pattern, n_workers=1, trials_per_block=6)
    with ThreadPoolExecutor(2) as pool:
        threads = _run(pattern, executor=pool, trials_per_block=4)
    with ProcessPoolExecutor(2) as pool:
        processes = _run(pattern, executor=pool, trials_per_block=2)
    import dask
    from distributed import Client, LocalCluster

    # The README's pattern: a LocalCluster started under DASK_LOW_OVERHEAD.
    with dask.config.set(DASK_LOW_OVERHEAD), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster, Client(cluster) as client:
        on_dask = _run(pattern, executor=client.get_executor(), trials_per_block=3)
        worker_settings = client.run(lambda: {key: dask.config.get(key)
                                              for key in DASK_LOW_OVERHEAD})
    assert list(worker_settings.values()) == [DASK_LOW_OVERHEAD] * 2
    for other in (one, threads, processes, on_dask):
        assert other.identical(default)


def test_dask_low_overhead_names_existing_settings():
    import dask
    import distributed  # noqa: F401 - loads the distributed.* defaults

    for key, value in DASK_LOW_OVERHEAD.items():
        default = dask.config.get(key)  # KeyError if Dask renamed the setting
        assert type(default) is type(value) and default != value, key


def test_a_corrupt_file_among_good_ones(folder):
    (folder / "b" / "broken.mat").write_bytes(b"\x00\x01" * 200)
    ds = _run(str(folder / "**" / "*.mat"), save=True)
    broken = ds.sel(model="b/broken.mat")
    assert "broken.mat" in str(broken.error.values)
    assert "MAT file" in str(broken.error.values) or ".mat file" in str(broken.error.values)
    assert np.isnan(broken.opt_scaling_factor) and broken.saved_to_model == 0
    good = ds.drop_sel(model="b/broken.mat")
    assert np.all(good.error.values == "") and np.all(good.saved_to_model.values == 1)
    for path in good.model_path.values:
        assert "opt_scaling_factor" in read_raw(path)


def test_resume_does_no_repeated_work(folder, tmp_path):
    pattern = str(folder / "**" / "*.mat")
    store = tmp_path / "store.nc"
    stop = threading.Event()
    first_pass = []

    def stop_after_two(name, single):
        first_pass.append(name)
        if len(first_pass) == 2:
            stop.set()

    partial = _run(pattern, store=store, stop=stop, callback=stop_after_two, n_workers=1,
                   trials_per_block=6, save=True)
    assert partial.attrs["complete"] == 0
    with xr.open_dataset(store) as stored:
        assert stored.attrs["n_models_completed"] == 2
    assert partial.completed.sum() == 2
    written = {p: read_raw(p)["all_perfs"].copy()
               for p in partial.model_path.sel(model=first_pass).values}
    second_pass = []
    resumed = _run(pattern, store=store, callback=lambda name, _: second_pass.append(name),
                   save=True)
    assert sorted(first_pass + second_pass) == sorted(resumed.model.values.tolist())
    assert not set(first_pass) & set(second_pass)
    for path, perfs in written.items():  # not written twice
        assert np.array_equal(read_raw(path)["all_perfs"], perfs)
    fresh = _run(pattern, save=False)
    for name in ("correct", "response", "accuracy", "opt_scaling_factor"):
        assert np.array_equal(resumed[name].values, fresh[name].values, equal_nan=True)
    with pytest.raises(ValueError, match="store .* was made with n_trials"):
        _run(pattern, store=store, n_trials=3)


class _LosesAWorker(Executor):
    """A thread pool whose first two submissions fail as if their process died."""

    def __init__(self):
        self.pool = ThreadPoolExecutor(2)
        self.failures = 2

    def submit(self, function, /, *args, **kwargs):
        if self.failures:
            self.failures -= 1
            future = self.pool.submit(lambda: (_ for _ in ()).throw(
                BrokenProcessPool("worker died")))
            return future
        return self.pool.submit(function, *args, **kwargs)

    def shutdown(self, wait=True, *, cancel_futures=False):
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def test_lost_worker_blocks_are_rerun(folder):
    pattern = str(folder / "**" / "*.mat")
    executor = _LosesAWorker()
    try:
        flaky = _run(pattern, executor=executor, trials_per_block=2)
    finally:
        executor.shutdown()
    assert executor.failures == 0
    assert flaky.identical(_run(pattern))


def test_cli_many_models(folder, capsys, tmp_path):
    (folder / "b" / "broken.mat").write_text("not a model" * 40)
    import json

    code = main(["search", str(folder / "**" / "*.mat"), "--task", "go_nogo", "--trials", "3",
                 "--scaling-factors", "1,2", "--settings", json.dumps(SHORT), "--quiet",
                 "--store", str(tmp_path / "s.nc")])
    printed = capsys.readouterr().out
    assert code == EXIT_SOME_MODELS_FAILED
    assert "a/m0.mat" in printed and "not a readable MATLAB model file" in printed
    assert (tmp_path / "s.nc").exists()
