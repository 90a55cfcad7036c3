"""What comparing with the rate network costs, and whether its best factor is a good one.

1. Cost: the search of the bundled Go-NoGo example (``--factors`` factors from
   20, ``--trials`` trials each) with and without ``compare_rate=True``, timed
   in ``--rounds`` rounds in alternating order (this shared machine drifts by
   10 % or more over minutes); the median ratio over rounds is printed with
   its range. Target: at most 1.15.
2. Use: for each bundled example (go_nogo, xor, mante, dms), a search with
   ``compare_rate=True`` over the grid stored in its file, ``--grid-trials``
   trials per factor; printed: the factor of highest mean ``rate_correlation``,
   the accuracy there, and the best accuracy of the grid. Target: the
   accuracy at the best-correlated factor within 0.05 of the best.

Usage: python benchmarks/bench_rate_comparison.py [--trials 40] [--factors 12]
       [--rounds 3] [--grid-trials 40] [--only-cost] [--only-grid]
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

EXAMPLES = ("go_nogo", "xor", "mante", "dms")


def search(path: Path, task: str, n_trials: int, factors, compare: bool):
    from spikewidgets import lambda_grid_search

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lambda_grid_search(path, task, n_trials, factors, seed=0, save=False,
                                  progress=False, compare_rate=compare)


def timed(path: Path, n_trials: int, factors, compare: bool) -> tuple[float, float]:
    """Wall-clock and CPU time (all threads of this process) of one search."""
    began, cpu = time.perf_counter(), time.process_time()
    search(path, "go_nogo", n_trials, factors, compare)
    return time.perf_counter() - began, time.process_time() - cpu


def _summary(values: list[float], unit: str = " s", digits: int = 2) -> str:
    return (f"median {statistics.median(values):.{digits}f}{unit} (range "
            f"{min(values):.{digits}f} to {max(values):.{digits}f})")


def cost(folder: Path, n_trials: int, n_factors: int, rounds: int) -> None:
    import spikewidgets as sw

    path = sw.example_model("go_nogo", folder)
    factors = 20.0 + 5.0 * np.arange(n_factors)
    search(path, "go_nogo", 2, factors[:2], True)  # compiled code loaded
    walls: dict[bool, list[float]] = {False: [], True: []}
    cpus: dict[bool, list[float]] = {False: [], True: []}
    for index in range(rounds):
        order = (False, True) if index % 2 == 0 else (True, False)
        for compare in order:
            wall, cpu = timed(path, n_trials, factors, compare)
            walls[compare].append(wall)
            cpus[compare].append(cpu)
    wall_ratios = [b / a for a, b in zip(walls[False], walls[True], strict=True)]
    cpu_ratios = [b / a for a, b in zip(cpus[False], cpus[True], strict=True)]
    print(f"go_nogo, {n_factors} factors x {n_trials} trials, {rounds} rounds "
          "(alternating order):")
    print(f"  without compare_rate: wall {_summary(walls[False])}, CPU {_summary(cpus[False])}")
    print(f"  with compare_rate:    wall {_summary(walls[True])}, CPU {_summary(cpus[True])}")
    print(f"  ratio with / without: wall {_summary(wall_ratios, '', 3)}, "
          f"CPU {_summary(cpu_ratios, '', 3)}; target <= 1.15")


def grid(folder: Path, n_trials: int) -> None:
    import spikewidgets as sw
    from spikewidgets.io import read_raw

    print(f"best mean rate_correlation vs best accuracy, {n_trials} trials per factor:")
    print(f"{'model':>8}  {'factor':>6}  {'corr':>5}  {'accuracy':>8}  {'best acc':>8}  "
          f"{'best at':>7}  {'gap':>5}")
    for name in EXAMPLES:
        path = sw.example_model(name, folder)
        factors = np.asarray(read_raw(path)["scaling_factors"], dtype=np.float64).ravel()
        began = time.perf_counter()
        ds = search(path, name, n_trials, factors, True)
        correlation = ds.rate_correlation.mean("trial")
        chosen = int(np.nanargmax(correlation.values))
        accuracy = ds.accuracy.values
        gap = float(accuracy.max() - accuracy[chosen])
        print(f"{name:>8}  {factors[chosen]:>6g}  {float(correlation[chosen]):>5.3f}  "
              f"{accuracy[chosen]:>8.3f}  {accuracy.max():>8.3f}  "
              f"{float(ds.opt_scaling_factor):>7g}  {gap:>5.3f}"
              f"{'' if gap <= 0.05 else '  (above 0.05)'}  [{time.perf_counter() - began:.0f} s]")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--factors", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--grid-trials", type=int, default=40)
    parser.add_argument("--only-cost", action="store_true")
    parser.add_argument("--only-grid", action="store_true")
    args = parser.parse_args(argv)
    print("command: python " + shlex.join(["benchmarks/bench_rate_comparison.py",
                                           *(sys.argv[1:] if argv is None else argv)]))
    with tempfile.TemporaryDirectory() as folder:
        if not args.only_grid:
            cost(Path(folder), args.trials, args.factors, args.rounds)
        if not args.only_cost:
            grid(Path(folder), args.grid_trials)


if __name__ == "__main__":
    main()
