"""Where training starts: a new network, or a saved model (``TrainingConfig(initial_model=...)``).

:func:`starting_point` gives the trainer its initial arrays either way;
:func:`load_start` reads and checks a saved model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from spikewidgets.errors import ModelFileError
from spikewidgets.io._initial_network import InitialNetwork, initialize_network
from spikewidgets.io._modelfile import RateModel, read_raw
from spikewidgets.tasks import Task
from spikewidgets.train._config import TrainingConfig

__all__ = ["SavedStart", "load_start", "starting_point"]


@dataclass(frozen=True, eq=False)
class SavedStart:
    """A saved model as the start of a training run.

    Attributes
    ----------
    initial : InitialNetwork
        The untrained network the file came from (its ``w0``, ``taus_gaus0``
        and ``w_in0`` when it holds them, else its trained values): saved
        again as ``w0``, ``taus_gaus0`` and ``w_in0``.
    start : InitialNetwork
        The trained values training starts from (``w``, ``w_out``,
        ``taus_gaus``), with the file's masks and input weights.
    b_out : float
        The readout bias training starts from.
    som_n : int
        The file's ``som_N`` (SOM units).

    Examples
    --------
    >>> from spikewidgets.io._examples import example_model
    >>> from spikewidgets.train import TrainingConfig
    >>> from spikewidgets.train._resume import load_start
    >>> saved = load_start(TrainingConfig(initial_model=example_model("go_nogo", ".")))
    >>> saved.start.w.shape, saved.som_n
    ((200, 200), 0)
    >>> bool((saved.start.w == saved.initial.w).all())  # trained weights and the file's w0
    False
    """

    initial: InitialNetwork
    start: InitialNetwork
    b_out: float
    som_n: int


def _check(model: RateModel, config: TrainingConfig, task: Task, path: Path) -> None:
    """Raise if the saved model cannot continue training under ``config``."""
    found = {"n_units": model.n_units, "taus": tuple(model.taus),
             "activation": model.activation}
    wanted = {"n_units": config.n_units, "taus": tuple(config.taus),
              "activation": config.activation}
    for name, value in found.items():
        if value != wanted[name]:
            raise ValueError(
                f"initial_model {path.name} has {name} {value!r} but the config has "
                f"{wanted[name]!r}; expected the same (pass {name}={value!r})"
            )
    task.check_model_inputs(model.n_inputs, f"initial_model {path.name}")


def load_start(config: TrainingConfig) -> SavedStart:
    """Read ``config.initial_model`` and check that it fits the config and its task.

    Raises
    ------
    ModelFileError, FileNotFoundError
        For a file that does not hold a valid model.
    ValueError
        For a model whose unit count, ``taus``, activation or inputs differ
        from the config's.

    Examples
    --------
    >>> from spikewidgets.io._examples import example_model
    >>> from spikewidgets.train import TrainingConfig
    >>> from spikewidgets.train._resume import load_start
    >>> path = example_model("go_nogo", ".")
    >>> load_start(TrainingConfig(task="go_nogo", initial_model=path)).start.w_in.shape
    (200, 1)
    >>> load_start(TrainingConfig(task="go_nogo", n_units=100, initial_model=path))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: initial_model go_nogo_example.mat has n_units 200 but the config has 100; ...
    """
    path = Path(config.initial_model)
    raw = read_raw(path)
    model = RateModel.from_arrays(raw, path=path)
    _check(model, config, config.task_object, path)
    if model.b_out is None:
        raise ModelFileError(f"initial_model {path.name} has no 'b_out', which training needs")
    f32 = np.float32
    inh = np.asarray(model.inh, dtype=bool)
    w_in = model.w_in.astype(f32)
    shared = {"m": model.m.astype(f32), "som_m": model.som_m.astype(f32), "w_in": w_in,
              "inh": inh}
    start = InitialNetwork(w=model.w.astype(f32), w_out=model.w_out[None, :].astype(f32),
                           taus_gaus=model.taus_gaus[:, None].astype(f32), **shared)
    w0 = model.w if model.w0 is None else model.w0
    gaus0 = model.taus_gaus if model.taus_gaus0 is None else model.taus_gaus0
    initial = InitialNetwork(
        w=w0.astype(f32), w_out=start.w_out, taus_gaus=gaus0[:, None].astype(f32),
        m=shared["m"], som_m=shared["som_m"], inh=inh,
        w_in=np.asarray(raw.get("w_in0", w_in), dtype=f32),
    )
    som_n = int(np.asarray(raw.get("som_N", 0)).ravel()[0]) if np.size(raw.get("som_N", 0)) \
        else 0
    return SavedStart(initial, start, float(model.b_out), som_n)


def _initial_arrays(net: InitialNetwork, config: TrainingConfig, jnp: Any) -> tuple[dict, dict]:
    """The trained parameters and the fixed arrays of the JAX model, from ``net``."""
    consts = {
        "m_diag": jnp.asarray(np.diag(net.m)),
        "som_m": jnp.asarray(net.som_m),
        "w_in": jnp.asarray(net.w_in),
        "tau_min": jnp.float32(config.taus[0]),
        "tau_max": jnp.float32(config.taus[-1]),
    }
    params = {
        "w": jnp.asarray(net.w),
        "w_out": jnp.asarray(net.w_out[0]),
        "b_out": jnp.float32(0.0),
    }
    if config.trainable_taus:
        params["taus_gaus"] = jnp.asarray(net.taus_gaus[:, 0])
    return params, consts


def starting_point(config: TrainingConfig, task: Task, init_seq: np.random.SeedSequence,
                   jnp: Any) -> tuple[InitialNetwork, dict, dict, dict]:
    """The initial network (saved as ``w0``, ...), trained and fixed arrays, extra file keys.

    A new network drawn from ``init_seq``, or the model of ``config.initial_model``.
    ``jnp`` is ``jax.numpy`` (imported by the caller: JAX is optional).
    """
    if config.initial_model is None:
        net = initialize_network(
            config.n_units, task.n_inputs, np.random.default_rng(init_seq),
            p_inh=config.p_inh, p_rec=config.p_rec, n_som=config.n_som, gain=config.gain,
        )
        params, consts = _initial_arrays(net, config, jnp)
        return net, params, consts, {}
    saved = load_start(config)
    params, consts = _initial_arrays(saved.start, config, jnp)
    params["b_out"] = jnp.float32(saved.b_out)
    extra = {"som_N": np.int64(saved.som_n),
             "initial_model": Path(config.initial_model).name}
    return saved.initial, params, consts, extra
