"""Cognitive tasks of the published method: stimuli, labels, conditions and scoring.

Time is counted in rate-model steps of 5 ms; each input column lasts 100 LIF
steps. The defaults are the settings the published models were trained and
evaluated with, so they are the defaults of every search. Settings:

``T``
    Columns of the input ``u`` (the LIF trial has ``(T - 1) * 100`` steps).
``stim_on``, ``stim_dur``
    First column and length of the stimulus (rate steps).
``delay``
    XOR only: gap between the two stimuli (rate steps).
``resp_start``
    First rate step of the response window. The window runs from LIF step
    ``resp_start * 100`` (1-based; ``resp_start * 100 / downsample`` with
    downsampling) to the end of the trial. The defaults (100, 200, 260)
    reproduce the original windows ``out[9999:]``, ``out[19999:]`` and
    ``out[25999:]``; they lie 25, 40 and 10 rate steps after the end of the
    (last) stimulus, and should move with the stimulus if you move it.
``eval_amp_thresh``
    Amplitude the readout must cross for a Go / same / +1 answer (and below
    minus it for a diff / -1 answer). A NoGo trial is correct when the
    readout stays below ``NOGO_CEILING`` (0.3).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

__all__ = [
    "NOGO_CEILING",
    "GoNoGo",
    "Mante",
    "Score",
    "Task",
    "TaskSettingsError",
    "Trial",
    "Xor",
    "get_task",
    "infer_task_name",
    "normalize_task_name",
    "register_task",
    "task_names",
]

#: A NoGo trial is correct when the readout stays below this in the window.
NOGO_CEILING = 0.3
STEPS_PER_COLUMN = 100


class TaskSettingsError(ValueError):
    """Task settings that are unknown, of the wrong type, or inconsistent."""


@dataclass(frozen=True)
class Trial:
    """One trial's input and expected answer."""

    u: np.ndarray  # (n_inputs, T)
    label: int
    condition: str


@dataclass(frozen=True)
class Score:
    """Scores of one trial for K readouts (one per scaling factor).

    ``response`` is the statistic that was thresholded (max or min of the
    readout in the window); ``response_index`` the first window sample where
    the readout crossed ``+-eval_amp_thresh`` (-1 if it never did).
    """

    correct: np.ndarray  # (K,) bool
    response: np.ndarray  # (K,) float
    response_index: np.ndarray  # (K,) int


def _first_crossing(crossed: np.ndarray) -> np.ndarray:
    """Index of the first True along the last axis, -1 where there is none."""
    first = np.argmax(crossed, axis=-1)
    return np.where(crossed.any(axis=-1), first, -1)


class Task(ABC):
    """A task: how to make a trial, and how to score the spiking readout.

    Subclass it (set ``name``, ``n_inputs``, ``defaults``, ``conditions``,
    ``label_names`` and implement :meth:`make_trial` and :meth:`score`) and
    pass an instance to :func:`register_task` to search models on your own task.
    """

    name: str = ""
    n_inputs: int = 1
    defaults: ClassVar[Mapping[str, float]] = {}
    conditions: tuple[str, ...] = ()
    label_names: ClassVar[Mapping[int, str]] = {}

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
            if key not in self.defaults:
                raise TaskSettingsError(
                    f"task_settings has unknown key {key!r} for task {self.name!r}; "
                    f"expected some of {', '.join(self.defaults)}"
                )
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise TaskSettingsError(
                    f"task_settings[{key!r}] is {value!r}, expected a number"
                )
            if key != "eval_amp_thresh" and float(value) != int(value):
                raise TaskSettingsError(
                    f"task_settings[{key!r}] is {value!r}, expected a whole number of rate steps"
                )
            merged[key] = float(value) if key == "eval_amp_thresh" else int(value)
        for key, value in merged.items():
            if value <= 0 and not (key == "delay" and value == 0):
                raise TaskSettingsError(
                    f"task_settings[{key!r}] is {value!r}, expected a positive value"
                )
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
        return merged

    def stimulus_end(self, settings: Mapping[str, float]) -> int:
        """Column after the last stimulus column."""
        return int(settings["stim_on"] + settings["stim_dur"])

    def window_start(self, settings: Mapping[str, float], downsample: int = 1) -> int:
        """First 1-based LIF step of the response window."""
        return int(settings["resp_start"]) * STEPS_PER_COLUMN // int(downsample)

    def settings_json(self, settings: Mapping[str, float]) -> str:
        """Settings as a JSON string (for Dataset attrs)."""
        return json.dumps(dict(settings), sort_keys=True)

    @abstractmethod
    def make_trial(self, rng: np.random.Generator, settings: Mapping[str, float]) -> Trial:
        """Draw one trial's input, label and condition from ``rng``."""

    @abstractmethod
    def score(
        self, window: np.ndarray, label: int, settings: Mapping[str, float]
    ) -> Score:
        """Score readouts ``window`` (K, n_samples) of the response window."""

    def check_model_inputs(self, n_inputs: int, where: str = "the model") -> None:
        """Raise if a model with ``n_inputs`` inputs cannot run this task."""
        if n_inputs != self.n_inputs:
            raise TaskSettingsError(
                f"task {self.name!r} has {self.n_inputs} input(s) but {where} has "
                f"{n_inputs} (columns of w_in); pick the task the model was trained on"
            )

    def __repr__(self) -> str:
        return f"<Task {self.name!r}: {self.n_inputs} input(s)>"


def _score_signed(window: np.ndarray, label: int, threshold: float) -> Score:
    """Positive label: max > threshold; negative label: min < -threshold."""
    if label > 0:
        response = window.max(axis=-1)
        correct = response > threshold
    else:
        response = window.min(axis=-1)
        correct = response < -threshold
    crossed = (window > threshold) | (window < -threshold)
    return Score(correct, response, _first_crossing(crossed))


class GoNoGo(Task):
    """Go-NoGo: respond (> 0.7) after a brief pulse, stay quiet (< 0.3) without it."""

    name = "go_nogo"
    n_inputs = 1
    defaults: ClassVar[Mapping[str, float]] = {
        "T": 201, "stim_on": 50, "stim_dur": 25, "resp_start": 100, "eval_amp_thresh": 0.7,
    }
    conditions = ("go", "nogo")
    label_names: ClassVar[Mapping[int, str]] = {1: "go", 0: "nogo"}

    def make_trial(self, rng: np.random.Generator, settings: Mapping[str, float]) -> Trial:
        u = np.zeros((1, int(settings["T"])))
        go = bool(rng.random() < 0.5)
        if go:
            start = int(settings["stim_on"])
            u[0, start : start + int(settings["stim_dur"])] = 1.0
        return Trial(u, 1 if go else 0, "go" if go else "nogo")

    def score(self, window: np.ndarray, label: int, settings: Mapping[str, float]) -> Score:
        threshold = settings["eval_amp_thresh"]
        response = window.max(axis=-1)
        correct = response > threshold if label == 1 else response < NOGO_CEILING
        return Score(correct, response, _first_crossing(window > threshold))


class Xor(Task):
    """XOR: two signed pulses; answer +1 if their signs agree, -1 if not."""

    name = "xor"
    n_inputs = 2
    defaults: ClassVar[Mapping[str, float]] = {
        "T": 301, "stim_on": 50, "stim_dur": 50, "delay": 10, "resp_start": 200,
        "eval_amp_thresh": 0.7,
    }
    conditions = ("++", "+-", "-+", "--")
    label_names: ClassVar[Mapping[int, str]] = {1: "same", -1: "diff"}

    def stimulus_end(self, settings: Mapping[str, float]) -> int:
        return int(settings["stim_on"] + 2 * settings["stim_dur"] + settings["delay"])

    def make_trial(self, rng: np.random.Generator, settings: Mapping[str, float]) -> Trial:
        u = np.zeros((2, int(settings["T"])))
        first, second = (1 if rng.random() < 0.5 else -1 for _ in range(2))
        on, dur = int(settings["stim_on"]), int(settings["stim_dur"])
        u[0, on : on + dur] = first
        later = on + dur + int(settings["delay"])
        u[1, later : later + dur] = second
        sign = {1: "+", -1: "-"}
        return Trial(u, 1 if first == second else -1, sign[first] + sign[second])

    def score(self, window: np.ndarray, label: int, settings: Mapping[str, float]) -> Score:
        return _score_signed(window, label, settings["eval_amp_thresh"])


class Mante(Task):
    """Context-dependent integration (Mante et al. 2013): report the sign of the attended input."""

    name = "mante"
    n_inputs = 4
    defaults: ClassVar[Mapping[str, float]] = {
        "T": 501, "stim_on": 50, "stim_dur": 200, "resp_start": 260, "eval_amp_thresh": 0.7,
    }
    conditions = ("ctx1+", "ctx1-", "ctx2+", "ctx2-")
    label_names: ClassVar[Mapping[int, str]] = {1: "+1", -1: "-1"}

    def make_trial(self, rng: np.random.Generator, settings: Mapping[str, float]) -> Trial:
        u = np.zeros((4, int(settings["T"])))
        on, dur = int(settings["stim_on"]), int(settings["stim_dur"])
        signs = []
        for channel in (0, 1):
            sign = 1 if rng.random() < 0.5 else -1
            u[channel, on : on + dur] = rng.standard_normal(dur) + 0.5 * sign
            signs.append(sign)
        context = 0 if rng.random() < 0.5 else 1
        u[2 + context, :] = 1.0
        label = signs[context]
        return Trial(u, label, f"ctx{context + 1}{'+' if label > 0 else '-'}")

    def score(self, window: np.ndarray, label: int, settings: Mapping[str, float]) -> Score:
        return _score_signed(window, label, settings["eval_amp_thresh"])


_REGISTRY: dict[str, Task] = {}


def normalize_task_name(name: str) -> str:
    """Lower-case a task name and turn hyphens and spaces into underscores."""
    if not isinstance(name, str):
        raise TypeError(f"task_name is {name!r}, expected a string such as 'go_nogo'")
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def register_task(task: Task, *, replace: bool = False) -> Task:
    """Make ``task`` available by name to the search, the panel and the CLI.

    Raises
    ------
    ValueError
        If a task of the same name exists and ``replace`` is False.
    """
    if not isinstance(task, Task):
        raise TypeError(f"task is {task!r}, expected an instance of spikewidgets.Task")
    key = normalize_task_name(task.name)
    if not key:
        raise ValueError("task.name is empty, expected a name such as 'my_task'")
    if key in _REGISTRY and not replace:
        raise ValueError(f"a task named {key!r} is already registered; pass replace=True")
    _REGISTRY[key] = task
    return task


def get_task(name: str | Task) -> Task:
    """Look a task up by name (``go_nogo``, ``go-nogo``, ``xor``, ``mante``, ...)."""
    if isinstance(name, Task):
        return name
    key = normalize_task_name(name)
    if key not in _REGISTRY:
        raise TaskSettingsError(
            f"task_name is {name!r}, expected one of {', '.join(sorted(_REGISTRY))}"
        )
    return _REGISTRY[key]


def infer_task_name(n_inputs: int, file_name: str = "") -> str:
    """Guess a model's task from its file name, else from its input count.

    A registered task name inside the file name wins (``Task_xor_N_200...``);
    otherwise 1, 2 and 4 inputs mean ``go_nogo``, ``xor`` and ``mante``.

    Raises
    ------
    TaskSettingsError
        If neither the name nor the input count identifies a task.
    """
    stem = normalize_task_name(str(file_name))
    for name in sorted(_REGISTRY, key=len, reverse=True):
        if name in stem and _REGISTRY[name].n_inputs == n_inputs:
            return name
    by_inputs = [name for name, task in _REGISTRY.items() if task.n_inputs == n_inputs]
    for name in ("go_nogo", "xor", "mante"):
        if name in by_inputs:
            return name
    if len(by_inputs) == 1:
        return by_inputs[0]
    raise TaskSettingsError(
        f"cannot tell the task of a model with {n_inputs} input(s) from its file name "
        f"{file_name!r}; pass the task explicitly (one of {', '.join(sorted(_REGISTRY))})"
    )


def task_names() -> list[str]:
    """Names of the registered tasks."""
    return sorted(_REGISTRY)


for _task in (GoNoGo(), Xor(), Mante()):
    register_task(_task)
