"""Curriculum training: stages of task settings, each with the rule that moves training on.

A curriculum is a sequence of ``CurriculumStage``: the task settings a
stage trains on (``{"delay": 10}``, then ``{"delay": 150}``) and its stopping
rule. Training moves to the next stage when the rule is met; a stage whose
trial budget runs out first ends training (later stages are not reached),
unless it says ``advance_on_budget=True`` (a stage of fixed length). The
model file records every stage (``stage_keys``): the JSON string
``curriculum_stages`` and the arrays ``stage_trials``, ``stage_perfs`` and
``stage_losses``, as the study's files record ``stable_perfs``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from spikewidgets.io._validation import positive_int, probability
from spikewidgets.tasks import Task, TaskSettingsError

__all__ = [
    "CurriculumStage",
    "ResolvedStage",
    "StageRecord",
    "check_curriculum",
    "read_stages",
    "stage_keys",
]


def _optional_loss(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) \
            or math.isnan(float(value)) or float(value) < 0:
        raise ValueError(f"CurriculumStage stop_loss is {value!r}, expected a number >= 0")
    return float(value)


def _flag(value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"CurriculumStage advance_on_budget is {value!r}, expected True or False")
    return bool(value)


def _settings(value: object) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise TypeError(
            f"CurriculumStage settings is {value!r}, expected a mapping of task settings "
            "such as {'delay': 10}"
        )
    return {str(key): item for key, item in value.items()}


@dataclass(frozen=True)
class CurriculumStage:
    """One stage of a curriculum: task settings and the rule that ends the stage.

    Parameters
    ----------
    settings : mapping
        Task settings of the stage, over the task's training settings (see
        :meth:`~spikewidgets.Task.training_settings`), e.g. ``{"delay": 10}``.
    stop_accuracy : float, optional
        The stage is passed when the accuracy of an evaluation exceeds this
        ... (None: the config's ``stop_accuracy``).
    stop_loss : float, optional
        ... and its mean loss is below this (None: the config's ``stop_loss``).
    max_trials : int, optional
        Trial budget of the stage (None: the task's ``max_training_trials``).
        Training ends, with a RuntimeWarning, if it runs out before the stage
        is passed ...
    advance_on_budget : bool
        ... unless this is True: then the next stage starts anyway (a stage
        of fixed length, e.g. ``max_trials=2000`` of warm-up).

    Raises
    ------
    ValueError, TypeError
        For a value out of range or of the wrong type (the settings are checked
        against the task by :class:`~spikewidgets.train.TrainingConfig`).

    Examples
    --------
    A short delay first, then the long one; what a stage leaves out comes
    from the config:

    >>> from spikewidgets.train import CurriculumStage, TrainingConfig
    >>> stages = (CurriculumStage({"delay": 10}, stop_accuracy=0.95, max_trials=30_000),
    ...           CurriculumStage({"delay": 150}, stop_accuracy=0.99, stop_loss=3))
    >>> config = TrainingConfig(task="dms", taus=(4, 25), curriculum=stages)
    >>> config.curriculum[0].stop_loss is None, config.stop_loss
    (True, 7.0)
    >>> CurriculumStage(max_trials=0)
    Traceback (most recent call last):
    ...
    ValueError: CurriculumStage max_trials is 0, expected a positive integer
    """

    settings: Mapping[str, float] = field(default_factory=dict)
    stop_accuracy: float | None = None
    stop_loss: float | None = None
    max_trials: int | None = None
    advance_on_budget: bool = False

    def __post_init__(self) -> None:
        checked = {
            "settings": _settings(self.settings),
            "stop_accuracy": None if self.stop_accuracy is None
            else probability("CurriculumStage stop_accuracy", self.stop_accuracy),
            "stop_loss": _optional_loss(self.stop_loss),
            "max_trials": None if self.max_trials is None
            else positive_int("CurriculumStage max_trials", self.max_trials),
            "advance_on_budget": _flag(self.advance_on_budget),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.settings.items())), self.stop_accuracy, self.stop_loss,
                     self.max_trials, self.advance_on_budget))


@dataclass(frozen=True)
class ResolvedStage:
    """A stage with everything filled in: complete training settings, rule and budget.

    Examples
    --------
    >>> from spikewidgets.train import CurriculumStage, TrainingConfig
    >>> from spikewidgets.train._config import resolve_stages
    >>> config = TrainingConfig(task="dms", curriculum=(CurriculumStage({"delay": 10}),))
    >>> stage = resolve_stages(config)[0]
    >>> stage.settings["delay"], stage.settings["T"], stage.stop_accuracy, stage.max_trials
    (10, 270, 0.95, 100000)
    """

    settings: Mapping[str, float]
    stop_accuracy: float
    stop_loss: float
    max_trials: int
    advance_on_budget: bool = False


@dataclass(frozen=True)
class StageRecord:
    """What happened in one stage of a training run.

    Attributes
    ----------
    stage : int
        Index of the stage (0 for the first).
    settings : mapping
        The complete training settings of the stage.
    passed : bool
        Whether its stopping rule was met.
    trials : int
        Trials trained by the end of the stage, counted from the start of
        the run (-1 for a stage never reached).
    stage_trials : int
        Trials trained in this stage.
    accuracy, loss : float
        Accuracy and mean loss of the stage's last evaluation (NaN if never reached).

    Examples
    --------
    :func:`~spikewidgets.train.train` returns one per stage reached, in
    ``TrainingResult.stages``:

    >>> from spikewidgets.train._curriculum import StageRecord
    >>> record = StageRecord(0, {"delay": 10}, True, 8200, 8200, 0.97, 4.54)
    >>> record.passed, record.trials
    (True, 8200)
    """

    stage: int
    settings: Mapping[str, float]
    passed: bool
    trials: int
    stage_trials: int
    accuracy: float
    loss: float


def check_curriculum(value: object, task: Task) -> tuple[CurriculumStage, ...]:
    """``value`` as a tuple of stages whose settings ``task`` accepts.

    Mappings are turned into ``CurriculumStage`` (``{"settings": {...},
    "max_trials": 2000}``).

    Raises
    ------
    TypeError
        For something that is not a sequence of stages.
    TaskSettingsError
        For settings the task refuses (naming the stage).

    Examples
    --------
    >>> from spikewidgets.tasks import get_task
    >>> from spikewidgets.train._curriculum import check_curriculum
    >>> (stage,) = check_curriculum([{"settings": {"delay": 10}, "max_trials": 2000}],
    ...                             get_task("dms"))
    >>> stage.settings, stage.max_trials, stage.stop_accuracy
    ({'delay': 10}, 2000, None)
    >>> check_curriculum([{"settings": {"delay": -1}}], get_task("dms"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spikewidgets.errors.TaskSettingsError: curriculum[0]: task_settings['delay'] is -1, ...
    """
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise TypeError(
            f"curriculum is {value!r}, expected a sequence of CurriculumStage, e.g. "
            "(CurriculumStage({'delay': 10}), CurriculumStage({'delay': 150}))"
        )
    stages = []
    for index, stage in enumerate(value):
        if isinstance(stage, Mapping):
            stage = CurriculumStage(**stage)
        if not isinstance(stage, CurriculumStage):
            raise TypeError(f"curriculum[{index}] is {stage!r}, expected a CurriculumStage")
        try:
            task.training_settings(stage.settings)
        except TaskSettingsError as error:
            raise TaskSettingsError(f"curriculum[{index}]: {error}") from None
        stages.append(stage)
    return tuple(stages)


def _json_number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def stage_keys(stages: Sequence[ResolvedStage], records: Sequence[StageRecord]
               ) -> dict[str, object]:
    """The model file's record of a curriculum.

    ``curriculum_stages``: a JSON list with, per stage, its settings, rule,
    budget and outcome (``passed``, ``trials`` by its end, ``stage_trials``,
    ``accuracy``, ``loss``; null for a stage never reached).
    ``stage_trials`` (int64, 1 x n_stages): trials by the end of each stage
    (-1: not reached); ``stage_perfs`` and ``stage_losses`` (1 x n_stages):
    accuracy and mean loss of each stage's last evaluation (NaN: not reached).

    Examples
    --------
    Two stages, of which the first was passed after 1200 trials and the
    second never reached:

    >>> from spikewidgets.train import CurriculumStage, TrainingConfig
    >>> from spikewidgets.train._curriculum import StageRecord
    >>> from spikewidgets.train._config import resolve_stages
    >>> from spikewidgets.train._curriculum import stage_keys
    >>> config = TrainingConfig(task="dms", curriculum=(CurriculumStage({"delay": 10}),
    ...                                                 CurriculumStage({"delay": 150})))
    >>> stages = resolve_stages(config)
    >>> keys = stage_keys(stages, [StageRecord(0, stages[0].settings, True, 1200, 1200, 0.97, 4.5)])
    >>> keys["stage_trials"], keys["stage_perfs"]
    (array([[1200,   -1]]), array([[0.97,  nan]]))
    """
    reached = {record.stage: record for record in records}
    entries, trials, perfs, losses = [], [], [], []
    for index, stage in enumerate(stages):
        record = reached.get(index)
        entry = {"stage": index, "settings": dict(stage.settings),
                 "stop_accuracy": stage.stop_accuracy, "stop_loss": stage.stop_loss,
                 "max_trials": stage.max_trials, "advance_on_budget": stage.advance_on_budget,
                 "passed": bool(record and record.passed),
                 "trials": None, "stage_trials": None, "accuracy": None, "loss": None}
        if record is not None:
            entry.update(trials=record.trials, stage_trials=record.stage_trials,
                         accuracy=_json_number(record.accuracy),
                         loss=_json_number(record.loss))
        entries.append(entry)
        trials.append(-1 if record is None else record.trials)
        perfs.append(math.nan if record is None else record.accuracy)
        losses.append(math.nan if record is None else record.loss)
    return {
        "curriculum_stages": json.dumps(entries, sort_keys=True),
        "stage_trials": np.array([trials], dtype=np.int64),
        "stage_perfs": np.array([perfs], dtype=np.float64),
        "stage_losses": np.array([losses], dtype=np.float64),
    }


def read_stages(raw: Mapping[str, object]) -> list[dict]:
    """The ``curriculum_stages`` record of a loaded model file ([] if it has none).

    Examples
    --------
    The bundled DMS example was trained by a curriculum of two stages:

    >>> from spikewidgets.io._examples import example_model
    >>> from spikewidgets.io._modelfile import read_raw
    >>> from spikewidgets.train import read_stages
    >>> stages = read_stages(read_raw(example_model("dms", ".")))
    >>> [(stage["settings"]["delay"], stage["passed"]) for stage in stages]
    [(10, True), (150, True)]
    >>> read_stages(read_raw(example_model("go_nogo", ".")))
    []
    """
    if "curriculum_stages" not in raw:
        return []
    value = np.asarray(raw["curriculum_stages"]).ravel()
    return json.loads("".join(str(part) for part in value))
