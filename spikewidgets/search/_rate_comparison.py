"""The spiking network against its rate network, unit by unit (``compare_rate=True``).

At a good scaling factor every LIF unit's filtered spike train ``r`` (the
rate the readout reads), divided by the factor, follows its rate unit:
``r_spk / sf ~ r_rate``. For each trial the rate network runs once on the
trial's stimulus, its noise drawn from the trial's rate-noise stream
(``spikewidgets.sim._seeding.rate_noise_seed``), so a seed gives the same
comparison on any number of workers; the kernel samples each variant's
``r`` at the end of every 5 ms rate step (``run_lif(..., sample_rates=True)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from spikewidgets.io._labels import variable_attrs
from spikewidgets.io._modelfile import RateModel
from spikewidgets.sim._kernel import LIFResult
from spikewidgets.sim._rate import RateArrays, RateParameters, run_rate
from spikewidgets.sim._seeding import rate_noise_seed
from spikewidgets.sim.constants import RATE_STEP

__all__ = ["SKIPPED_TIME", "RateComparison", "compare_trial", "comparison_variables",
           "join_comparisons", "rate_network_trial", "slice_comparison"]

#: Seconds left out at the start of a trial: the initial transients of both networks.
SKIPPED_TIME = 0.05
_SKIPPED_STEPS = round(SKIPPED_TIME / RATE_STEP)


@dataclass(frozen=True, eq=False)
class RateComparison:
    """One trial's comparison of K spiking variants with the rate network.

    ``correlation``, ``gain`` and ``divergence`` are (K,); ``sums`` is
    (5, K, N): per variant and unit, the sums over the compared rate steps
    of x, y, x², y² and xy (x = r_spk / sf, y = r_rate), and ``count`` (K,)
    the number of those steps, so that trials add up to per-unit statistics.
    """

    correlation: np.ndarray
    gain: np.ndarray
    divergence: np.ndarray
    sums: np.ndarray
    count: np.ndarray


def rate_network_trial(model: RateModel, u: np.ndarray, entropy: int, trial: int,
                       use_initial_weights: bool = False) -> RateArrays:
    """The rate network's run of trial ``trial`` of a search with seed ``entropy``.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.io._modelfile import RateModel
    >>> from spikewidgets.io._synthetic import random_model_arrays
    >>> from spikewidgets.search._rate_comparison import rate_network_trial
    >>> model = RateModel.from_arrays(random_model_arrays(10, 1, seed=0))
    >>> rate_network_trial(model, np.zeros((1, 21)), entropy=0, trial=3).r.shape
    (21, 10)
    """
    parameters = RateParameters.from_model(model, use_initial_weights)
    rng = np.random.default_rng(rate_noise_seed(entropy, trial))
    return run_rate(parameters, u, activation=model.activation, rng=rng)


def compare_trial(result: LIFResult, rate: RateArrays, factors: np.ndarray,
                  every: int) -> RateComparison:
    """Compare the sampled rates of ``result`` (K variants at ``factors``) with ``rate``.

    ``every`` is the LIF steps per rate step. Rate steps from 50 ms on are
    compared; the readouts are compared from the first recorded step of
    ``result.out`` (the response window of a search).

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.io._modelfile import RateModel
    >>> from spikewidgets.io._synthetic import random_model_arrays
    >>> from spikewidgets.search._rate_comparison import compare_trial, rate_network_trial
    >>> from spikewidgets.sim._kernel import LIFNetwork, run_lif
    >>> model = RateModel.from_arrays(random_model_arrays(20, 1, seed=0))
    >>> u = np.ones((1, 41))
    >>> result = run_lif(LIFNetwork.from_model(model, [1.0, 1e4]), u,
    ...                  rng=np.random.default_rng(0), sample_rates=True)
    >>> comparison = compare_trial(result, rate_network_trial(model, u, 0, 0),
    ...                            np.array([1.0, 1e4]), 100)
    >>> bool(comparison.gain[0] > 1 > comparison.gain[1]), comparison.sums.shape
    (True, (5, 2, 20))
    """
    samples = result.rate_samples
    n_steps = min(samples.shape[1], rate.r.shape[0] - 1)
    raw = samples[:, _SKIPPED_STEPS:n_steps]
    y = rate.r[1 + _SKIPPED_STEPS : n_steps + 1]
    # Sums of r_spk, scaled by 1 / sf afterwards (einsum: no K x T x N temporaries).
    inverse = 1.0 / np.asarray(factors, dtype=np.float64)[:, None]
    shape = (raw.shape[0], raw.shape[2])
    sums = np.stack([raw.sum(axis=1) * inverse, np.broadcast_to(y.sum(axis=0), shape),
                     np.einsum("ktn,ktn->kn", raw, raw) * (inverse * inverse),
                     np.broadcast_to(np.einsum("tn,tn->n", y, y), shape),
                     np.einsum("ktn,tn->kn", raw, y) * inverse])
    totals = sums.sum(axis=2)
    return RateComparison(
        correlation=_pearson(totals, np.full(raw.shape[0], raw.shape[1] * raw.shape[2])),
        gain=_ratio(totals[0], totals[1]),
        divergence=_divergence(result, rate.o, n_steps, every),
        sums=sums,
        count=np.full(raw.shape[0], raw.shape[1]),
    )


def _divergence(result: LIFResult, rate_output: np.ndarray, n_steps: int,
                every: int) -> np.ndarray:
    """RMS difference of the readouts at the rate steps from ``result.out_start`` on."""
    steps = every * np.arange(1, n_steps + 1)
    kept = steps >= result.out_start
    if not kept.any():
        return np.full(result.out.shape[0], np.nan)
    spiking = result.out[:, steps[kept] - result.out_start]
    return np.sqrt(np.mean((spiking - rate_output[:n_steps][kept]) ** 2, axis=1))


def _pearson(sums: np.ndarray, count: int) -> np.ndarray:
    """Pearson correlation from the sums of x, y, x², y² and xy (first axis); NaN if flat.

    ``count`` (K,) is the number of values summed per variant (first axis of each sum).
    """
    sx, sy, sxx, syy, sxy = sums
    count = np.reshape(count, count.shape + (1,) * (sx.ndim - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        covariance = sxy - sx * sy / count
        spread = np.sqrt(np.maximum(sxx - sx * sx / count, 0)
                         * np.maximum(syy - sy * sy / count, 0))
        return np.where(spread > 0, covariance / np.where(spread > 0, spread, 1), np.nan)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1),
                        np.nan)


def join_comparisons(parts: Sequence[RateComparison]) -> RateComparison:
    """One comparison of the variants of several networks (an unpaired search's), in order."""
    if len(parts) == 1:
        return parts[0]
    return RateComparison(
        correlation=np.concatenate([p.correlation for p in parts]),
        gain=np.concatenate([p.gain for p in parts]),
        divergence=np.concatenate([p.divergence for p in parts]),
        sums=np.concatenate([p.sums for p in parts], axis=1),
        count=np.concatenate([p.count for p in parts]),
    )


def slice_comparison(comparison: RateComparison, part: slice) -> RateComparison:
    """The comparison of the variants ``part`` (a perturbation's factors)."""
    return RateComparison(comparison.correlation[part], comparison.gain[part],
                          comparison.divergence[part], comparison.sums[:, part],
                          comparison.count[part])


def comparison_variables(comparisons: Sequence[RateComparison],
                         exc: np.ndarray) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """The Dataset variables and the unit coordinates of trials' comparisons (in trial order).

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.search._rate_comparison import RateComparison, comparison_variables
    >>> sums = np.stack([np.full((1, 2), v) for v in (2.0, 2.0, 3.0, 3.0, 3.0)])
    >>> one = RateComparison(np.ones(1), np.ones(1), np.zeros(1), sums, np.array([2]))
    >>> data, coords = comparison_variables([one, one], np.array([True, False]))
    >>> data["unit_rate_gain"][1].tolist(), coords["unit_type"][1].tolist()
    ([[1.0, 1.0]], ['exc', 'inh'])
    """
    def stack(name: str) -> np.ndarray:
        return np.stack([getattr(c, name) for c in comparisons], axis=1)

    sums = np.sum([c.sums for c in comparisons], axis=0)
    count = np.sum([c.count for c in comparisons], axis=0)
    per_trial = ("scaling_factor", "trial")
    per_unit = ("scaling_factor", "unit")
    named = variable_attrs
    data = {
        "rate_correlation": (per_trial, stack("correlation"), named(
            "rate correlation", "Pearson correlation of r_spk / scaling factor (each LIF "
            "unit's filtered spike train) with the rate units' r, over all units and 5 ms "
            f"rate steps from {SKIPPED_TIME * 1000:g} ms on")),
        "rate_gain": (per_trial, stack("gain"), named(
            "rate gain", "sum of r_spk / scaling factor over all units and rate steps "
            f"from {SKIPPED_TIME * 1000:g} ms on, divided by the sum of the rate units' r: "
            "1 when the spiking units follow their rate units on average")),
        "output_divergence": (per_trial, stack("divergence"), named(
            "readout divergence", "root mean square difference of the spiking readout and "
            "the rate network's readout (w_out r + b_out) at the 5 ms rate steps of the "
            "response window")),
        "unit_rate_correlation": (per_unit, _pearson(sums, count), named(
            "unit rate correlation", "Pearson correlation of the unit's r_spk / scaling "
            "factor with its rate unit's r over the rate steps of all trials")),
        "unit_rate_gain": (per_unit, _ratio(sums[0], sums[1]), named(
            "unit rate gain", "sum of the unit's r_spk / scaling factor over the rate "
            "steps of all trials divided by the sum of its rate unit's r")),
    }
    coords = {
        "unit": ("unit", np.arange(np.size(exc)), named("unit", "index of the unit")),
        "unit_type": ("unit", np.where(np.asarray(exc, dtype=bool), "exc", "inh"),
                      named("unit type", "exc for an excitatory unit, inh for an "
                            "inhibitory one")),
    }
    return data, coords
