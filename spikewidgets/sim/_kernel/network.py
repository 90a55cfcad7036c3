"""The spiking networks a trial simulates: network variants and the batch they form.

A :class:`NetworkVariant` is one LIF network made from a rate model: its
recurrent weights and readout (divided by its scaling factor), its input
weights and an optional :class:`Stimulation`. A :class:`LIFNetwork` is a
batch of variants of one model that share each trial's stimulus and noise:
the scaling factors of a grid search are one kind of variant, perturbed
copies of the network another.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from spikewidgets.io._modelfile import RateModel
from spikewidgets.sim.constants import BASE_DT, STEPS_PER_COLUMN

__all__ = ["LIFNetwork", "NetworkVariant", "Stimulation", "libm_exp", "rate_sample_interval",
           "scaling_variants"]


def libm_exp(values: np.ndarray) -> np.ndarray:
    """Element-wise ``exp`` through libm, as the original computes it (NumPy's may differ).

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from spikewidgets.sim._kernel import libm_exp
    >>> values = np.array([[0.0, 1.0], [-1.0, 2.0]])
    >>> libm_exp(values)
    array([[1.        , 2.71828183],
           [0.36787944, 7.3890561 ]])
    >>> bool(libm_exp(values)[1, 1] == math.exp(2.0))
    True
    """
    return np.array([math.exp(x) for x in np.ravel(values)]).reshape(np.shape(values))


@dataclass(frozen=True)
class Stimulation:
    """Artificial stimulation of some units (modelling optogenetics), as in the original.

    During 1-based steps ``start <= i < stop``, with probability 0.5 per step,
    ``+0.5`` mV (``mode="exc"``) or ``-0.5`` mV (``mode="inh"``) is added to
    the membrane voltage of ``units`` right after the noise.

    Examples
    --------
    Units 0 to 2 of a random 20-unit network, stimulated for the whole
    trial, fire more than without stimulation on the same noise; silenced,
    less:

    >>> import numpy as np
    >>> from spikewidgets.sim._kernel import LIFNetwork, Stimulation, run_lif
    >>> from spikewidgets.io._modelfile import RateModel
    >>> from spikewidgets.io._synthetic import random_model_arrays
    >>> model = RateModel.from_arrays(random_model_arrays(20, 1, seed=0))
    >>> network = LIFNetwork.from_model(model, [20.0])
    >>> u = np.zeros((1, 11))  # 10 rate steps: 1000 LIF steps
    >>> def spikes_of_units_0_to_2(stimulation):
    ...     result = run_lif(network, u, rng=np.random.default_rng(0), stimulation=stimulation)
    ...     return result.spike_counts[0, :3].tolist()
    >>> spikes_of_units_0_to_2(None)
    [2, 1, 1]
    >>> spikes_of_units_0_to_2(Stimulation("exc", (0, 1, 2), start=1, stop=1001))
    [11, 10, 10]
    >>> spikes_of_units_0_to_2(Stimulation("inh", (0, 1, 2), start=1, stop=1001))
    [0, 0, 0]
    >>> Stimulation("inh", (0,), 1, 10).amplitude
    -0.5
    """

    mode: str
    units: tuple[int, ...]
    start: int
    stop: int

    def __post_init__(self) -> None:
        if self.mode not in ("exc", "inh"):
            raise ValueError(f"Stimulation mode is {self.mode!r}, expected 'exc' or 'inh'")
        if not 1 <= self.start <= self.stop:
            raise ValueError(
                f"Stimulation steps are start={self.start}, stop={self.stop}; "
                "expected 1 <= start <= stop (1-based LIF steps)"
            )

    @property
    def amplitude(self) -> float:
        """Voltage added per stimulated step (mV)."""
        return 0.5 if self.mode == "exc" else -0.5


@dataclass(frozen=True, eq=False)
class NetworkVariant:
    """One spiking network of a batch, before division by its scaling factor.

    Attributes
    ----------
    weights : ndarray, shape (N, N)
        Effective signed recurrent weights ``(w @ m) * som_m`` of the rate
        model, perturbed or not (row: postsynaptic unit).
    readout : ndarray, shape (N,)
        Readout weights ``w_out``.
    scaling_factor : float
        Positive factor dividing ``weights`` and ``readout`` (as the original:
        ``W / sf``; the paper's lambda is ``1 / sf``).
    w_in : ndarray, shape (N, n_inputs), optional
        Input weights; None for the batch's shared ones.
    stimulation : Stimulation, optional
        Stimulation applied to this variant only.

    Examples
    --------
    The intact network and a copy whose units 0 to 2 are stimulated, in one
    batch: they see the same noise, and each gets what it would get alone:

    >>> import numpy as np
    >>> from spikewidgets.sim._kernel import LIFNetwork, NetworkVariant, Stimulation, run_lif
    >>> from spikewidgets.io._modelfile import RateModel
    >>> from spikewidgets.io._synthetic import random_model_arrays
    >>> model = RateModel.from_arrays(random_model_arrays(20, 1, seed=0))
    >>> weights = model.recurrent_weights()
    >>> intact = NetworkVariant(weights, model.w_out, 20.0)
    >>> stimulated = NetworkVariant(weights, model.w_out, 20.0,
    ...                             stimulation=Stimulation("exc", (0, 1, 2), 1, 1001))
    >>> network = LIFNetwork.from_variants(model, [intact, stimulated])
    >>> u = np.zeros((1, 11))
    >>> both = run_lif(network, u, rng=np.random.default_rng(0),
    ...                stimulation_rng=np.random.default_rng(1))
    >>> both.spike_counts[:, :3].tolist()
    [[2, 1, 1], [11, 11, 10]]
    >>> alone = run_lif(LIFNetwork.from_variants(model, [intact]), u,
    ...                 rng=np.random.default_rng(0))
    >>> np.array_equal(alone.out[0], both.out[0])
    True
    """

    weights: np.ndarray
    readout: np.ndarray
    scaling_factor: float
    w_in: np.ndarray | None = None
    stimulation: Stimulation | None = None

    def __post_init__(self) -> None:
        factor = float(self.scaling_factor)
        if not math.isfinite(factor) or factor <= 0:
            raise ValueError(
                f"scaling_factor is {self.scaling_factor!r}, expected a finite positive value"
            )


def scaling_variants(model: RateModel, scaling_factors: Sequence[float] | np.ndarray, *,
                     use_initial_weights: bool = False) -> list[NetworkVariant]:
    """One variant of the intact network per scaling factor (the variants of a grid search).

    Examples
    --------
    >>> from spikewidgets.sim._kernel import scaling_variants
    >>> from spikewidgets.io._modelfile import RateModel
    >>> from spikewidgets.io._synthetic import random_model_arrays
    >>> model = RateModel.from_arrays(random_model_arrays(20, 1, seed=0))
    >>> variants = scaling_variants(model, [10, 20])
    >>> [variant.scaling_factor for variant in variants]
    [10.0, 20.0]
    >>> variants[0].weights is variants[1].weights  # one matrix, not a copy per factor
    True
    """
    weights = model.recurrent_weights(use_initial_weights)
    return [NetworkVariant(weights, model.w_out, float(sf)) for sf in scaling_factors]


@dataclass(frozen=True, eq=False)
class LIFNetwork:
    """A batch of K network variants of one rate model, ready to simulate.

    Build with :meth:`from_model` (one variant per scaling factor) or
    :meth:`from_variants`. ``W`` and the readout of each variant are divided
    by its scaling factor exactly as the original does (``((w @ m) * som_m) / sf``).

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.sim._kernel import LIFNetwork
    >>> from spikewidgets.io._modelfile import RateModel
    >>> from spikewidgets.io._synthetic import random_model_arrays
    >>> model = RateModel.from_arrays(random_model_arrays(20, 1, seed=0))
    >>> network = LIFNetwork.from_model(model, [10.0, 20.0])
    >>> network.n_variants, network.n_units, network.dt
    (2, 20, 5e-05)
    >>> np.array_equal(network.readout[1], model.w_out / 20.0)
    True

    An input of 11 columns (rate steps of 5 ms) lasts 0.05 s, 1000 LIF steps:

    >>> network.timing(11)
    (0.05, 1000)
    """

    weights_by_presynaptic: np.ndarray  # (K, N, N): [k, j, :] = W_k[:, j]
    readout: np.ndarray  # (K, N): w_out / sf_k
    w_in: np.ndarray  # (N, n_inputs): input weights of variants that keep the model's
    td: np.ndarray  # (N,) synaptic decay (s)
    scaling_factors: np.ndarray  # (K,)
    downsample: int
    exc: np.ndarray  # (N,) bool
    input_sets: np.ndarray  # (S, N, n_inputs): distinct input weights, w_in first
    input_set: np.ndarray  # (K,) int: which input weights each variant uses
    stimulations: tuple[Stimulation | None, ...] = ()  # (K,) per-variant stimulation

    @classmethod
    def from_model(
        cls,
        model: RateModel,
        scaling_factors: float | Sequence[float] | np.ndarray,
        *,
        downsample: int = 1,
        use_initial_weights: bool = False,
    ) -> LIFNetwork:
        """Prepare the spiking network of ``model`` for one or more scaling factors.

        Parameters
        ----------
        model : RateModel
            The trained rate model.
        scaling_factors : float or sequence of float
            Positive factors dividing the recurrent and readout weights.
        downsample : int, default 1
            Take every ``downsample``-th input column and a time step
            ``downsample`` times longer (0.05 ms x downsample).
        use_initial_weights : bool, default False
            Use the untrained recurrent weights ``w0``. As in the original, the
            synaptic decay stays the trained one (``taus_gaus``): the published
            ``LIF_network_fnc.m`` computes ``td0`` from ``taus_gaus0`` but only
            returns it, and simulates ``w0`` with the trained ``td``.
        """
        factors = np.atleast_1d(np.asarray(scaling_factors, dtype=np.float64))
        if factors.ndim != 1 or factors.size == 0:
            raise ValueError(
                f"scaling_factors has shape {factors.shape}, expected one or more values"
            )
        if not np.all(np.isfinite(factors)) or np.any(factors <= 0):
            raise ValueError(
                f"scaling_factors is {factors.tolist()}, expected finite positive values"
            )
        variants = scaling_variants(model, factors, use_initial_weights=use_initial_weights)
        return cls.from_variants(model, variants, downsample=downsample)

    @classmethod
    def from_variants(
        cls,
        model: RateModel,
        variants: Sequence[NetworkVariant],
        *,
        downsample: int = 1,
    ) -> LIFNetwork:
        """Prepare a batch of network variants of ``model`` that share each trial's noise.

        Parameters
        ----------
        model : RateModel
            Gives the shared input weights, synaptic decay and unit types.
        variants : sequence of NetworkVariant
            The networks of the batch, in order.
        downsample : int, default 1
            LIF time-step multiplier.

        The synaptic decay ``td`` is always the trained one, whatever the
        variants' weights are (as the original, see :meth:`from_model`).
        """
        if not variants:
            raise ValueError("variants is empty, expected at least one network variant")
        if int(downsample) != downsample or downsample < 1:
            raise ValueError(f"downsample is {downsample!r}, expected a positive integer")
        n_units = model.n_units
        for index, variant in enumerate(variants):
            if np.shape(variant.weights) != (n_units, n_units) or \
                    np.size(variant.readout) != n_units:
                raise ValueError(
                    f"variant {index} has weights of shape {np.shape(variant.weights)} and "
                    f"{np.size(variant.readout)} readout weights, expected ({n_units}, "
                    f"{n_units}) and {n_units}"
                )
        input_sets, input_set = _distinct_inputs(model.w_in, variants)
        factors = np.array([float(v.scaling_factor) for v in variants])
        # [k, j, :] = W_k[:, j] / sf_k: a spiking unit's outputs are contiguous. Filled in
        # place, variant by variant, so that no second (K, N, N) array is ever made. The
        # original's `W / sf` element by element (transposing changes no value).
        by_presynaptic = np.empty((len(variants), n_units, n_units))
        for k, variant in enumerate(variants):
            np.divide(np.asarray(variant.weights, dtype=np.float64).T, variant.scaling_factor,
                      out=by_presynaptic[k])
        # The original divides the readout by the scaling factor too (`w_out / sf`), and its
        # spiking readout has no bias: b_out is not used.
        readout = np.stack([np.asarray(v.readout, dtype=np.float64).ravel() / v.scaling_factor
                            for v in variants])
        return cls(
            weights_by_presynaptic=by_presynaptic,
            readout=np.ascontiguousarray(readout),
            w_in=np.ascontiguousarray(model.w_in),
            td=np.ascontiguousarray(model.synaptic_decay()),
            scaling_factors=factors,
            downsample=int(downsample),
            exc=np.asarray(model.exc, dtype=bool),
            input_sets=input_sets,
            input_set=input_set,
            stimulations=tuple(v.stimulation for v in variants),
        )

    @property
    def n_variants(self) -> int:
        """Number of variants K."""
        return int(self.scaling_factors.size)

    @property
    def n_units(self) -> int:
        """Number of units N."""
        return int(self.td.shape[0])

    @property
    def dt(self) -> float:
        """LIF time step in seconds."""
        return BASE_DT * self.downsample

    def timing(self, n_columns: int) -> tuple[float, int]:
        """Trial length ``T`` (s) and number of steps ``nt`` for an input of ``n_columns``.

        ``n_columns`` counts the input columns before downsampling.
        """
        used = len(range(0, n_columns, self.downsample))
        # The original's `T = (size(u, 2) - 1) * dt * 100` and `nt = round(T / dt)`, in that
        # order of operations: T / dt is not always an integer in floating point. (Python's
        # round is half to even, MATLAB's half away, but T / dt is never near a half.)
        trial_length = (used - 1) * self.dt * STEPS_PER_COLUMN
        return trial_length, round(trial_length / self.dt)


def _distinct_inputs(shared: np.ndarray, variants: Sequence[NetworkVariant]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Distinct input weights (the model's first) and each variant's index among them."""
    sets = [np.ascontiguousarray(shared, dtype=np.float64)]
    index = np.zeros(len(variants), dtype=np.int64)
    for k, variant in enumerate(variants):
        if variant.w_in is None:
            continue
        w_in = np.asarray(variant.w_in, dtype=np.float64)
        if w_in.shape != shared.shape:
            raise ValueError(
                f"variant {k} has input weights of shape {w_in.shape}, expected {shared.shape}"
            )
        for s, known in enumerate(sets):
            if known is w_in or np.array_equal(known, w_in):
                index[k] = s
                break
        else:
            index[k] = len(sets)
            sets.append(np.ascontiguousarray(w_in))
    return np.stack(sets), index


def rate_sample_interval(downsample: int) -> int:
    """LIF steps per 5 ms rate step at ``downsample``: ``100 / downsample``, which must divide.

    Examples
    --------
    >>> from spikewidgets.sim._kernel.network import rate_sample_interval
    >>> rate_sample_interval(1), rate_sample_interval(4)
    (100, 25)
    """
    if STEPS_PER_COLUMN % int(downsample) != 0:
        raise ValueError(f"downsample is {downsample}; comparing with the rate network "
                         f"needs a divisor of {STEPS_PER_COLUMN} (1, 2, 4, 5, 10, ...)")
    return STEPS_PER_COLUMN // int(downsample)
