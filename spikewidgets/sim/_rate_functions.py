"""The functions of a trained rate model: its activations and its per-unit synaptic decay.

They are those of the published spikeRNN trainer; ``spikewidgets.sim._rate``
simulates the network with them, and the JAX trainer uses the same names and clip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_CLIP",
    "activation_function",
    "decay_steps",
]

#: Upper bound of the clipped activations (softplus and clipped ReLU).
ACTIVATION_CLIP = 20.0
#: Activation functions of the published trainer.
ACTIVATIONS = ("sigmoid", "softplus", "clipped_relu")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.clip(np.logaddexp(0.0, x), 0.0, ACTIVATION_CLIP)


def _clipped_relu(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, ACTIVATION_CLIP)


_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "clipped_relu": _clipped_relu,
}


def activation_function(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """The NumPy activation function called ``name``.

    ``sigmoid`` is ``1 / (1 + exp(-x))``; ``softplus`` is ``log(1 + exp(x))``
    and ``clipped_relu`` is ``max(x, 0)``, both clipped at 20 as in the
    published trainer.

    Raises
    ------
    ValueError
        If ``name`` is not one of :data:`ACTIVATIONS`.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.sim._rate_functions import activation_function
    >>> activation_function("sigmoid")(np.array([0.0]))
    array([0.5])
    >>> activation_function("clipped_relu")(np.array([-1.0, 3.0, 50.0]))
    array([ 0.,  3., 20.])
    >>> activation_function("tanh")
    Traceback (most recent call last):
    ...
    ValueError: activation is 'tanh', expected one of sigmoid, softplus, clipped_relu
    """
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in _FUNCTIONS:
        raise ValueError(f"activation is {name!r}, expected one of {', '.join(ACTIVATIONS)}")
    return _FUNCTIONS[key]


def decay_steps(taus: Sequence[float], taus_gaus: np.ndarray) -> np.ndarray:
    """Per-unit synaptic decay constants in rate steps.

    Parameters
    ----------
    taus : sequence of float
        ``(taus_min, taus_max)``, or one value for a fixed decay.
    taus_gaus : ndarray, shape (N,) or (N, 1)
        Pre-sigmoid decay parameters.

    Returns
    -------
    ndarray, shape (N,)
        ``sigmoid(taus_gaus) * (taus_max - taus_min) + taus_min``, or the
        single value of ``taus`` for every unit.

    Examples
    --------
    A parameter of 0 gives the middle of the range; large ones its ends:

    >>> import numpy as np
    >>> from spikewidgets.sim._rate_functions import decay_steps
    >>> decay_steps((4, 20), np.array([0.0, -50.0, 50.0]))
    array([12.,  4., 20.])
    >>> decay_steps((10,), np.zeros(3))
    array([10., 10., 10.])
    """
    taus = [float(t) for t in np.ravel(taus)]
    gaus = np.asarray(taus_gaus, dtype=np.float64).ravel()
    if len(taus) == 1:
        return np.full(gaus.size, taus[0])
    if len(taus) != 2:
        raise ValueError(f"taus is {taus}, expected one value or (taus_min, taus_max)")
    return _sigmoid(gaus) * (taus[1] - taus[0]) + taus[0]
