"""Simulating one trial of a batch of network variants: :func:`run_lif`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from spikewidgets.io._modelfile import SYNAPTIC_RISE_TIME
from spikewidgets.sim._kernel._compiled import advance, input_by_column, standard_normal
from spikewidgets.sim._kernel.network import (
    LIFNetwork,
    Stimulation,
    libm_exp,
    rate_sample_interval,
)
from spikewidgets.sim.constants import V_RESET, V_SPIKE

__all__ = ["LIFResult", "run_lif"]


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
    rate_samples : ndarray, shape (K, n_rate_steps, N), or None
        With ``sample_rates``, ``r`` at the end of every rate step: row ``j``
        is ``r`` at LIF step ``(j + 1) * sample_every`` (time ``(j + 1) * 5`` ms),
        the time of the rate network's output ``j``.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.sim._kernel import LIFNetwork, run_lif
    >>> from spikewidgets.io._modelfile import RateModel
    >>> from spikewidgets.io._synthetic import random_model_arrays
    >>> model = RateModel.from_arrays(random_model_arrays(20, 1, seed=0))
    >>> network = LIFNetwork.from_model(model, [10.0, 20.0])
    >>> result = run_lif(network, np.zeros((1, 11)), rng=np.random.default_rng(0),
    ...                  record_spikes=True)
    >>> result.out.shape, result.spike_counts.shape, result.n_steps, result.trial_length
    ((2, 1000), (2, 20), 1000, 0.05)
    >>> result.spike_counts.sum(axis=1).tolist(), [units.size for units in result.spike_units]
    ([34, 26], [49, 41])
    >>> result.mean_rates.mean(axis=1)  # Hz: spikes from step 10 on over 0.05 s
    array([34., 26.])
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
    rate_samples: np.ndarray | None = None

    @property
    def mean_rates(self) -> np.ndarray:
        """Mean firing rate per unit (Hz), spikes from step 10 on over the trial length."""
        return self.spike_counts / self.trial_length


def run_lif(
    network: LIFNetwork,
    u: np.ndarray,
    *,
    rng: np.random.Generator | None = None,
    v_init_rand: np.ndarray | None = None,
    noise: np.ndarray | None = None,
    stimulation: Stimulation | None = None,
    stimulation_rng: np.random.Generator | None = None,
    stim_coin: np.ndarray | None = None,
    out_start: int = 1,
    record_spikes: bool = False,
    record_traces: bool = False,
    block_steps: int = 500,
    sample_rates: bool = False,
) -> LIFResult:
    """Simulate one trial of every network variant of ``network``, sharing its noise.

    Parameters
    ----------
    network : LIFNetwork
        Prepared batch of network variants (one per scaling factor, or
        perturbed copies of the network).
    u : ndarray, shape (n_inputs, n_columns)
        Input, one column per rate step (100 LIF steps each).
    rng : numpy.random.Generator, optional
        Source of every random draw, in this order: the initial voltages
        (N uniforms), the stimulation coin flips (one per stimulated step;
        the variants' own stimulations draw theirs from ``stimulation_rng``
        when it is given), then the noise, step by step (N normals each,
        divided by 10), as in the original. Needed unless both
        ``v_init_rand`` and ``noise`` are given.
    v_init_rand : ndarray, shape (N,), optional
        Explicit U(0, 1) draw of the initial voltage ``-65 + x * 95``.
    noise : ndarray, shape (N, nt), optional
        Explicit voltage noise, already scaled; column ``i - 1`` is added at step ``i``.
    stimulation : Stimulation, optional
        Artificial stimulation of every variant (one set of coin flips).
        Exclusive with variants that have a stimulation of their own.
    stimulation_rng : numpy.random.Generator, optional
        Source of the coin flips of the variants' own stimulations: one flip
        per step of the trial, shared by every stimulated variant (so a
        variant's flips do not depend on the others), leaving the noise of
        ``rng`` unchanged. Without it, each stimulated variant draws its
        flips from ``rng`` in turn, as the original does for one network.
    stim_coin : ndarray, shape (nt,), optional
        Explicit U(0, 1) coin of every step, as ``v_init_rand`` and ``noise``
        are explicit draws: step ``i`` of a stimulation is stimulated when
        ``stim_coin[i - 1] < 0.5`` (the original's ``rand < 0.50``). Used by
        every stimulated variant instead of drawing from ``rng`` or
        ``stimulation_rng``.
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
    sample_rates : bool, default False
        Record ``r`` at the end of every 5 ms rate step (``rate_samples``);
        no other value changes.

    Returns
    -------
    LIFResult

    Examples
    --------
    A Go trial of the bundled Go-NoGo model at two scaling factors: at 30
    (the stored optimum) the readout crosses the Go threshold 0.7 in the
    response window (from step 10000), at 100 it does not:

    >>> import numpy as np
    >>> import spikewidgets as sw
    >>> from spikewidgets.sim._kernel import LIFNetwork, run_lif
    >>> model = sw.load_model(sw.example_model("go_nogo", "."))
    >>> task = sw.get_task("go_nogo")
    >>> trial = task.make_trial(np.random.default_rng(2), task.settings())
    >>> trial.condition
    'go'
    >>> network = LIFNetwork.from_model(model, [30.0, 100.0])
    >>> result = run_lif(network, trial.u, rng=np.random.default_rng(0), out_start=10000)
    >>> (result.out.max(axis=1) > 0.7).tolist()
    [True, False]

    Each variant's result is the one it gets alone with the same generator:

    >>> alone = run_lif(LIFNetwork.from_model(model, [100.0]), trial.u,
    ...                 rng=np.random.default_rng(0), out_start=10000)
    >>> np.array_equal(alone.out[0], result.out[1])
    True
    """
    u, trial_length, n_steps = _check_trial(network, u, out_start, rng, v_init_rand, noise)
    n_units, n_factors, dt = network.n_units, network.n_variants, network.dt
    ext_by_column = np.stack([input_by_column(w_in, u, network.downsample)
                              for w_in in network.input_sets])
    # rng's draws in a fixed order: initial voltages, stimulation coins, then the noise.
    v_init_rand = _initial_draw(rng, v_init_rand, n_units)
    stim_units, stim_on = _stimulation_arrays(network, n_steps, stimulation,
                                              rng, stimulation_rng, stim_coin)
    block_steps = max(1, int(block_steps))
    blocks = _noise_blocks(rng, noise, n_units, n_steps, block_steps)
    every = rate_sample_interval(network.downsample) if sample_rates else 0
    samples = np.empty((n_factors, n_steps // every if every else 0, n_units))

    v, ipsc, h, r, hr, jd, tlast = _initial_state(v_init_rand, n_factors)
    above = np.zeros(-(-n_units // 8) * 8, dtype=np.uint8)
    above_words = above.view(np.uint64)
    spike_counts = np.zeros((n_factors, n_units), dtype=np.int64)
    out = np.empty((n_factors, n_steps - out_start + 1))
    decay_td, decay_tr, tr_td, inv_tr_td = _filter_constants(network)
    empty_index = np.zeros(0, dtype=np.int64)
    traces_shape = (n_factors, n_steps, n_units) if record_traces else (0, 0, 0)
    voltages, rates = np.empty(traces_shape), np.empty(traces_shape)
    collected: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    scaled = np.empty((block_steps, n_units))
    spiking = np.empty(n_units, dtype=np.int64)
    for first, chunk, divisor in blocks:
        n_block = chunk.shape[0]
        capacity = n_block * n_units * n_factors if record_spikes else 0
        spike_units, spike_steps, spike_factor = (
            np.empty(capacity, dtype=np.int64) if record_spikes else empty_index
            for _ in range(3))
        found = advance(
            first, n_block, dt, chunk, divisor, ext_by_column, network.input_set,
            network.weights_by_presynaptic, network.readout, decay_td, decay_tr, tr_td,
            inv_tr_td, stim_units, stim_on,
            v, ipsc, h, r, hr, jd, tlast, above, above_words, scaled, spiking, spike_counts,
            out, out_start, record_spikes, spike_units, spike_steps, spike_factor, 0,
            record_traces, voltages, rates, every, samples,
        )
        collected.append((spike_units[:found], spike_steps[:found], spike_factor[:found]))
    by_factor = _spikes_by_factor(collected, n_factors) if record_spikes else (None, None)
    return LIFResult(
        out=out,
        out_start=out_start,
        spike_counts=spike_counts,
        dt=dt,
        trial_length=trial_length,
        n_steps=n_steps,
        spike_units=by_factor[0],
        spike_steps=by_factor[1],
        voltages=voltages if record_traces else None,
        rates=rates if record_traces else None,
        rate_samples=samples if sample_rates else None,
    )



def _initial_draw(rng: np.random.Generator | None, v_init_rand: np.ndarray | None,
                  n_units: int) -> np.ndarray:
    """The U(0, 1) draw of the initial voltages: given, or the first N uniforms of ``rng``."""
    if v_init_rand is None:
        v_init_rand = rng.random(n_units)
    v_init_rand = np.asarray(v_init_rand, dtype=np.float64).ravel()
    if v_init_rand.shape != (n_units,):
        raise ValueError(f"v_init_rand has {v_init_rand.size} values, expected {n_units}")
    return v_init_rand


def _initial_state(v_init_rand: np.ndarray, n_factors: int) -> tuple[np.ndarray, ...]:
    """The state of every variant at step 0: ``v, ipsc, h, r, hr, jd, tlast``.

    Each is (K, N) but ``jd`` (N,), the kernel's work space for JD (see
    ``spikewidgets.sim._kernel._compiled.advance`` for what each holds).
    """
    # The original's `vreset + rand(N,1)*(30 - vreset)`, U(0,1) * 95 - 65 mV: about three
    # units in four start above threshold (-40 mV) and spike at step 1, which is why mean
    # rates count spikes from step 10 on. Every variant starts from the same draw.
    v = np.tile(V_RESET + v_init_rand * (V_SPIKE - V_RESET), (n_factors, 1))
    # IPSC, h, r, hr, JD and tlast start at 0, as in the original. With tlast = 0 every unit
    # is refractory for the first t_ref (dt*i > 0 + t_ref from step 41 at dt = 0.05 ms): only
    # the noise moves v until then. That is the original's behaviour, kept.
    n_units = v_init_rand.size
    ipsc, h, r, hr, tlast = (np.zeros((n_factors, n_units)) for _ in range(5))
    return v, ipsc, h, r, hr, np.zeros(n_units), tlast


def _filter_constants(network: LIFNetwork) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """``exp(-dt/td)``, ``exp(-dt/tr)``, ``tr*td`` and ``1 / (tr*td)``, rounded as the original."""
    dt = network.dt
    # exp through libm, as the original computes it (np.exp can differ in the last bit).
    decay_td = libm_exp(-dt / network.td)
    decay_tr = math.exp(-dt / SYNAPTIC_RISE_TIME)
    # The original divides by the rounded product tr*td. Its reciprocal lets the kernel divide
    # without a division instruction, and is the increment of hr for a spiking unit.
    tr_td = SYNAPTIC_RISE_TIME * network.td
    return decay_td, decay_tr, tr_td, 1 / tr_td


def _check_trial(network: LIFNetwork, u: np.ndarray, out_start: int,
                 rng: np.random.Generator | None, v_init_rand: np.ndarray | None,
                 noise: np.ndarray | None) -> tuple[np.ndarray, float, int]:
    """The input as float64, the trial length (s) and steps, after checking the arguments."""
    u = np.asarray(u, dtype=np.float64)
    n_inputs = network.w_in.shape[1]
    if u.ndim != 2 or u.shape[0] != n_inputs:
        raise ValueError(
            f"u has shape {u.shape}, expected ({n_inputs}, n_columns): one row per model input"
        )
    if u.shape[1] < 2:
        raise ValueError(f"u has {u.shape[1]} column(s), expected at least 2")
    trial_length, n_steps = network.timing(u.shape[1])
    if not 1 <= out_start <= n_steps:
        raise ValueError(f"out_start is {out_start}, expected 1 <= out_start <= nt = {n_steps}")
    if (v_init_rand is None or noise is None) and rng is None:
        raise ValueError("rng is required unless both v_init_rand and noise are given")
    return u, trial_length, n_steps


def _noise_blocks(rng: np.random.Generator | None, noise: np.ndarray | None, n_units: int,
                  n_steps: int, block: int):
    """Yield ``(first_step, noise_block, divisor)``: drawn block by block, or the given noise.

    Drawn noise is N(0, 1), divided by 10 in the kernel (the original's
    ``randn / 10``); given noise is already scaled.
    """
    if noise is not None:
        noise = np.asarray(noise, dtype=np.float64)
        if noise.shape != (n_units, n_steps):
            raise ValueError(f"noise has shape {noise.shape}, expected ({n_units}, {n_steps})")
        noise_by_step = np.ascontiguousarray(noise.T)
    buffer = np.empty((block, n_units))
    for first in range(1, n_steps + 1, block):
        n_block = min(block, n_steps - first + 1)
        if noise is None:
            chunk = buffer[:n_block]
            standard_normal(rng, chunk)
            yield first, chunk, 10.0
        else:
            yield first, noise_by_step[first - 1 : first - 1 + n_block], 1.0


def _spikes_by_factor(collected, n_factors: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    units = np.concatenate([c[0] for c in collected])
    steps = np.concatenate([c[1] for c in collected])
    factor = np.concatenate([c[2] for c in collected])
    return ([units[factor == k] for k in range(n_factors)],
            [steps[factor == k] for k in range(n_factors)])


def _stimulation_arrays(
    network: LIFNetwork,
    n_steps: int,
    stimulation: Stimulation | None,
    rng: np.random.Generator | None,
    stimulation_rng: np.random.Generator | None,
    stim_coin: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per variant, the voltage added to each unit (K, N) and the stimulated steps (K, nt)."""
    n_variants, n_units = network.n_variants, network.n_units
    stim_units = np.zeros((n_variants, n_units))
    stim_on = np.zeros((n_variants, n_steps), dtype=np.bool_)
    own = [s is not None for s in network.stimulations]
    if stimulation is not None and any(own):
        raise ValueError("stimulation is given, but variants of network have their own; "
                         "expected one or the other")
    plans = [stimulation] * n_variants if stimulation is not None else list(network.stimulations)
    if not any(s is not None for s in plans):
        return stim_units, stim_on
    source = rng if stimulation is not None or stimulation_rng is None else stimulation_rng
    shared = _shared_flips(stimulation, stimulation_rng, source, stim_coin, n_steps)
    flips = None
    for k, plan in enumerate(plans):
        if plan is None:
            continue
        units = np.asarray(plan.units, dtype=np.int64)
        if units.size and (units.min() < 0 or units.max() >= n_units):
            raise ValueError(
                f"Stimulation units {units.tolist()} include indices outside 0..{n_units - 1}"
            )
        stim_units[k, units] = plan.amplitude
        start, stop = plan.start, min(plan.stop, n_steps + 1)
        if stop <= start:
            continue
        if shared is not None:
            flips = shared[start - 1 : stop - 1]
        elif flips is None or stimulation is None:  # one draw for all, or one per variant
            flips = source.random(stop - start) < 0.5
        stim_on[k, start - 1 : stop - 1] = flips
    return stim_units, stim_on


def _shared_flips(stimulation: Stimulation | None, stimulation_rng: np.random.Generator | None,
                  source: np.random.Generator | None, stim_coin: np.ndarray | None,
                  n_steps: int) -> np.ndarray | None:
    """The coin flips of every step that all stimulated variants share, or None.

    None means that the flips are drawn from ``source`` per stimulation window:
    once for a stimulation of every variant, or per variant, in turn.
    """
    if stim_coin is not None:
        # Recorded coins: the original's `rand < 0.50`, one per step, used by every variant.
        return _coin_flips(stim_coin, n_steps)
    if source is None:
        raise ValueError("stimulation draws its coin flips from rng: pass rng as well")
    if stimulation is not None or stimulation_rng is None:
        return None
    # With stimulation_rng, one coin flip per step of the trial, shared by every stimulated
    # variant (as its noise is): a variant's flips do not depend on the others.
    return stimulation_rng.random(n_steps) < 0.5


def _coin_flips(stim_coin: np.ndarray, n_steps: int) -> np.ndarray:
    """The stimulated steps of a recorded coin: ``stim_coin < 0.5``, after checking its shape."""
    coin = np.asarray(stim_coin, dtype=np.float64).ravel()
    if coin.shape != (n_steps,):
        raise ValueError(f"stim_coin has {coin.size} values, expected one per step ({n_steps})")
    return coin < 0.5
