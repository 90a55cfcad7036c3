"""A plain NumPy transcription of the original LIF function, one step at a time.

It is slow and records everything; it exists as the oracle that the compiled
kernel is tested against and as the baseline of the speed benchmark. It reads
like the original MATLAB code on purpose.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from spikewidgets.io._modelfile import SYNAPTIC_RISE_TIME
from spikewidgets.sim._kernel import LIFNetwork, libm_exp
from spikewidgets.sim.constants import (
    BIAS,
    FIRST_COUNTED_STEP,
    T_REF,
    TAU_M,
    V_PEAK,
    V_RESET,
    V_SPIKE,
)

__all__ = ["fused_product", "reference_lif"]


def reference_lif(
    network: LIFNetwork,
    u: np.ndarray,
    v_init_rand: np.ndarray,
    noise: np.ndarray,
    factor_index: int = 0,
    stim_units: np.ndarray | None = None,
    stim_amplitude: float = 0.0,
    stim_on: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Simulate one trial for one scaling factor, as the original does.

    Parameters
    ----------
    network : LIFNetwork
        Prepared network; ``factor_index`` picks the scaling factor.
    u : ndarray, shape (n_inputs, n_columns)
        Input.
    v_init_rand : ndarray, shape (N,)
        U(0, 1) draw of the initial voltages.
    noise : ndarray, shape (N, nt)
        Scaled voltage noise, column ``i - 1`` at step ``i``.
    stim_units, stim_amplitude, stim_on
        Optional stimulation: 0/1 unit mask, mV per step, and per-step flags.

    Returns
    -------
    dict
        ``out`` (nt,), ``voltages`` and ``rates`` (N, nt), ``spikes`` (N, nt) bool,
        ``mean_rates`` (N,) in Hz, ``trial_length`` and ``n_steps``.

    Notes
    -----
    The state, one value per unit, under the original's names: ``v`` the
    membrane voltage (mV); ``ipsc`` (IPSC) the post-synaptic current into the
    unit; ``h`` its rising filter (the double-exponential synapse's second
    variable); ``r`` the unit's filtered spike train, the rate the readout
    reads; ``hr`` its rising filter; ``jd`` (JD) the summed weights of the
    step's spiking units; ``tlast`` the time (s) of the unit's last spike.
    The comments in the code say why each MATLAB idiom is kept as written:
    the tests replay the original bit for bit, and each "simplification"
    breaks that.

    Examples
    --------
    Given the same initial voltages and noise, the compiled kernel's voltages
    and filtered spike trains equal the reference's bit for bit (the
    readout, a sum in another order, to the last bits):

    >>> import numpy as np
    >>> from spikewidgets.sim._kernel import LIFNetwork, run_lif
    >>> from spikewidgets.io._modelfile import RateModel
    >>> from spikewidgets.sim._reference import reference_lif
    >>> from spikewidgets.io._synthetic import random_model_arrays
    >>> model = RateModel.from_arrays(random_model_arrays(20, 1, seed=0))
    >>> network = LIFNetwork.from_model(model, [20.0])
    >>> u = np.zeros((1, 11))  # 1000 LIF steps
    >>> rng = np.random.default_rng(0)
    >>> v_init_rand, noise = rng.random(20), rng.standard_normal((20, 1000)) / 10
    >>> reference = reference_lif(network, u, v_init_rand, noise)
    >>> int(reference["spikes"].sum()), reference["n_steps"]
    (40, 1000)
    >>> compiled = run_lif(network, u, v_init_rand=v_init_rand, noise=noise,
    ...                    record_traces=True)
    >>> np.array_equal(reference["voltages"], compiled.voltages[0].T)
    True
    >>> np.array_equal(reference["rates"], compiled.rates[0].T)
    True
    >>> np.allclose(reference["out"], compiled.out[0], rtol=1e-12, atol=1e-15)
    True
    """
    dt = network.dt
    trial_length, nt = network.timing(u.shape[1])
    weights = network.weights_by_presynaptic[factor_index].T
    readout = network.readout[factor_index]  # w_out / sf: the original's; b_out is not used
    td = network.td
    tr = SYNAPTIC_RISE_TIME
    ext = fused_product(network.input_sets[network.input_set[factor_index]],
                        u[:, :: network.downsample])
    n_units = td.size
    # vreset + rand * (30 - vreset): three units in four start above threshold, spike at step 1.
    v = V_RESET + np.asarray(v_init_rand, dtype=np.float64).ravel() * (V_SPIKE - V_RESET)
    ipsc, h, r, hr, jd, tlast = (np.zeros(n_units) for _ in range(6))
    decay_td = libm_exp(-dt / td)  # libm's exp, as the original's: np.exp can differ by an ulp
    decay_tr = math.exp(-dt / tr)
    voltages, rates = np.zeros((n_units, nt)), np.zeros((n_units, nt))
    spikes = np.zeros((n_units, nt), dtype=bool)
    for i in range(1, nt + 1):
        # Column round(i/100) + 1 (1-based), MATLAB's round: half away from zero, not np.round.
        current = (ipsc + BIAS) + ext[:, math.floor(i / 100 + 0.5)]
        # dt*i as a product every step (not a counter); strict > against tlast + t_ref.
        dv = (dt * i > tlast + T_REF) * (-v + current) / TAU_M
        v = (v + dt * dv) + noise[:, i - 1]  # the original's v + dt*dv + randn/10, in order
        if stim_on is not None and stim_on[i - 1]:
            v = v + stim_amplitude * stim_units
        index = np.flatnonzero(v >= V_PEAK)  # >= at threshold, as the original
        if len(index) > 0:
            jd = np.zeros(n_units)
            for j in index:  # one column at a time, in ascending unit order
                jd = jd + weights[:, j]
        spiked = (v >= V_PEAK).astype(np.float64)
        # Not tlast = dt*i: the two differ in the last bit for ~2.5 % of values.
        tlast = tlast + (dt * i - tlast) * spiked
        any_spike = float(len(index) > 0)
        # Each filter from the other's old value; JD is kept when nobody spikes, times 0.
        ipsc = ipsc * decay_td + h * dt
        h = h * decay_tr + jd * any_spike / (tr * td)
        r = r * decay_td + hr * dt
        hr = hr * decay_tr + spiked / (tr * td)
        rates[:, i - 1] = r
        spikes[:, i - 1] = spiked > 0
        v = v + (V_SPIKE - v) * spiked  # not v = 30: it can miss 30 in the last bit
        voltages[:, i - 1] = v
        v = v + (V_RESET - v) * (v >= V_PEAK)  # the original's reset, of the spiking units
    out = readout @ rates
    # Spikes from step 10 on: the step-1 spikes of the initial voltage are left out.
    counts = spikes[:, FIRST_COUNTED_STEP - 1 :].sum(axis=1)
    return {
        "out": out,
        "voltages": voltages,
        "rates": rates,
        "spikes": spikes,
        "mean_rates": counts / trial_length,
        "trial_length": trial_length,
        "n_steps": nt,
    }


def fused_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b``, each sum a chain of fused multiply-adds over the inner index, in order.

    ``a[i, 0] * b[0, j]`` rounded, then ``+ a[i, k] * b[k, j]`` rounded once
    per ``k`` (a fused multiply-add), which is how OpenBLAS sums a short
    inner dimension on x86-64. Computed in exact rational arithmetic, so its
    bits depend neither on NumPy nor on its BLAS: the oracle of the kernel's
    input drive (``spikewidgets.sim._kernel._compiled.input_by_column``).

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.sim._reference import fused_product
    >>> a = np.array([[1.0, 0.1]])
    >>> b = np.array([[0.1], [0.1]])
    >>> float(fused_product(a, b)[0, 0])  # 0.1 * 0.1 is not rounded before the sum
    0.11
    >>> 1.0 * 0.1 + 0.1 * 0.1  # two roundings
    0.11000000000000001
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    out = np.zeros((a.shape[0], b.shape[1]))
    if a.shape[1] == 0:
        return out
    for i in range(a.shape[0]):
        for j in range(b.shape[1]):
            total = float(a[i, 0]) * float(b[0, j])
            for k in range(1, a.shape[1]):
                total = float(Fraction(float(a[i, k])) * Fraction(float(b[k, j]))
                              + Fraction(total))
            out[i, j] = total
    return out
