"""Perturbations of the converted network and the paired perturbation search."""

from __future__ import annotations

import pickle
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
import scipy.stats

import spikewidgets as sw
from spikewidgets.cli import main
from spikewidgets.cli._common import EXIT_BAD_INPUT
from spikewidgets.io import RateModel, random_model_arrays
from spikewidgets.perturbations import (
    PRESETS,
    LesionConnections,
    LesionUnits,
    NetworkParts,
    RemoveSelfConnections,
    ReplaceInputWeights,
    ScaleConnections,
    ShuffleInputWeights,
    Stimulate,
    UnitSelection,
    lesion_sweep,
    scale_sweep,
)
from spikewidgets.perturbations._presets import as_perturbation, preset
from spikewidgets.search import perturbation_search
from spikewidgets.sim._kernel import BASE_DT
from spikewidgets.stats import mcnemar_exact, paired_difference_interval

SHORT = {"T": 41, "stim_on": 5, "stim_dur": 10, "resp_start": 20}


@pytest.fixture(scope="module")
def model() -> RateModel:
    arrays = random_model_arrays(40, 1, seed=3, dtype=np.float64)
    return RateModel.from_arrays(arrays)


def _parts(model: RateModel) -> NetworkParts:
    return NetworkParts(model.recurrent_weights(), model.w_in, model.w_out, model.exc, BASE_DT)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_each_preset_scales_exactly_the_connections_the_spec_names(model, name):
    before = _parts(model)
    after = preset(name).apply(before, np.random.default_rng(0))
    receiving = model.exc if name[0] == "e" else model.inh
    sending = model.exc if name[1] == "e" else model.inh
    expected = before.weights.copy()
    expected[np.ix_(receiving, sending)] *= 1.3 if name.endswith("inc") else 0.7
    np.testing.assert_array_equal(after.weights, expected)
    changed = before.weights != after.weights
    assert changed.any()
    assert not changed[np.ix_(~receiving, np.ones(model.n_units, bool))].any()
    # Same as scaling the stored magnitudes w before m and som_m (the published order).
    w = np.array(model.w)
    w[np.ix_(receiving, sending)] *= 1.3 if name.endswith("inc") else 0.7
    published = (w @ model.m) * model.som_m
    np.testing.assert_array_equal(after.weights, published)
    assert before.weights is not after.weights  # the intact network is untouched


def test_preset_naming_puts_the_receiving_type_first():
    assert PRESETS["ei_dec"].pre == "inh" and PRESETS["ei_dec"].post == "exc"
    assert PRESETS["ei_dec"].factor == 0.7 and PRESETS["ie_inc"].factor == 1.3
    with pytest.raises(ValueError, match="preset is 'xx', expected one of ee_dec"):
        preset("xx")


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 1.0])
def test_lesions_remove_the_stated_fraction(model, fraction):
    before = _parts(model)
    off_diagonal = ~np.eye(model.n_units, dtype=bool)
    existing = (before.weights != 0) & off_diagonal
    after = LesionConnections(fraction).apply(before, np.random.default_rng(1))
    removed = existing & (after.weights == 0)
    assert removed.sum() == round(fraction * existing.sum())
    np.testing.assert_array_equal(np.diagonal(after.weights), np.diagonal(before.weights))
    by_type = LesionConnections(fraction, by_type=True).apply(before, np.random.default_rng(1))
    for post in (model.exc, model.inh):
        for pre in (model.exc, model.inh):
            group = existing & np.outer(post, pre)
            assert (group & (by_type.weights == 0)).sum() == round(fraction * group.sum())


def test_lesioned_units_lose_every_synapse(model):
    after = LesionUnits(UnitSelection(units=(2, 7))).apply(_parts(model),
                                                            np.random.default_rng(0))
    assert not after.weights[[2, 7]].any() and not after.weights[:, [2, 7]].any()
    assert not after.w_in[[2, 7]].any() and not after.readout[[2, 7]].any()
    assert after.weights[3].any()


def test_fractions_of_a_type_are_chosen_by_seed(model):
    selection = UnitSelection(unit_type="inh", fraction=0.5)
    first = selection.choose(model.exc, np.random.default_rng(5))
    assert first.size == round(0.5 * model.inh.sum()) and model.inh[first].all()
    np.testing.assert_array_equal(first, selection.choose(model.exc, np.random.default_rng(5)))
    with pytest.raises(ValueError, match="units includes \\[99\\]"):
        UnitSelection(units=(1, 99)).choose(model.exc, np.random.default_rng(0))


def test_other_perturbations(model):
    before = _parts(model)
    rng = np.random.default_rng(0)
    assert not np.diagonal(RemoveSelfConnections().apply(before, rng).weights).any()
    shuffled = ShuffleInputWeights().apply(before, rng)
    assert shuffled.inputs_changed and sorted(shuffled.w_in.ravel()) == sorted(model.w_in.ravel())
    replaced = ReplaceInputWeights(np.ones_like(model.w_in)).apply(before, rng)
    assert replaced.w_in.sum() == model.w_in.size
    combined = as_perturbation(["ei_dec", RemoveSelfConnections()])
    assert combined.label == "ei_dec + no self-connections"
    for item in (combined, LesionConnections(0.1), Stimulate(UnitSelection(unit_type="inh"))):
        assert pickle.loads(pickle.dumps(item)).label == item.label


@pytest.mark.parametrize("bad, match", [
    (lambda: ScaleConnections("inh", "exc", 0), "factor is 0"),
    (lambda: ScaleConnections("in", "exc", 1.0), "pre is 'in'"),
    (lambda: LesionConnections(1.5), "fraction is 1.5"),
    (lambda: Stimulate(UnitSelection(units=(1,)), "both"), "mode is 'both'"),
    (lambda: Stimulate(UnitSelection(units=(1,)), "exc", 0.3, 0.2), "window"),
])
def test_bad_perturbations_are_named(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


def test_sweeps():
    assert [p.factor for p in scale_sweep("inh", "exc", [0.5, 1.0, 1.5])] == [0.5, 1.0, 1.5]
    assert [p.fraction for p in lesion_sweep([0, 0.25], by_type=True)] == [0.0, 0.25]


def _search(path, perturbations, **kwargs):
    options = dict(scaling_factors=[1.0, 2.0], n_trials=6, task_settings=SHORT, seed=4,
                   progress=False)
    options.update(kwargs)
    return perturbation_search(path, "go_nogo", perturbations, **options)


def test_the_intact_variant_equals_a_plain_search_bit_for_bit(write_model):
    path = write_model(n_units=40)
    ds = _search(path, ["ei_dec", Stimulate(UnitSelection(unit_type="inh", fraction=0.5),
                                            "inh", 0.005, 0.015), LesionConnections(0.3)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = sw.lambda_grid_search(path, "go_nogo", 6, [1.0, 2.0], SHORT, seed=4,
                                      progress=False, save=False)
    intact = ds.sel(perturbation="none")
    for name in ("correct", "response", "response_time", "mean_rate"):
        np.testing.assert_array_equal(intact[name].values, plain[name].values)
    assert str(ds.perturbation.values[0]) == "none"
    assert ds.correct.dims == ("perturbation", "scaling_factor", "trial")
    assert float(ds.accuracy_change.sel(perturbation="none").max()) == 0.0
    assert ds.sel(perturbation="ei_dec").perturbation_strength == 0.7
    assert set(ds.groupby("perturbation_kind").groups) == {"none", "scale", "silence", "lesion"}


def test_a_perturbed_trial_is_simulated_exactly_as_in_the_search(write_model):
    path = write_model(n_units=40)
    silence = Stimulate(UnitSelection(unit_type="exc", fraction=0.5), "inh", 0.005, 0.02)
    ds = _search(path, [silence, "ie_inc"])
    for perturbation in (silence, "ie_inc"):
        label = as_perturbation(perturbation).label
        for trial in (0, 3):
            sim = sw.simulate(path, 2.0, "go_nogo", task_settings=SHORT, seed=4, trial=trial,
                              perturbation=perturbation)
            searched = ds.sel(perturbation=label, scaling_factor=2.0, trial=trial)
            assert sim.attrs["correct"] == int(searched.correct)
            assert sim.attrs["response"] == float(searched.response)
            assert sim.attrs["perturbation"] == label


def test_silencing_reaches_only_the_chosen_units_in_the_window(write_model):
    path = write_model(n_units=40)
    units = (3, 8, 11)
    silence = Stimulate(UnitSelection(units=units), "inh", 0.01, 0.02)
    kwargs = dict(task_settings=SHORT, seed=1, trial=0, record_voltages=True)
    intact = sw.simulate(path, 2.0, "go_nogo", **kwargs)
    silenced = sw.simulate(path, 2.0, "go_nogo", perturbation=silence, **kwargs)
    differs = intact.voltage.values != silenced.voltage.values
    steps = np.flatnonzero(differs.any(axis=0))
    assert steps.size and intact.time.values[steps[0]] >= 0.01
    first = np.flatnonzero(differs[:, steps[0]])
    assert set(first) <= set(units)


def test_the_paired_test_agrees_with_scipy():
    rng = np.random.default_rng(0)
    gained, lost = rng.integers(0, 30, 40), rng.integers(0, 30, 40)
    ours = mcnemar_exact(gained, lost)
    for k in range(gained.size):
        n = int(gained[k] + lost[k])
        expected = scipy.stats.binomtest(int(gained[k]), n, 0.5).pvalue if n else 1.0
        assert ours[k] == pytest.approx(expected, rel=1e-12)


def test_the_paired_interval_brackets_the_change_and_narrows_with_trials():
    low, high = paired_difference_interval([40], [10], [2], [48])
    assert low[0] < 0.08 < high[0] and -1 <= low[0] and high[0] <= 1
    wide = np.diff(paired_difference_interval([4], [1], [0], [5]), axis=0)
    narrow = np.diff(paired_difference_interval([400], [100], [0], [500]), axis=0)
    assert narrow[0, 0] < wide[0, 0]
    assert np.isnan(paired_difference_interval([0], [0], [0], [0])[0][0])


def test_the_same_dataset_on_any_executor(write_model):
    path = write_model(n_units=30)
    wanted = ["ee_inc", LesionConnections(0.2, by_type=True)]
    one = _search(path, wanted, n_workers=1)
    with ThreadPoolExecutor(2) as threads:
        two = _search(path, wanted, executor=threads, trials_per_block=1)
    with ProcessPoolExecutor(2) as processes:
        three = _search(path, wanted, executor=processes, trials_per_block=4)
    for other in (two, three):
        for name in ("correct", "response", "accuracy_change", "mcnemar_p"):
            np.testing.assert_array_equal(one[name].values, other[name].values)


def test_default_factor_is_the_stored_optimum(write_model):
    path = write_model(n_units=30)
    with pytest.raises(ValueError, match="holds no opt_scaling_factor"):
        perturbation_search(path, "go_nogo", "ei_dec", n_trials=2, task_settings=SHORT)
    sw.write_search_results(path, 2.5, [1.0], [2.5])
    ds = perturbation_search(path, "go_nogo", "ei_dec", n_trials=2, task_settings=SHORT,
                             progress=False)
    assert list(ds.scaling_factor.values) == [2.5]


def test_netcdf_round_trip(write_model, tmp_path):
    import xarray as xr

    ds = _search(write_model(n_units=30), ["ii_dec"])
    ds.to_netcdf(tmp_path / "p.nc")
    with xr.open_dataset(tmp_path / "p.nc") as back:
        np.testing.assert_array_equal(back.accuracy_change.values, ds.accuracy_change.values)
    for variable in ds.variables.values():
        assert "long_name" in variable.attrs and "description" in variable.attrs


@pytest.mark.parametrize("flags, fragment", [
    (["--preset", "xx"], "--preset is 'xx'"),
    (["--scale", "inh", "exc", "0,1"], "--scale factor is 0.0"),
    (["--lesion", "0.2,1.5"], "--lesion fraction is 1.5"),
    (["--silence", "1,99", "0", "0.1"], "--silence is '1,99'"),
    ([], "no perturbation given"),
])
def test_cli_bad_inputs_get_one_line_naming_the_flag(write_model, capsys, flags, fragment):
    path = write_model(n_units=30)
    assert main(["perturb", str(path), *flags, "--quiet"]) == EXIT_BAD_INPUT
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and fragment in error[0], error


def test_cli_prints_the_paired_table(write_model, capsys, tmp_path):
    path = write_model(n_units=30)
    code = main(["perturb", str(path), "--preset", "ei_dec", "--lesion", "0:0.2:0.1",
                 "--scaling-factors", "2", "--trials", "3", "--settings",
                 '{"T": 41, "stim_on": 5, "stim_dur": 10, "resp_start": 20}', "--quiet",
                 "--out", str(tmp_path / "p.nc")])
    out = capsys.readouterr().out
    assert code == 0
    for label in ("none", "ei_dec", "lesion 0.1", "lesion 0.2", "McNemar p"):
        assert label in out
    assert (tmp_path / "p.nc").exists()


def test_many_models_at_their_stored_optima(write_model, tmp_path):
    from spikewidgets.search import search_models

    paths = [write_model(f"m{k}.mat", n_units=30, seed=k) for k in range(2)]
    for path, optimum in zip(paths, (2.0, 3.0), strict=True):
        sw.write_search_results(path, optimum, [1.0], [optimum])
    before = [path.read_bytes() for path in paths]
    store = tmp_path / "optima.nc"
    ds = search_models(paths, "go_nogo", 3, None, SHORT, perturbations=["ei_dec"], seed=4,
                       progress=False, n_workers=1, store=store)
    resumed = search_models(paths, "go_nogo", 3, None, SHORT, perturbations=["ei_dec"],
                            seed=4, progress=False, n_workers=1, store=store)  # all stored
    for name in ("correct", "accuracy_change", "model_scaling_factor"):
        np.testing.assert_array_equal(resumed[name].values, ds[name].values)
        assert resumed[name].dims == ds[name].dims
    # The shape of a search with one explicit factor: scaling_factor is kept, of length 1.
    assert ds.correct.dims == ("model", "perturbation", "scaling_factor", "trial")
    assert ds.sizes["scaling_factor"] == 1 and "scaling_factor" not in ds.coords
    assert ds.model_scaling_factor.dims == ("model",)
    assert list(ds.model_scaling_factor.values) == [2.0, 3.0]
    assert ds.model_scaling_factor.attrs["long_name"] == "model's scaling factor"
    assert list(ds.perturbation.values) == ["none", "ei_dec"]
    alone = perturbation_search(paths[1], "go_nogo", ["ei_dec"], n_trials=3,
                                task_settings=SHORT, seed=4, progress=False)
    np.testing.assert_array_equal(ds.correct.isel(model=1).values, alone.correct.values)
    np.testing.assert_array_equal(ds.accuracy_change.isel(model=1).values,
                                  alone.accuracy_change.values)
    explicit = search_models(paths, "go_nogo", 3, [3.0], SHORT, perturbations=["ei_dec"],
                             seed=4, progress=False, n_workers=1)
    for name, variable in explicit.data_vars.items():
        assert ds[name].dims == variable.dims, name
    assert [path.read_bytes() for path in paths] == before  # nothing written
    with pytest.raises(ValueError, match="scaling_factors is None"):
        search_models(paths, "go_nogo", 3, None, SHORT)
