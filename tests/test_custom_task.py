"""A task defined here, registered, works everywhere a published task does, unchanged package.

It is trained for a few hundred trials, searched (one model and many), drawn,
run from the command line and in the panel. Nothing in the package knows its
name: every task-specific decision comes from the class below.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import pytest

import spikewidgets as sw
from spikewidgets.cli import main
from spikewidgets.plots import plot_accuracy, plot_output
from spikewidgets.search import search_models
from spikewidgets.tasks import DecisionLine, Score, Task, Trial, score_signed, unregister_task
from spikewidgets.tasks._registry import infer_task_name

pytestmark = pytest.mark.slow


class PulseSign(Task):
    """One input pulse of either sign; the readout must report the sign."""

    name = "pulse_sign"
    n_inputs = 1
    defaults: ClassVar[Mapping[str, float]] = {
        "T": 61, "stim_on": 10, "stim_dur": 10, "resp_start": 30, "eval_amp_thresh": 0.5,
    }
    conditions = ("up", "down")
    label_names: ClassVar[Mapping[int, str]] = {1: "up", -1: "down"}
    training_overrides: ClassVar[Mapping[str, float]] = {"T": 60}
    max_training_trials = 300
    file_label = "pulse-sign"

    def make_trial(self, rng: np.random.Generator, settings: Mapping[str, float]) -> Trial:
        u = np.zeros((1, int(settings["T"])))
        sign = 1 if rng.random() < 0.5 else -1
        on = int(settings["stim_on"])
        u[0, on : on + int(settings["stim_dur"])] = sign
        return Trial(u, sign, "up" if sign > 0 else "down")

    def score(self, window: np.ndarray, label: int, settings: Mapping[str, float]) -> Score:
        return score_signed(window, label, settings["eval_amp_thresh"])

    def decision_lines(self, settings: Mapping[str, float]) -> tuple[DecisionLine, ...]:
        level = float(settings["eval_amp_thresh"])
        return (DecisionLine(level, "up"), DecisionLine(-level, "down"),
                DecisionLine(0.0, "undecided"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    pytest.importorskip("jax")
    from spikewidgets.train import TrainingConfig, train

    sw.register_task(PulseSign(), replace=True)
    folder = tmp_path_factory.mktemp("pulse")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # budget ends before convergence
            result = train(TrainingConfig(task="pulse_sign", n_units=24, seed=2,
                                          max_trials=200), out_dir=folder, progress=False)
        yield result.path
    finally:
        unregister_task("pulse_sign")


def test_it_trains_with_the_task_own_rules(trained):
    assert "pulse-sign" in trained.name
    model = sw.load_model(trained)
    assert model.n_inputs == 1 and model.n_units == 24
    # The file name written by the trainer names the task, so the task is recognised.
    assert infer_task_name(1, trained.name) == "pulse_sign"


def test_it_searches_one_model_and_many(trained, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = sw.lambda_grid_search(trained, "pulse_sign", 4, [1.0, 5.0, 20.0], seed=1,
                                   save=False, progress=False)
    assert ds.attrs["task"] == "pulse_sign"
    assert list(ds.task_condition.values) == ["up", "down"]
    assert set(ds.condition.values) <= {"up", "down"}
    assert ds.sizes == {"scaling_factor": 3, "trial": 4, "task_condition": 2}
    copy = tmp_path / "copy.mat"
    shutil.copyfile(trained, copy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        many = search_models([trained, copy], "pulse_sign", 4, [1.0, 5.0, 20.0], seed=1,
                             save=False, progress=False, n_workers=1)
    assert np.array_equal(many.correct.isel(model=0).values, ds.correct.values)
    assert list(many.error.values) == ["", ""]


def test_its_plots_draw_its_decision_lines(trained):
    sim = sw.simulate(trained, 5.0, "pulse_sign", seed=0)
    assert sim.attrs["condition"] in ("up", "down")
    lines = plot_output(sim).sources["thresholds"].data
    assert list(lines["label"]) == ["up", "down", "undecided"]
    assert list(lines["y"]) == [0.5, -0.5, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = sw.lambda_grid_search(trained, "pulse_sign", 2, [1.0, 5.0], seed=1, save=False,
                                   progress=False)
    assert list(plot_accuracy(ds).source.data["scaling_factor"]) == [1.0, 5.0]


def test_the_command_line_searches_it(trained, tmp_path, capsys):
    copy = tmp_path / "cli.mat"
    shutil.copyfile(trained, copy)
    code = main(["search", str(copy), "--task", "pulse_sign", "--trials", "2",
                 "--scaling-factors", "1,5", "--seed", "0", "--quiet"])
    assert code == 0
    assert "task pulse_sign" in capsys.readouterr().out
    assert sw.load_model(copy).opt_scaling_factor in (1.0, 5.0)


def test_the_panel_runs_it(trained):
    pytest.importorskip("ipywidgets")
    panel = sw.SearchPanel(str(trained), task="pulse_sign", scaling_factors=(1, 5, 4),
                           n_trials=2, seed=0)
    try:
        result = panel.run(wait=True, timeout=120)
        assert result is not None and result.attrs["task"] == "pulse_sign"
        assert list(result.scaling_factor.values) == [1.0, 5.0]
        sim = panel.select(5.0, trial=1)
        assert sim.attrs["task"] == "pulse_sign"
        assert list(panel.plots["output"].sources["thresholds"].data["label"]) == \
            ["up", "down", "undecided"]
    finally:
        panel.close()
