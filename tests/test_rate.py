"""The NumPy rate network: dynamics against a hand computation, and the Dataset."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from spikewidgets.io import RateModel
from spikewidgets.sim._rate import (
    RateParameters,
    activation_function,
    decay_steps,
    run_rate,
    simulate_rate,
)
from spikewidgets.sim.constants import RATE_STEP
from spikewidgets.tasks import get_task

# A 3-unit network: units 0 and 1 excitatory, unit 2 inhibitory, two inputs.
W = np.array([[0.0, 0.5, 0.3], [0.2, 0.0, 0.4], [0.6, 0.1, 0.0]])
INH = np.array([False, False, True])
W_IN = np.array([[1.0, 0.0], [0.0, -1.0], [0.5, 0.5]])
W_OUT = np.array([0.7, -0.2, 0.4])
B_OUT = 0.05
TAUS = (4.0, 20.0)
GAUS = np.array([0.0, 1.0, -2.0])


def make_model(activation: str = "sigmoid", taus=TAUS, som: bool = False) -> RateModel:
    m = np.diag(np.where(INH, -1.0, 1.0))
    som_m = np.ones((3, 3))
    if som:
        som_m[2, 2] = 0.0
    arrays = {
        "w": W, "m": m, "som_m": som_m, "w_in": W_IN, "w_out": W_OUT[None, :],
        "N": np.array([[3]]), "inh": INH[:, None], "exc": ~INH[:, None],
        "taus": np.array([taus], dtype=float), "taus_gaus": GAUS[:, None],
        "w0": 0.5 * W, "taus_gaus0": np.zeros((3, 1)),
        "b_out": np.array([[B_OUT]]), "activation": np.array([activation]),
    }
    return RateModel.from_arrays(arrays)


def by_hand(u, x0, kicks, activation="sigmoid", taus=TAUS, w=W, gaus=GAUS):
    """Scalar loops, written out from the update rule."""
    def act(v):
        if activation == "sigmoid":
            return 1.0 / (1.0 + math.exp(-v))
        if activation == "softplus":
            return min(math.log1p(math.exp(v)), 20.0)
        return min(max(v, 0.0), 20.0)

    sign = [-1.0 if flag else 1.0 for flag in INH]
    if len(taus) == 2:
        tau = [1 / (1 + math.exp(-g)) * (taus[1] - taus[0]) + taus[0] for g in gaus]
    else:
        tau = [taus[0]] * 3
    x = list(x0)
    outputs = []
    for t in range(1, u.shape[1]):
        r = [act(v) for v in x]
        new = []
        for i in range(3):
            rec = sum(w[i][j] * sign[j] * r[j] for j in range(3))
            ext = sum(W_IN[i][k] * u[k][t - 1] for k in range(2))
            new.append((1 - 1 / tau[i]) * x[i] + (rec + ext) / tau[i] + kicks[t - 1][i])
        x = new
        outputs.append(sum(W_OUT[i] * act(x[i]) for i in range(3)) + B_OUT)
    return np.array(outputs), np.array(x)


U = np.array([[0.0, 1.0, 1.0, 0.0, -1.0, 0.0], [0.5, 0.0, -0.5, 1.0, 0.0, 0.0]])
X0 = np.array([0.1, -0.2, 0.3])


@pytest.mark.parametrize("activation", ["sigmoid", "softplus", "clipped_relu"])
def test_noise_free_trial_matches_hand_computation(activation):
    model = make_model(activation)
    ds = simulate_rate(model, U, x0=X0, noise=False)
    expected, last_x = by_hand(U, X0, np.zeros((5, 3)), activation)
    np.testing.assert_allclose(ds["output"].values, expected, rtol=1e-12, atol=1e-14)
    parameters = RateParameters(model.recurrent_weights(), W_IN, W_OUT, B_OUT,
                                decay_steps(TAUS, GAUS))
    arrays = run_rate(parameters, U, activation=activation, x0=X0, noise=False)
    np.testing.assert_allclose(arrays.x[-1], last_x, rtol=1e-12)
    np.testing.assert_allclose(arrays.x[0], X0)
    np.testing.assert_allclose(arrays.o, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        ds["rates"].values[:, -1], activation_function(activation)(last_x), rtol=1e-12
    )


def test_first_step_by_formula():
    # One step written out in full for unit 0 (tau = 4 + 16 * sigmoid(0) = 12).
    model = make_model()
    out = simulate_rate(model, U[:, :2], x0=X0, noise=False, rates=True)
    r0 = 1 / (1 + np.exp(-X0))
    x1_unit0 = (1 - 1 / 12) * 0.1 + (0.5 * r0[1] - 0.3 * r0[2] + 1.0 * 0.0 + 0.0 * 0.5) / 12
    assert out["rates"].values[0, 0] == pytest.approx(1 / (1 + math.exp(-x1_unit0)), rel=1e-13)


def test_noise_and_initial_state_follow_the_documented_draws():
    model = make_model()
    ds = simulate_rate(model, U, seed=7)
    rng = np.random.default_rng(7)
    x0 = rng.standard_normal(3) / 100
    kicks = rng.standard_normal((5, 3)) / 10
    expected, _ = by_hand(U, x0, kicks)
    np.testing.assert_allclose(ds["output"].values, expected, rtol=1e-12, atol=1e-14)
    again = simulate_rate(model, U, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(again["output"].values, ds["output"].values)
    other = simulate_rate(model, U, seed=8)
    assert not np.allclose(other["output"].values, ds["output"].values)
    replay = simulate_rate(model, U, x0=x0, noise=kicks)
    np.testing.assert_allclose(replay["output"].values, expected, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match=r"noise has shape \(4, 3\)"):
        simulate_rate(model, U, x0=x0, noise=kicks[:4])


def test_som_mask_fixed_decay_and_initial_weights():
    model = make_model(taus=(5.0,), som=True)
    w_som = W.copy()
    w_som[2, 2] = 0.0
    expected, _ = by_hand(U, X0, np.zeros((5, 3)), taus=(5.0,), w=w_som)
    ds = simulate_rate(model, U, x0=X0, noise=False)
    np.testing.assert_allclose(ds["output"].values, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ds["tau"].values, 5 * RATE_STEP)

    initial = simulate_rate(make_model(), U, x0=X0, noise=False, use_initial_weights=True)
    expected0, _ = by_hand(U, X0, np.zeros((5, 3)), w=0.5 * W, gaus=np.zeros(3))
    np.testing.assert_allclose(initial["output"].values, expected0, rtol=1e-12, atol=1e-14)


def test_dataset_layout_and_units():
    model = make_model()
    u = get_task("xor").make_trial(np.random.default_rng(0), get_task("xor").settings()).u
    ds = simulate_rate(model, u, seed=0)
    assert isinstance(ds, xr.Dataset)
    n_out = u.shape[1] - 1
    assert ds["output"].dims == ("time",)
    assert ds["rates"].dims == ("unit", "time")
    assert ds.sizes == {"time": n_out, "unit": 3}
    np.testing.assert_allclose(ds["time"].values, np.arange(1, n_out + 1) * 0.005)
    assert ds["time"].attrs["units"] == "s"
    np.testing.assert_array_equal(ds["inhibitory"].values, INH)
    for name in [*ds.data_vars, *ds.coords]:
        assert ds[name].attrs.get("long_name"), name
        assert len(ds[name].attrs.get("description", "")) >= len(ds[name].attrs["long_name"]), name
    # Units only where there is a physical unit: the readout and the rates are dimensionless.
    assert {name: ds[name].attrs["units"] for name in [*ds.data_vars, *ds.coords]
            if "units" in ds[name].attrs} == {"time": "s", "tau": "s"}
    assert "sigmoid" in ds["rates"].attrs["description"]
    assert "rates" not in simulate_rate(model, u, seed=0, rates=False)
    assert ds.attrs["activation"] == "sigmoid"


def test_decay_steps():
    np.testing.assert_allclose(
        decay_steps((4, 20), np.array([0.0, 50.0, -50.0])), [12.0, 20.0, 4.0]
    )
    np.testing.assert_allclose(decay_steps((7,), np.zeros(4)), 7.0)
    with pytest.raises(ValueError, match="taus"):
        decay_steps((1, 2, 3), np.zeros(2))


def test_errors_name_the_argument():
    model = make_model()
    with pytest.raises(ValueError, match=r"u has shape \(1, 6\).*2 input"):
        simulate_rate(model, U[:1], seed=0)
    with pytest.raises(ValueError, match=r"seed.*rng"):
        simulate_rate(model, U, seed=1, rng=np.random.default_rng(1))
    with pytest.raises(ValueError, match="activation is 'tanh'"):
        activation_function("tanh")
    with pytest.raises(ValueError, match="x0 has 2 values"):
        simulate_rate(model, U, x0=[0.0, 0.0], noise=False)
    with pytest.raises(ValueError, match="rng is None"):
        run_rate(RateParameters(W, W_IN, W_OUT, 0.0, np.ones(3)), U, noise=True)
    with pytest.raises(TypeError, match="RateModel"):
        simulate_rate({"w": W}, U)
