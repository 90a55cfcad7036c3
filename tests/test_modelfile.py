"""Reading model files: validation messages, both trainers' layouts, safe write-back."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io
from conftest import skip_or_fail

from spikewidgets.errors import ModelFileError, ModelWriteError
from spikewidgets.io import load_model, random_model_arrays, read_raw, write_search_results


def _save(path: Path, arrays: dict) -> Path:
    scipy.io.savemat(path, arrays)
    return path


def _with(**changes):
    def make(arrays):
        arrays = dict(arrays)
        for key, value in changes.items():
            if value is None:
                arrays.pop(key)
            else:
                arrays[key] = value(arrays) if callable(value) else value
        return arrays
    return make


BAD_MODELS = [
    ("missing w", _with(w=None), ["'w'", "missing required key"]),
    ("missing taus_gaus and som_m", _with(taus_gaus=None, som_m=None),
     ["'som_m'", "'taus_gaus'"]),
    ("w not N x N", _with(w=lambda a: a["w"][:, :-1]), ["'w'", "(10, 9)", "(10, 10)"]),
    ("w_in rows", _with(w_in=lambda a: a["w_in"][:-2]), ["'w_in'", "(8, 1)", "(10, n_inputs)"]),
    ("w_out length", _with(w_out=lambda a: a["w_out"][:, :5]), ["'w_out'", "(1, 5)", "(1, 10)"]),
    ("NaN weight", _with(w=lambda a: np.where(np.eye(10) > 0, np.nan, a["w"])),
     ["'w'", "10 NaN or infinite"]),
    ("inf input weight", _with(w_in=lambda a: a["w_in"] * np.inf), ["'w_in'", "infinite"]),
    ("taus of length 3", _with(taus=np.array([[4.0, 20.0, 30.0]])),
     ["'taus'", "3 values", "expected 1"]),
    ("taus_gaus length", _with(taus_gaus=lambda a: a["taus_gaus"][:4]),
     ["'taus_gaus'", "4 values", "expected 10"]),
    ("N not an integer", _with(N=np.array([[2.5]])), ["'N'", "[2.5]", "positive integer"]),
    ("m of strings", _with(m=np.array(["abc"])), ["'m'", "numeric"]),
    ("exc length", _with(exc=lambda a: a["exc"][:3]), ["'exc'", "3 values"]),
]


@pytest.mark.parametrize(("case", "change", "fragments"), BAD_MODELS,
                         ids=[c[0] for c in BAD_MODELS])
def test_bad_models_get_clear_errors(tmp_path, case, change, fragments):
    path = _save(tmp_path / "bad.mat", change(random_model_arrays(10, 1, seed=1)))
    with pytest.raises(ModelFileError) as error:
        load_model(path)
    message = str(error.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, (case, message)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"model file .*nothing\.mat does not exist"):
        load_model(tmp_path / "nothing.mat")


@pytest.mark.parametrize("text", ["these are not weights\n" * 20, "my notes: N = 200\n" * 2,
                                  "x" * 126, ""])
def test_not_a_mat_file(tmp_path, text):
    path = tmp_path / "notes.mat"
    path.write_text(text)
    with pytest.raises(ModelFileError) as error:
        load_model(path)
    message = str(error.value)
    assert message.startswith(f"{path}: not a readable MATLAB model file (")
    assert message.endswith("); expected a .mat file saved by the rate-model trainer")
    reason = "the file is empty" if not text else f"the file starts with {text[:20].encode()!r}"
    assert reason in message and "\n" not in message
    assert error.value.__cause__ is not None  # the reader's own exception, chained


def test_directory_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match="is a directory"):
        load_model(tmp_path)


def test_v73_hdf5_file_is_refused_with_conversion_advice(tmp_path):
    path = tmp_path / "v73.mat"
    with h5py.File(path, "w", userblock_size=512) as handle:
        handle["w"] = np.zeros((3, 3))
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5"
    with open(path, "r+b") as handle:
        handle.write(header.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02IM")
    with pytest.raises(ModelFileError, match=r"v7\.3 \(HDF5\).*-v7"):
        load_model(path)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_both_trainers_layouts_load(tmp_path, dtype):
    arrays = random_model_arrays(12, 2, seed=3, dtype=dtype)
    arrays["x0"] = np.zeros((5, 12, 1), dtype=dtype)  # TensorFlow: 3-D states
    arrays["r"] = np.zeros((5, 12), dtype=dtype)  # PyTorch port: 2-D states
    arrays["inh_som"] = np.ones((3, 1))  # a fork's extra key
    model = load_model(_save(tmp_path / "m.mat", arrays))
    assert model.n_units == 12 and model.n_inputs == 2
    assert model.w.dtype == np.float64 and not model.w.flags.writeable
    assert model.exc.dtype == bool and model.exc.sum() + model.inh.sum() == 12
    assert model.activation == "sigmoid"
    td = model.synaptic_decay()
    assert np.all((td >= 4 * 0.005) & (td <= 20 * 0.005))
    with pytest.raises(ValueError):
        model.w[0, 0] = 1.0


def test_recurrent_weights_are_the_product_with_the_sign_mask(tmp_path):
    arrays = random_model_arrays(60, 1, seed=4)
    model = load_model(_save(tmp_path / "diagonal.mat", arrays))
    assert np.array_equal(model.recurrent_weights(), (model.w @ model.m) * model.som_m)
    arrays["m"] = np.array(arrays["m"])
    arrays["m"][0, 1] = 0.5  # not diagonal: the general product
    model = load_model(_save(tmp_path / "full.mat", arrays))
    assert np.array_equal(model.recurrent_weights(), (model.w @ model.m) * model.som_m)


def test_single_taus_value_gives_fixed_decay(tmp_path):
    arrays = random_model_arrays(6, 1, seed=2)
    arrays["taus"] = np.array([[10.0]])
    model = load_model(_save(tmp_path / "m.mat", arrays))
    assert np.all(model.synaptic_decay() == 10.0 * 5 / 1000)


def _keys_equal(before: dict, after: dict, skip: set) -> None:
    assert set(before) - skip == set(after) - skip
    for key in set(before) - skip:
        assert before[key].dtype == after[key].dtype, key
        assert before[key].shape == after[key].shape, key
        assert np.array_equal(before[key], after[key]), key


@pytest.mark.parametrize("compress", [False, True])
def test_write_back_keeps_every_other_key_and_dtype(tmp_path, compress):
    arrays = random_model_arrays(8, 1, seed=5)
    arrays.update(x0=np.ones((4, 8, 1), dtype=np.float32), eval_labels=np.array(["same", "diff"]),
                  tr=np.array([[1234]], dtype=np.int64), custom=np.arange(3, dtype=np.int16))
    path = tmp_path / "m.mat"
    scipy.io.savemat(path, arrays, do_compression=compress)
    os.chmod(path, 0o640)
    before = read_raw(path)
    write_search_results(path, 35.0, [0.5, 0.9, 0.7], [30, 35, 40])
    after = read_raw(path)
    _keys_equal(before, after, {"opt_scaling_factor", "all_perfs", "scaling_factors"})
    assert after["opt_scaling_factor"].shape == (1, 1) and after["opt_scaling_factor"][0, 0] == 35
    assert after["all_perfs"].shape == (3, 1)
    assert after["scaling_factors"].shape == (1, 3)
    assert (path.stat().st_mode & 0o777) == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name != "m.mat"]
    # A second search replaces the results of the first.
    write_search_results(path, 20.0, [0.8, 0.6], [20, 25])
    again = read_raw(path)
    assert again["scaling_factors"].shape == (1, 2)
    assert again["opt_scaling_factor"][0, 0] == 20.0
    _keys_equal(before, again, {"opt_scaling_factor", "all_perfs", "scaling_factors"})
    assert load_model(path).opt_scaling_factor == 20.0


def _immutable(path: Path) -> bool:
    result = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    return result.returncode == 0


def test_write_failure_leaves_the_file_untouched(tmp_path, monkeypatch):
    path = _save(tmp_path / "m.mat", random_model_arrays(8, 1, seed=6))
    original = path.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scipy.io, "savemat", full_disk)
    with pytest.raises(ModelWriteError, match="No space left on device.*unchanged"):
        write_search_results(path, 10.0, [1.0], [10.0])
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["m.mat"]


def test_read_only_file_is_left_untouched(tmp_path):
    path = _save(tmp_path / "m.mat", random_model_arrays(8, 1, seed=7))
    original = path.read_bytes()
    if not _immutable(path):
        skip_or_fail("chattr +i is not supported on this file system")
    try:
        with pytest.raises(ModelWriteError, match="unchanged"):
            write_search_results(path, 10.0, [1.0], [10.0])
        assert path.read_bytes() == original
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    assert [p.name for p in tmp_path.iterdir()] == ["m.mat"]
