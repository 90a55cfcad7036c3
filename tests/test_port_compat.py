"""Calls and command lines of the PyTorch port (NuttidaLab/spikeRNN) work unchanged.

The calls below are those of the port's README, examples page and tutorial,
with only the import lines changed: ``from spiking import lambda_grid_search``
becomes ``from spikewidgets import lambda_grid_search``.
"""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest
import scipy.io

import spikewidgets as sw
from spikewidgets.cli import main
from spikewidgets.cli._common import EXIT_BAD_INPUT

pytestmark = pytest.mark.slow


@pytest.fixture
def models(tmp_path):
    """A folder laid out as the port lays out models, with two model files."""
    folder = tmp_path / "models" / "go-nogo" / "P_rec_0.2_Taus_4.0_20.0"
    folder.mkdir(parents=True)
    source = sw.example_model("go_nogo", tmp_path / "source")
    for name in ("Task_go-nogo_N_200_b.mat", "Task_go-nogo_N_200_a.mat"):
        shutil.copyfile(source, folder / name)
    (folder / "Task_go-nogo_N_200_a.pth").write_bytes(b"not read")  # the port's checkpoint
    return folder


def test_the_examples_page_call(models):
    from spikewidgets import lambda_grid_search

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Comprehensive grid search
        ds = lambda_grid_search(
            model_dir=str(models),
            task_name='go-nogo',
            n_trials=100,
            scaling_factors=(20, 76, 5)
        )
    assert list(ds.model.values) == ["Task_go-nogo_N_200_a.mat", "Task_go-nogo_N_200_b.mat"]
    assert ds.correct.dims == ("model", "scaling_factor", "trial")
    assert list(ds.scaling_factor.values) == [5.0, 20.0, 76.0]  # a tuple is three factors
    for index, path in enumerate(sorted(models.glob("*.mat"))):
        stored = scipy.io.loadmat(path)
        assert float(stored["opt_scaling_factor"][0, 0]) == float(
            ds.opt_scaling_factor.values[index])
        np.testing.assert_array_equal(stored["all_perfs"].ravel(), ds.accuracy.values[index])


def test_the_readme_and_tutorial_call(models):
    from spikewidgets import lambda_grid_search

    single = models / "Task_go-nogo_N_200_a.mat"
    folder = models.parent / "one"
    folder.mkdir()
    shutil.move(single, folder / single.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = lambda_grid_search(model_dir=str(folder), task_name='go-nogo', n_trials=100,
                                scaling_factors=list(np.arange(25, 76, 5)))
    assert list(ds.scaling_factor.values) == list(range(25, 76, 5))
    assert ds.sizes["trial"] == 100 and bool(ds.saved_to_model.values[0])
    best = float(ds.opt_scaling_factor.values[0])
    assert sw.load_model(folder / single.name).opt_scaling_factor == best
    assert float(ds.accuracy.sel(scaling_factor=best).values[0]) >= 0.95


def test_the_port_command_line(models, capsys):
    code = main(["search", "--model_dir", str(models), "--task_name", "go-nogo",
                 "--n_trials", "20", "--scaling_factors", "20:76:5", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Task_go-nogo_N_200_a.mat" in out and "Task_go-nogo_N_200_b.mat" in out
    stored = scipy.io.loadmat(models / "Task_go-nogo_N_200_b.mat")
    # The port's 20:76:5 is range(20, 77, 5): 20 ... 75, as spikewidgets reads it.
    assert stored["scaling_factors"].ravel().tolist() == list(range(20, 76, 5))


def test_the_port_setting_flags(models, capsys):
    path = models / "Task_go-nogo_N_200_a.mat"
    code = main(["search", "--model_path", str(path), "--task_name", "go-nogo",
                 "--n_trials", "2", "--scaling_factors", "30:35:5", "--T", "201",
                 "--eval_amp_thresh", "0.6", "--no-save", "--quiet", "--seed", "0"])
    assert code == 0
    assert "task go_nogo" in capsys.readouterr().out


def test_help_shows_the_project_spellings_first(capsys):
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    text = capsys.readouterr().out
    # Python 3.13 shows the metavar once ("--task, --task_name TASK"), older ones per flag.
    (line,) = [line for line in text.splitlines() if "--task_name" in line]
    assert line.strip().startswith("--task") and line.index("--task") < line.index("--task_name")
    assert text.index("--scaling-factors") < text.index("--scaling_factors")
    assert text.index("--trials") < text.index("--model_dir")


def test_a_checkpoint_gets_an_error_naming_the_mat_beside_it(models, capsys):
    checkpoint = models / "Task_go-nogo_N_200_a.pth"
    with pytest.raises(sw.ModelFileError, match="pass Task_go-nogo_N_200_a.mat"):
        sw.load_model(checkpoint)
    assert main(["search", str(checkpoint), "--quiet"]) == EXIT_BAD_INPUT
    assert "PyTorch checkpoint" in capsys.readouterr().err


def test_folder_arguments_are_clear(models, tmp_path):
    with pytest.raises(ValueError, match="model_path is .* and model_dir is"):
        sw.lambda_grid_search(models / "x.mat", "go_nogo", 2, [30], model_dir=models)
    with pytest.raises(ValueError, match="holds no .mat file"):
        sw.lambda_grid_search(model_dir=_empty(tmp_path), task_name="go_nogo", n_trials=1,
                              scaling_factors=[30])
    with pytest.raises(ValueError, match="n_trials is missing"):
        sw.lambda_grid_search(model_dir=models, task_name="go_nogo", scaling_factors=[30])
    # A folder given as model_path is searched as model_dir.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = sw.lambda_grid_search(models, "go_nogo", 2, [30], save=False, progress=False)
    assert ds.sizes["model"] == 2


def _empty(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder
