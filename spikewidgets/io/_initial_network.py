"""The initial network of the published trainer, shared by the trainer and the synthetic models.

- Dale's principle: each unit is inhibitory with probability ``p_inh``; the
  sign mask ``m`` is diagonal (+1 excitatory, -1 inhibitory). The first
  ``n_som`` inhibitory units (SOM units) get no inhibitory input (``som_m``).
- Recurrent weights: a fraction ``p_rec`` of entries drawn from
  ``N(0, 1) * gain / sqrt(N * p_rec)``, absolute values taken.
- ``w_in ~ N(0, 1)``, ``w_out ~ N(0, 1) / 100``, decay parameters
  ``taus_gaus ~ N(0, 1)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["InitialNetwork", "initialize_network"]


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
        Input weights (the trainer keeps them fixed).
    w_out : ndarray, float32, shape (1, N)
        Readout weights.
    taus_gaus : ndarray, float32, shape (N, 1)
        Decay parameters (decay = sigmoid(taus_gaus) scaled into ``taus``).
    inh : ndarray of bool, shape (N,)
        Inhibitory units.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.io._initial_network import initialize_network
    >>> net = initialize_network(200, 2, np.random.default_rng(0))
    >>> net.w.shape, net.w_in.shape, net.w_out.shape, net.taus_gaus.shape
    ((200, 200), (200, 2), (1, 200), (200, 1))
    >>> np.diag(net.m)[net.inh][:3], np.diag(net.m)[~net.inh][:3]
    (array([-1., -1., -1.], dtype=float32), array([1., 1., 1.], dtype=float32))
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
    p_inh: float = 0.2,
    p_rec: float = 0.2,
    n_som: int = 0,
    gain: float = 1.5,
) -> InitialNetwork:
    """Draw the initial network of the published trainer from ``rng``.

    Parameters
    ----------
    n_units, n_inputs : int
        Number of units N (at least 2) and of input channels (at least 1).
    rng : numpy.random.Generator
        Source of every draw, in this order: unit types, connections,
        recurrent weights, ``w_in``, ``w_out``, ``taus_gaus``.
    p_inh : float
        Probability that a unit is inhibitory.
    p_rec : float
        Probability of a recurrent connection (> 0).
    n_som : int
        Number of SOM units: the first ``n_som`` inhibitory units (fewer if
        there are fewer inhibitory units).
    gain : float
        Gain of the recurrent weights, ``N(0, 1) * gain / sqrt(N * p_rec)``.

    Returns
    -------
    InitialNetwork

    Raises
    ------
    ValueError
        For a count, probability or gain out of range.

    Examples
    --------
    Non-negative weights (the signs are in ``m``), a fraction ``p_rec`` of
    them connected, a fraction ``p_inh`` of the units inhibitory:

    >>> import numpy as np
    >>> from spikewidgets.io._initial_network import initialize_network
    >>> net = initialize_network(200, 1, np.random.default_rng(0))
    >>> bool((net.w >= 0).all()), round(float((net.w > 0).mean()), 2), int(net.inh.sum())
    (True, 0.2, 37)

    The first ``n_som`` inhibitory units get no inhibitory input:

    >>> small = initialize_network(10, 1, np.random.default_rng(0), p_inh=0.5, n_som=2)
    >>> small.som_m[small.inh][:, small.inh]
    array([[0., 0., 0.],
           [0., 0., 0.],
           [1., 1., 1.]], dtype=float32)
    """
    if n_units < 2:
        raise ValueError(f"n_units is {n_units!r}, expected an integer >= 2")
    if n_inputs < 1:
        raise ValueError(f"n_inputs is {n_inputs!r}, expected an integer >= 1")
    if not 0 <= p_inh <= 1:
        raise ValueError(f"p_inh is {p_inh!r}, expected a probability in [0, 1]")
    if not 0 < p_rec <= 1:
        raise ValueError(f"p_rec is {p_rec!r}, expected a probability in (0, 1]")
    if n_som < 0:
        raise ValueError(f"n_som is {n_som!r}, expected an integer >= 0")
    if not gain > 0:
        raise ValueError(f"gain is {gain!r}, expected a positive number")
    inh = rng.random(n_units) < p_inh
    connected = rng.random((n_units, n_units)) < p_rec
    w = np.zeros((n_units, n_units))
    w[connected] = rng.standard_normal(int(connected.sum()))
    w = np.abs(w / np.sqrt(n_units * p_rec) * gain)
    m = np.diag(np.where(inh, -1.0, 1.0))
    som_m = np.ones((n_units, n_units))
    inh_units = np.flatnonzero(inh)
    for unit in inh_units[:n_som]:
        som_m[unit, inh_units] = 0.0
    w_in = rng.standard_normal((n_units, n_inputs))
    w_out = rng.standard_normal((1, n_units)) / 100
    taus_gaus = rng.standard_normal((n_units, 1))
    f32 = np.float32
    return InitialNetwork(
        w.astype(f32), m.astype(f32), som_m.astype(f32), w_in.astype(f32),
        w_out.astype(f32), taus_gaus.astype(f32), inh,
    )
