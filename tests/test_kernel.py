"""The compiled LIF kernel against the original's recorded simulation and a NumPy oracle."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from conftest import assert_sum_close

from spikewidgets.io import RateModel, load_model, random_model_arrays
from spikewidgets.sim._kernel import LIFNetwork, Stimulation, run_lif
from spikewidgets.sim._kernel._compiled import divide, input_by_column
from spikewidgets.sim._reference import fused_product, reference_lif

REGRESSION = Path(__file__).parent / "data" / "lif_regression.npz"


#: The runs of the original under Octave (tests/data/lif-reference/README.md): every path.
REFERENCES = ["sf1", "sf25", "ds2", "init", "stim_exc", "stim_inh"]


def _reference_case(folder: Path, name: str):
    """The model, the run's arguments as run_lif takes them, and what the original recorded."""
    inputs = scipy.io.loadmat(folder / "fixture_model.mat")
    expected = scipy.io.loadmat(folder / f"reference_{name}.mat")
    setting = lambda key, default: expected[key].item() if key in expected else default  # noqa: E731
    downsample = int(setting("downsample", 1))
    n_steps = int(expected["nt"].item())
    mode = str(expected["stim_mode"].item()) if "stim_mode" in expected else "none"
    stimulation = None
    if mode != "none":
        start, stop = (int(x) for x in expected["stim_dur"].ravel())
        units = tuple(int(u) - 1 for u in expected["stim_units"].ravel())  # 1-based there
        stimulation = Stimulation(mode, units, start=start, stop=stop)
    run = {
        "v_init_rand": inputs["v_init_rand"],
        "noise": inputs["noise"][:, :n_steps],  # the original drew as many as it had steps
        "stimulation": stimulation,
        "stim_coin": expected["stim_coin"] if stimulation is not None else None,
    }
    return inputs, expected, downsample, bool(setting("use_initial_weights", 0)), run


@pytest.mark.parametrize("name", REFERENCES)
def test_replays_the_original_exactly(lif_reference, name):
    inputs, expected, downsample, initial, run = _reference_case(lif_reference, name)
    factor = float(expected["scaling_factor"].item())
    model = load_model(lif_reference / "fixture_model.mat")
    # Extra factors in the same pass must not disturb the first one.
    network = LIFNetwork.from_model(model, [factor, 3.0, 80.0], downsample=downsample,
                                    use_initial_weights=initial)
    result = run_lif(network, inputs["u"], record_spikes=True, record_traces=True,
                     block_steps=333, **run)
    assert np.array_equal(network.td, expected["td"].ravel())
    assert np.array_equal(network.weights_by_presynaptic[0].T, expected["W"])
    assert result.dt == float(expected["dt"].item())
    assert result.n_steps == int(expected["nt"].item())
    assert result.trial_length == float(expected["T"].item())
    assert result.spike_units[0].size == expected["spk_neuron"].size
    assert np.array_equal(result.spike_units[0] + 1, expected["spk_neuron"].ravel())
    assert np.array_equal(result.spike_steps[0], expected["spk_step"].ravel())
    assert np.array_equal(result.spike_steps[0] * result.dt, expected["spk_time"].ravel())
    assert np.array_equal(result.voltages[0].T, expected["REC"])
    assert np.array_equal(result.rates[0].T, expected["rs"])
    assert np.array_equal(result.mean_rates[0], expected["all_fr"].ravel())
    # The readout is a sum whose order the processor (here) and BLAS (there) choose.
    assert_sum_close(result.out[0], expected["out"].ravel(),
                     np.abs(network.readout[0]) @ np.abs(expected["rs"]))


def test_references_cover_every_path(lif_reference):
    cases = {name: _reference_case(lif_reference, name) for name in REFERENCES}
    assert {c[2] for c in cases.values()} == {1, 2}
    assert {c[3] for c in cases.values()} == {False, True}
    modes = {c[4]["stimulation"].mode for c in cases.values() if c[4]["stimulation"]}
    assert modes == {"exc", "inh"}
    # The stimulated runs differ from what the same draws give without stimulation.
    _, expected, _, _, run = cases["stim_exc"]
    model = load_model(lif_reference / "fixture_model.mat")
    plain = run_lif(LIFNetwork.from_model(model, 25.0), cases["sf25"][0]["u"],
                    v_init_rand=run["v_init_rand"], noise=run["noise"])
    assert plain.spike_counts.sum() < expected["spk_neuron"].size


def test_initial_weights_keep_the_trained_decay(lif_reference):
    # The original simulates w0 with the trained td and only returns td0.
    _, expected, *_ = _reference_case(lif_reference, "init")
    model = load_model(lif_reference / "fixture_model.mat")
    network = LIFNetwork.from_model(model, 25.0, use_initial_weights=True)
    assert not np.array_equal(expected["td0"], expected["td"])
    assert np.array_equal(network.td, model.synaptic_decay())
    assert np.array_equal(network.td, expected["td"].ravel())


@pytest.mark.parametrize("name", REFERENCES)
def test_numpy_oracle_replays_the_original(lif_reference, name):
    inputs, expected, downsample, initial, run = _reference_case(lif_reference, name)
    network = LIFNetwork.from_model(load_model(lif_reference / "fixture_model.mat"),
                                    float(expected["scaling_factor"].item()),
                                    downsample=downsample, use_initial_weights=initial)
    stimulation = run["stimulation"]
    extra = ()
    if stimulation is not None:
        units = np.zeros(network.n_units)
        units[list(stimulation.units)] = 1.0
        stim_on = np.zeros(int(expected["nt"].item()), dtype=bool)
        window = slice(stimulation.start - 1, stimulation.stop - 1)
        stim_on[window] = run["stim_coin"].ravel()[window] < 0.5
        extra = (0, units, stimulation.amplitude, stim_on)
    oracle = reference_lif(network, inputs["u"], run["v_init_rand"], run["noise"], *extra)
    assert np.array_equal(oracle["voltages"], expected["REC"])
    assert np.array_equal(oracle["rates"], expected["rs"])
    assert_sum_close(oracle["out"], expected["out"].ravel(),
                     np.abs(network.readout[0]) @ np.abs(expected["rs"]))


def _random_case(seed, n_units=30, n_inputs=2, n_columns=16):
    model = RateModel.from_arrays(random_model_arrays(n_units, n_inputs, seed=seed,
                                                      dtype=np.float64))
    rng = np.random.default_rng(seed + 100)
    u = rng.standard_normal((n_inputs, n_columns))
    return model, u


@pytest.mark.parametrize("n_inputs", [0, 1, 2, 4])
@pytest.mark.parametrize("downsample", [1, 3])
def test_input_drive_is_the_matrix_product(n_inputs, downsample):
    rng = np.random.default_rng(n_inputs)
    w_in = rng.standard_normal((50, n_inputs))
    u = rng.standard_normal((n_inputs, 31))
    drive = input_by_column(w_in, u, downsample)
    assert drive.shape == (11 if downsample == 3 else 31, 50)
    # Exact rational arithmetic: the same bits whatever NumPy and BLAS are installed.
    assert np.array_equal(drive, fused_product(w_in, u[:, ::downsample]).T)


@pytest.mark.parametrize("downsample", [1, 2])
@pytest.mark.parametrize("seed", [0, 1])
def test_fast_path_equals_oracle_on_random_models(seed, downsample):
    model, u = _random_case(seed)
    factors = [0.7, 2.0, 9.0]
    network = LIFNetwork.from_model(model, factors, downsample=downsample)
    _, n_steps = network.timing(u.shape[1])
    rng = np.random.default_rng(seed)
    v_init = rng.random(model.n_units)
    noise = rng.standard_normal((model.n_units, n_steps)) / 10
    fast = run_lif(network, u, v_init_rand=v_init, noise=noise, record_spikes=True,
                   record_traces=True, block_steps=97)
    for k in range(len(factors)):
        oracle = reference_lif(network, u, v_init, noise, factor_index=k)
        assert fast.spike_units[k].size > 0
        spikes = np.zeros_like(oracle["spikes"])
        spikes[fast.spike_units[k], fast.spike_steps[k] - 1] = True
        assert np.array_equal(spikes, oracle["spikes"])
        assert np.array_equal(fast.voltages[k].T, oracle["voltages"])
        assert np.array_equal(fast.rates[k].T, oracle["rates"])
        assert np.array_equal(fast.mean_rates[k], oracle["mean_rates"])
        assert_sum_close(fast.out[k], oracle["out"],
                         np.abs(network.readout[k]) @ np.abs(oracle["rates"]))


@pytest.mark.parametrize("mode", ["exc", "inh"])
def test_stimulation_equals_oracle(mode):
    model, u = _random_case(3)
    network = LIFNetwork.from_model(model, [1.5, 4.0])
    stimulation = Stimulation(mode, units=(0, 3, 7), start=200, stop=900)
    fast = run_lif(network, u, rng=np.random.default_rng(5), stimulation=stimulation,
                   record_traces=True)
    # Replay the same draws: initial voltages, coin flips, then noise.
    rng = np.random.default_rng(5)
    _, n_steps = network.timing(u.shape[1])
    v_init = rng.random(model.n_units)
    flips = rng.random(stimulation.stop - stimulation.start) < 0.5
    noise = rng.standard_normal((n_steps, model.n_units)).T / 10
    stim_on = np.zeros(n_steps, dtype=bool)
    stim_on[stimulation.start - 1 : stimulation.stop - 1] = flips
    units = np.zeros(model.n_units)
    units[list(stimulation.units)] = 1.0
    plain = run_lif(network, u, v_init_rand=v_init, noise=noise, record_traces=True)
    for k in range(2):
        oracle = reference_lif(network, u, v_init, noise, k, units, stimulation.amplitude,
                               stim_on)
        assert np.array_equal(fast.voltages[k].T, oracle["voltages"])
        assert not np.array_equal(plain.voltages[k], fast.voltages[k])


def test_initial_weights_use_w0_with_the_trained_decay():
    arrays = random_model_arrays(20, 1, seed=4, dtype=np.float64)
    arrays["w0"] = arrays["w"] * 0.5
    model = RateModel.from_arrays(arrays)
    trained = LIFNetwork.from_model(model, 2.0)
    initial = LIFNetwork.from_model(model, 2.0, use_initial_weights=True)
    np.testing.assert_array_equal(initial.weights_by_presynaptic * 2,
                                  trained.weights_by_presynaptic)
    assert not np.array_equal(model.synaptic_decay(use_initial_weights=True), trained.td)
    assert np.array_equal(initial.td, trained.td)


def test_same_generator_same_trial_and_factors_do_not_interact():
    model, u = _random_case(7)
    together = run_lif(LIFNetwork.from_model(model, [1.0, 3.0]), u,
                       rng=np.random.default_rng(11), out_start=50)
    alone = run_lif(LIFNetwork.from_model(model, [3.0]), u,
                    rng=np.random.default_rng(11), out_start=50)
    assert np.array_equal(together.out[1], alone.out[0])
    assert np.array_equal(together.spike_counts[1], alone.spike_counts[0])
    other = run_lif(LIFNetwork.from_model(model, [3.0]), u, rng=np.random.default_rng(12),
                    out_start=50)
    assert not np.array_equal(other.out[0], alone.out[0])


def test_block_size_does_not_change_results():
    model, u = _random_case(8)
    network = LIFNetwork.from_model(model, [1.0, 2.0])
    runs = [run_lif(network, u, rng=np.random.default_rng(0), block_steps=b)
            for b in (1, 77, 5000)]
    for run in runs[1:]:
        assert np.array_equal(run.out, runs[0].out)


def test_self_made_regression_fixture():
    data = np.load(REGRESSION)
    model = RateModel.from_arrays({key[6:]: data[key] for key in data.files
                                   if key.startswith("model_")})
    network = LIFNetwork.from_model(model, data["scaling_factors"])
    result = run_lif(network, data["u"], rng=np.random.default_rng(int(data["seed"])),
                     record_spikes=True, record_traces=True)
    for k in range(len(data["scaling_factors"])):
        assert np.array_equal(result.spike_units[k], data[f"spike_units_{k}"])
        assert np.array_equal(result.spike_steps[k], data[f"spike_steps_{k}"])
        assert_sum_close(result.out[k], data["out"][k],
                         np.abs(network.readout[k]) @ np.abs(result.rates[k].T))


def test_fma_division_is_correctly_rounded():
    rng = np.random.default_rng(0)
    numerators = rng.standard_normal(200_000) * np.exp(rng.uniform(-20, 20, 200_000))
    denominators = np.exp(rng.uniform(-12, 5, 200_000))
    exact = numerators / denominators
    emulated = np.array([divide(a, b, 1.0 / b) for a, b in
                         zip(numerators[:2000], denominators[:2000], strict=True)])
    assert np.array_equal(emulated, exact[:2000])
    # Constant denominators used by the kernel.
    for denominator in (0.01, 10.0, 0.002 * 0.0739588):
        got = np.array([divide(a, denominator, 1.0 / denominator) for a in numerators[:3000]])
        assert np.array_equal(got, numerators[:3000] / denominator)


def test_bad_arguments_are_named():
    model, u = _random_case(9)
    network = LIFNetwork.from_model(model, 1.0)
    with pytest.raises(ValueError, match="scaling_factors"):
        LIFNetwork.from_model(model, [1.0, -2.0])
    with pytest.raises(ValueError, match="downsample"):
        LIFNetwork.from_model(model, 1.0, downsample=0)
    with pytest.raises(ValueError, match="u has shape"):
        run_lif(network, u[:1], rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng is required"):
        run_lif(network, u)
    with pytest.raises(ValueError, match="noise has shape"):
        run_lif(network, u, v_init_rand=np.zeros(model.n_units), noise=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="stim_coin has 3 values"):
        run_lif(network, u, rng=np.random.default_rng(0), stim_coin=np.zeros(3),
                stimulation=Stimulation("exc", (1,), 1, 20))
    with pytest.raises(ValueError, match="mode"):
        Stimulation("both", (1,), 1, 2)


def test_timing_follows_the_original():
    model, _ = _random_case(10)
    for downsample in (1, 2, 3):
        network = LIFNetwork.from_model(model, 1.0, downsample=downsample)
        trial_length, n_steps = network.timing(201)
        used = math.ceil(201 / downsample)
        dt = 0.00005 * downsample  # as the original: dt, then T = (columns - 1) * dt * 100
        assert trial_length == (used - 1) * dt * 100
        assert n_steps == round(trial_length / dt)


def test_subnormal_traces_do_not_change_spikes_or_voltages():
    # Units that spike at step 1 and then stay silent for 2 s: their synaptic
    # traces decay below 2.2e-308, where the kernel flushes them to zero.
    arrays = random_model_arrays(8, 1, seed=12, dtype=np.float64)
    arrays["w"] = arrays["w"] * 0.01
    arrays["w_in"] = np.abs(arrays["w_in"]) + 0.5
    model = RateModel.from_arrays(arrays)
    network = LIFNetwork.from_model(model, 1.0)
    u = np.full((1, 401), -30.0)  # a strong inhibitory input keeps every unit silent
    _, n_steps = network.timing(u.shape[1])
    rng = np.random.default_rng(0)
    v_init = np.full(model.n_units, 0.9)  # all above threshold: everyone spikes at step 1
    noise = rng.standard_normal((model.n_units, n_steps)) / 10
    fast = run_lif(network, u, v_init_rand=v_init, noise=noise, record_spikes=True,
                   record_traces=True)
    oracle = reference_lif(network, u, v_init, noise)
    # hr, which decays with the 2 ms rise time, goes subnormal in the oracle.
    hr_at_end = math.exp(-network.dt / 0.002) ** (n_steps - 1) / (0.002 * network.td)
    assert np.all(hr_at_end < 2.2250738585072014e-308)
    assert oracle["spikes"][:, 0].all() and not oracle["spikes"][:, 1:].any()
    assert np.array_equal(fast.voltages[0].T, oracle["voltages"])
    assert np.array_equal(fast.spike_steps[0], np.nonzero(oracle["spikes"].T)[0] + 1)
    assert np.array_equal(fast.rates[0].T, oracle["rates"])
