"""How good and how cheap adaptive searches are, against the full grid.

For each bundled example (Go-NoGo, XOR, Mante) and 12 factors bracketing its
stored optimum, a pool of ``--pool`` paired trials per factor is simulated
once (a full grid search of that many trials). The pool's accuracy is taken
as each factor's truth. Then ``--replays`` searches of at most ``--trials``
trials per factor are replayed by drawing trials from the pool (the same
trials for every factor, as in a paired search): the full grid, the
fixed-budget strategy and the race. A search *succeeds* when the factor it
picks is within ``--tolerance`` of the pool's best accuracy. Printed per
example and strategy: success rate, simulations as a fraction of the full
grid's.

Then the wall time of a real Go-NoGo search of the 12 factors, full grid
against fixed budget, in ``--rounds`` interleaved rounds (this shared
machine's speed drifts; the ratio is taken within each round).

Usage: python benchmarks/bench_adaptive.py [--pool 400] [--replays 300] [--trials 100]
       [--rounds 3] [--examples go_nogo xor mante]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import spikewidgets as sw
from spikewidgets.io import load_model
from spikewidgets.search.adaptive import FixedBudget, Race, replay
from spikewidgets.stats._optimum import choose_optimum


def bracketing_grid(path: Path) -> np.ndarray:
    """12 factors in steps of 5 around the optimum stored in the model file."""
    optimum = float(load_model(path).opt_scaling_factor)
    start = max(5.0, optimum - 25.0)
    return start + 5.0 * np.arange(12)


def pool_of_trials(path: Path, task: str, factors: np.ndarray, n_pool: int) -> np.ndarray:
    """Correct/incorrect of ``n_pool`` paired trials per factor (factors x trials)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sw.EdgeOfGridWarning)
        ds = sw.lambda_grid_search(path, task, n_pool, factors, seed=2024, save=False,
                                   progress=False)
    return ds.correct.values


def picked(outcomes: np.ndarray, strategy) -> tuple[int, int]:
    """Index of the factor a search picks on ``outcomes``, and the simulations it used."""
    n_factors, n_trials = outcomes.shape
    if strategy is None:
        index, _ = choose_optimum(outcomes, np.ones_like(outcomes), np.ones(n_factors, bool))
        return index, n_factors * n_trials
    state = replay(strategy, outcomes)
    simulated = np.arange(n_trials)[None, :] < state.trials_run[:, None]
    index, _ = choose_optimum(outcomes & simulated, simulated, state.active)
    return index, state.simulations


def replays(pool: np.ndarray, n_trials: int, n_replays: int, tolerance: float,
            seed: int = 0) -> dict[str, dict[str, float]]:
    """Success rate and mean simulation fraction of each strategy over resampled searches."""
    truth = pool.mean(axis=1)
    good = truth >= truth.max() - tolerance
    rng = np.random.default_rng(seed)
    strategies = {"full grid": None, "fixed budget": FixedBudget(), "race": Race()}
    hits = {name: 0 for name in strategies}
    cost = {name: 0.0 for name in strategies}
    for _ in range(n_replays):
        columns = rng.choice(pool.shape[1], size=n_trials, replace=False)
        outcomes = pool[:, columns]
        for name, strategy in strategies.items():
            index, simulations = picked(outcomes, strategy)
            hits[name] += bool(good[index])
            cost[name] += simulations / outcomes.size
    return {name: {"success": hits[name] / n_replays, "simulations": cost[name] / n_replays}
            for name in strategies}


def wall_times(path: Path, factors: np.ndarray, n_trials: int, rounds: int) -> list[tuple]:
    """(full grid seconds, fixed budget seconds) of real Go-NoGo searches, interleaved."""
    times = []
    for round_index in range(rounds):
        pair = []
        for adaptive in (False, True):
            began = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", sw.EdgeOfGridWarning)
                sw.lambda_grid_search(path, "go_nogo", n_trials, factors, seed=round_index,
                                      save=False, progress=False, adaptive=adaptive)
            pair.append(time.perf_counter() - began)
        times.append(tuple(pair))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=400)
    parser.add_argument("--replays", type=int, default=300)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--tolerance", type=float, default=0.02)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--examples", nargs="+", default=["go_nogo", "xor", "mante"])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_adaptive_"))
    summary = {}
    for task in args.examples:
        path = sw.example_model(task, folder)
        factors = bracketing_grid(path)
        began = time.perf_counter()
        pool = pool_of_trials(path, task, factors, args.pool)
        accuracy = pool.mean(axis=1)
        print(f"\n{task}: factors {factors[0]:g}-{factors[-1]:g}, pool of {args.pool} trials "
              f"({time.perf_counter() - began:.0f} s); pool accuracy "
              + " ".join(f"{a:.2f}" for a in accuracy))
        result = replays(pool, args.trials, args.replays, args.tolerance)
        summary[task] = result
        print(f"  {'search':<14}{'within ' + str(args.tolerance) + ' of best':>20}"
              f"{'simulations':>14}")
        for name, figures in result.items():
            print(f"  {name:<14}{figures['success']:>20.3f}{figures['simulations']:>14.2f}")
    if "go_nogo" in args.examples:
        path = sw.example_model("go_nogo", folder)
        times = wall_times(path, bracketing_grid(path), args.trials, args.rounds)
        ratios = [adaptive / full for full, adaptive in times]
        print(f"\nGo-NoGo wall time, {args.trials} trials x 12 factors, {args.rounds} rounds:")
        for full, adaptive in times:
            print(f"  full grid {full:6.1f} s   fixed budget {adaptive:6.1f} s   "
                  f"ratio {adaptive / full:.2f}")
        print(f"  median ratio {statistics.median(ratios):.2f} "
              f"[{min(ratios):.2f}, {max(ratios):.2f}]")
        summary["wall_time_ratio"] = statistics.median(ratios)
    print("\n" + json.dumps(summary))


if __name__ == "__main__":
    main()
