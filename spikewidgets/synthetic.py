"""Random, untrained rate models in the published file layout.

They are the test and benchmark subjects that need no training: the same
keys, shapes and dtypes as a TensorFlow-trainer file, Dale's principle, sparse
recurrent weights. Their spiking accuracy is chance level; use the bundled
example models for meaningful searches.
"""

from __future__ import annotations

import numpy as np

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
        Ready for :func:`scipy.io.savemat` or :meth:`RateModel.from_arrays`.
    """
    if n_units < 2:
        raise ValueError(f"n_units is {n_units}, expected at least 2")
    rng = np.random.default_rng(seed)
    inh = rng.random(n_units) < p_inh
    exc = ~inh
    signs = np.where(inh, -1.0, 1.0)
    mask = rng.random((n_units, n_units)) < p_rec
    w = np.abs(rng.standard_normal((n_units, n_units))) * mask * gain / np.sqrt(n_units * p_rec)
    return {
        "w": w.astype(dtype),
        "w0": w.astype(dtype),
        "m": np.diag(signs).astype(dtype),
        "som_m": np.ones((n_units, n_units), dtype=dtype),
        "w_in": rng.standard_normal((n_units, n_inputs)).astype(dtype),
        "w_in0": rng.standard_normal((n_units, n_inputs)).astype(dtype),
        "w_out": (rng.standard_normal((1, n_units)) / np.sqrt(n_units)).astype(dtype),
        "b_out": np.zeros((1, 1), dtype=dtype),
        "N": np.array([[n_units]], dtype=np.int64),
        "exc": exc.reshape(-1, 1).astype(np.uint8),
        "inh": inh.reshape(-1, 1).astype(np.uint8),
        "som_N": np.array([[0]], dtype=np.int64),
        "taus": np.array([list(taus)], dtype=np.float64),
        "taus_gaus": rng.standard_normal((n_units, 1)).astype(dtype),
        "taus_gaus0": rng.standard_normal((n_units, 1)).astype(dtype),
        "activation": np.array(["sigmoid"]),
    }
