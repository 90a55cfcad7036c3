"""Task stimuli, scoring on hand-made outputs, settings merge and validation."""

from __future__ import annotations

import numpy as np
import pytest

from spikewidgets.tasks import (
    NOGO_CEILING,
    Score,
    Task,
    TaskSettingsError,
    Trial,
    get_task,
    register_task,
    task_names,
)


def _draw(task_name, n=400, seed=0):
    task = get_task(task_name)
    settings = task.settings()
    rng = np.random.default_rng(seed)
    return task, settings, [task.make_trial(rng, settings) for _ in range(n)]


def test_go_nogo_stimuli():
    _task, settings, trials = _draw("go_nogo")
    assert settings == {"T": 201, "stim_on": 50, "stim_dur": 25, "resp_start": 100,
                        "eval_amp_thresh": 0.7}
    go = [t for t in trials if t.label == 1]
    assert 150 < len(go) < 250
    for trial in trials:
        assert trial.u.shape == (1, 201)
        expected = np.zeros(201)
        if trial.label == 1:
            expected[50:75] = 1
            assert trial.condition == "go"
        else:
            assert trial.condition == "nogo"
        assert np.array_equal(trial.u[0], expected)


def test_xor_stimuli():
    _, _, trials = _draw("xor")
    assert {t.condition for t in trials} == {"++", "+-", "-+", "--"}
    for trial in trials:
        first, second = trial.u[0, 50], trial.u[1, 110]
        assert np.all(trial.u[0, 50:100] == first) and np.all(trial.u[1, 110:160] == second)
        assert np.count_nonzero(trial.u) == 100
        assert trial.label == (1 if first == second else -1)


def test_mante_stimuli():
    _, _, trials = _draw("mante")
    assert {t.condition for t in trials} == {"ctx1+", "ctx1-", "ctx2+", "ctx2-"}
    offsets = []
    for trial in trials:
        u = trial.u
        assert u.shape == (4, 501)
        context = 0 if u[2, 0] == 1 else 1
        assert np.all(u[2 + context] == 1) and np.all(u[3 - context] == 0)
        assert np.all(u[:2, :50] == 0) and np.all(u[:2, 250:] == 0)
        sign = 1 if u[context, 50:250].mean() > 0 else -1
        offsets.append(u[context, 50:250].mean() * sign)
        assert trial.label == sign or abs(u[context, 50:250].mean()) < 0.3
    assert 0.4 < np.mean(offsets) < 0.6


def _window(values):
    return np.asarray(values, dtype=float)[None, :]


def test_go_nogo_scoring_on_hand_made_outputs():
    task = get_task("go_nogo")
    settings = task.settings()
    # The search scores out[window_start - 1:], the original's out[9999:].
    assert task.window_start(settings) == 10000
    crossing = np.zeros(10001)
    crossing[300] = 0.75
    assert task.score(_window(crossing), 1, settings).correct[0]
    assert not task.score(_window(crossing), 0, settings).correct[0]
    quiet = np.full(10001, NOGO_CEILING - 0.01)
    assert task.score(_window(quiet), 0, settings).correct[0]
    assert not task.score(_window(quiet), 1, settings).correct[0]
    score = task.score(_window(crossing), 1, settings)
    assert score.response_index[0] == 300 and score.response[0] == 0.75
    assert task.score(_window(quiet), 1, settings).response_index[0] == -1


def test_a_crossing_before_the_window_does_not_count():
    # In a full trace, only samples from the window start are scored.
    task = get_task("go_nogo")
    settings = task.settings()
    trace = np.zeros(20000)
    trace[5000:6000] = 1.0  # before the window
    start = task.window_start(settings)
    assert not task.score(trace[None, start - 1:], 1, settings).correct[0]
    trace[start - 1 + 10] = 1.0
    assert task.score(trace[None, start - 1:], 1, settings).correct[0]


@pytest.mark.parametrize("name", ["xor", "mante"])
def test_signed_scoring(name):
    task = get_task(name)
    settings = task.settings()
    high, low = np.zeros(100), np.zeros(100)
    high[50], low[60] = 0.71, -0.71
    assert task.score(_window(high), 1, settings).correct[0]
    assert not task.score(_window(high), -1, settings).correct[0]
    assert task.score(_window(low), -1, settings).correct[0]
    assert task.score(_window(low), -1, settings).response_index[0] == 60
    assert not task.score(_window(np.full(100, 0.69)), 1, settings).correct[0]


def test_scoring_is_vectorized_over_factors():
    task = get_task("xor")
    window = np.zeros((3, 50))
    window[0, 5] = 0.9
    window[2, 7] = -0.9
    score = task.score(window, 1, task.settings())
    assert score.correct.tolist() == [True, False, False]
    assert score.response_index.tolist() == [5, -1, 7]


def test_partial_settings_merge_and_validation():
    task = get_task("xor")
    merged = task.settings({"eval_amp_thresh": 0.6, "delay": 20})
    assert merged["eval_amp_thresh"] == 0.6 and merged["delay"] == 20
    assert merged["stim_dur"] == 50 and merged["T"] == 301
    with pytest.raises(TaskSettingsError, match="unknown key 'delay'.*go_nogo"):
        get_task("go_nogo").settings({"delay": 5})
    with pytest.raises(TaskSettingsError, match=r"'stim_dur'\] is -5.*positive"):
        task.settings({"stim_dur": -5})
    with pytest.raises(TaskSettingsError, match="past the end of the trial"):
        task.settings({"stim_on": 250})
    with pytest.raises(TaskSettingsError, match="resp_start.*inside the trial"):
        task.settings({"resp_start": 300})
    with pytest.raises(TaskSettingsError, match="expected a number"):
        task.settings({"T": "long"})
    with pytest.raises(TaskSettingsError, match="whole number"):
        task.settings({"T": 300.5})


def test_names_are_normalized():
    assert get_task("go-nogo") is get_task("GO_NOGO") is get_task(" go nogo ")
    with pytest.raises(TaskSettingsError, match="task_name is 'flip_flop', expected one of"):
        get_task("flip_flop")


def test_input_count_mismatch_names_both_numbers():
    with pytest.raises(TaskSettingsError, match="'mante' has 4 input.*has 2"):
        get_task("mante").check_model_inputs(2)


class _Threshold(Task):
    name = "threshold"
    n_inputs = 1
    defaults = {"T": 41, "stim_on": 5, "stim_dur": 10, "resp_start": 20,
                "eval_amp_thresh": 0.5}
    conditions = ("up",)
    label_names = {1: "up"}

    def make_trial(self, rng, settings):
        u = np.zeros((1, int(settings["T"])))
        u[0, 5:15] = 1
        return Trial(u, 1, "up")

    def score(self, window, label, settings):
        response = window.max(axis=-1)
        return Score(response > settings["eval_amp_thresh"], response,
                     np.full(window.shape[0], -1))


def test_register_a_user_task():
    task = register_task(_Threshold())
    try:
        assert "threshold" in task_names()
        assert get_task("Threshold") is task
        with pytest.raises(ValueError, match="already registered"):
            register_task(_Threshold())
    finally:
        register_task(_Threshold(), replace=True)


# ------------------------------------------------------------------ delayed match-to-sample


def test_dms_has_the_published_timing_and_stimuli():
    task, settings, trials = _draw("dms")
    assert settings == {"T": 411, "stim_on": 30, "stim_dur": 50, "delay": 150,
                        "resp_start": 320, "eval_amp_thresh": 0.7}
    assert task.n_inputs == 2 and task.conditions == ("++", "+-", "-+", "--")
    assert {t.condition for t in trials} == set(task.conditions)
    for trial in trials:
        sample, test = trial.u[0, 30], trial.u[1, 230]
        assert trial.u.shape == (2, 411) and {sample, test} <= {-1.0, 1.0}
        expected = np.zeros((2, 411))
        expected[0, 30:80], expected[1, 230:280] = sample, test
        assert np.array_equal(trial.u, expected)
        assert trial.label == (1 if sample == test else -1)
        assert trial.condition == {1: "+", -1: "-"}[sample] + {1: "+", -1: "-"}[test]
    assert 150 < sum(t.label == 1 for t in trials) < 250
    assert task.label_names == {1: "same", -1: "diff"}
    assert task.saved_labels(np.array([1, -1])).tolist() == ["same", "diff"]


def test_dms_scores_its_window_like_xor():
    task = get_task("dms")
    settings = task.settings()
    # 40 rate steps after the test stimulus ends: LIF step 32000 of 41000.
    assert task.window_start(settings) == 32000 and task.window_start(settings, 2) == 16000
    trace = np.zeros(41000)
    trace[25000:26000] = 1.0  # during the delay: not scored
    start = task.window_start(settings)
    assert not task.score(trace[None, start - 1:], 1, settings).correct[0]
    trace[start - 1 + 500] = 0.71
    same = task.score(trace[None, start - 1:], 1, settings)
    assert same.correct[0] and same.response_index[0] == 500 and same.response[0] == 0.71
    assert not task.score(trace[None, start - 1:], -1, settings).correct[0]
    trace[start - 1 + 800] = -0.8
    assert task.score(trace[None, start - 1:], -1, settings).correct[0]
    assert [line.level for line in task.decision_lines(settings)] == [0.7, -0.7]


def test_dms_training_uses_the_xor_target_at_its_timing():
    task = get_task("dms")
    settings = task.training_settings()
    assert settings["T"] == 410 and settings["resp_start"] == 320
    target = task.target(settings, -1)
    assert target.shape == (410,)
    # From 10 steps after the test stimulus starts (230) to 110 after it ends (280).
    np.testing.assert_array_equal(np.flatnonzero(target), np.arange(240, 390))
    assert (target[240:390] == -1).all()
    outputs = np.zeros((3, 409))
    outputs[0, 330] = 0.8  # "same" answered in the window
    outputs[1, 300] = -0.8  # "diff" answered before the window: too early
    outputs[2, 400] = -0.8  # "diff" answered in the window
    assert task.training_correct(settings, outputs, np.array([1, -1, -1])).tolist() == [
        True, False, True]


def test_dms_delay_moves_the_test_stimulus_and_the_response_window():
    task = get_task("dms")
    short = task.settings({"delay": 50})
    # The window starts 40 steps, the trial ends 131 steps after the test stimulus.
    assert (short["resp_start"], short["T"]) == (220, 311)
    trial = task.make_trial(np.random.default_rng(3), short)
    assert trial.u.shape == (2, 311)
    assert np.flatnonzero(trial.u[1]).tolist() == list(range(130, 180))
    assert np.flatnonzero(trial.u[0]).tolist() == list(range(30, 80))
    assert task.training_settings({"delay": 10})["T"] == 270
    np.testing.assert_array_equal(np.flatnonzero(task.target(task.training_settings(
        {"delay": 10}), 1)), np.arange(100, 250))
    longer = task.settings({"delay": 300, "stim_dur": 40})
    assert (longer["resp_start"], longer["T"]) == (450, 541)
    # Given explicitly, resp_start and T are used as given.
    fixed = task.settings({"delay": 50, "resp_start": 250, "T": 411})
    assert (fixed["resp_start"], fixed["T"]) == (250, 411)
    assert task.settings({"delay": 0})["resp_start"] == 170
    with pytest.raises(TaskSettingsError, match="past the end of the trial"):
        task.settings({"delay": 300, "T": 411})
    with pytest.raises(TaskSettingsError, match="after both stimuli"):
        task.settings({"delay": 150, "resp_start": 250})
    with pytest.raises(TaskSettingsError, match="expected a number"):
        task.settings({"delay": "long"})


def test_dms_is_registered_after_the_published_tasks():
    from spikewidgets.tasks._dms import DelayedMatchToSample
    from spikewidgets.tasks._registry import infer_task_name, task_names_in_order

    assert task_names_in_order()[:4] == ["go_nogo", "xor", "mante", "dms"]
    assert isinstance(get_task("DMS"), DelayedMatchToSample)
    # A two-input model is an XOR model unless its file name says DMS.
    assert infer_task_name(2, "Task_dms_N_200_Taus_4.0_20.0_Act_sigmoid.mat") == "dms"
    assert infer_task_name(2, "dms_example.mat") == "dms"
    assert infer_task_name(2, "model.mat") == "xor"
    with pytest.raises(TaskSettingsError, match="has 2 input"):
        get_task("dms").check_model_inputs(1)
