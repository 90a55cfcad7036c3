"""The LIF network of the published rate-to-spike conversion, compiled with Numba.

This module is pure NumPy/Numba: no xarray, no widgets. It follows the update
rules of the original MATLAB implementation to the bit (same update order,
strict refractory test on ``dt * i``, MATLAB rounding of the input column,
libm ``exp`` for the decay factors, readout divided by the scaling factor), so
that, given the same initial draw and noise, spike trains and voltages equal
those of the original.

One call simulates one trial for several scaling factors at once: the trial's
Gaussian noise, which is most of the cost, is drawn once, block by block, and
shared by every factor. The comparison between factors is therefore paired,
and memory stays O(N) per factor beyond one block of noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from .modelfile import SYNAPTIC_RISE_TIME, RateModel

__all__ = [
    "BASE_DT",
    "LIFNetwork",
    "LIFResult",
    "Stimulation",
    "run_lif",
]

#: LIF time step in seconds at ``downsample=1`` (0.05 ms).
BASE_DT = 0.00005
TAU_M = 0.01  # membrane time constant (s)
INVERSE_TAU_M = 1 / TAU_M
T_REF = 0.002  # refractory period (s)
V_RESET = -65.0  # reset voltage (mV)
V_PEAK = -40.0  # spike threshold (mV)
V_SPIKE = 30.0  # voltage recorded at a spike (mV)
BIAS = -40.0  # bias current
STEPS_PER_COLUMN = 100  # LIF steps per rate-model input column
SMALLEST_NORMAL = float(np.finfo(np.float64).smallest_normal)
FIRST_COUNTED_STEP = 10  # mean rates count spikes from this (1-based) step on


@dataclass(frozen=True)
class Stimulation:
    """Artificial stimulation of some units (modelling optogenetics).

    During 1-based steps ``start <= i < stop``, with probability 0.5 per step,
    ``+0.5`` mV (``mode="exc"``) or ``-0.5`` mV (``mode="inh"``) is added to
    the membrane voltage of ``units`` right after the noise.
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
class LIFNetwork:
    """A rate model turned into LIF parameters for a set of scaling factors.

    Build with :meth:`from_model`. ``W`` and the readout are divided by each
    scaling factor exactly as the original does (``((w @ m) * som_m) / sf``).
    """

    weights_by_presynaptic: np.ndarray  # (K, N, N): [k, j, :] = W_k[:, j]
    readout: np.ndarray  # (K, N): w_out / sf_k
    w_in: np.ndarray  # (N, n_inputs)
    td: np.ndarray  # (N,) synaptic decay (s)
    scaling_factors: np.ndarray  # (K,)
    downsample: int
    exc: np.ndarray  # (N,) bool

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
            Use the untrained weights ``w0`` and decay parameters ``taus_gaus0``.
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
        if int(downsample) != downsample or downsample < 1:
            raise ValueError(f"downsample is {downsample!r}, expected a positive integer")
        base = model.recurrent_weights(use_initial_weights)
        scaled = np.stack([base / sf for sf in factors])  # (K, N, N) as W_k
        by_presynaptic = np.ascontiguousarray(scaled.transpose(0, 2, 1))
        readout = np.stack([model.w_out / sf for sf in factors])
        return cls(
            weights_by_presynaptic=by_presynaptic,
            readout=np.ascontiguousarray(readout),
            w_in=np.ascontiguousarray(model.w_in),
            td=np.ascontiguousarray(model.synaptic_decay(use_initial_weights)),
            scaling_factors=factors,
            downsample=int(downsample),
            exc=np.asarray(model.exc, dtype=bool),
        )

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
        trial_length = (used - 1) * self.dt * STEPS_PER_COLUMN
        return trial_length, round(trial_length / self.dt)


@dataclass(frozen=True, eq=False)
class LIFResult:
    """What :func:`run_lif` recorded for one trial and K scaling factors.

    Attributes
    ----------
    out : ndarray, shape (K, nt - out_start + 1)
        Spiking readout from 1-based step ``out_start`` to ``nt``.
    spike_counts : ndarray of int64, shape (K, N)
        Spikes per unit from step 10 on.
    spike_units, spike_steps : list of ndarray or None
        Per factor, the unit (0-based) and 1-based step of every spike, ordered
        by step then unit; ``None`` unless spikes were recorded.
    voltages, rates : ndarray, shape (K, nt, N), or None
        Membrane voltage (mV, after the spike/record step) and filtered spike
        train ``r`` for every step, when recorded.
    """

    out: np.ndarray
    out_start: int
    spike_counts: np.ndarray
    dt: float
    trial_length: float
    n_steps: int
    spike_units: list[np.ndarray] | None = None
    spike_steps: list[np.ndarray] | None = None
    voltages: np.ndarray | None = None
    rates: np.ndarray | None = None

    @property
    def mean_rates(self) -> np.ndarray:
        """Mean firing rate per unit (Hz), spikes from step 10 on over the trial length."""
        return self.spike_counts / self.trial_length


@intrinsic
def _fma(typingctx, a, b, c):  # pragma: no cover - compiled
    """Fused multiply-add ``a * b + c`` with a single rounding (llvm.fma)."""
    signature = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, sig, args):
        double = ir.DoubleType()
        function = builder.module.declare_intrinsic(
            "llvm.fma", [double], ir.FunctionType(double, [double, double, double])
        )
        return builder.call(function, args)

    return signature, codegen


@numba.njit(cache=True, nogil=True, inline="always")
def _divide(numerator, denominator, reciprocal):  # pragma: no cover - compiled
    """``numerator / denominator``, correctly rounded, without a division instruction.

    ``reciprocal`` must be ``1 / denominator`` rounded to nearest. One Newton
    step on the residual (computed exactly with an FMA) gives the correctly
    rounded quotient (Markstein's theorem), bit-identical to IEEE division
    for normal numbers and several times faster in vectorized loops.
    """
    quotient = numerator * reciprocal
    residual = _fma(-quotient, denominator, numerator)
    return _fma(residual, reciprocal, quotient)


@numba.njit(cache=True, nogil=True, inline="always")
def _flush(value):  # pragma: no cover - compiled
    """Zero for subnormal values (below 2.2e-308), the value otherwise.

    Synaptic traces of a unit silent for more than ~1.4 s decay into the
    subnormal range, where x86 arithmetic is about 100 times slower. Such a
    value added to a current or voltage of order 1 changes nothing, so
    spikes and voltages are unchanged; traces differ from the original only
    below 2.2e-308 in absolute value.
    """
    return value if abs(value) >= SMALLEST_NORMAL else 0.0


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "nsz", "arcp", "contract"})
def _readout(weights, rates, k):  # pragma: no cover - compiled
    # Row k of weights times row k of rates. Reassociated (vectorized) sum: it
    # differs from BLAS by rounding only (~1e-15 relative).
    total = 0.0
    for n in range(weights.shape[1]):
        total += weights[k, n] * rates[k, n]
    return total


@numba.njit(cache=True, nogil=True)
def _advance(
    first_step, n_block, dt, noise, noise_divisor, ext_by_column, weights_by_presynaptic,
    readout, decay_td, decay_tr, tr_td, inv_tr_td, stim_units, stim_amplitude, stim_on,
    v, ipsc, h, r, hr, jd, tlast, above, above_words, scaled, spiking, spike_counts, out,
    out_start, record_spikes, spike_units, spike_steps, spike_factor, n_spikes,
    record_traces, voltages, rates,
):  # pragma: no cover - compiled
    """Advance the state of K networks (one per scaling factor) by ``n_block`` steps.

    The K networks are independent, so each is advanced through the whole
    block before the next: its state (a few kB) stays in the L1 cache while
    the block's noise, shared by all factors, is read once per factor.
    ``above`` (N padded to 8) is the step's spike mask and ``above_words`` the
    same memory viewed as uint64, so that the search for spiking units skips
    8 silent units at a time. ``jd`` holds the summed synaptic input of the
    step's spiking units. ``scaled`` (at least n_block x N) and ``spiking``
    (N) are work space, allocated once per trial by the caller: allocating
    them here, per block, made threads fight over page faults.
    """
    n_factors, n_units = v.shape
    words = above_words.shape[0]
    inverse_noise_divisor = 1.0 / noise_divisor
    for s in range(n_block):
        for n in range(n_units):
            scaled[s, n] = _divide(noise[s, n], noise_divisor, inverse_noise_divisor)
    for k in range(n_factors):
        vk, ipsck, hk, rk, hrk, tlastk = v[k], ipsc[k], h[k], r[k], hr[k], tlast[k]
        for s in range(n_block):
            i = first_step + s
            column = (i + STEPS_PER_COLUMN // 2) // STEPS_PER_COLUMN
            now = dt * i
            # Membrane update, branch-free so that it vectorizes. A refractory
            # unit gets (v + 0) + noise, exactly what dv = 0 gives in the original.
            n_above = 0
            for n in range(n_units):
                current = (ipsck[n] + BIAS) + ext_by_column[column, n]
                step = dt * _divide(-vk[n] + current, TAU_M, INVERSE_TAU_M)
                active = now > tlastk[n] + T_REF
                value = (vk[n] + (step if active else 0.0)) + scaled[s, n]
                vk[n] = value
                spiked = value >= V_PEAK
                above[n] = spiked
                n_above += spiked
            if stim_on[s]:
                n_above = 0
                for n in range(n_units):
                    value = vk[n] + stim_amplitude * stim_units[n]
                    vk[n] = value
                    spiked = value >= V_PEAK
                    above[n] = spiked
                    n_above += spiked
            count = 0
            if n_above > 0:
                for word in range(words):
                    if above_words[word] != 0:
                        for n in range(word * 8, word * 8 + 8):
                            if above[n]:
                                spiking[count] = n
                                count += 1
                # JD = sum of the spiking units' columns, in ascending unit order.
                j = spiking[0]
                for n in range(n_units):
                    jd[n] = weights_by_presynaptic[k, j, n]
                for c in range(1, count):
                    j = spiking[c]
                    for n in range(n_units):
                        jd[n] += weights_by_presynaptic[k, j, n]
                # Synaptic filters, each from the other's old value.
                for n in range(n_units):
                    ipsck[n] = _flush(ipsck[n] * decay_td[n] + hk[n] * dt)
                    hk[n] = _flush(hk[n] * decay_tr + _divide(jd[n], tr_td[n], inv_tr_td[n]))
                    rk[n] = _flush(rk[n] * decay_td[n] + hrk[n] * dt)
                    hrk[n] = _flush(hrk[n] * decay_tr + (inv_tr_td[n] if above[n] else 0.0))
                for c in range(count):
                    n = spiking[c]
                    tlastk[n] = tlastk[n] + (now - tlastk[n])
                    if i >= FIRST_COUNTED_STEP:
                        spike_counts[k, n] += 1
                    vk[n] = vk[n] + (V_SPIKE - vk[n])
            else:
                for n in range(n_units):
                    ipsck[n] = _flush(ipsck[n] * decay_td[n] + hk[n] * dt)
                    hk[n] = _flush(hk[n] * decay_tr)
                    rk[n] = _flush(rk[n] * decay_td[n] + hrk[n] * dt)
                    hrk[n] = _flush(hrk[n] * decay_tr)
            if i >= out_start:
                out[k, i - out_start] = _readout(readout, r, k)
            if record_spikes:
                for c in range(count):
                    spike_units[n_spikes] = spiking[c]
                    spike_steps[n_spikes] = i
                    spike_factor[n_spikes] = k
                    n_spikes += 1
            if record_traces:
                for n in range(n_units):
                    voltages[k, i - 1, n] = vk[n]
                    rates[k, i - 1, n] = rk[n]
            for c in range(count):
                n = spiking[c]
                vk[n] = vk[n] + (V_RESET - vk[n])
    return n_spikes


@numba.njit(cache=True, nogil=True)
def _input_by_column(w_in, u, downsample):  # pragma: no cover - compiled
    """``(w_in @ u[:, ::downsample]).T``, without BLAS.

    Each value is summed over the inputs in order with fused multiply-adds,
    as OpenBLAS does on x86-64 (the same bits as NumPy's product in the
    tests). A BLAS call here would start BLAS's own threads, which keep
    spinning after the call and take CPU time from the other workers of a
    search, and its last bits would depend on the BLAS build.
    """
    n_units, n_inputs = w_in.shape
    n_columns = (u.shape[1] + downsample - 1) // downsample
    out = np.empty((n_columns, n_units))
    for c in range(n_columns):
        column = c * downsample
        for n in range(n_units):
            total = w_in[n, 0] * u[0, column] if n_inputs > 0 else 0.0
            for k in range(1, n_inputs):
                total = _fma(w_in[n, k], u[k, column], total)
            out[c, n] = total
    return out


@numba.njit(cache=True, nogil=True)
def _standard_normal(rng, out):  # pragma: no cover - compiled
    """Fill ``out`` with ``rng.standard_normal()`` draws, in C order.

    Numba runs NumPy's own algorithm on the Generator's bit stream, so the
    values are those of ``rng.standard_normal(out=out)``, about twice as fast
    and without holding the GIL.
    """
    flat = out.reshape(-1)
    for index in range(flat.size):
        flat[index] = rng.standard_normal()


def _libm_exp(values: np.ndarray) -> np.ndarray:
    """Element-wise ``exp`` through libm, as the original computes it."""
    return np.array([math.exp(x) for x in np.ravel(values)]).reshape(np.shape(values))


def run_lif(
    network: LIFNetwork,
    u: np.ndarray,
    *,
    rng: np.random.Generator | None = None,
    v_init_rand: np.ndarray | None = None,
    noise: np.ndarray | None = None,
    stimulation: Stimulation | None = None,
    out_start: int = 1,
    record_spikes: bool = False,
    record_traces: bool = False,
    block_steps: int = 500,
) -> LIFResult:
    """Simulate one trial of the LIF network for every scaling factor of ``network``.

    Parameters
    ----------
    network : LIFNetwork
        Prepared network (one or more scaling factors).
    u : ndarray, shape (n_inputs, n_columns)
        Input, one column per rate step (100 LIF steps each).
    rng : numpy.random.Generator, optional
        Source of every random draw, in this order: the initial voltages
        (N uniforms), the stimulation coin flips (one per stimulated step),
        then the noise, step by step (N normals each, divided by 10). Needed
        unless both ``v_init_rand`` and ``noise`` are given.
    v_init_rand : ndarray, shape (N,), optional
        Explicit U(0, 1) draw of the initial voltage ``-65 + x * 95``.
    noise : ndarray, shape (N, nt), optional
        Explicit voltage noise, already scaled; column ``i - 1`` is added at step ``i``.
    stimulation : Stimulation, optional
        Artificial stimulation.
    out_start : int, default 1
        First 1-based step whose readout is recorded (later steps only are
        kept, which is all that scoring needs).
    record_spikes : bool, default False
        Record every spike as a (unit, step) pair.
    record_traces : bool, default False
        Record voltages and filtered spike trains for every step (N x nt per
        factor: hundreds of MB for long trials of large networks).
    block_steps : int, default 500
        Steps of noise drawn at a time (500 x N doubles stay in the L2 cache
        while every factor reads them).

    Returns
    -------
    LIFResult
    """
    u = np.asarray(u, dtype=np.float64)
    n_units = network.n_units
    if u.ndim != 2 or u.shape[0] != network.w_in.shape[1]:
        raise ValueError(
            f"u has shape {u.shape}, expected ({network.w_in.shape[1]}, n_columns): one row "
            "per model input"
        )
    if u.shape[1] < 2:
        raise ValueError(f"u has {u.shape[1]} column(s), expected at least 2")
    dt = network.dt
    trial_length, n_steps = network.timing(u.shape[1])
    if not 1 <= out_start <= n_steps:
        raise ValueError(f"out_start is {out_start}, expected 1 <= out_start <= nt = {n_steps}")
    if (v_init_rand is None or noise is None) and rng is None:
        raise ValueError("rng is required unless both v_init_rand and noise are given")
    ext_by_column = _input_by_column(network.w_in, u, network.downsample)

    if v_init_rand is None:
        v_init_rand = rng.random(n_units)
    v_init_rand = np.asarray(v_init_rand, dtype=np.float64).ravel()
    if v_init_rand.shape != (n_units,):
        raise ValueError(f"v_init_rand has {v_init_rand.size} values, expected {n_units}")
    stim_on = np.zeros(n_steps, dtype=np.bool_)
    stim_units = np.zeros(n_units)
    stim_amplitude = 0.0
    if stimulation is not None:
        if rng is None:
            raise ValueError("stimulation draws its coin flips from rng: pass rng as well")
        units = np.asarray(stimulation.units, dtype=np.int64)
        if units.size and (units.min() < 0 or units.max() >= n_units):
            raise ValueError(
                f"Stimulation units {units.tolist()} include indices outside 0..{n_units - 1}"
            )
        stim_units[units] = 1.0
        stim_amplitude = stimulation.amplitude
        start, stop = stimulation.start, min(stimulation.stop, n_steps + 1)
        if stop > start:
            stim_on[start - 1 : stop - 1] = rng.random(stop - start) < 0.5
    if noise is not None:
        noise = np.asarray(noise, dtype=np.float64)
        if noise.shape != (n_units, n_steps):
            raise ValueError(f"noise has shape {noise.shape}, expected ({n_units}, {n_steps})")
        noise_by_step = np.ascontiguousarray(noise.T)

    n_factors = network.scaling_factors.size
    v = np.tile(V_RESET + v_init_rand * (V_SPIKE - V_RESET), (n_factors, 1))
    ipsc, h, r, hr, tlast = (np.zeros((n_factors, n_units)) for _ in range(5))
    jd = np.zeros(n_units)
    above = np.zeros(-(-n_units // 8) * 8, dtype=np.uint8)
    above_words = above.view(np.uint64)
    spike_counts = np.zeros((n_factors, n_units), dtype=np.int64)
    out = np.empty((n_factors, n_steps - out_start + 1))
    decay_td = _libm_exp(-dt / network.td)
    decay_tr = math.exp(-dt / SYNAPTIC_RISE_TIME)
    tr_td = SYNAPTIC_RISE_TIME * network.td
    inv_tr_td = 1 / tr_td
    empty_index = np.zeros(0, dtype=np.int64)
    empty_traces = np.zeros((0, 0, 0))
    voltages = np.empty((n_factors, n_steps, n_units)) if record_traces else empty_traces
    rates = np.empty((n_factors, n_steps, n_units)) if record_traces else empty_traces
    collected: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    block = max(1, int(block_steps))
    buffer = np.empty((block, n_units))
    scaled = np.empty((block, n_units))
    spiking = np.empty(n_units, dtype=np.int64)
    for first in range(1, n_steps + 1, block):
        n_block = min(block, n_steps - first + 1)
        if noise is None:
            chunk = buffer[:n_block]
            _standard_normal(rng, chunk)  # divided by 10 in the kernel, as randn/10
            divisor = 10.0
        else:
            chunk = noise_by_step[first - 1 : first - 1 + n_block]
            divisor = 1.0
        capacity = n_block * n_units * n_factors if record_spikes else 0
        spike_units = np.empty(capacity, dtype=np.int64) if record_spikes else empty_index
        spike_steps = np.empty(capacity, dtype=np.int64) if record_spikes else empty_index
        spike_factor = np.empty(capacity, dtype=np.int64) if record_spikes else empty_index
        found = _advance(
            first, n_block, dt, chunk, divisor, ext_by_column, network.weights_by_presynaptic,
            network.readout, decay_td, decay_tr, tr_td, inv_tr_td, stim_units,
            stim_amplitude, stim_on[first - 1 : first - 1 + n_block],
            v, ipsc, h, r, hr, jd, tlast, above, above_words, scaled, spiking, spike_counts,
            out, out_start, record_spikes, spike_units, spike_steps, spike_factor, 0,
            record_traces, voltages, rates,
        )
        if record_spikes:
            collected.append((spike_units[:found], spike_steps[:found], spike_factor[:found]))
    spike_units_by_factor = spike_steps_by_factor = None
    if record_spikes:
        units = np.concatenate([c[0] for c in collected])
        steps = np.concatenate([c[1] for c in collected])
        factor = np.concatenate([c[2] for c in collected])
        spike_units_by_factor = [units[factor == k] for k in range(n_factors)]
        spike_steps_by_factor = [steps[factor == k] for k in range(n_factors)]
    return LIFResult(
        out=out,
        out_start=out_start,
        spike_counts=spike_counts,
        dt=dt,
        trial_length=trial_length,
        n_steps=n_steps,
        spike_units=spike_units_by_factor,
        spike_steps=spike_steps_by_factor,
        voltages=voltages if record_traces else None,
        rates=rates if record_traces else None,
    )
