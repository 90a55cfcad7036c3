"""Every parameter of a training run, checked once: :class:`TrainingConfig`."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spikewidgets.io._validation import positive_int, positive_number, probability
from spikewidgets.sim._rate import ACTIVATIONS
from spikewidgets.tasks import Task, TaskSettingsError, get_task, task_names
from spikewidgets.train._curriculum import CurriculumStage, ResolvedStage, check_curriculum

__all__ = [
    "DEFAULT_STOP_ACCURACY",
    "DEFAULT_STOP_LOSS",
    "EVAL_EVERY",
    "EVAL_TRIALS",
    "LEARNING_RATE",
    "TrainingConfig",
    "resolve_stages",
]

#: Adam's learning rate (published: 0.01).
LEARNING_RATE = 0.01
#: Trials between two evaluations of the stopping rule.
EVAL_EVERY = 100
#: Fresh trials scored at each evaluation.
EVAL_TRIALS = 100
#: Published stopping rule: evaluation accuracy above this ...
DEFAULT_STOP_ACCURACY = 0.95
#: ... and mean evaluation loss below this.
DEFAULT_STOP_LOSS = 7.0


def _integer(name: str, value: object, low: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < low:
        raise ValueError(f"{name} is {value!r}, expected an integer >= {low}")
    return int(value)


def _taus(value: object) -> tuple[float, ...]:
    expected = ("expected (taus_min, taus_max) with 1 <= taus_min <= taus_max, or one value "
                ">= 1, in rate steps of 5 ms")
    try:
        taus = tuple(float(t) for t in np.ravel(np.asarray(value, dtype=float)))
    except (TypeError, ValueError):
        raise ValueError(f"taus is {value!r}, {expected}") from None
    if len(taus) not in (1, 2) or not all(math.isfinite(t) for t in taus) \
            or min(taus) < 1 or taus[0] > taus[-1]:
        raise ValueError(f"taus is {taus}, {expected}")
    return taus


def _task(value: object) -> str | Task:
    if isinstance(value, Task):
        return value
    if not isinstance(value, str):
        raise TypeError(f"task is {value!r}, expected a task name or a spikewidgets.Task")
    try:
        return get_task(value).name
    except TaskSettingsError:
        raise TaskSettingsError(
            f"task is {value!r}, expected a registered task ({', '.join(task_names())}) "
            "or a spikewidgets.Task"
        ) from None


def _initial_model(value: object) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"initial_model is {value!r}, expected the path of a trained model file")
    path = Path(value)
    if not path.is_file():
        raise FileNotFoundError(
            f"initial_model is {str(path)!r}, which is not a file; expected a trained model "
            "file (.mat) to start training from"
        )
    return path


def _stop_loss(value: object) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) \
            or math.isnan(float(value)) or float(value) < 0:
        raise ValueError(f"stop_loss is {value!r}, expected a number >= 0")
    return float(value)


@dataclass(frozen=True)
class TrainingConfig:
    """Every parameter of a training run (published values by default).

    The arguments are checked and normalized when the config is made: a wrong
    one raises an error that names it, its value and what was expected.

    Parameters
    ----------
    task : str or Task
        A registered task (``"go_nogo"``, ``"go-nogo"``, ``"xor"``,
        ``"mante"``, or one of your own) or a :class:`~spikewidgets.Task`.
        A name is stored as the registered task's name.
    n_units : int
        Number of units N (at least 2).
    taus : sequence of float
        ``(taus_min, taus_max)`` of the trained decay constants in rate steps
        of 5 ms, or one value for a fixed, untrained decay.
    activation : str
        ``"sigmoid"``, ``"softplus"`` or ``"clipped_relu"``.
    seed : int
        Seed of every random draw (initial network, trials, noise), >= 0.
    p_inh : float
        Probability that a unit is inhibitory (published ``P_inh``).
    p_rec : float
        Probability of a recurrent connection (published ``P_rec``), > 0.
    n_som : int
        Number of SOM units (published ``som_N``): the first ``n_som``
        inhibitory units get no inhibitory input.
    gain : float
        Gain of the initial recurrent weights.
    max_trials : int, optional
        Trial budget; None means the task's ``max_training_trials`` (10000
        for go_nogo, 40000 for xor and mante).
    stop_accuracy : float
        Stopping rule: evaluation accuracy above this (published 0.95) ...
    stop_loss : float
        ... and mean evaluation loss below this (published 7). Stricter
        values train longer for more robust networks.
    curriculum : sequence of CurriculumStage
        Stages of task settings trained one after the other (e.g. a short,
        then the long delay), each with its stopping rule and budget (see
        :class:`~spikewidgets.train.CurriculumStage`); empty (the default): one stage,
        the task's training settings with ``stop_accuracy``, ``stop_loss`` and
        ``max_trials``. With a curriculum, ``max_trials`` (if given) caps the
        trials of all stages together.
    initial_model : path-like, optional
        Start from the weights, readout and decay parameters of this trained
        model file instead of a new network (to resume training or go on to
        a harder stage). Its unit count, ``taus``, activation and input count
        must match the config and the task; its sign and SOM masks and input
        weights are kept; ``p_inh``, ``p_rec``, ``n_som`` and ``gain`` are
        not used. The Adam state starts afresh.

    Raises
    ------
    ValueError
        For an argument out of range (:class:`~spikewidgets.TaskSettingsError`,
        a ValueError, for an unknown task name).
    TypeError
        For a task that is neither a name nor a Task, or a curriculum that is
        not a sequence of stages.
    FileNotFoundError
        For an ``initial_model`` that is not a file.

    Examples
    --------
    A name is stored as the registered task's name; the trial budget comes
    from the task:

    >>> from spikewidgets.train import TrainingConfig
    >>> config = TrainingConfig(task="go-nogo", n_units=100, seed=3)
    >>> config.task, config.taus, config.trainable_taus, config.trial_budget
    ('go_nogo', (4.0, 20.0), True, 10000)

    One value of ``taus`` fixes the decay constants; a wrong argument is
    refused when the config is made:

    >>> TrainingConfig(task="xor", taus=5).trainable_taus
    False
    >>> TrainingConfig(p_inh=1.5)
    Traceback (most recent call last):
    ...
    ValueError: p_inh is 1.5, expected a probability in [0, 1]
    """

    task: str | Task = "go_nogo"
    n_units: int = 200
    taus: tuple[float, ...] = (4.0, 20.0)
    activation: str = "sigmoid"
    seed: int = 0
    p_inh: float = 0.2
    p_rec: float = 0.2
    n_som: int = 0
    gain: float = 1.5
    max_trials: int | None = None
    stop_accuracy: float = DEFAULT_STOP_ACCURACY
    stop_loss: float = DEFAULT_STOP_LOSS
    curriculum: tuple[CurriculumStage, ...] = ()
    initial_model: str | os.PathLike | None = None

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation is {self.activation!r}, expected one of {', '.join(ACTIVATIONS)}"
            )
        checked = {
            "task": _task(self.task),
            "n_units": _integer("n_units", self.n_units, 2),
            "taus": _taus(self.taus),
            "seed": _integer("seed", self.seed, 0),
            "p_inh": probability("p_inh", self.p_inh),
            "p_rec": probability("p_rec", self.p_rec, open_low=True),
            "n_som": _integer("n_som", self.n_som, 0),
            "gain": positive_number("gain", self.gain),
            "max_trials": None if self.max_trials is None
            else positive_int("max_trials", self.max_trials),
            "stop_accuracy": probability("stop_accuracy", self.stop_accuracy),
            "stop_loss": _stop_loss(self.stop_loss),
            "initial_model": _initial_model(self.initial_model),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "curriculum", check_curriculum(self.curriculum,
                                                                self.task_object))

    @property
    def task_object(self) -> Task:
        """The :class:`~spikewidgets.Task` trained on."""
        return get_task(self.task)

    @property
    def trial_budget(self) -> int:
        """``max_trials``, or the default budget when it is None.

        The default is the task's ``max_training_trials``, or with a
        curriculum the sum of its stages' budgets.
        """
        if self.max_trials is not None:
            return self.max_trials
        if self.curriculum:
            default = int(self.task_object.max_training_trials)
            return sum(default if stage.max_trials is None else stage.max_trials
                       for stage in self.curriculum)
        return int(self.task_object.max_training_trials)

    @property
    def trainable_taus(self) -> bool:
        """Whether the decay constants are trained (two values in ``taus``)."""
        return len(self.taus) == 2


def resolve_stages(config: TrainingConfig) -> tuple[ResolvedStage, ...]:
    """The stages a config trains through; one stage (the task's settings) without a curriculum.

    The single stage of a config without curriculum has the config's stopping
    rule and its ``trial_budget``, so that training is the
    same as before curricula existed.

    Examples
    --------
    >>> from spikewidgets.train import TrainingConfig
    >>> from spikewidgets.train._config import resolve_stages
    >>> (stage,) = resolve_stages(TrainingConfig(task="go_nogo", stop_accuracy=0.98))
    >>> stage.settings["T"], stage.stop_accuracy, stage.stop_loss, stage.max_trials
    (200, 0.98, 7.0, 10000)
    """
    task = config.task_object
    if not config.curriculum:
        return (ResolvedStage(task.training_settings(), config.stop_accuracy, config.stop_loss,
                              config.trial_budget),)
    return tuple(
        ResolvedStage(
            task.training_settings(stage.settings),
            config.stop_accuracy if stage.stop_accuracy is None else stage.stop_accuracy,
            config.stop_loss if stage.stop_loss is None else stage.stop_loss,
            int(task.max_training_trials) if stage.max_trials is None else stage.max_trials,
            stage.advance_on_budget,
        )
        for stage in config.curriculum
    )
