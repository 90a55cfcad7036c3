"""Network variants: a batch shares each trial's noise, and each variant is its own network."""

from __future__ import annotations

import numpy as np
import pytest

from spikewidgets.io import RateModel, random_model_arrays
from spikewidgets.sim._kernel import LIFNetwork, NetworkVariant, Stimulation, run_lif


@pytest.fixture(scope="module")
def model() -> RateModel:
    return RateModel.from_arrays(random_model_arrays(30, 2, seed=4, dtype=np.float64))


def _input(n_inputs: int = 2) -> np.ndarray:
    u = np.zeros((n_inputs, 11))
    u[:, 3:6] = 1.0
    return u


def _alone(model: RateModel, variant: NetworkVariant, seed: int, **kwargs):
    network = LIFNetwork.from_variants(model, [variant])
    return run_lif(network, _input(), rng=np.random.default_rng(seed), record_spikes=True,
                   **kwargs)


def test_each_variant_of_a_batch_equals_the_variant_alone(model):
    base = model.recurrent_weights()
    weaker = base.copy()
    weaker[:, model.inh] *= 0.5  # inhibitory connections halved
    other_inputs = model.w_in[::-1].copy()
    variants = [
        NetworkVariant(base, model.w_out, 2.0),
        NetworkVariant(weaker, model.w_out, 2.0),
        NetworkVariant(base, model.w_out * 3, 4.0, w_in=other_inputs),
    ]
    batch = run_lif(LIFNetwork.from_variants(model, variants), _input(),
                    rng=np.random.default_rng(9), record_spikes=True)
    spikes_differ = False
    for k, variant in enumerate(variants):
        alone = _alone(model, variant, 9)
        np.testing.assert_array_equal(batch.out[k], alone.out[0])
        np.testing.assert_array_equal(batch.spike_units[k], alone.spike_units[0])
        np.testing.assert_array_equal(batch.spike_steps[k], alone.spike_steps[0])
        spikes_differ |= not np.array_equal(batch.spike_counts[k], batch.spike_counts[0])
    assert spikes_differ, "the variants should be different networks"


def test_scaling_factor_variants_are_the_grid_network(model):
    factors = [1.5, 3.0]
    grid = LIFNetwork.from_model(model, factors)
    variants = [NetworkVariant(model.recurrent_weights(), model.w_out, f) for f in factors]
    built = LIFNetwork.from_variants(model, variants)
    np.testing.assert_array_equal(grid.weights_by_presynaptic, built.weights_by_presynaptic)
    np.testing.assert_array_equal(grid.readout, built.readout)
    assert built.input_sets.shape == (1, *model.w_in.shape)


def test_a_stimulated_variant_leaves_the_others_and_the_noise_alone(model):
    base = model.recurrent_weights()
    stimulation = Stimulation("exc", units=(2, 5), start=300, stop=700)
    intact = NetworkVariant(base, model.w_out, 2.0)
    stimulated = NetworkVariant(base, model.w_out, 2.0, stimulation=stimulation)
    batch = run_lif(LIFNetwork.from_variants(model, [intact, stimulated]), _input(),
                    rng=np.random.default_rng(3), stimulation_rng=np.random.default_rng(4),
                    record_traces=True)
    plain = run_lif(LIFNetwork.from_variants(model, [intact]), _input(),
                    rng=np.random.default_rng(3), record_traces=True)
    np.testing.assert_array_equal(batch.voltages[0], plain.voltages[0])
    difference = batch.voltages[1] != batch.voltages[0]
    steps, units = np.nonzero(difference)
    assert steps.size, "the stimulation changed nothing"
    # Nothing changes before the window, and the first changes are in the stimulated units.
    assert steps.min() >= stimulation.start - 1
    first = steps == steps.min()
    assert set(units[first]) <= set(stimulation.units)


def test_stimulation_for_all_and_per_variant_cannot_be_mixed(model):
    stimulation = Stimulation("inh", units=(1,), start=1, stop=5)
    network = LIFNetwork.from_variants(
        model, [NetworkVariant(model.recurrent_weights(), model.w_out, 1.0,
                               stimulation=stimulation)])
    with pytest.raises(ValueError, match="their own"):
        run_lif(network, _input(), rng=np.random.default_rng(0), stimulation=stimulation)


def test_bad_variants_are_named(model):
    with pytest.raises(ValueError, match="scaling_factor is 0"):
        NetworkVariant(model.recurrent_weights(), model.w_out, 0.0)
    with pytest.raises(ValueError, match="variant 0 has weights of shape"):
        LIFNetwork.from_variants(model, [NetworkVariant(np.zeros((3, 3)), model.w_out, 1.0)])
    with pytest.raises(ValueError, match="input weights of shape"):
        LIFNetwork.from_variants(model, [NetworkVariant(model.recurrent_weights(), model.w_out,
                                                        1.0, w_in=np.zeros((30, 1)))])
    with pytest.raises(ValueError, match="variants is empty"):
        LIFNetwork.from_variants(model, [])
