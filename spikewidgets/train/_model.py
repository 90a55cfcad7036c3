"""The rate network in JAX: forward pass, loss, Adam steps and evaluation, compiled once.

The dynamics are those of :func:`~spikewidgets.sim.simulate_rate` (with its noise): the
recurrent matrix is ``relu(w) * m * som_m``, the decay ``sigmoid(taus_gaus)``
scaled into ``[taus_min, taus_max]`` (or the fixed ``taus_min``), and the loss
of a trial ``sqrt(sum_t (o[t] - target[t])^2)``. JAX and optax are imported
only here, when training starts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

from spikewidgets.errors import MissingTrainDependencyError
from spikewidgets.sim._rate import ACTIVATION_CLIP, ACTIVATIONS, INITIAL_CURRENT_SCALE, NOISE_SCALE
from spikewidgets.train._config import LEARNING_RATE

__all__ = [
    "INSTALL_HINT",
    "CompiledModel",
    "MissingTrainDependencyError",
    "compile_model",
    "require_jax",
]

#: How to install what training needs.
INSTALL_HINT = 'pip install "spikewidgets[train]"'


def require_jax() -> tuple[Any, Any, Any]:
    """Import and return ``(jax, jax.numpy, optax)``.

    Raises
    ------
    MissingTrainDependencyError
        If either is missing; the message says how to install them.

    Examples
    --------
    >>> from spikewidgets.train._model import require_jax
    >>> jax, jnp, optax = require_jax()
    >>> jnp.zeros(3).shape
    (3,)
    """
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError as error:
        raise MissingTrainDependencyError(
            f"training needs jax and optax ({error}); install them with: {INSTALL_HINT}"
        ) from error
    return jax, jnp, optax


class CompiledModel(NamedTuple):
    """The jitted functions of one configuration (activation, trained or fixed decay).

    ``params`` holds the trained arrays (``w``, ``w_out``, ``b_out`` and, with
    trained decays, ``taus_gaus``); ``consts`` the fixed ones (``m_diag``,
    ``som_m``, ``w_in``, ``tau_min``, ``tau_max``).

    Attributes
    ----------
    forward : callable
        ``forward(params, consts, u, x0, kicks) -> (x, r, o)`` for an input
        ``u`` (n_inputs, T), initial current ``x0`` (N,) and noise ``kicks``
        (T - 1, N): states (T, N) and readout (T - 1,).
    draw_noise : callable
        ``draw_noise(key, T, N) -> (x0, kicks)``.
    train_chunk : callable
        ``train_chunk(params, opt_state, consts, us, zs, keys) -> (params,
        opt_state, losses, (x, r, o) of the last trial)``: one Adam step per trial.
    evaluate : callable
        ``evaluate(params, consts, us, zs, keys) -> (losses, outputs)``.
    optimizer : optax.GradientTransformation
        Adam with the published learning rate.

    Examples
    --------
    >>> from spikewidgets.train._model import CompiledModel
    >>> CompiledModel._fields
    ('forward', 'draw_noise', 'train_chunk', 'evaluate', 'optimizer')
    """

    forward: Callable
    draw_noise: Callable
    train_chunk: Callable
    evaluate: Callable
    optimizer: Any


@functools.cache
def compile_model(activation: str, trainable_taus: bool) -> CompiledModel:
    """The jitted forward pass, training chunk and evaluation of one configuration.

    Parameters
    ----------
    activation : str
        ``"sigmoid"``, ``"softplus"`` or ``"clipped_relu"``.
    trainable_taus : bool
        Whether the decay constants are trained (``taus`` has two values).

    Returns
    -------
    CompiledModel
        Cached: a second call with the same arguments returns the same functions.

    Raises
    ------
    MissingTrainDependencyError
        If jax or optax is not installed.
    ValueError
        For an unknown activation.

    Examples
    --------
    The functions are compiled by JAX when first called, for the shapes they
    are called with:

    >>> from spikewidgets.train._model import compile_model
    >>> model = compile_model("sigmoid", trainable_taus=True)
    >>> model is compile_model("sigmoid", trainable_taus=True)
    True
    >>> compile_model("tanh", trainable_taus=True)
    Traceback (most recent call last):
    ...
    ValueError: activation is 'tanh', expected one of sigmoid, softplus, clipped_relu
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation is {activation!r}, expected one of {', '.join(ACTIVATIONS)}")
    jax, jnp, optax = require_jax()
    optimizer = optax.adam(LEARNING_RATE)
    forward = _forward_function(activation, trainable_taus)

    def loss_fn(params, consts, u, z, key):
        x0, kicks = _draw_noise(key, u.shape[1], consts["m_diag"].shape[0])
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

    return CompiledModel(jax.jit(forward), _draw_noise, train_chunk, evaluate, optimizer)


def _draw_noise(key: Any, n_steps: int, n: int) -> tuple[Any, Any]:
    """The initial current ``x0`` (N,) and the noise (T - 1, N) of one trial, from ``key``."""
    jax, _, _ = require_jax()
    key_x0, key_noise = jax.random.split(key)
    x0 = jax.random.normal(key_x0, (n,)) * INITIAL_CURRENT_SCALE
    return x0, jax.random.normal(key_noise, (n_steps - 1, n)) * NOISE_SCALE


def _forward_function(activation: str, trainable_taus: bool) -> Callable:
    """``forward(params, consts, u, x0, kicks) -> (x, r, o)`` (see :class:`CompiledModel`)."""
    jax, jnp, _ = require_jax()
    act = {
        "sigmoid": jax.nn.sigmoid,
        "softplus": lambda x: jnp.clip(jax.nn.softplus(x), 0.0, ACTIVATION_CLIP),
        "clipped_relu": lambda x: jnp.clip(x, 0.0, ACTIVATION_CLIP),
    }[activation]

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

    return forward
