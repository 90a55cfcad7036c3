"""The compiled (Numba) core of the LIF kernel. Private: use :func:`spikewidgets.sim.run_lif`.

Every function follows the update rules of the original MATLAB code to the
bit; see ``spikewidgets.sim._kernel`` for the tricks that keep it fast without
changing a bit.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from spikewidgets.sim.constants import (
    BIAS,
    FIRST_COUNTED_STEP,
    STEPS_PER_COLUMN,
    T_REF,
    TAU_M,
    V_PEAK,
    V_RESET,
    V_SPIKE,
)

#: ``1 / TAU_M``, for :func:`divide`: the original divides by ``tau_m``, and multiplying by
#: this reciprocal alone would round differently.
INVERSE_TAU_M = 1 / TAU_M
#: Smallest normal float64; synaptic traces below it are set to 0.
SMALLEST_NORMAL = float(np.finfo(np.float64).smallest_normal)

__all__ = [
    "advance",
    "divide",
    "flush",
    "fma",
    "input_by_column",
    "readout_sum",
    "standard_normal",
]


@intrinsic
def fma(typingctx, a, b, c):  # pragma: no cover - compiled
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
def divide(numerator, denominator, reciprocal):  # pragma: no cover - compiled
    """``numerator / denominator``, correctly rounded, without a division instruction.

    ``reciprocal`` must be ``1 / denominator`` rounded to nearest. One Newton
    step on the residual (computed exactly with an FMA) gives the correctly
    rounded quotient (Markstein's theorem), bit-identical to IEEE division
    for normal numbers and several times faster in vectorized loops.
    """
    quotient = numerator * reciprocal
    residual = fma(-quotient, denominator, numerator)
    return fma(residual, reciprocal, quotient)


@numba.njit(cache=True, nogil=True, inline="always")
def flush(value):  # pragma: no cover - compiled
    """Zero for subnormal values (below 2.2e-308), the value otherwise.

    Synaptic traces of a unit silent for more than ~1.4 s decay into the
    subnormal range, where x86 arithmetic is about 100 times slower. Such a
    value added to a current or voltage of order 1 changes nothing, so
    spikes and voltages are unchanged; traces differ from the original only
    below 2.2e-308 in absolute value.
    """
    return value if abs(value) >= SMALLEST_NORMAL else 0.0


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "nsz", "arcp", "contract"})
def readout_sum(weights, rates, k):  # pragma: no cover - compiled
    # Row k of weights times row k of rates. Reassociated (vectorized) sum: it
    # differs from BLAS by rounding only (~1e-15 relative).
    total = 0.0
    for n in range(weights.shape[1]):
        total += weights[k, n] * rates[k, n]
    return total


@numba.njit(cache=True, nogil=True)
def advance(  # noqa: C901 - the compiled LIF step, kept in one loop for speed
    first_step, n_block, dt, noise, noise_divisor, ext_by_column, input_set,
    weights_by_presynaptic, readout, decay_td, decay_tr, tr_td, inv_tr_td, stim_units, stim_on,
    v, ipsc, h, r, hr, jd, tlast, above, above_words, scaled, spiking, spike_counts, out,
    out_start, record_spikes, spike_units, spike_steps, spike_factor, n_spikes,
    record_traces, voltages, rates, sample_every, rate_samples,
):  # pragma: no cover - compiled
    """Advance the state of K network variants by ``n_block`` steps.

    A variant is one network of the batch (a scaling factor, a perturbed
    copy): its own weights, readout, input weights (``input_set[k]`` picks a
    row of ``ext_by_column``) and stimulation (``stim_units[k]`` holds the
    voltage added to each unit on the steps where ``stim_on[k, i - 1]``).
    The K variants are independent, so each is advanced through the whole
    block before the next: its state (a few kB) stays in the L1 cache while
    the block's noise, shared by all factors, is read once per factor.
    ``above`` (N padded to 8) is the step's spike mask and ``above_words`` the
    same memory viewed as uint64, so that the search for spiking units skips
    8 silent units at a time. ``jd`` holds the summed synaptic input of the
    step's spiking units. ``scaled`` (at least n_block x N) and ``spiking``
    (N) are work space, allocated once per trial by the caller: allocating
    them here, per block, made threads fight over page faults. With
    ``sample_every`` > 0, ``r`` after step ``i`` is copied to row
    ``i // sample_every - 1`` of ``rate_samples`` (K, n_samples, N) when
    ``sample_every`` divides ``i``: the end of every 5 ms rate step.
    """
    n_factors, n_units = v.shape
    words = above_words.shape[0]
    # The original's noise is `randn / 10`: a division, which is not the same as
    # multiplying by 0.1 in the last bit. divide() gives the correctly rounded quotient.
    inverse_noise_divisor = 1.0 / noise_divisor
    for s in range(n_block):
        for n in range(n_units):
            scaled[s, n] = divide(noise[s, n], noise_divisor, inverse_noise_divisor)
    for k in range(n_factors):
        # The state of variant k, one value per unit (the original's names):
        # vk      membrane voltage v (mV);
        # ipsck   IPSC, the post-synaptic current into the unit;
        # hk      h, the rising filter of the double-exponential synapse that feeds IPSC;
        # rk      r, the unit's filtered spike train: the rate the readout reads;
        # hrk     hr, the rising filter that feeds r;
        # tlastk  tlast, time (s) of the unit's last spike, for the refractory test.
        # jd (JD, summed weights of the step's spiking units) is shared work space: it is
        # overwritten whenever someone spikes and read only then, so its old value, which
        # the original keeps, never matters.
        vk, ipsck, hk, rk, hrk, tlastk = v[k], ipsc[k], h[k], r[k], hr[k], tlast[k]
        ext = ext_by_column[input_set[k]]
        stimk = stim_units[k]
        for s in range(n_block):
            i = first_step + s
            # The original's input column is `round(i/100) + 1`: MATLAB rounds half away
            # from zero (columns change at i = 50, 150, 250, ...). In integers this is
            # exact; np.round (half to even) would shift the input by a step at i = 50, 250.
            column = (i + STEPS_PER_COLUMN // 2) // STEPS_PER_COLUMN
            # `dt*i`, a product computed afresh every step as in the original: neither a
            # running sum nor an integer refractory counter (which disagrees with the
            # original for ~0.7 % of spikes, by rounding).
            now = dt * i
            # Membrane update, branch-free so that it vectorizes. A refractory unit gets
            # (v + 0) + noise, exactly what dv = 0 gives in the original. The brackets are
            # the original's order: I = (IPSC + bias) + ext, dv = (-v + I) / tau_m (a
            # division), v = (v + dt*dv) + noise.
            n_above = 0
            for n in range(n_units):
                current = (ipsck[n] + BIAS) + ext[column, n]
                step = dt * divide(-vk[n] + current, TAU_M, INVERSE_TAU_M)
                # Strict `>`, against the rounded sum tlast + t_ref, as the original
                # writes `dt*i > tlast + tref`.
                active = now > tlastk[n] + T_REF
                value = (vk[n] + (step if active else 0.0)) + scaled[s, n]
                vk[n] = value
                # Inclusive `>=` at threshold, the original's `v >= vpeak`.
                spiked = value >= V_PEAK
                above[n] = spiked
                n_above += spiked
            # Stimulation comes after the noise, then the threshold is tested again (the
            # original adds +/-0.5 mV to the listed units between the two); other units
            # get + 0.0, which leaves them unchanged.
            if stim_on[k, i - 1]:
                n_above = 0
                for n in range(n_units):
                    value = vk[n] + stimk[n]
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
                # JD = sum of the spiking units' columns of W, added one column at a time
                # in ascending unit order, as the original's loop over `index` does (another
                # order, or a matrix product, changes the last bits).
                j = spiking[0]
                for n in range(n_units):
                    jd[n] = weights_by_presynaptic[k, j, n]
                for c in range(1, count):
                    j = spiking[c]
                    for n in range(n_units):
                        jd[n] += weights_by_presynaptic[k, j, n]
                # Synaptic filters in the original's order, each from the other's old value:
                # IPSC from the old h, then h; r from the old hr, then hr. The new inputs
                # are JD*1 / (tr*td) and spiked / (tr*td): divisions by the rounded product
                # tr*td (1 / (tr*td) itself for a spiking unit, 0 for the others).
                for n in range(n_units):
                    ipsck[n] = flush(ipsck[n] * decay_td[n] + hk[n] * dt)
                    hk[n] = flush(hk[n] * decay_tr + divide(jd[n], tr_td[n], inv_tr_td[n]))
                    rk[n] = flush(rk[n] * decay_td[n] + hrk[n] * dt)
                    hrk[n] = flush(hrk[n] * decay_tr + (inv_tr_td[n] if above[n] else 0.0))
                for c in range(count):
                    n = spiking[c]
                    # The original's `tlast + (dt*i - tlast).*(v >= vpeak)`, not tlast = dt*i:
                    # the two differ in the last bit for ~2.5 % of values, which moves later
                    # refractory tests. (Done after the filters here: they do not read it.)
                    tlastk[n] = tlastk[n] + (now - tlastk[n])
                    # Mean rates count spikes from step 10 on: the initial voltage
                    # U(0,1) * 95 - 65 puts many units above threshold at step 1.
                    if i >= FIRST_COUNTED_STEP:
                        spike_counts[k, n] += 1
                    # The original's `v + (30 - v).*(v >= vpeak)`, not v = 30: the recorded
                    # voltage of a spike, which often misses 30 in the last bit.
                    vk[n] = vk[n] + (V_SPIKE - vk[n])
            else:
                # Nobody spiked: the original keeps JD but adds JD*0 / (tr*td) and
                # 0 / (tr*td), zeros, to h and hr. Adding a zero changes no value, so the
                # terms are left out (only the sign of a zero can differ, and -0.0 == 0.0).
                for n in range(n_units):
                    ipsck[n] = flush(ipsck[n] * decay_td[n] + hk[n] * dt)
                    hk[n] = flush(hk[n] * decay_tr)
                    rk[n] = flush(rk[n] * decay_td[n] + hrk[n] * dt)
                    hrk[n] = flush(hrk[n] * decay_tr)
            # The readout of this step's r: (w_out / sf) @ r, as the original (the readout
            # is divided by the scaling factor too, and b_out is not used).
            if i >= out_start:
                out[k, i - out_start] = readout_sum(readout, r, k)
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
            if sample_every > 0 and i % sample_every == 0:
                for n in range(n_units):
                    rate_samples[k, i // sample_every - 1, n] = rk[n]
            # The original's reset `v + (-65 - v).*(v >= vpeak)`, after recording v. Its
            # test is on the voltage set just above, so it resets exactly the spiking units.
            for c in range(count):
                n = spiking[c]
                vk[n] = vk[n] + (V_RESET - vk[n])
    return n_spikes


@numba.njit(cache=True, nogil=True)
def input_by_column(w_in, u, downsample):  # pragma: no cover - compiled
    """``(w_in @ u[:, ::downsample]).T``, without BLAS.

    Each value is summed over the inputs in order with fused multiply-adds,
    as OpenBLAS does on x86-64 (the tests check every bit against exact
    rational arithmetic, ``spikewidgets.sim._reference.fused_product``). A
    BLAS call here would start BLAS's own threads, which keep
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
                total = fma(w_in[n, k], u[k, column], total)
            out[c, n] = total
    return out


@numba.njit(cache=True, nogil=True)
def standard_normal(rng, out):  # pragma: no cover - compiled
    """Fill ``out`` with ``rng.standard_normal()`` draws, in C order.

    Numba runs NumPy's own algorithm on the Generator's bit stream, so the
    values are those of ``rng.standard_normal(out=out)``, about twice as fast
    and without holding the GIL.
    """
    flat = out.reshape(-1)
    for index in range(flat.size):
        flat[index] = rng.standard_normal()
