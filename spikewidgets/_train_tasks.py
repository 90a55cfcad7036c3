"""Training targets and the trainer's own scoring rule, per task.

These follow the published spikeRNN trainer. The rate network is trained on
``T`` = 200 / 300 / 500 rate steps (go_nogo / xor / mante); the trial inputs
are those of :mod:`spikewidgets.tasks`. Targets have ``T`` samples; the loss
compares ``o[k]`` with ``target[k]`` for ``k < T - 1``.

- go_nogo: ``target[stim_on + stim_dur:] = 1`` on Go trials, 0 everywhere on
  NoGo trials. Correct when ``max(o[stim_on + stim_dur:]) > 0.7`` (Go) or
  ``max(|o[stim_on + stim_dur:]|) < 0.3`` (NoGo).
- xor: ``target[end + 10 : end + 110] = +1`` (same) or ``-1`` (diff), with
  ``end`` the end of the second stimulus, 0 elsewhere. Correct when
  ``max(o[resp_start:]) > 0.7`` (same) or ``min(o[resp_start:]) < -0.7``
  (diff); ``resp_start`` is 200 by default, the trainer's window.
- mante: ``target[stim_on + stim_dur:] = label`` (+1 or -1). Correct when the
  last 200 readout samples cross ``+0.7`` (label +1) or ``-0.7`` (label -1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .tasks import NOGO_CEILING, Task, TaskSettingsError, get_task

#: Trial length (columns of u) the rate networks are trained with.
TRAINING_T = {"go_nogo": 200, "xor": 300, "mante": 500}
#: Task names as the published trainer writes them into file names.
FILE_TASK_NAMES = {"go_nogo": "go-nogo", "xor": "xor", "mante": "mante"}
#: XOR: the target starts this many steps after the second stimulus ...
XOR_TARGET_GAP = 10
#: ... and lasts this many steps.
XOR_TARGET_LENGTH = 100
#: mante: the trainer scored the last this-many readout samples.
MANTE_SCORED_SAMPLES = 200


def training_task(name: str | Task) -> tuple[Task, dict[str, float]]:
    """The task and its training settings (``T`` as the trainer used).

    Raises
    ------
    TaskSettingsError
        For a task without training targets.
    """
    task = get_task(name)
    if task.name not in TRAINING_T:
        raise TaskSettingsError(
            f"task is {task.name!r}, expected one of {', '.join(TRAINING_T)} "
            "(the tasks with training targets)"
        )
    return task, task.settings({"T": TRAINING_T[task.name]})


def make_target(task: Task, settings: Mapping[str, float], label: int) -> np.ndarray:
    """Target signal of one trial, shape (T,)."""
    n_steps = int(settings["T"])
    target = np.zeros(n_steps)
    if task.name == "xor":
        start = task.stimulus_end(settings) + XOR_TARGET_GAP
        target[start : start + XOR_TARGET_LENGTH] = float(label)
    else:
        target[task.stimulus_end(settings) :] = float(label)
    return target


def score_start(task: Task, settings: Mapping[str, float]) -> int:
    """First readout sample (index into ``o``) that the trainer scored."""
    if task.name == "go_nogo":
        return task.stimulus_end(settings)
    if task.name == "xor":
        return int(settings["resp_start"])
    return int(settings["T"]) - 1 - MANTE_SCORED_SAMPLES


def trial_correct(
    task: Task, settings: Mapping[str, float], outputs: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    """Whether each readout ``outputs`` (K, T - 1) answers its label, as the trainer scored."""
    window = np.asarray(outputs)[:, score_start(task, settings) :]
    labels = np.asarray(labels)
    threshold = float(settings["eval_amp_thresh"])
    if task.name == "go_nogo":
        go = window.max(axis=1) > threshold
        quiet = np.abs(window).max(axis=1) < NOGO_CEILING
        return np.where(labels == 1, go, quiet)
    return np.where(labels > 0, window.max(axis=1) > threshold, window.min(axis=1) < -threshold)


def saved_labels(task: Task, labels: np.ndarray) -> np.ndarray:
    """Evaluation labels as the trainer saved them (strings 'same'/'diff' for xor)."""
    labels = np.asarray(labels)
    if task.name == "xor":
        return np.where(labels > 0, "same", "diff")
    return labels.astype(np.float64)
