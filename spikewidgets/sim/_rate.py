"""The continuous rate network of a trained model, simulated in NumPy.

The dynamics are those of the published spikeRNN trainer, in rate-model steps
of 5 ms (``DeltaT = 1``)::

    x[0] = randn(N) / 100                         (random initial current)
    r[t] = activation(x[t])
    x[t] = (1 - 1/tau) * x[t-1] + (1/tau) * (W r[t-1] + w_in u[:, t-1]) + randn(N) / 10
    o[t-1] = w_out r[t] + b_out                    for t = 1 .. T-1

with ``W = (w @ m) * som_m`` and a per-unit decay ``tau`` (in rate steps) of
``sigmoid(taus_gaus) * (taus_max - taus_min) + taus_min``, or the single value
of ``taus``. An input of ``T`` columns therefore gives ``T - 1`` readout
samples; the last input column is not used, as in the trainer. The noise term
is on by default because the trainer kept it on in training and evaluation.

:func:`run_rate` works on plain arrays (:class:`RateParameters`); :func:`simulate_rate` runs a
:class:`~spikewidgets.io.RateModel` and returns an :class:`xarray.Dataset`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import xarray as xr

from spikewidgets.io._labels import variable_attrs
from spikewidgets.io._modelfile import RateModel
from spikewidgets.sim._rate_functions import (
    ACTIVATION_CLIP,
    ACTIVATIONS,
    activation_function,
    decay_steps,
)
from spikewidgets.sim.constants import RATE_STEP

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_CLIP",
    "INITIAL_CURRENT_SCALE",
    "NOISE_SCALE",
    "RateArrays",
    "RateParameters",
    "activation_function",
    "decay_steps",
    "run_rate",
    "simulate_rate",
]

#: Standard deviation of the noise added to ``x`` at every step.
NOISE_SCALE = 0.1
#: Standard deviation of the random initial current ``x[0]``.
INITIAL_CURRENT_SCALE = 0.01


class RateParameters(NamedTuple):
    """The arrays of a rate network, as :func:`run_rate` simulates it.

    Attributes
    ----------
    w : ndarray, shape (N, N)
        Effective signed recurrent matrix (row: postsynaptic unit).
    w_in : ndarray, shape (N, n_inputs)
        Input weights.
    w_out : ndarray, shape (N,) or (1, N)
        Readout weights.
    b_out : float
        Readout bias.
    tau : ndarray, shape (N,)
        Decay constant of every unit in rate steps (see :func:`decay_steps`).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.sim._rate import RateParameters
    >>> model = sw.load_model(sw.example_model("go_nogo", "."))
    >>> parameters = RateParameters.from_model(model)
    >>> parameters.w.shape, parameters.w_in.shape, float(parameters.tau.min()) >= 4
    ((200, 200), (200, 1), True)
    """

    w: np.ndarray
    w_in: np.ndarray
    w_out: np.ndarray
    b_out: float
    tau: np.ndarray

    @classmethod
    def from_model(cls, model: RateModel, use_initial_weights: bool = False) -> RateParameters:
        """The trained (or, with ``use_initial_weights``, the untrained) network of ``model``."""
        # synaptic_decay gives seconds: back to rate steps.
        tau = model.synaptic_decay(use_initial_weights) / RATE_STEP
        return cls(model.recurrent_weights(use_initial_weights), model.w_in, model.w_out,
                   model.b_out or 0.0, tau)


class RateArrays(NamedTuple):
    """States of one simulated trial.

    ``x`` and ``r`` are (T, N) and include the initial state at row 0;
    ``o`` is (T - 1,), ``o[k]`` being read from ``r[k + 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.sim._rate import RateParameters, run_rate
    >>> parameters = RateParameters(np.zeros((3, 3)), np.ones((3, 1)), np.ones(3), 0.0,
    ...                             np.full(3, 2.0))
    >>> states = run_rate(parameters, np.ones((1, 5)), x0=np.zeros(3), noise=False)
    >>> states.x.shape, states.r.shape, states.o.shape
    ((5, 3), (5, 3), (4,))
    >>> bool(states.o[0] == states.r[1].sum())
    True
    """

    x: np.ndarray
    r: np.ndarray
    o: np.ndarray


def run_rate(
    parameters: RateParameters,
    u: np.ndarray,
    *,
    activation: str = "sigmoid",
    x0: np.ndarray | None = None,
    noise: bool | np.ndarray = True,
    rng: np.random.Generator | None = None,
) -> RateArrays:
    """Simulate one trial of a rate network from plain arrays.

    Parameters
    ----------
    parameters : RateParameters
        The network: recurrent, input and readout weights, readout bias and
        per-unit decay.
    u : ndarray, shape (n_inputs, T)
        Input, one column per rate step.
    activation : str
        One of :data:`ACTIVATIONS`.
    x0 : ndarray, shape (N,), optional
        Initial current. By default drawn as ``randn(N) / 100`` from ``rng``.
    noise : bool or ndarray, shape (T - 1, N)
        True: add ``randn(N) / 10`` to ``x`` at every step (the trainer did).
        An array: add its row ``t - 1`` at step ``t`` instead (to replay a trial).
    rng : numpy.random.Generator, optional
        Source of ``x0`` (drawn first) and of the noise (then one (T-1, N)
        block). Needed unless ``x0`` is given and ``noise`` is not True.

    Returns
    -------
    RateArrays
        ``x`` and ``r`` (T, N), ``o`` (T - 1,), as float64.

    Raises
    ------
    ValueError
        For inconsistent shapes, a non-positive decay, or an unknown activation.

    Examples
    --------
    Two unconnected units with a decay of 2 steps; only unit 0 receives the
    input 1, so its current moves half-way towards 1 at every step:

    >>> import numpy as np
    >>> from spikewidgets.sim._rate import RateParameters, run_rate
    >>> parameters = RateParameters(np.zeros((2, 2)), np.array([[1.0], [0.0]]),
    ...                             np.array([1.0, 1.0]), 0.0, np.array([2.0, 2.0]))
    >>> states = run_rate(parameters, np.ones((1, 4)), x0=np.zeros(2), noise=False)
    >>> states.x[:, 0]
    array([0.   , 0.5  , 0.75 , 0.875])
    >>> np.round(states.o, 3)  # sigmoid(x0) + sigmoid(x1)
    array([1.122, 1.179, 1.206])
    """
    act = activation_function(activation)
    w, w_in, w_out, tau, u = _checked_arrays(parameters, u)
    n, n_steps = w.shape[0], u.shape[1]
    x_now, kicks = _initial_state_and_noise(n, n_steps, x0, noise, rng)
    drive = (w_in @ u[:, :-1]).T  # (T - 1, N)
    alpha = 1.0 / tau
    keep = 1.0 - alpha
    x = np.empty((n_steps, n))
    r = np.empty((n_steps, n))
    x[0] = x_now
    r[0] = act(x_now)
    for t in range(1, n_steps):
        x[t] = keep * x[t - 1] + alpha * (w @ r[t - 1] + drive[t - 1]) + kicks[t - 1]
        r[t] = act(x[t])
    o = r[1:] @ w_out + float(parameters.b_out)
    return RateArrays(x, r, o)


def _checked_arrays(parameters: RateParameters, u: np.ndarray) -> tuple[np.ndarray, ...]:
    """``w, w_in, w_out, tau, u`` as float64, after checking their shapes."""
    w, w_in, w_out, tau = parameters.w, parameters.w_in, parameters.w_out, parameters.tau
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"w has shape {w.shape}, expected a square (N, N) matrix")
    n = w.shape[0]
    w_in = np.asarray(w_in, dtype=np.float64)
    if w_in.ndim != 2 or w_in.shape[0] != n:
        raise ValueError(f"w_in has shape {w_in.shape}, expected ({n}, n_inputs)")
    w_out = np.asarray(w_out, dtype=np.float64)
    if w_out.size != n:
        raise ValueError(f"w_out has shape {w_out.shape}, expected ({n},) or (1, {n})")
    tau = np.broadcast_to(np.asarray(tau, dtype=np.float64).ravel(), (n,))
    if not np.all(tau > 0):
        raise ValueError(f"tau has minimum {tau.min()}, expected positive decay constants")
    u = np.asarray(u, dtype=np.float64)
    if u.ndim != 2 or u.shape[0] != w_in.shape[1]:
        raise ValueError(
            f"u has shape {u.shape}, expected ({w_in.shape[1]}, T): one row per "
            "input channel (columns of w_in)"
        )
    if u.shape[1] < 2:
        raise ValueError(f"u has {u.shape[1]} column(s), expected at least 2 (T >= 2)")
    return w, w_in, w_out.ravel(), tau, u


def _initial_state_and_noise(n: int, n_steps: int, x0, noise, rng) -> tuple[np.ndarray, ...]:
    """``x[0]`` and the noise added at steps 1 .. T-1 (drawn in that order from ``rng``)."""
    draw_noise = isinstance(noise, (bool, np.bool_)) and bool(noise)
    if rng is None and (x0 is None or draw_noise):
        raise ValueError("rng is None, expected a numpy Generator to draw x0 and the noise")
    if x0 is None:
        x_now = rng.standard_normal(n) * INITIAL_CURRENT_SCALE
    else:
        x_now = np.array(x0, dtype=np.float64).ravel()
        if x_now.size != n:
            raise ValueError(f"x0 has {x_now.size} values, expected {n} (one per unit)")
    if draw_noise:
        kicks = rng.standard_normal((n_steps - 1, n)) * NOISE_SCALE
    elif isinstance(noise, (bool, np.bool_)):
        kicks = np.zeros((n_steps - 1, n))
    else:
        kicks = np.asarray(noise, dtype=np.float64)
        if kicks.shape != (n_steps - 1, n):
            raise ValueError(
                f"noise has shape {kicks.shape}, expected a bool or an array of shape "
                f"({n_steps - 1}, {n}) (one row per step after the first)"
            )
    return x_now, kicks


def simulate_rate(
    model: RateModel,
    u: np.ndarray,
    *,
    seed: int | np.random.SeedSequence | None = None,
    rng: np.random.Generator | None = None,
    noise: bool | np.ndarray = True,
    x0: np.ndarray | None = None,
    rates: bool = True,
    use_initial_weights: bool = False,
) -> xr.Dataset:
    """Simulate one trial of a trained rate model.

    Parameters
    ----------
    model : RateModel
        The trained model (``model.activation`` picks the activation).
    u : ndarray, shape (n_inputs, T)
        Input, e.g. ``get_task(name).make_trial(rng, settings).u``.
    seed : int or SeedSequence, optional
        Seed of the initial current and noise. Give ``seed`` or ``rng``, not
        both; with neither, fresh entropy is used.
    rng : numpy.random.Generator, optional
        Generator to draw from instead of ``seed``.
    noise : bool or ndarray, shape (T - 1, N)
        Add the trainer's per-step noise ``randn(N) / 10``, or the given
        per-step terms (see ``run_rate``).
    x0 : ndarray, shape (N,), optional
        Initial current; by default ``randn(N) / 100`` as in the trainer.
    rates : bool
        Include the ``rates`` variable.
    use_initial_weights : bool
        Run the untrained network (``w0``, ``taus_gaus0``).

    Returns
    -------
    xarray.Dataset
        ``output`` (time) and, with ``rates=True``, ``rates`` (unit, time).
        ``time`` (s) is the end of each 5 ms step: ``o[k]`` is at
        ``(k + 1) * 0.005``. The initial state (time 0) is not included.
        Coordinates ``unit``, ``inhibitory`` and ``tau`` (s, each unit's
        synaptic decay). Every variable and coordinate has a short
        ``long_name`` (its axis label) and a ``description``; only ``time``
        and ``tau`` have ``units``: the readout and the rates are
        dimensionless.

    Raises
    ------
    ValueError
        For both ``seed`` and ``rng``, or an input that does not match the model.

    Examples
    --------
    The bundled Go-NoGo model answers a Go trial: its readout rises above the
    threshold 0.7 in the response window (from rate step 100, 0.5 s):

    >>> import numpy as np
    >>> import spikewidgets as sw
    >>> from spikewidgets.sim._rate import simulate_rate
    >>> model = sw.load_model(sw.example_model("go_nogo", "."))
    >>> task = sw.get_task("go_nogo")
    >>> trial = task.make_trial(np.random.default_rng(2), task.settings())
    >>> ds = simulate_rate(model, trial.u, seed=0)
    >>> trial.condition, ds.output.shape, ds.rates.shape
    ('go', (200,), (200, 200))
    >>> round(float(ds.output.sel(time=slice(0.5, None)).max()), 2)
    0.88
    >>> ds.output.attrs["long_name"], ds.time.attrs["units"], "units" in ds.rates.attrs
    ('rate-network readout', 's', False)
    """
    if not isinstance(model, RateModel):
        raise TypeError(f"model is {type(model).__name__}, expected a spikewidgets RateModel")
    if seed is not None and rng is not None:
        raise ValueError(f"seed is {seed!r} and rng is {rng!r}; expected at most one of them")
    if rng is None:
        rng = np.random.default_rng(seed)
    u = np.asarray(u, dtype=np.float64)
    if u.ndim != 2 or u.shape[0] != model.n_inputs:
        raise ValueError(
            f"u has shape {u.shape}, expected ({model.n_inputs}, T): the model has "
            f"{model.n_inputs} input{'' if model.n_inputs == 1 else 's'} (columns of w_in)"
        )
    parameters = RateParameters.from_model(model, use_initial_weights)
    result = run_rate(parameters, u, activation=model.activation, x0=x0, noise=noise, rng=rng)
    return _dataset(model, result, parameters.tau, noise=noise, rates=rates,
                    initial=use_initial_weights)


def _dataset(
    model: RateModel,
    result: RateArrays,
    tau: np.ndarray,
    *,
    noise: bool | np.ndarray,
    rates: bool,
    initial: bool,
) -> xr.Dataset:
    n_out = result.o.size
    coords = {
        "time": ("time", np.arange(1, n_out + 1) * RATE_STEP,
                 variable_attrs("time", "time from the trial start at the end of every 5 ms "
                                "rate step", "s")),
        "unit": ("unit", np.arange(model.n_units), variable_attrs("unit", "index of the unit")),
        "inhibitory": ("unit", np.asarray(model.inh, dtype=bool),
                       variable_attrs("inhibitory", "whether the unit is inhibitory")),
        "tau": ("unit", tau * RATE_STEP,
                variable_attrs("synaptic decay", "synaptic decay time constant of the unit",
                               "s")),
    }
    data_vars = {
        "output": ("time", result.o,
                   variable_attrs("rate-network readout", "readout of the rate network, "
                                  "w_out r + b_out")),
    }
    if rates:
        data_vars["rates"] = (("unit", "time"), result.r[1:].T.copy(),
                              variable_attrs("rate r", f"rate of the unit, r = "
                                             f"{model.activation}(x) (dimensionless)"))
    attrs = {
        "activation": model.activation,
        "noise": "given" if isinstance(noise, np.ndarray) else int(bool(noise)),
        "use_initial_weights": int(bool(initial)),
        "rate_step": RATE_STEP,
    }
    if model.path is not None:
        attrs["model_path"] = str(model.path)
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)
