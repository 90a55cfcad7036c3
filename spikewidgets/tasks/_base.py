"""The :class:`Task` base class: everything a task decides, in one place.

A task says how to make a trial (stimulus, label, condition), how to score
the spiking readout in its response window, which decision lines a plot of
the readout draws, and what training a rate network on it needs (the target
signal, the rule that says a rate trial is correct, trial budgets). The
search, the many-model search, the panel, the plots, the command line and the
trainer ask the task; none of them looks at a task's name.

Time is counted in rate-model steps of 5 ms; each input column lasts 100 LIF
steps. Settings:

``T``
    Columns of the input ``u`` (the LIF trial has ``(T - 1) * 100`` steps).
``stim_on``, ``stim_dur``
    First column and length of the stimulus (rate steps).
``delay``
    Gap between two stimuli (rate steps), for tasks that have two.
``resp_start``
    First rate step of the response window. The window runs from LIF step
    ``resp_start * 100`` (1-based; ``resp_start * 100 / downsample`` with
    downsampling) to the end of the trial.
``eval_amp_thresh``
    Amplitude the readout must cross for a positive answer (and below minus
    it for a negative one).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from spikewidgets.errors import TaskSettingsError

__all__ = [
    "STEPS_PER_COLUMN",
    "DecisionLine",
    "Score",
    "Task",
    "TaskSettingsError",
    "Trial",
    "first_crossing",
    "score_signed",
]

#: LIF steps per column of a trial's input ``u`` (one 5 ms rate step).
STEPS_PER_COLUMN = 100


@dataclass(frozen=True)
class Trial:
    """One trial's input and expected answer.

    Examples
    --------
    A Go trial: a pulse of 1 on columns 50 to 74 of its 201 columns:

    >>> import numpy as np
    >>> import spikewidgets as sw
    >>> task = sw.get_task("go_nogo")
    >>> trial = task.make_trial(np.random.default_rng(2), task.settings())
    >>> trial.label, trial.condition, trial.u.shape
    (1, 'go', (1, 201))
    >>> np.flatnonzero(trial.u[0])[[0, -1]]
    array([50, 74])
    """

    u: np.ndarray  # (n_inputs, T)
    label: int
    condition: str


@dataclass(frozen=True)
class Score:
    """Scores of one trial for K readouts (one per network variant).

    ``response`` is the statistic that was thresholded (max or min of the
    readout in the window); ``response_index`` the first window sample where
    the readout crossed a decision threshold (-1 if it never did).

    Examples
    --------
    Two readouts of a Go trial's response window, scored by the Go-NoGo task:

    >>> import numpy as np
    >>> import spikewidgets as sw
    >>> task = sw.get_task("go_nogo")
    >>> window = np.array([[0.1, 0.9, 0.8], [0.1, 0.2, 0.1]])
    >>> score = task.score(window, 1, task.settings())
    >>> score.correct, score.response, score.response_index
    (array([ True, False]), array([0.9, 0.2]), array([ 1, -1]))
    """

    correct: np.ndarray  # (K,) bool
    response: np.ndarray  # (K,) float
    response_index: np.ndarray  # (K,) int


@dataclass(frozen=True)
class DecisionLine:
    """A horizontal line that a plot of the readout draws: a level the task decides by.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> task = sw.get_task("go_nogo")
    >>> task.decision_lines(task.settings())
    (DecisionLine(level=0.7, label='Go threshold'), DecisionLine(level=0.3, label='NoGo ceiling'))
    """

    level: float
    label: str


def first_crossing(crossed: np.ndarray) -> np.ndarray:
    """Index of the first True along the last axis, -1 where there is none.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.tasks._base import first_crossing
    >>> first_crossing(np.array([[False, True, True], [False, False, False]]))
    array([ 1, -1])
    """
    first = np.argmax(crossed, axis=-1)
    return np.where(crossed.any(axis=-1), first, -1)


def score_signed(window: np.ndarray, label: int, threshold: float) -> Score:
    """Positive label: max > threshold; negative label: min < -threshold.

    Examples
    --------
    A readout that dips below -0.7 answers a negative label:

    >>> import numpy as np
    >>> from spikewidgets.tasks import score_signed
    >>> window = np.array([[0.1, -0.9, 0.2]])
    >>> score = score_signed(window, -1, 0.7)
    >>> score.correct, score.response, score.response_index
    (array([ True]), array([-0.9]), array([1]))
    >>> score_signed(window, 1, 0.7).correct
    array([False])
    """
    if label > 0:
        response = window.max(axis=-1)
        correct = response > threshold
    else:
        response = window.min(axis=-1)
        correct = response < -threshold
    crossed = (window > threshold) | (window < -threshold)
    return Score(correct, response, first_crossing(crossed))


class Task(ABC):
    """A task: how to make a trial, how to score it, how to train a rate network on it.

    Subclass it (set ``name``, ``n_inputs``, ``defaults``, ``conditions``,
    ``label_names``; implement :meth:`make_trial` and :meth:`score`) and pass
    an instance to :func:`~spikewidgets.tasks.register_task`: the search, the
    panel, the plots, the command line and the trainer then work on it. The
    training hooks (:meth:`target`, :meth:`training_correct`) have defaults
    that follow from the settings and :meth:`score`; override them to train
    as a published trainer did.

    Attributes
    ----------
    name : str
        Registered name (lower case, underscores).
    n_inputs : int
        Input channels (columns of the model's ``w_in``).
    defaults : mapping
        Default settings; a search's settings are these with the user's overrides.
    conditions : tuple of str
        Every trial condition, in the order of the Dataset's ``task_condition``.
    label_names : mapping
        Label value -> name (``{1: "go", 0: "nogo"}``).
    training_overrides : mapping
        Settings the rate network is trained with, over ``defaults`` (the
        published trainers used one column less: ``{"T": 200}``).
    min_training_trials : int
        Trials to train before the stopping rule may end training.
    max_training_trials : int
        Default trial budget of the trainer.
    file_label : str
        The task's name in trained model file names (default: ``name``).

    Examples
    --------
    A task of your own: a flash on columns 20 to 29, or none; answer +1 for
    a flash, -1 without:

    >>> import numpy as np
    >>> from spikewidgets.tasks import Task, Trial, score_signed
    >>> class Flash(Task):
    ...     name = "flash"
    ...     n_inputs = 1
    ...     defaults = {"T": 101, "stim_on": 20, "stim_dur": 10, "resp_start": 50,
    ...                 "eval_amp_thresh": 0.5}
    ...     conditions = ("flash", "dark")
    ...     label_names = {1: "flash", -1: "dark"}
    ...     def make_trial(self, rng, settings):
    ...         u = np.zeros((1, int(settings["T"])))
    ...         flash = bool(rng.random() < 0.5)
    ...         if flash:
    ...             start = int(settings["stim_on"])
    ...             u[0, start:start + int(settings["stim_dur"])] = 1.0
    ...         return Trial(u, 1 if flash else -1, "flash" if flash else "dark")
    ...     def score(self, window, label, settings):
    ...         return score_signed(window, label, settings["eval_amp_thresh"])
    >>> task = Flash()
    >>> settings = task.settings({"resp_start": 40})
    >>> settings["resp_start"], task.window_start(settings)
    (40, 4000)

    The training hooks follow from the settings and the scoring: the target
    is 0 until the end of the stimulus, then the label; a rate readout is
    correct when :meth:`score` says so from ``resp_start`` on:

    >>> task.target(settings, -1)[[29, 30]]
    array([ 0., -1.])
    >>> outputs = np.zeros((2, 100))
    >>> outputs[0, 60:] = 0.8
    >>> task.training_correct(settings, outputs, np.array([1, 1]))
    array([ True, False])
    """

    name: str = ""
    n_inputs: int = 1
    defaults: ClassVar[Mapping[str, float]] = {}
    conditions: tuple[str, ...] = ()
    label_names: ClassVar[Mapping[int, str]] = {}
    training_overrides: ClassVar[Mapping[str, float]] = {}
    min_training_trials: int = 0
    max_training_trials: int = 10_000
    file_label: str = ""

    # ------------------------------------------------------------------ settings

    def settings(self, overrides: Mapping[str, object] | None = None) -> dict[str, float]:
        """Merge ``overrides`` over the defaults and validate the result.

        A partial mapping overrides only the keys it names.

        Raises
        ------
        TaskSettingsError
            For an unknown key, a non-numeric or non-positive value, or a
            stimulus or response window outside the trial.
        """
        merged = dict(self.defaults)
        for key, value in (overrides or {}).items():
            merged[key] = self._setting_value(key, value)
        for key, value in merged.items():
            if value <= 0 and not (key == "delay" and value == 0):
                raise TaskSettingsError(
                    f"task_settings[{key!r}] is {value!r}, expected a positive value"
                )
        self._check_timing(merged)
        return merged

    def _setting_value(self, key: str, value: object) -> float:
        if key not in self.defaults:
            raise TaskSettingsError(
                f"task_settings has unknown key {key!r} for task {self.name!r}; "
                f"expected some of {', '.join(self.defaults)}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise TaskSettingsError(f"task_settings[{key!r}] is {value!r}, expected a number")
        if key == "eval_amp_thresh":
            return float(value)
        if float(value) != int(value):
            raise TaskSettingsError(
                f"task_settings[{key!r}] is {value!r}, expected a whole number of rate steps"
            )
        return int(value)

    def _check_timing(self, merged: Mapping[str, float]) -> None:
        end = self.stimulus_end(merged)
        if end > merged["T"]:
            raise TaskSettingsError(
                f"task_settings put the stimulus of task {self.name!r} up to column {end}, "
                f"past the end of the trial (T = {merged['T']} columns)"
            )
        if merged["resp_start"] >= merged["T"] - 1:
            raise TaskSettingsError(
                f"task_settings['resp_start'] is {merged['resp_start']}, expected less than "
                f"T - 1 = {merged['T'] - 1} so that the response window lies inside the trial"
            )

    def stimulus_end(self, settings: Mapping[str, float]) -> int:
        """Column after the last stimulus column."""
        return int(settings["stim_on"] + settings["stim_dur"])

    def window_start(self, settings: Mapping[str, float], downsample: int = 1) -> int:
        """First 1-based LIF step of the response window."""
        return int(settings["resp_start"]) * STEPS_PER_COLUMN // int(downsample)

    def settings_json(self, settings: Mapping[str, float]) -> str:
        """Settings as a JSON string (for Dataset attrs)."""
        return json.dumps(dict(settings), sort_keys=True)

    def check_model_inputs(self, n_inputs: int, where: str = "the model") -> None:
        """Raise if a model with ``n_inputs`` inputs cannot run this task."""
        if n_inputs != self.n_inputs:
            inputs = "1 input" if self.n_inputs == 1 else f"{self.n_inputs} inputs"
            raise TaskSettingsError(
                f"task {self.name!r} has {inputs} but {where} has "
                f"{n_inputs} (columns of w_in); pick the task the model was trained on"
            )

    # ------------------------------------------------------------------ trials and scores

    @abstractmethod
    def make_trial(self, rng: np.random.Generator, settings: Mapping[str, float]) -> Trial:
        """Draw one trial's input, label and condition from ``rng``."""

    @abstractmethod
    def score(self, window: np.ndarray, label: int, settings: Mapping[str, float]) -> Score:
        """Score readouts ``window`` (K, n_samples) of the response window."""

    def decision_lines(self, settings: Mapping[str, float]) -> tuple[DecisionLine, ...]:
        """Levels the task decides by, for plots of the readout (default: +- threshold)."""
        level = float(settings["eval_amp_thresh"])
        return (DecisionLine(level, "+ threshold"), DecisionLine(-level, "− threshold"))

    # ------------------------------------------------------------------ training

    def training_settings(self, overrides: Mapping[str, object] | None = None) -> dict[str, float]:
        """Training settings: the defaults, then ``training_overrides``, then ``overrides``."""
        return self.settings({**self.training_overrides, **(overrides or {})})

    def target(self, settings: Mapping[str, float], label: int) -> np.ndarray:
        """Target of the rate readout for one trial, shape (T,).

        Default: 0 until the end of the stimulus, then the label.
        """
        target = np.zeros(int(settings["T"]))
        target[self.stimulus_end(settings):] = float(label)
        return target

    def training_correct(
        self, settings: Mapping[str, float], outputs: np.ndarray, labels: np.ndarray
    ) -> np.ndarray:
        """Whether each rate readout (K, T - 1) answers its label, for the stopping rule.

        Default: :meth:`score` on the readout from ``resp_start`` on.
        """
        window = np.asarray(outputs)[:, int(settings["resp_start"]):]
        return np.array([bool(self.score(window[k:k + 1], int(label), settings).correct[0])
                         for k, label in enumerate(np.asarray(labels))], dtype=bool)

    def saved_labels(self, labels: np.ndarray) -> np.ndarray:
        """Evaluation labels as a trained model file stores them (default: float)."""
        return np.asarray(labels).astype(np.float64)

    def __repr__(self) -> str:
        return f"<Task {self.name!r}: {self.n_inputs} input{'' if self.n_inputs == 1 else 's'}>"
