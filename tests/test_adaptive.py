"""Adaptive searches: the strategies on known outcomes, then on simulated networks."""

from __future__ import annotations

import math
import re
import threading
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
import xarray as xr
from scipy.stats import multinomial

from spikewidgets import EdgeOfGridWarning, SearchInterrupted, lambda_grid_search, search_models
from spikewidgets.io import example_model, read_raw
from spikewidgets.search.adaptive import FixedBudget, Race, replay
from spikewidgets.search.adaptive._reasons import departure_reasons
from spikewidgets.search.adaptive._strategies import RaceState
from spikewidgets.stats._optimum import choose_optimum
from spikewidgets.stats._paired import critical_difference

# ---------------------------------------------------------------- strategies on known outcomes


def _outcomes(rng, truth, n_trials):
    return rng.random((len(truth), n_trials)) < np.asarray(truth)[:, None]


@pytest.mark.parametrize(("n_trials", "margin", "level"),
                         [(10, 0.0, 0.05), (20, 0.02, 0.01), (40, 0.02, 1e-4)])
def test_critical_difference_is_the_exact_trinomial_threshold(n_trials, margin, level):
    # An independent computation with scipy's multinomial: at the critical
    # difference the largest null chance is within the level; one step less
    # exceeds it for some discordance rate.
    critical = critical_difference(n_trials, margin, level)
    b, c = np.meshgrid(np.arange(n_trials + 1), np.arange(n_trials + 1), indexing="ij")
    keep = b + c <= n_trials
    counts = np.stack([b[keep], c[keep], n_trials - b[keep] - c[keep]], axis=1)

    def tail(d, q_lost):
        pmf = multinomial(n_trials, [q_lost + margin, q_lost, 1 - 2 * q_lost - margin]).pmf(counts)
        return pmf[counts[:, 0] - counts[:, 1] >= d].sum()

    grid = np.linspace(0.0, (1 - margin) / 2 - 1e-9, 60)
    assert max(tail(critical, q) for q in grid) <= level * 1.001
    assert max(tail(critical - 1, q) for q in grid) > level


def test_race_false_removals_stay_within_alpha():
    # Factors within the margin of the best must leave in at most alpha of races.
    # A weak correction (alpha 0.5 over 4 factors, 3 looks) makes removals common
    # enough for the rate to be measured in 2000 races.
    rng = np.random.default_rng(11)
    truth = np.array([0.80, 0.80, 0.79, 0.30])
    race = Race(alpha=0.5, margin=0.02, look_every=10)
    races, wrongly_removed, bad_removed = 2000, 0, 0
    for _ in range(races):
        state = replay(race, _outcomes(rng, truth, 40))
        wrongly_removed += bool((state.left_in_round[:3] >= 0).any())
        bad_removed += bool(state.left_in_round[3] >= 0)
    rate = wrongly_removed / races
    assert rate <= race.alpha + 3 * math.sqrt(race.alpha * (1 - race.alpha) / races)
    assert bad_removed / races > 0.5  # and the race does remove the bad factor


def test_race_removes_nothing_when_factors_are_equal():
    rng = np.random.default_rng(5)
    identical = np.repeat(_outcomes(rng, [0.7], 100), 12, axis=0)
    state = replay(Race(), identical)
    assert state.active.all() and state.simulations == 12 * 100
    removed = [replay(Race(), _outcomes(rng, [0.9] * 12, 100)).left_in_round.max() >= 0
               for _ in range(300)]
    assert np.mean(removed) <= 0.05


def test_race_removes_clearly_worse_factors_early():
    rng = np.random.default_rng(2)
    state = replay(Race(), _outcomes(rng, [0.95] * 4 + [0.1] * 8, 100))
    assert state.active[:4].all() and not state.active[4:].any()
    assert state.trials_run[4:].max() <= 40 and state.simulations < 0.5 * 1200


def test_fixed_budget_never_spends_more_than_its_budget():
    rng = np.random.default_rng(3)
    for _ in range(2000):
        n_factors, n_trials = int(rng.integers(1, 20)), int(rng.integers(1, 150))
        budget = int(rng.integers(n_factors, n_factors * n_trials + 1))
        strategy = FixedBudget(budget=budget, finalists=int(rng.integers(1, 5)))
        state = replay(strategy, _outcomes(rng, rng.random(n_factors), n_trials))
        assert state.simulations <= budget
        assert state.trials_run.max() <= n_trials
        assert state.active.sum() >= 1 and (state.trials_run[state.active]
                                            == state.trials_run.max()).all()


def test_fixed_budget_halves_and_keeps_the_best_ranked():
    rng = np.random.default_rng(4)
    truth = np.linspace(0.2, 0.95, 12)
    state = replay(FixedBudget(), _outcomes(rng, truth, 100))
    assert sorted(np.unique(state.trials_run).tolist())[-1] > 60
    assert (state.left_in_round >= 0).sum() == 9  # 12 -> 6 -> 3
    assert 11 in np.flatnonzero(state.active)
    assert state.simulations <= 400


def test_a_budget_covering_the_grid_runs_everything():
    state = replay(FixedBudget(budget=1200), np.zeros((12, 100), dtype=bool))
    assert (state.trials_run == 100).all() and state.rounds == 1


def test_strategy_arguments_are_checked():
    with pytest.raises(ValueError, match="budget"):
        FixedBudget(budget=0)
    with pytest.raises(ValueError, match="alpha"):
        Race(alpha=1.5)
    with pytest.raises(ValueError, match="margin"):
        Race(margin=-0.1)
    with pytest.raises(ValueError, match="fewer than the 12 factors"):
        RaceState(FixedBudget(budget=5), 12, 100).next_round()


def test_robust_optimum_is_the_middle_of_the_tied_run():
    trials_right = np.array([10, 30, 39, 40, 40, 39, 38, 25, 5])
    correct = np.arange(40) < trials_right[:, None]
    everyone = np.ones(9, dtype=bool)
    first, tied_first = choose_optimum(correct, np.ones_like(correct), everyone, "first")
    robust, tied = choose_optimum(correct, np.ones_like(correct), everyone, "robust")
    assert first == 3 and tied_first.tolist() == [False] * 3 + [True, True] + [False] * 4
    assert tied.tolist() == [False, False, True, True, True, True, True, False, False]
    assert robust == 4


@pytest.mark.parametrize(("right", "rule", "warned"), [
    ([40, 40, 40, 39, 10], "first", "10 is the smallest"),  # the plateau's small end
    ([40, 40, 40, 39, 10], "robust", None),  # its middle
    ([38, 38, 20, 40, 20], "first", None),  # the best, alone
    ([38, 38, 20, 40, 20], "robust", "10 is the smallest"),  # the longest tied run: 10, 20
])
def test_the_edge_of_grid_warning_is_the_chosen_optimums(right, rule, warned):
    from spikewidgets.search._results import TrialScores, build_dataset

    correct = np.arange(40) < np.array(right)[:, None]
    scores = [TrialScores(t, 1, "go", correct[:, t], np.ones(5), np.ones(5), np.ones(5))
              for t in range(40)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = build_dataset(np.arange(10.0, 60.0, 10.0), scores, ["go"], {}, rule=rule,
                           warn_stacklevel=2)
    messages = [str(w.message) for w in caught if w.category is EdgeOfGridWarning]
    assert messages == ([] if warned is None else [
        f"the optimal scaling factor {warned} of the grid (10 to 50); widen the grid to be "
        "sure it is the optimum"])
    assert caught == [] or caught[0].filename == __file__
    assert (float(ds.opt_scaling_factor) == 10.0) == (warned is not None)


# ---------------------------------------------------------------- simulated searches

SETTINGS = {"T": 101, "stim_on": 10, "stim_dur": 20, "resp_start": 40}
FACTORS = "10:65:5"


@pytest.fixture(scope="module")
def go_nogo(tmp_path_factory):
    return example_model("go_nogo", tmp_path_factory.mktemp("adaptive"))


def _search(path, adaptive, n_trials=30, **options):
    options = {"seed": 4, "save": False, "progress": False, "task_settings": SETTINGS, **options}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeOfGridWarning)
        return lambda_grid_search(path, "go_nogo", n_trials, FACTORS, adaptive=adaptive,
                                  **options)


@pytest.fixture(scope="module")
def full_grid(go_nogo):
    return _search(go_nogo, False)


def test_a_budget_covering_the_grid_equals_the_full_grid(go_nogo, full_grid):
    ds = _search(go_nogo, FixedBudget(budget=12 * 30))
    for name, variable in full_grid.variables.items():
        xr.testing.assert_identical(variable, ds[name].variable)
    assert ds.simulated.all() and (ds.n_trials_run == 30).all()
    assert ds.attrs["adaptive"] == "fixed_budget" and ds.attrs["adaptive_simulations"] == 360


@pytest.mark.parametrize("adaptive", [True, Race(alpha=0.2, margin=0.0, look_every=5)])
def test_adaptive_trials_are_the_full_grids_trials(go_nogo, full_grid, adaptive):
    ds = _search(go_nogo, adaptive)
    simulated = ds.simulated.values
    assert ds.attrs["adaptive_simulations"] == simulated.sum() < 12 * 30
    assert (ds.n_trials_run.values == simulated.sum(axis=1)).all()
    # every factor ran trials 0 .. n-1: the full grid's, bit for bit
    for k, n in enumerate(ds.n_trials_run.values):
        assert simulated[k, :n].all() and not simulated[k, n:].any()
        np.testing.assert_array_equal(ds.correct.values[k, :n], full_grid.correct.values[k, :n])
        np.testing.assert_array_equal(ds.mean_rate.values[k, :n],
                                      full_grid.mean_rate.values[k, :n])
        assert ds.accuracy.values[k] == full_grid.correct.values[k, :n].mean()
    assert not ds.correct.values[~simulated].any()
    assert np.isnan(ds.response_time.values[~simulated]).all()
    finalists = ds.left_in_round.values < 0
    assert ds.n_trials_run.values[finalists].min() == ds.n_trials_run.max()
    best = ds.accuracy.values[finalists].max()
    assert float(ds.opt_scaling_factor) == ds.scaling_factor.values[finalists][
        ds.accuracy.values[finalists] == best].min()


def test_adaptive_results_do_not_depend_on_workers(go_nogo):
    one = _search(go_nogo, True, n_workers=1)
    with ProcessPoolExecutor(2) as pool:
        two = _search(go_nogo, True, executor=pool, trials_per_block=3)
    one.attrs, two.attrs = {}, {}  # they name the executor and the blocks
    xr.testing.assert_identical(one, two)


def test_adaptive_dataset_writes_and_saves(go_nogo, tmp_path):
    ds = _search(go_nogo, "race", save=True)
    assert ds.attrs["saved_to_model"] == 1
    stored = read_raw(go_nogo)
    assert float(np.squeeze(stored["opt_scaling_factor"])) == float(ds.opt_scaling_factor)
    np.testing.assert_allclose(np.ravel(stored["all_perfs"]), ds.accuracy.values)
    ds.to_netcdf(tmp_path / "race.nc")
    xr.testing.assert_identical(xr.load_dataset(tmp_path / "race.nc"), ds)


def test_robust_optimum_in_a_full_search(go_nogo, full_grid):
    ds = _search(go_nogo, False, optimum="robust")
    assert ds.attrs["optimum_rule"] == "robust" and full_grid.attrs["optimum_rule"] == "first"
    tied = ds.scaling_factor.values[ds.tied_with_optimum.values]
    assert tied.min() <= float(ds.opt_scaling_factor) <= tied.max()
    xr.testing.assert_identical(ds.correct, full_grid.correct)


def test_stopping_an_adaptive_search_keeps_its_trials_and_the_file(go_nogo):
    before = go_nogo.read_bytes()
    stop = threading.Event()
    with pytest.warns(SearchInterrupted, match="simulations"):
        ds = _search(go_nogo, True, save=True, stop=stop,
                     callback=lambda partial: stop.set(), trials_per_block=2)
    assert ds.attrs["complete"] == 0 and ds.attrs["saved_to_model"] == 0
    assert 0 < ds.simulated.values.sum() < 12 * 30
    assert go_nogo.read_bytes() == before


def test_many_models_adaptive_equals_each_model_alone(go_nogo, tmp_path):
    paths = [example_model("go_nogo", tmp_path / name) for name in ("a", "b")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeOfGridWarning)
        many = search_models(paths, "go_nogo", 30, FACTORS, SETTINGS, seed=4, save=False,
                             progress=False, adaptive=True, n_workers=2)
    alone = _search(go_nogo, True)
    for name in ("correct", "simulated", "accuracy", "n_trials_run", "left_in_round",
                 "opt_scaling_factor"):
        for model in many.model.values:
            np.testing.assert_array_equal(many[name].sel(model=model).values, alone[name].values)
    assert many.attrs["adaptive"] == "fixed_budget"


def test_bad_adaptive_arguments_name_the_argument(go_nogo):
    with pytest.raises(ValueError, match="adaptive is 'fast'"):
        _search(go_nogo, "fast")
    with pytest.raises(ValueError, match="paired is False"):
        _search(go_nogo, True, paired=False)
    with pytest.raises(ValueError, match="optimum is 'best'"):
        _search(go_nogo, False, optimum="best")
    with pytest.raises(ValueError, match="perturbations"):
        search_models([go_nogo], "go_nogo", 10, FACTORS, perturbations=["ei_dec"],
                      adaptive=True, progress=False)


#: A reason's own count, and the factor it was compared with and that factor's count.
_FEWER = re.compile(r": (\d+)/(\d+) right .*weakest: (\d+(?:\.\d+)?) \((\d+)/(\d+)\)")
_BEHIND = re.compile(r": (\d+)/(\d+) right against (\d+)/(\d+) for the leader (\d+(?:\.\d+)?) ")
_TIED = re.compile(r": tied at (\d+)/(\d+) with (\d+(?:\.\d+)?), ")


@pytest.mark.parametrize("strategy", [FixedBudget(), Race(margin=0.0, look_every=10)])
@pytest.mark.parametrize("seed", range(20))
def test_every_factor_that_left_says_why_on_the_trials_it_shared(strategy, seed):
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.3, 1.0, 12)
    outcomes = rng.random((12, 100)) < truth[:, None]
    state = replay(strategy, outcomes)
    assert (state.left_in_round >= 0).any()
    correct = outcomes & (np.arange(100) < state.trials_run[:, None])
    factors = np.arange(10.0, 70.0, 5.0)
    reasons = departure_reasons(factors, correct, state.trials_run, state.left_in_round,
                                strategy.name, getattr(strategy, "margin", None))
    assert [bool(r) for r in reasons] == (state.left_in_round >= 0).tolist()
    for factor, reason in enumerate(reasons):
        if not reason:
            continue
        n = int(state.trials_run[factor])
        assert reason.startswith(f"left after round {state.left_in_round[factor]}: ")
        tied = _TIED.search(reason)
        if tied:
            own, shared, other_factor = int(tied[1]), int(tied[2]), float(tied[3])
            other, other_shared = own, shared
        elif strategy.name == "fixed_budget":
            fewer = _FEWER.search(reason)
            own, shared, other_factor = int(fewer[1]), int(fewer[2]), float(fewer[3])
            other, other_shared = int(fewer[4]), int(fewer[5])
            assert own < other
        else:
            behind = _BEHIND.search(reason)
            own, shared, other, other_shared = (int(behind[i]) for i in range(1, 5))
            other_factor = float(behind[5])
            assert own < other
        compared = factors.tolist().index(other_factor)
        assert shared == other_shared == n and own == outcomes[factor, :n].sum()
        assert state.trials_run[compared] >= n and other == outcomes[compared, :n].sum()
        if strategy.name == "fixed_budget":  # compared with a factor that went on
            assert state.trials_run[compared] > n


def test_an_adaptive_table_explains_the_factors_that_left(go_nogo):
    ds = _search(go_nogo, True)
    best = float(ds.accuracy.sel(scaling_factor=ds.opt_scaling_factor))
    left = ds.left_in_round.values >= 0
    assert left.any() and (ds.left_reason.values[~left] == "").all()
    for reason, accuracy in zip(ds.left_reason.values[left], ds.accuracy.values[left],
                                strict=True):
        # as good as the optimum on fewer trials: the reason names the tie
        assert accuracy < best or "tied at" in str(reason)
    assert ds.left_reason.attrs["long_name"] == "why it left"
