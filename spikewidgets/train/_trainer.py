"""The training loop: :func:`train` a rate network on a task and save it.

One trial per Adam step; every ``EVAL_EVERY`` trials, ``EVAL_TRIALS`` fresh
trials are scored with the task's :meth:`~spikewidgets.Task.training_correct`
rule. Training stops when their accuracy exceeds ``stop_accuracy``, their mean
loss is under ``stop_loss`` and at least the task's ``min_training_trials``
trials were trained, or when the trial budget is spent. Targets come from
:meth:`~spikewidgets.Task.target`, trial lengths from
:meth:`~spikewidgets.Task.training_settings`.

With a curriculum (:class:`~spikewidgets.train.CurriculumStage`), the stages
are trained in order, each on its own task settings until its own stopping
rule is met (then the next stage starts, with the same Adam state) or its
budget is spent (then training ends). Training can start from a saved model
(``TrainingConfig(initial_model=...)``).

Every random draw derives from the config's seed: ``SeedSequence(seed)``
spawns the initial network's, the trials' and the JAX noise keys' streams.
The trials of all stages come one after the other from the trials' stream.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from spikewidgets.io._initial_network import InitialNetwork
from spikewidgets.tasks import Task
from spikewidgets.train._config import EVAL_EVERY, EVAL_TRIALS, TrainingConfig, resolve_stages
from spikewidgets.train._curriculum import ResolvedStage, StageRecord, stage_keys
from spikewidgets.train._files import file_name, output_folder, write_model_file
from spikewidgets.train._model import CompiledModel, compile_model, require_jax
from spikewidgets.train._resume import starting_point

__all__ = ["TrainingResult", "train"]


@dataclass(frozen=True)
class TrainingResult:
    """Outcome of :func:`train`.

    Attributes
    ----------
    path : Path
        The model file written.
    converged : bool
        Whether the stopping rule was met before the trial budget ran out.
    trials : int
        Trials trained.
    accuracy, loss : float
        Accuracy and mean loss of the last evaluation.
    seconds : float
        Wall time, compilation included.
    history : tuple of (int, float, float)
        ``(trials, accuracy, loss)`` of every evaluation.
    stages : tuple of StageRecord
        What happened in each stage of a curriculum (one record per stage
        reached; one record for training without curriculum).

    Examples
    --------
    :func:`train` returns one; its fields, for a run that met the stopping
    rule after 1600 trials:

    >>> from pathlib import Path
    >>> from spikewidgets.train._trainer import TrainingResult
    >>> result = TrainingResult(Path("models/model.mat"), converged=True, trials=1600,
    ...                         accuracy=1.0, loss=1.6, seconds=14.0)
    >>> result.converged, result.trials, result.path.name
    (True, 1600, 'model.mat')
    """

    path: Path
    converged: bool
    trials: int
    accuracy: float
    loss: float
    seconds: float
    history: tuple[tuple[int, float, float], ...] = ()
    stages: tuple[StageRecord, ...] = ()


@dataclass
class _Trials:
    """Trials of one task, drawn in order from one generator."""

    task: Task
    settings: Mapping[str, float]
    rng: np.random.Generator

    def draw(self, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Inputs (count, n_inputs, T), targets (count, T) and labels (count,)."""
        made = [self.task.make_trial(self.rng, self.settings) for _ in range(count)]
        us = np.stack([trial.u for trial in made])
        zs = np.stack([self.task.target(self.settings, trial.label) for trial in made])
        return us, zs, np.array([trial.label for trial in made])


@dataclass
class _Fit:
    """State of the training loop, and what the model file records of it."""

    params: dict
    opt_state: Any
    losses: list = field(default_factory=list)  # one array per chunk of trials
    done: int = 0
    chunk: int = 0
    converged: bool = False
    history: list = field(default_factory=list)
    stages: list = field(default_factory=list)  # StageRecord of every stage reached
    last_trial: tuple = ()  # (u, target, (x, r, o)) of the last trained trial
    evaluation: tuple = ()  # (accuracy, loss, outputs, labels) of the last evaluation

    @property
    def all_losses(self) -> np.ndarray:
        """Loss of every trained trial, in order."""
        return np.concatenate(self.losses) if self.losses else np.zeros(0)


@dataclass(frozen=True)
class _Loop:
    """What every chunk of the training loop uses unchanged."""

    compiled: CompiledModel
    consts: dict  # the fixed (not trained) arrays
    keys: tuple  # JAX keys of the trained and of the evaluation trials' noise


def _train_and_evaluate(loop: _Loop, trials: _Trials, fit: _Fit, count: int
                        ) -> tuple[float, float]:
    """Train ``count`` trials, then score ``EVAL_TRIALS`` fresh ones; return accuracy and loss."""
    jax, jnp, _ = require_jax()
    compiled, consts = loop.compiled, loop.consts
    key_train, key_eval = loop.keys
    us, zs, _ = trials.draw(count)
    chunk_keys = jax.random.split(jax.random.fold_in(key_train, fit.chunk), count)
    fit.params, fit.opt_state, losses, last = compiled.train_chunk(
        fit.params, fit.opt_state, consts, jnp.asarray(us, jnp.float32),
        jnp.asarray(zs, jnp.float32), chunk_keys,
    )
    fit.losses.append(np.asarray(losses, dtype=np.float64))
    fit.done += count
    fit.last_trial = (us[-1], zs[-1], last)

    eval_us, eval_zs, labels = trials.draw(EVAL_TRIALS)
    eval_keys = jax.random.split(jax.random.fold_in(key_eval, fit.chunk), EVAL_TRIALS)
    eval_losses, outputs = compiled.evaluate(
        fit.params, consts, jnp.asarray(eval_us, jnp.float32),
        jnp.asarray(eval_zs, jnp.float32), eval_keys,
    )
    outputs = np.asarray(outputs, dtype=np.float64)
    correct = trials.task.training_correct(trials.settings, outputs, labels)
    accuracy = float(np.mean(correct))
    loss = float(np.mean(np.asarray(eval_losses, dtype=np.float64)))
    fit.evaluation = (accuracy, loss, outputs, labels)
    fit.history.append((fit.done, accuracy, loss))
    fit.chunk += 1
    return accuracy, loss


def _fit_stage(index: int, stage: ResolvedStage, budget: int, loop: _Loop, trials: _Trials,
               fit: _Fit, bar: Any) -> bool:
    """Train one stage until its stopping rule is met or ``budget`` trials are spent."""
    first, passed = fit.done, False
    accuracy = loss = float("nan")
    while fit.done - first < budget and not passed:
        count = min(EVAL_EVERY, budget - (fit.done - first))
        accuracy, loss = _train_and_evaluate(loop, trials, fit, count)
        passed = (accuracy > stage.stop_accuracy and loss < stage.stop_loss
                  and fit.done >= trials.task.min_training_trials)
        bar.update(count)
        bar.set_postfix(loss=f"{loss:.2f}", acc=f"{accuracy:.2f}", refresh=False)
    fit.stages.append(StageRecord(index, dict(stage.settings), passed, fit.done,
                                  fit.done - first, accuracy, loss))
    return passed


def _fit(config: TrainingConfig, loop: _Loop, params: dict, trials: _Trials,
         progress: bool) -> _Fit:
    """Train every stage in turn until one is not passed or the trial budget is spent."""
    from tqdm.auto import tqdm

    stages = resolve_stages(config)
    total = config.trial_budget
    fit = _Fit(params, loop.compiled.optimizer.init(params))
    label = f"train {trials.task.name}"
    bar = tqdm(total=min(total, sum(stage.max_trials for stage in stages)), unit="trial",
               disable=not progress, desc=label)
    try:
        for index, stage in enumerate(stages):
            budget = min(stage.max_trials, total - fit.done)
            if budget <= 0:
                break
            if len(stages) > 1:
                bar.set_description(f"{label} stage {index + 1}/{len(stages)}")
            stage_trials = _Trials(trials.task, stage.settings, trials.rng)
            passed = _fit_stage(index, stage, budget, loop, stage_trials, fit, bar)
            if not passed and not (stage.advance_on_budget and index + 1 < len(stages)):
                break
        # Earlier stages were passed, or ran out with advance_on_budget.
        fit.converged = len(fit.stages) == len(stages) and fit.stages[-1].passed
    finally:
        bar.close()
    return fit


def _states(array) -> np.ndarray:
    """(T, N) -> float32 (T, N, 1), the trainer's layout of state traces."""
    return np.asarray(array, dtype=np.float32)[:, :, None]


def _contents(config: TrainingConfig, task: Task, net: InitialNetwork, first, fit: _Fit) -> dict:
    """The model file: the keys, order, shapes and dtypes of the TensorFlow trainer."""
    x0, r0 = first
    last_u, last_z, (x_last, r_last, o_last) = fit.last_trial
    accuracy, loss, outputs, labels = fit.evaluation
    params = fit.params
    taus_gaus = (
        np.asarray(params["taus_gaus"])[:, None] if config.trainable_taus else net.taus_gaus
    ).astype(np.float32)
    return {
        "x0": _states(x0),
        "r0": _states(r0),
        "w0": net.w,
        "taus_gaus0": net.taus_gaus,
        "w_in0": net.w_in,
        "u": np.asarray(last_u, dtype=np.float64),
        "o": np.asarray(o_last, dtype=np.float32)[:, None, None],
        "w": np.maximum(np.asarray(params["w"]), 0).astype(np.float32),
        "x": _states(x_last),
        "target": np.asarray(last_z, dtype=np.float64),
        "w_out": np.asarray(params["w_out"], dtype=np.float32)[None, :],
        "r": _states(r_last),
        "m": net.m,
        "som_m": net.som_m,
        "N": np.int64(config.n_units),
        "exc": ~net.inh[:, None],
        "inh": net.inh[:, None].copy(),
        "w_in": net.w_in,
        "b_out": np.float32(params["b_out"]),
        "som_N": np.int64(config.n_som),
        "losses": fit.all_losses,
        "taus": np.array(config.taus, dtype=np.float64),
        "eval_perf_mean": np.array([accuracy]),
        "eval_loss_mean": np.array([loss]),
        "eval_os": outputs,
        "eval_labels": task.saved_labels(labels),
        "taus_gaus": taus_gaus,
        "tr": np.int64(fit.done - 1),
        "activation": config.activation,
    }


def train(
    config: TrainingConfig,
    *,
    out_dir: str | os.PathLike = ".",
    progress: bool = True,
) -> TrainingResult:
    """Train a rate RNN as the published trainer does, and save it.

    Parameters
    ----------
    config : TrainingConfig
        Task, network, seed, trial budget and stopping rule.
    out_dir : path-like
        Folder of the model file (created if missing).
    progress : bool
        Show a progress bar with trials, evaluation loss and accuracy.

    Returns
    -------
    TrainingResult
        The ``.mat`` file written (named by ``file_name``; written also
        when the budget runs out first, with a RuntimeWarning), whether the
        stopping rule (of every stage) was met, trials used, last evaluation
        accuracy and loss, wall time, the evaluation history and the record
        of each stage. After the published keys, a curriculum's file holds
        ``curriculum_stages`` (JSON, read by
        :func:`~spikewidgets.train.read_stages`), ``stage_trials``,
        ``stage_perfs`` and ``stage_losses``; a run started from
        ``initial_model`` holds the key ``initial_model`` (that file's name).

    Raises
    ------
    MissingTrainDependencyError
        If jax or optax is not installed.
    TypeError
        If ``config`` is not a :class:`TrainingConfig`.
    ValueError
        If ``out_dir`` cannot be created, or ``initial_model`` does not fit the config.
    ModelFileError
        If ``initial_model`` does not hold a valid model.

    Examples
    --------
    Training compiles the network with JAX and runs for seconds to minutes,
    so these lines are not run here; the bundled Go-NoGo example was trained
    so (``benchmarks/make_example_models.py``):

    >>> from spikewidgets.train import TrainingConfig, train
    >>> config = TrainingConfig(task="go_nogo", seed=0, stop_accuracy=0.98, stop_loss=5)
    >>> result = train(config, out_dir="models", progress=False)  # doctest: +SKIP
    >>> result.converged, result.trials  # doctest: +SKIP
    (True, 1600)
    """
    if not isinstance(config, TrainingConfig):
        raise TypeError(
            f"config is {config!r}, expected a TrainingConfig, e.g. "
            "TrainingConfig(task='go_nogo', n_units=200)"
        )
    task = config.task_object
    stages = resolve_stages(config)
    jax, jnp, _ = require_jax()
    folder = output_folder(out_dir)
    compiled = compile_model(config.activation, config.trainable_taus)

    started = time.perf_counter()
    init_seq, trial_seq, key_seq = np.random.SeedSequence(config.seed).spawn(3)
    net, params, consts, extra = starting_point(config, task, init_seq, jnp)
    trials = _Trials(task, stages[0].settings, np.random.default_rng(trial_seq))
    base_key = jax.random.PRNGKey(int(key_seq.generate_state(1)[0]))
    key_first, key_train, key_eval = jax.random.split(base_key, 3)

    # States of a first trial with the initial weights (saved as x0, r0).
    first_u, _, _ = trials.draw(1)
    first_noise = compiled.draw_noise(key_first, first_u.shape[2], config.n_units)
    x0, r0, _ = compiled.forward(params, consts, jnp.asarray(first_u[0], jnp.float32),
                                 *first_noise)

    fit = _fit(config, _Loop(compiled, consts, (key_train, key_eval)), params, trials, progress)
    contents = _contents(config, task, net, (x0, r0), fit)
    contents.update(extra)
    if config.curriculum:
        contents.update(stage_keys(stages, fit.stages))
    path = write_model_file(folder, file_name(config), contents)
    seconds = time.perf_counter() - started
    accuracy, loss = fit.evaluation[:2]
    if not fit.converged:
        warnings.warn(_not_converged(config, task, stages, fit, path), RuntimeWarning,
                      stacklevel=2)
    return TrainingResult(path, fit.converged, fit.done, accuracy, loss, seconds,
                          tuple(fit.history), tuple(fit.stages))


def _not_converged(config: TrainingConfig, task: Task, stages: tuple[ResolvedStage, ...],
                   fit: _Fit, path: Path) -> str:
    """The warning of a run whose (last) stage did not meet its stopping rule."""
    accuracy, loss = fit.evaluation[:2]
    if len(stages) == 1:
        return (f"training {task.name} stopped at max_trials={config.trial_budget} before "
                f"meeting the stopping rule (accuracy {accuracy:.2f}, loss {loss:.2f}); "
                f"saved to {path}")
    record = fit.stages[-1]
    if record.passed:
        return (f"training {task.name} spent max_trials={config.trial_budget} in stages 1 to "
                f"{record.stage + 1} of {len(stages)}, before meeting the stopping rule of the "
                f"last stage; later stages were not trained; saved to {path}")
    later = "; later stages were not trained" if record.stage + 1 < len(stages) else ""
    return (f"training {task.name} stopped in stage {record.stage + 1} of {len(stages)} "
            f"after {record.stage_trials} trials of the stage ({fit.done} in all; stage "
            f"max_trials={stages[record.stage].max_trials}, total max_trials="
            f"{config.trial_budget}) before meeting the stopping rule (accuracy "
            f"{accuracy:.2f}, loss {loss:.2f}){later}; saved to {path}")
