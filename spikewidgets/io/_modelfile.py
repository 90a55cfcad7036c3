"""Reading trained rate-model ``.mat`` files and writing search results back safely.

The layout is the one written by the published spikeRNN trainers (TensorFlow:
float32 arrays, 3-D state traces; PyTorch port: float64, 2-D states) through
``scipy.io.savemat`` (MATLAB v5). Extra keys are tolerated on reading and
preserved untouched on writing. MATLAB v7.3 (HDF5) files are refused with a
message that says how to convert them, because results could not be written
back into them in the same format.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.io

from spikewidgets.errors import ModelFileError, ModelWriteError
from spikewidgets.io._atomic import atomic_write
from spikewidgets.io._mat_reading import read_mat_file
from spikewidgets.io._model_arrays import ArrayReader

__all__ = [
    "REQUIRED_KEYS",
    "ModelFileError",
    "ModelWriteError",
    "RateModel",
    "file_sha256",
    "load_model",
    "read_raw",
    "write_search_results",
]

#: Keys that the conversion needs (see the model-format reference).
REQUIRED_KEYS = ("w", "w_in", "w_out", "m", "som_m", "N", "inh", "exc", "taus", "taus_gaus")

#: Rise time of the synaptic filter in seconds (fixed in the published method).
SYNAPTIC_RISE_TIME = 0.002


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class RateModel:
    """A trained rate RNN, as needed to build the spiking network.

    Instances are immutable: every array is a read-only float64 copy of the
    file's contents. Build them with :func:`load_model` or :meth:`from_arrays`.

    Attributes
    ----------
    w : ndarray, shape (N, N)
        Trained recurrent weights (non-negative under Dale's principle).
    m : ndarray, shape (N, N)
        Diagonal sign mask (+1 excitatory, -1 inhibitory).
    som_m : ndarray, shape (N, N)
        0/1 mask removing inhibitory inputs onto SOM units.
    w_in : ndarray, shape (N, n_inputs)
        Input weights.
    w_out : ndarray, shape (N,)
        Readout weights.
    taus : tuple of float
        Minimum and maximum synaptic decay in rate steps (one value: fixed).
    taus_gaus : ndarray, shape (N,)
        Trained pre-sigmoid decay parameters.
    exc, inh : ndarray of bool, shape (N,)
        Excitatory and inhibitory unit flags.
    w0, taus_gaus0 : ndarray or None
        Initial weights and decay parameters, when the file holds them.
    b_out : float or None
        Readout bias of the rate network (unused by the spiking readout).
    activation : str
        Activation function of the rate network (``"sigmoid"`` if not stored).
    opt_scaling_factor : float or None
        Optimal scaling factor of an earlier search, when the file holds one.
    path : Path or None
        File the model was read from.

    Examples
    --------
    A random 10-unit model in memory (:func:`load_model` reads one from a file).
    Its effective weights are signed by the sending unit; its synaptic decay
    constants lie between 4 and 20 rate steps of 5 ms:

    >>> from spikewidgets.io._modelfile import RateModel
    >>> from spikewidgets.io._synthetic import random_model_arrays
    >>> model = RateModel.from_arrays(random_model_arrays(10, 1, seed=0))
    >>> model.n_units, model.n_inputs, model.taus, model.w.flags.writeable
    (10, 1, (4.0, 20.0), False)
    >>> bool((model.recurrent_weights()[:, model.inh] <= 0).all())
    True
    >>> decay = model.synaptic_decay()
    >>> bool(0.02 <= decay.min() and decay.max() <= 0.1)
    True
    """

    w: np.ndarray
    m: np.ndarray
    som_m: np.ndarray
    w_in: np.ndarray
    w_out: np.ndarray
    taus: tuple[float, ...]
    taus_gaus: np.ndarray
    exc: np.ndarray
    inh: np.ndarray
    w0: np.ndarray | None = None
    taus_gaus0: np.ndarray | None = None
    b_out: float | None = None
    activation: str = "sigmoid"
    opt_scaling_factor: float | None = None
    path: Path | None = field(default=None)

    @property
    def n_units(self) -> int:
        """Number of units N."""
        return int(self.w.shape[0])

    @property
    def n_inputs(self) -> int:
        """Number of input channels (columns of ``w_in``)."""
        return int(self.w_in.shape[1])

    def recurrent_weights(self, use_initial_weights: bool = False) -> np.ndarray:
        """Effective signed recurrent matrix ``(w @ m) * som_m`` (before scaling).

        ``m`` is diagonal in every published layout, and then ``w @ m`` is
        computed as ``w * diag(m)``: the same values (every other term of the
        matrix product is zero), without a BLAS call, whose threads would
        keep spinning after it and slow the other workers of a search.
        """
        w = self._initial("w0") if use_initial_weights else self.w
        signs = np.diagonal(self.m)
        if np.count_nonzero(self.m) == np.count_nonzero(signs):
            return (w * signs) * self.som_m
        return (w @ self.m) * self.som_m

    def synaptic_decay(self, use_initial_weights: bool = False) -> np.ndarray:
        """Per-unit synaptic decay time constants ``td`` in seconds.

        ``td = (sigmoid(taus_gaus) * (taus[1] - taus[0]) + taus[0]) * 5 / 1000``,
        or ``taus[0] * 5 / 1000`` for every unit when ``taus`` has one value.
        """
        if len(self.taus) == 1:
            return np.full(self.n_units, self.taus[0] * 5 / 1000)
        gaus = self._initial("taus_gaus0") if use_initial_weights else self.taus_gaus
        t_min, t_max = self.taus
        # libm exp element by element, as the original computes it (np.exp may
        # differ in the last bit).
        sigmoid = np.array([1.0 / (1.0 + math.exp(-g)) for g in gaus])
        return (sigmoid * (t_max - t_min) + t_min) * 5 / 1000

    def _initial(self, name: str) -> np.ndarray:
        value = getattr(self, name)
        if value is None:
            raise ModelFileError(
                f"use_initial_weights=True needs the key {name!r}, which the model "
                f"{self.path or '(in memory)'} does not hold"
            )
        return value

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, object], path: str | os.PathLike | None = None
    ) -> RateModel:
        """Validate a mapping in the ``.mat`` layout and build a model from it.

        Parameters
        ----------
        arrays : mapping
            Keys and arrays as :func:`scipy.io.loadmat` returns them.
        path : path-like, optional
            Where the arrays came from, used in error messages.

        Raises
        ------
        ModelFileError
            For a missing key, an inconsistent shape, or non-finite values.
        """
        where = f"model file {path}" if path is not None else "model"
        missing = [key for key in REQUIRED_KEYS if key not in arrays]
        if missing:
            raise ModelFileError(
                f"{where}: missing required key(s) {', '.join(repr(k) for k in missing)}; "
                f"a rate-model file needs {', '.join(REQUIRED_KEYS)}"
            )
        read = ArrayReader(arrays, where)
        n = read.unit_count()
        w_in = read.numeric("w_in")
        if w_in.ndim != 2 or w_in.shape[0] != n or w_in.shape[1] < 1:
            raise ModelFileError(
                f"{where}: key 'w_in' has shape {w_in.shape}, expected ({n}, n_inputs) "
                f"(one row per unit)"
            )
        w_out = read.numeric("w_out")
        if w_out.shape not in ((1, n), (n,)):
            raise ModelFileError(
                f"{where}: key 'w_out' has shape {w_out.shape}, expected (1, {n}) (one readout)"
            )
        w0 = read.shaped("w0", (n, n), "N x N initial weights") if "w0" in arrays else None
        taus_gaus0 = read.per_unit("taus_gaus0", n) if "taus_gaus0" in arrays else None
        return cls(
            w=_frozen(read.shaped("w", (n, n), "N x N with N from key 'N'")),
            m=_frozen(read.shaped("m", (n, n), "N x N diagonal sign mask")),
            som_m=_frozen(read.shaped("som_m", (n, n), "N x N mask")),
            w_in=_frozen(w_in),
            w_out=_frozen(w_out.ravel()),
            taus=read.taus(),
            taus_gaus=_frozen(read.per_unit("taus_gaus", n)),
            exc=_frozen(read.per_unit("exc", n) != 0),
            inh=_frozen(read.per_unit("inh", n) != 0),
            w0=None if w0 is None else _frozen(w0),
            taus_gaus0=None if taus_gaus0 is None else _frozen(taus_gaus0),
            b_out=read.scalar("b_out"),
            activation=read.text("activation", "sigmoid"),
            opt_scaling_factor=read.scalar("opt_scaling_factor"),
            path=None if path is None else Path(path),
        )


def read_raw(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read every variable of a MATLAB v5 ``.mat`` file as stored (no squeezing).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFileError
        If the file is not a MAT file, is damaged, or is a MATLAB v7.3 (HDF5)
        file (the message names the file and says why).

    Examples
    --------
    The arrays in the shapes MATLAB stored (a scalar is 1 x 1):

    >>> import spikewidgets as sw
    >>> from spikewidgets.io._modelfile import read_raw
    >>> raw = read_raw(sw.example_model("go_nogo", "."))
    >>> raw["w"].shape, raw["w_out"].shape, raw["opt_scaling_factor"]
    ((200, 200), (1, 200), array([[30.]]))
    """
    path = Path(path)
    if path.suffix in (".pth", ".pt"):
        beside = path.with_suffix(".mat")
        hint = f" ({beside} is there)" if beside.exists() else ""
        raise ModelFileError(
            f"model file {path} is a PyTorch checkpoint; spikewidgets reads the .mat file that "
            f"the PyTorch port writes beside it: pass {beside.name}{hint}"
        )
    if not path.exists():
        raise FileNotFoundError(f"model file {path} does not exist")
    if path.is_dir():
        raise ModelFileError(f"model file {path} is a directory, expected a .mat file")
    return read_mat_file(path)


def load_model(path: str | os.PathLike) -> RateModel:
    """Load and validate a trained rate model from a ``.mat`` file.

    Parameters
    ----------
    path : str or path-like
        A MATLAB v5/v7 file in the layout of the published spikeRNN trainers.

    Returns
    -------
    RateModel
        Immutable model with float64 arrays.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ModelFileError
        If it is not a MAT file, is a v7.3 file, or does not hold a valid model
        (the message names the file, the key, what was found and what was expected).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> model = sw.load_model(sw.example_model("go_nogo", "."))
    >>> model.n_units, model.n_inputs, model.activation
    (200, 1, 'sigmoid')
    >>> model.opt_scaling_factor  # stored by the search of the bundled model
    30.0
    """
    return RateModel.from_arrays(read_raw(path), path=Path(path))


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes (hex), as a search records it for its model file.

    Examples
    --------
    >>> from pathlib import Path
    >>> from spikewidgets.io._modelfile import file_sha256
    >>> _ = Path("abc.txt").write_bytes(b"abc")
    >>> file_sha256("abc.txt")
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_compressed(path: Path) -> bool:
    """Whether the first variable of a v5 MAT file is stored zlib-compressed."""
    with open(path, "rb") as handle:
        header = handle.read(136)
    if len(header) < 132:
        return False
    endian = "<" if header[126:128] == b"IM" else ">"
    (data_type,) = struct.unpack(endian + "I", header[128:132])
    return data_type == 15  # miCOMPRESSED


def write_search_results(
    path: str | os.PathLike,
    opt_scaling_factor: float,
    all_perfs: np.ndarray,
    scaling_factors: np.ndarray,
) -> None:
    """Store a search's results in a model file, atomically.

    Writes ``opt_scaling_factor`` (1 x 1), ``all_perfs`` (n x 1) and
    ``scaling_factors`` (1 x n) in the shapes of the original MATLAB code,
    replacing earlier results and keeping every other key and its dtype as
    stored. The new file is written next to the old one and renamed over it,
    so the file is either fully updated or unchanged.

    Raises
    ------
    ModelWriteError
        If the file could not be written; it is then left untouched.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.io._modelfile import read_raw
    >>> path = sw.example_model("go_nogo", ".")
    >>> sw.write_search_results(path, 35.0, [0.5, 0.9, 0.8], [30, 35, 40])
    >>> raw = read_raw(path)
    >>> raw["opt_scaling_factor"], raw["all_perfs"].ravel(), raw["scaling_factors"]
    (array([[35.]]), array([0.5, 0.9, 0.8]), array([[30., 35., 40.]]))
    """
    path = Path(path)
    all_perfs = np.asarray(all_perfs, dtype=np.float64).reshape(-1, 1)
    scaling_factors = np.asarray(scaling_factors, dtype=np.float64).reshape(1, -1)
    if all_perfs.shape[0] != scaling_factors.shape[1]:
        raise ValueError(
            f"all_perfs has {all_perfs.shape[0]} values but scaling_factors has "
            f"{scaling_factors.shape[1]}; expected one accuracy per scaling factor"
        )
    contents = read_raw(path)
    compressed = _is_compressed(path)
    contents["opt_scaling_factor"] = np.array([[float(opt_scaling_factor)]])
    contents["all_perfs"] = all_perfs
    contents["scaling_factors"] = scaling_factors

    def write(temporary: str) -> None:
        scipy.io.savemat(temporary, contents, do_compression=compressed)

    try:
        atomic_write(path, write)
    except OSError as error:
        raise ModelWriteError(
            f"could not write search results into {path}: {error.strerror or error}; "
            "the file is unchanged"
        ) from error
