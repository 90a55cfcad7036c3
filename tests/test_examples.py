"""The bundled example models: present, small, converted, and never modified."""

from __future__ import annotations

import warnings
from importlib import resources

import numpy as np
import pytest

from spikewidgets import EdgeOfGridWarning, lambda_grid_search, load_model
from spikewidgets.io import example_model, read_raw
from spikewidgets.io._examples import EXAMPLE_TASKS
from spikewidgets.io._modelfile import REQUIRED_KEYS
from spikewidgets.tasks import get_task
from spikewidgets.tasks._registry import infer_task_name


def _bundled(task):
    return resources.files("spikewidgets.io") / "data" / f"{task}.mat"


def test_examples_are_bundled_and_small():
    total = 0
    for task in EXAMPLE_TASKS:
        path = _bundled(task)
        assert path.is_file(), path
        total += len(path.read_bytes())
    assert total < 5 * 1024 * 1024


@pytest.mark.parametrize("task", EXAMPLE_TASKS)
def test_example_holds_a_searched_model(task, tmp_path):
    path = example_model(task, tmp_path)
    assert path.parent == tmp_path and path.read_bytes() == _bundled(task).read_bytes()
    raw = read_raw(path)
    for key in (*REQUIRED_KEYS, "opt_scaling_factor", "all_perfs", "scaling_factors"):
        assert key in raw, key
    assert raw["all_perfs"].shape == (raw["scaling_factors"].shape[1], 1)
    model = load_model(path)
    assert model.n_units == 200 and model.activation == "sigmoid"
    assert model.opt_scaling_factor in raw["scaling_factors"]
    assert infer_task_name(model.n_inputs, path.name) == task
    get_task(task).check_model_inputs(model.n_inputs)


@pytest.mark.parametrize("task", EXAMPLE_TASKS)
def test_example_converts_at_its_stored_optimum(task, tmp_path):
    path = example_model(task, tmp_path)
    optimum = load_model(path).opt_scaling_factor
    ds = lambda_grid_search(path, task, 50, [optimum], seed=777, progress=False, save=False)
    assert float(ds.accuracy[0]) >= 0.85, float(ds.accuracy[0])


def test_default_copy_goes_to_a_fresh_folder_and_the_package_is_untouched(tmp_path):
    original = _bundled("go_nogo").read_bytes()
    first, second = example_model(), example_model()
    assert first != second and first.parent != second.parent
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeOfGridWarning)
        lambda_grid_search(first, "go_nogo", 2, [25, 30], seed=0, progress=False)
    assert read_raw(first)["scaling_factors"].tolist() == [[25.0, 30.0]]
    assert _bundled("go_nogo").read_bytes() == original


def test_accuracy_curve_has_the_published_shape(tmp_path):
    # Poor when the weights are barely scaled (runaway activity) and when they
    # are scaled too much (the readout cannot reach the threshold), high in between.
    path = example_model("go_nogo", tmp_path)
    optimum = load_model(path).opt_scaling_factor
    factors = [optimum / 10, optimum, optimum * 5]
    ds = lambda_grid_search(path, "go_nogo", 40, factors, seed=31, progress=False, save=False)
    low, best, high = ds.accuracy.values
    assert best >= 0.9 and low < 0.75 and high < 0.75, ds.accuracy.values


def test_unknown_example_task():
    with pytest.raises(ValueError, match="task is 'juggling'"):
        example_model("juggling")


def test_example_models_agree_with_the_published_layout():
    raw = read_raw(_bundled("xor"))
    assert raw["w"].dtype == np.float32 and raw["taus"].dtype == np.float64
    assert raw["N"].dtype == np.int64 and raw["exc"].dtype == np.uint8


def test_published_layouts_are_searched_identically(tmp_path):
    # The same network saved as the TensorFlow trainer does (float32, 3-D state
    # traces, string labels) and as the PyTorch port does (float64, 2-D states).
    import scipy.io

    ours = example_model("go_nogo", tmp_path / "ours")
    raw = read_raw(ours)
    tensorflow = dict(raw, x0=np.zeros((5, 200, 1), np.float32), o=np.zeros((4, 1, 1), np.float32),
                      eval_labels=np.array(["go"] * 3))
    pytorch = {key: (value.astype(np.float64) if value.dtype == np.float32 else value)
               for key, value in raw.items()}
    pytorch["x0"] = np.zeros((5, 200))
    results = []
    for name, contents in (("tf.mat", tensorflow), ("torch.mat", pytorch)):
        path = tmp_path / name
        scipy.io.savemat(path, contents)
        results.append(lambda_grid_search(path, "go_nogo", 6, [5, 30, 70], seed=4,
                                          progress=False, save=False))
    results.append(lambda_grid_search(ours, "go_nogo", 6, [5, 30, 70], seed=4,
                                      progress=False, save=False))
    for other in results[1:]:
        for name in ("correct", "response", "mean_rate"):
            assert np.array_equal(other[name].values, results[0][name].values)


def test_dms_example_was_trained_by_a_curriculum_and_holds_its_record():
    from spikewidgets.train import read_stages

    raw = read_raw(_bundled("dms"))
    stages = read_stages(raw)
    assert [stage["settings"]["delay"] for stage in stages] == [10, 150]
    assert [stage["settings"]["T"] for stage in stages] == [270, 410]
    assert all(stage["passed"] for stage in stages)
    assert [stage["stop_accuracy"] for stage in stages] == [0.95, 0.99]
    np.testing.assert_array_equal(raw["stage_trials"][0], [s["trials"] for s in stages])
    assert raw["stage_trials"][0, -1] == raw["tr"][0, 0] + 1
    assert raw["stage_perfs"][0, 0] > 0.95 and raw["stage_losses"][0, 0] < 7
    assert raw["stage_perfs"][0, 1] > 0.99 and raw["stage_losses"][0, 1] < 3
    np.testing.assert_array_equal(raw["taus"], [[4.0, 25.0]])
    assert raw["scaling_factors"].shape == (1, 23) and raw["all_perfs"].max() >= 0.95


def test_dms_example_holds_the_sample_through_other_delays(tmp_path):
    # Trained at 750 ms; the response window follows the test stimulus at any delay.
    path = example_model("dms", tmp_path)
    optimum = load_model(path).opt_scaling_factor
    ds = lambda_grid_search(path, "dms", 40, [optimum], {"delay": 50}, seed=778,
                            progress=False, save=False)
    assert float(ds.accuracy[0]) >= 0.85, float(ds.accuracy[0])
    assert '"resp_start": 220' in ds.attrs["task_settings"]
