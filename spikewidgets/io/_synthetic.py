"""Random, untrained rate models in the published file layout.

They are the test and benchmark subjects that need no training: the same
keys, shapes and dtypes as a TensorFlow-trainer file, and the network the
trainer starts from (``spikewidgets.io._initial_network.initialize_network``: Dale's
principle, sparse non-negative recurrent weights). Their spiking accuracy is
chance level; use the bundled example models for meaningful searches.
"""

from __future__ import annotations

import numpy as np

from spikewidgets.io._initial_network import initialize_network

__all__ = ["random_model_arrays"]


def random_model_arrays(
    n_units: int = 200,
    n_inputs: int = 1,
    *,
    seed: int | None = 0,
    p_inh: float = 0.2,
    p_rec: float = 0.2,
    gain: float = 1.5,
    taus: tuple[float, float] = (4.0, 20.0),
    dtype: type = np.float32,
) -> dict[str, np.ndarray]:
    """Arrays of an untrained model in the ``.mat`` layout of the TensorFlow trainer.

    Parameters
    ----------
    n_units : int
        Number of units N.
    n_inputs : int
        Input channels (1 go_nogo, 2 xor, 4 mante).
    seed : int or None
        Seed of the NumPy Generator that draws every weight.
    p_inh, p_rec, gain : float
        Inhibitory fraction, connection probability and weight gain.
    taus : tuple of float
        Minimum and maximum synaptic decay (rate steps of 5 ms).
    dtype : numpy dtype
        Float type of the weight arrays (float32 like the TensorFlow trainer,
        float64 like the PyTorch port).

    Returns
    -------
    dict
        Ready for :func:`scipy.io.savemat` or :meth:`~spikewidgets.io.RateModel.from_arrays`.
        ``w``, ``w0``, ``m``, ``som_m``, ``w_in`` (= ``w_in0``), ``exc``,
        ``inh`` and ``taus_gaus0`` are the trainer's initial network;
        ``w_out ~ N(0, 1) / sqrt(N)`` and ``taus_gaus ~ N(0, 1)`` are drawn
        after it from the same generator.

    Examples
    --------
    A 50-unit model with two inputs, as a model file would hold it:

    >>> import numpy as np
    >>> from spikewidgets.io._modelfile import RateModel
    >>> from spikewidgets.io._synthetic import random_model_arrays
    >>> arrays = random_model_arrays(50, 2, seed=0)
    >>> arrays["w"].shape, arrays["w_in"].shape, arrays["w"].dtype
    ((50, 50), (50, 2), dtype('float32'))
    >>> model = RateModel.from_arrays(arrays)

    Dale's principle: every output of an inhibitory unit is negative or 0,
    every output of an excitatory unit positive or 0:

    >>> weights = model.recurrent_weights()
    >>> bool((weights[:, model.inh] <= 0).all()), bool((weights[:, model.exc] >= 0).all())
    (True, True)
    >>> np.array_equal(random_model_arrays(50, 2, seed=0)["w"], arrays["w"])  # seeded
    True
    """
    if n_units < 2:
        raise ValueError(f"n_units is {n_units}, expected at least 2")
    rng = np.random.default_rng(seed)
    net = initialize_network(n_units, n_inputs, rng, p_inh=p_inh, p_rec=p_rec, gain=gain)
    # The trainer's initial readout (N(0, 1) / 100) barely moves; draw a
    # stronger one. taus_gaus is drawn apart from taus_gaus0 so that, as in a
    # trained file, the initial and the final decays differ.
    w_out = rng.standard_normal((1, n_units)) / np.sqrt(n_units)
    taus_gaus = rng.standard_normal((n_units, 1))
    return {
        "w": net.w.astype(dtype),
        "w0": net.w.astype(dtype),
        "m": net.m.astype(dtype),
        "som_m": net.som_m.astype(dtype),
        "w_in": net.w_in.astype(dtype),
        "w_in0": net.w_in.astype(dtype),
        "w_out": w_out.astype(dtype),
        "b_out": np.zeros((1, 1), dtype=dtype),
        "N": np.array([[n_units]], dtype=np.int64),
        "exc": (~net.inh).reshape(-1, 1).astype(np.uint8),
        "inh": net.inh.reshape(-1, 1).astype(np.uint8),
        "som_N": np.array([[0]], dtype=np.int64),
        "taus": np.array([list(taus)], dtype=np.float64),
        "taus_gaus": taus_gaus.astype(dtype),
        "taus_gaus0": net.taus_gaus.astype(dtype),
        "activation": np.array(["sigmoid"]),
    }
