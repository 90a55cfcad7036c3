"""Training rate RNNs for the conversion, with JAX (the ``train`` extra).

The procedure is the one of the published spikeRNN TensorFlow trainer
(Kim, Li & Sejnowski, PNAS 2019):

- Dale's principle: each unit is inhibitory with probability ``P_inh``; the
  sign mask ``m`` is diagonal (+1 excitatory, -1 inhibitory). The first
  ``som_N`` inhibitory units (SOM units) get no inhibitory input (``som_m``).
- Recurrent weights: a fraction ``P_rec`` of entries drawn from
  ``N(0, 1) * gain / sqrt(N * P_rec)``, absolute values taken; the network uses
  ``relu(w)``, so entries that are zero (or become negative) stay silent.
- ``w_in ~ N(0, 1)`` is fixed; ``w``, ``w_out`` (``N(0, 1) / 100`` at start),
  ``b_out`` (0 at start) and the decay parameters ``taus_gaus ~ N(0, 1)``
  (through a sigmoid into ``[taus_min, taus_max]``) are trained.
- One trial per Adam step (learning rate 0.01), loss
  ``sqrt(sum_t (o[t] - target[t])^2)`` on the noisy network of
  :mod:`spikewidgets.rate`; targets as in :mod:`spikewidgets._train_tasks`.
- Every 100 trials, 100 fresh trials are scored; training stops when their
  accuracy exceeds 95 % and their mean loss is under 7 (go_nogo also needs
  more than 1500 trials), or after ``max_trials`` trials.

The result is written, atomically, as a ``.mat`` file with the keys, shapes and
dtypes of the TensorFlow trainer. Every random draw derives from one integer
seed, so the same seed gives the same model. JAX and optax are imported only
when training starts; ``import spikewidgets`` does not need them.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import os
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io

from . import _train_tasks as targets
from .rate import ACTIVATION_CLIP, ACTIVATIONS, INITIAL_CURRENT_SCALE, NOISE_SCALE

__all__ = [
    "INSTALL_HINT",
    "InitialNetwork",
    "MissingTrainDependencyError",
    "TrainingResult",
    "initialize_network",
    "train",
    "train_model",
]

INSTALL_HINT = 'pip install "spikewidgets[train]"'
LEARNING_RATE = 0.01
EVAL_EVERY = 100
EVAL_TRIALS = 100
LOSS_THRESHOLD = 7.0
ACCURACY_THRESHOLD = 0.95
GO_NOGO_MIN_TRIALS = 1500
#: Default trial budget per task.
DEFAULT_MAX_TRIALS = {"go_nogo": 10_000, "xor": 40_000, "mante": 40_000}


class MissingTrainDependencyError(ImportError):
    """JAX or optax, needed for training, is not installed."""


def _import_jax():
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError as error:
        raise MissingTrainDependencyError(
            f"training needs jax and optax ({error}); install them with: {INSTALL_HINT}"
        ) from error
    return jax, jnp, optax


@dataclass(frozen=True, eq=False)
class InitialNetwork:
    """An untrained network, as the published trainer initializes it.

    Attributes
    ----------
    w : ndarray, float32, shape (N, N)
        Non-negative sparse recurrent weights.
    m, som_m : ndarray, float32, shape (N, N)
        Diagonal sign mask and SOM mask.
    w_in : ndarray, float32, shape (N, n_inputs)
    w_out : ndarray, float32, shape (1, N)
    taus_gaus : ndarray, float32, shape (N, 1)
    inh : ndarray of bool, shape (N,)
    """

    w: np.ndarray
    m: np.ndarray
    som_m: np.ndarray
    w_in: np.ndarray
    w_out: np.ndarray
    taus_gaus: np.ndarray
    inh: np.ndarray


def initialize_network(
    n_units: int,
    n_inputs: int,
    rng: np.random.Generator,
    *,
    P_inh: float = 0.2,
    P_rec: float = 0.2,
    som_N: int = 0,
    gain: float = 1.5,
) -> InitialNetwork:
    """Draw the initial network of the published trainer from ``rng``.

    Parameters
    ----------
    n_units, n_inputs : int
        Number of units N and of input channels.
    rng : numpy.random.Generator
        Source of every draw (unit types, connections, weights, decays).
    P_inh : float
        Probability that a unit is inhibitory.
    P_rec : float
        Probability of a recurrent connection.
    som_N : int
        Number of SOM units: the first ``som_N`` inhibitory units (fewer if
        there are fewer inhibitory units).
    gain : float
        Gain of the recurrent weights, ``N(0, 1) * gain / sqrt(N * P_rec)``.

    Returns
    -------
    InitialNetwork
    """
    inh = rng.random(n_units) < P_inh
    connected = rng.random((n_units, n_units)) < P_rec
    w = np.zeros((n_units, n_units))
    w[connected] = rng.standard_normal(int(connected.sum()))
    w = np.abs(w / np.sqrt(n_units * P_rec) * gain)
    m = np.diag(np.where(inh, -1.0, 1.0))
    som_m = np.ones((n_units, n_units))
    inh_units = np.flatnonzero(inh)
    for unit in inh_units[:som_N]:
        som_m[unit, inh_units] = 0.0
    w_in = rng.standard_normal((n_units, n_inputs))
    w_out = rng.standard_normal((1, n_units)) / 100
    taus_gaus = rng.standard_normal((n_units, 1))
    f32 = np.float32
    return InitialNetwork(
        w.astype(f32), m.astype(f32), som_m.astype(f32), w_in.astype(f32),
        w_out.astype(f32), taus_gaus.astype(f32), inh,
    )


@functools.cache
def _compiled(activation: str, trainable_taus: bool):
    """Jitted forward pass, training chunk and evaluation for one configuration."""
    jax, jnp, optax = _import_jax()
    functions = {
        "sigmoid": jax.nn.sigmoid,
        "softplus": lambda x: jnp.clip(jax.nn.softplus(x), 0.0, ACTIVATION_CLIP),
        "clipped_relu": lambda x: jnp.clip(x, 0.0, ACTIVATION_CLIP),
    }
    act = functions[activation]
    optimizer = optax.adam(LEARNING_RATE)

    def draw_noise(key, n_steps, n):
        key_x0, key_noise = jax.random.split(key)
        x0 = jax.random.normal(key_x0, (n,)) * INITIAL_CURRENT_SCALE
        return x0, jax.random.normal(key_noise, (n_steps - 1, n)) * NOISE_SCALE

    def forward(params, consts, u, x0, kicks):
        n = consts["m_diag"].shape[0]
        if trainable_taus:
            spread = consts["tau_max"] - consts["tau_min"]
            tau = jax.nn.sigmoid(params["taus_gaus"]) * spread + consts["tau_min"]
        else:
            tau = jnp.full((n,), consts["tau_min"])
        alpha = 1.0 / tau
        w = jax.nn.relu(params["w"]) * consts["m_diag"][None, :] * consts["som_m"]
        drive = (consts["w_in"] @ u[:, :-1]).T

        def step(x, inputs):
            d, kick = inputs
            x = (1.0 - alpha) * x + alpha * (w @ act(x) + d) + kick
            return x, x

        _, xs = jax.lax.scan(step, x0, (drive, kicks))
        x = jnp.concatenate([x0[None, :], xs])
        r = act(x)
        o = r[1:] @ params["w_out"] + params["b_out"]
        return x, r, o

    def loss_fn(params, consts, u, z, key):
        x0, kicks = draw_noise(key, u.shape[1], consts["m_diag"].shape[0])
        x, r, o = forward(params, consts, u, x0, kicks)
        return jnp.sqrt(jnp.sum((o - z[:-1]) ** 2)), (x, r, o)

    grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

    @jax.jit
    def train_chunk(params, opt_state, consts, us, zs, keys):
        def body(carry, batch):
            params, opt_state, _ = carry
            (loss, aux), grads = grad_fn(params, consts, *batch)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state, aux), loss

        n_steps, n = us.shape[2], consts["m_diag"].shape[0]
        empty = (jnp.zeros((n_steps, n)), jnp.zeros((n_steps, n)), jnp.zeros(n_steps - 1))
        (params, opt_state, last), losses = jax.lax.scan(
            body, (params, opt_state, empty), (us, zs, keys)
        )
        return params, opt_state, losses, last

    @jax.jit
    def evaluate(params, consts, us, zs, keys):
        losses, (_, _, o) = jax.vmap(loss_fn, in_axes=(None, None, 0, 0, 0))(
            params, consts, us, zs, keys
        )
        return losses, o

    return jax.jit(forward), draw_noise, train_chunk, evaluate, optimizer


@dataclass(frozen=True)
class TrainingResult:
    """Outcome of :func:`train`.

    ``converged`` tells whether the stopping rule was met before ``max_trials``;
    ``accuracy`` and ``loss`` are those of the last evaluation; ``history``
    holds ``(trials, accuracy, loss)`` of every evaluation.
    """

    path: Path
    converged: bool
    trials: int
    accuracy: float
    loss: float
    seconds: float
    history: tuple[tuple[int, float, float], ...] = ()


def _check_args(N, taus, activation, seed, P_inh, P_rec, som_N, gain, max_trials):
    def integer(name, value, low):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} is {value!r}, expected an integer >= {low}")
        return int(value)

    N = integer("N", N, 2)
    seed = integer("seed", seed, 0)
    som_N = integer("som_N", som_N, 0)
    taus = tuple(float(t) for t in np.ravel(taus))
    if len(taus) not in (1, 2) or min(taus) < 1 or taus[0] > taus[-1]:
        raise ValueError(
            f"taus is {taus}, expected (taus_min, taus_max) with 1 <= taus_min <= taus_max, "
            "or one value >= 1, in rate steps of 5 ms"
        )
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation is {activation!r}, expected one of {', '.join(ACTIVATIONS)}")
    if not 0 <= P_inh <= 1:
        raise ValueError(f"P_inh is {P_inh!r}, expected a probability in [0, 1]")
    if not 0 < P_rec <= 1:
        raise ValueError(f"P_rec is {P_rec!r}, expected a probability in (0, 1]")
    if not gain > 0:
        raise ValueError(f"gain is {gain!r}, expected a positive number")
    if max_trials is not None:
        max_trials = integer("max_trials", max_trials, 1)
    return N, taus, seed, som_N, max_trials


def file_name(task_name: str, N: int, taus: Sequence[float], activation: str, when=None) -> str:
    """Model file name as the published trainer builds it (task spelled as there)."""
    stamp = (when or datetime.datetime.now()).strftime("%Y_%m_%d_%H%M%S")
    spelled = targets.FILE_TASK_NAMES.get(task_name, task_name)
    if len(taus) > 1:
        decay = f"Taus_{float(taus[0])}_{float(taus[1])}"
    else:
        decay = f"Tau_{float(taus[0])}"
    return f"Task_{spelled}_N_{N}_{decay}_Act_{activation}_{stamp}.mat"


def _write_atomically(path: Path, contents: dict) -> None:
    temporary = None
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
        with os.fdopen(descriptor, "wb") as handle:
            scipy.io.savemat(handle, contents)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
        temporary = None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _states(array) -> np.ndarray:
    """(T, N) -> float32 (T, N, 1), the trainer's layout of state traces."""
    return np.asarray(array, dtype=np.float32)[:, :, None]


def train(
    task: str = "go_nogo",
    N: int = 200,
    taus: Sequence[float] = (4, 20),
    activation: str = "sigmoid",
    seed: int = 0,
    out_dir: str | os.PathLike = ".",
    P_inh: float = 0.2,
    P_rec: float = 0.2,
    som_N: int = 0,
    gain: float = 1.5,
    max_trials: int | None = None,
    progress: bool = True,
    *,
    stop_accuracy: float = ACCURACY_THRESHOLD,
    stop_loss: float = LOSS_THRESHOLD,
) -> TrainingResult:
    """Train a rate RNN and save it; like :func:`train_model` but returns a summary.

    ``stop_accuracy`` and ``stop_loss`` set the stopping rule (evaluation
    accuracy above, and loss below, these); the defaults are the published
    0.95 and 7. Stricter values train longer for more robust networks.

    Returns
    -------
    TrainingResult
        File written, whether the stopping rule was met, trials used, last
        evaluation accuracy and loss, and wall time.
    """
    N, taus, seed, som_N, max_trials = _check_args(
        N, taus, activation, seed, P_inh, P_rec, som_N, gain, max_trials
    )
    task_obj, settings = targets.training_task(task)
    if max_trials is None:
        max_trials = DEFAULT_MAX_TRIALS[task_obj.name]
    jax, jnp, _ = _import_jax()
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(
            f"out_dir is {str(out_dir)!r}, which could not be created as a folder "
            f"({error.strerror or error}); expected a writable folder"
        ) from error
    forward, draw_noise, train_chunk, evaluate, optimizer = _compiled(activation, len(taus) == 2)
    from tqdm.auto import tqdm

    started = time.perf_counter()
    init_seq, trial_seq, key_seq = np.random.SeedSequence(seed).spawn(3)
    net = initialize_network(
        N, task_obj.n_inputs, np.random.default_rng(init_seq),
        P_inh=P_inh, P_rec=P_rec, som_N=som_N, gain=gain,
    )
    trial_rng = np.random.default_rng(trial_seq)
    base_key = jax.random.PRNGKey(int(key_seq.generate_state(1)[0]))
    key_first, key_train, key_eval = jax.random.split(base_key, 3)

    consts = {
        "m_diag": jnp.asarray(np.diag(net.m)),
        "som_m": jnp.asarray(net.som_m),
        "w_in": jnp.asarray(net.w_in),
        "tau_min": jnp.float32(taus[0]),
        "tau_max": jnp.float32(taus[-1]),
    }
    params = {
        "w": jnp.asarray(net.w),
        "w_out": jnp.asarray(net.w_out[0]),
        "b_out": jnp.float32(0.0),
    }
    if len(taus) == 2:
        params["taus_gaus"] = jnp.asarray(net.taus_gaus[:, 0])
    opt_state = optimizer.init(params)

    def draw(count):
        trials = [task_obj.make_trial(trial_rng, settings) for _ in range(count)]
        us = np.stack([t.u for t in trials])
        zs = np.stack([targets.make_target(task_obj, settings, t.label) for t in trials])
        return us, zs, np.array([t.label for t in trials])

    # States of a first trial with the initial weights (saved as x0, r0).
    first_u, _, _ = draw(1)
    first_noise = draw_noise(key_first, first_u.shape[2], N)
    x0, r0, _ = forward(params, consts, jnp.asarray(first_u[0], jnp.float32), *first_noise)

    losses, history = np.zeros(max_trials), []
    done, chunk_index, converged = 0, 0, False
    bar = tqdm(total=max_trials, unit="trial", disable=not progress, desc=f"train {task_obj.name}")
    try:
        while done < max_trials and not converged:
            count = min(EVAL_EVERY, max_trials - done)
            us, zs, _ = draw(count)
            keys = jax.random.split(jax.random.fold_in(key_train, chunk_index), count)
            params, opt_state, chunk_losses, last = train_chunk(
                params, opt_state, consts, jnp.asarray(us, jnp.float32),
                jnp.asarray(zs, jnp.float32), keys,
            )
            losses[done : done + count] = np.asarray(chunk_losses, dtype=np.float64)
            done += count
            last_u, last_z = us[-1], zs[-1]

            eval_us, eval_zs, eval_labels = draw(EVAL_TRIALS)
            eval_keys = jax.random.split(jax.random.fold_in(key_eval, chunk_index), EVAL_TRIALS)
            eval_losses, eval_os = evaluate(
                params, consts, jnp.asarray(eval_us, jnp.float32),
                jnp.asarray(eval_zs, jnp.float32), eval_keys,
            )
            eval_os = np.asarray(eval_os, dtype=np.float64)
            accuracy = float(
                np.mean(targets.trial_correct(task_obj, settings, eval_os, eval_labels))
            )
            eval_loss = float(np.mean(np.asarray(eval_losses, dtype=np.float64)))
            enough = task_obj.name != "go_nogo" or done > GO_NOGO_MIN_TRIALS
            converged = (
                accuracy > stop_accuracy and eval_loss < stop_loss and enough
            )
            history.append((done, accuracy, eval_loss))
            chunk_index += 1
            bar.update(count)
            bar.set_postfix(loss=f"{eval_loss:.2f}", acc=f"{accuracy:.2f}", refresh=False)
    finally:
        bar.close()

    x_last, r_last, o_last = (np.asarray(a) for a in last)
    taus_gaus = (
        np.asarray(params["taus_gaus"])[:, None] if len(taus) == 2 else net.taus_gaus
    ).astype(np.float32)
    contents = {
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
        "N": np.int64(N),
        "exc": ~net.inh[:, None],
        "inh": net.inh[:, None].copy(),
        "w_in": net.w_in,
        "b_out": np.float32(params["b_out"]),
        "som_N": np.int64(som_N),
        "losses": losses[:done],
        "taus": np.array(taus, dtype=np.float64),
        "eval_perf_mean": np.array([accuracy]),
        "eval_loss_mean": np.array([eval_loss]),
        "eval_os": eval_os,
        "eval_labels": targets.saved_labels(task_obj, eval_labels),
        "taus_gaus": taus_gaus,
        "tr": np.int64(done - 1),
        "activation": activation,
    }
    name = file_name(task_obj.name, N, taus, activation)
    path, suffix = out_dir / name, 1
    while path.exists():  # two models finished within the same second
        path = out_dir / f"{name[: -len('.mat')]}_{suffix}.mat"
        suffix += 1
    _write_atomically(path, contents)
    seconds = time.perf_counter() - started
    if not converged:
        warnings.warn(
            f"training {task_obj.name} stopped at max_trials={max_trials} before meeting the "
            f"stopping rule (accuracy {accuracy:.2f}, loss {eval_loss:.2f}); saved to {path}",
            RuntimeWarning,
            stacklevel=2,
        )
    return TrainingResult(path, converged, done, accuracy, eval_loss, seconds, tuple(history))


def train_model(
    task: str = "go_nogo",
    N: int = 200,
    taus: Sequence[float] = (4, 20),
    activation: str = "sigmoid",
    seed: int = 0,
    out_dir: str | os.PathLike = ".",
    P_inh: float = 0.2,
    P_rec: float = 0.2,
    som_N: int = 0,
    gain: float = 1.5,
    max_trials: int | None = None,
    progress: bool = True,
    *,
    stop_accuracy: float = ACCURACY_THRESHOLD,
    stop_loss: float = LOSS_THRESHOLD,
) -> Path:
    """Train a rate RNN on a task as the published trainer does, and save it.

    Parameters
    ----------
    task : str
        ``"go_nogo"`` (``"go-nogo"``), ``"xor"`` or ``"mante"``.
    N : int
        Number of units.
    taus : sequence of float
        ``(taus_min, taus_max)`` of the trained decay constants in rate steps of
        5 ms, or one value for a fixed, untrained decay.
    activation : str
        ``"sigmoid"``, ``"softplus"`` or ``"clipped_relu"``.
    seed : int
        Seed of every random draw (initial network, trials, noise).
    out_dir : path-like
        Folder of the model file (created if missing).
    P_inh, P_rec, som_N, gain
        Network initialization, see :func:`initialize_network`.
    max_trials : int, optional
        Trial budget; default 10000 (go_nogo) or 40000 (xor, mante).
    progress : bool
        Show a progress bar with trials, evaluation loss and accuracy.
    stop_accuracy, stop_loss : float
        Stopping rule: evaluation accuracy above and loss below these
        (published: 0.95 and 7).

    Returns
    -------
    Path
        The ``.mat`` file, named
        ``Task_<task>_N_<N>_Taus_<min>_<max>_Act_<activation>_<YYYY_mm_dd_HHMMSS>.mat``.
        It is written also when the budget runs out first (with a RuntimeWarning).

    Raises
    ------
    MissingTrainDependencyError
        If jax or optax is not installed.
    ValueError
        For an argument out of range.
    """
    return train(
        task, N, taus, activation, seed, out_dir, P_inh, P_rec, som_N, gain, max_trials,
        progress, stop_accuracy=stop_accuracy, stop_loss=stop_loss,
    ).path
