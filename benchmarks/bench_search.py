"""End-to-end cost of a search compared with the simulation alone.

Prints, for the bundled Go-NoGo model, the wall time of a 12 x 100
``lambda_grid_search`` (load, simulate, score, build the Dataset, write the
model file) and of the kernel alone on the same grid and trials (same seeds,
same number of threads), and the peak RSS of a Go-NoGo and a Mante 12 x 100
search, each run in a fresh process. The speed of this shared machine drifts,
so the two are timed in ``--repeats`` interleaved rounds and the overhead is
the median of the ratios within a round.

Usage: python benchmarks/bench_search.py [--trials 100] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

FACTORS = np.arange(20.0, 80.0, 5.0)


def kernel_only(path: Path, task_name: str, n_trials: int, workers: int) -> float:
    from spikewidgets import get_task, load_model
    from spikewidgets.sim._kernel import LIFNetwork, run_lif
    from spikewidgets.sim._seeding import trial_generator

    model = load_model(path)
    task = get_task(task_name)
    settings = task.settings()
    network = LIFNetwork.from_model(model, FACTORS)
    start = task.window_start(settings)

    def one(trial: int) -> None:
        rng = trial_generator(0, trial)
        made = task.make_trial(rng, settings)
        run_lif(network, made.u, rng=rng, out_start=start)

    began = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(n_trials)))
    return time.perf_counter() - began


def full_search(path: Path, task_name: str, n_trials: int, workers: int) -> float:
    from spikewidgets import lambda_grid_search

    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lambda_grid_search(path, task_name, n_trials, FACTORS, seed=0, n_workers=workers,
                           progress=False)
    return time.perf_counter() - began


def _rss_child(task_name: str, n_trials: int) -> None:
    from spikewidgets.io import example_model

    with tempfile.TemporaryDirectory() as folder:
        path = example_model(task_name, folder)
        seconds = full_search(path, task_name, n_trials, os.cpu_count() or 1)
    print(json.dumps({"seconds": seconds,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _rss_child(args.child[0], int(args.child[1]))
        return
    from spikewidgets.io import example_model

    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        path = example_model("go_nogo", folder)
        kernel_only(path, "go_nogo", 2, workers)  # load compiled code
        kernels, searches = [], []
        for _ in range(args.repeats):
            kernels.append(kernel_only(path, "go_nogo", args.trials, workers))
            searches.append(full_search(path, "go_nogo", args.trials, workers))
    overheads = [100 * (search / kernel - 1) for kernel, search in zip(kernels, searches,
                                                                        strict=True)]
    print(f"go_nogo 12 x {args.trials} on {workers} threads (bundled model), median of "
          f"{args.repeats} rounds: kernel only {statistics.median(kernels):.2f} s, full search "
          f"{statistics.median(searches):.2f} s, overhead within a round "
          f"{statistics.median(overheads):+.1f} % [{min(overheads):+.1f}, {max(overheads):+.1f}]")
    for task_name in ("go_nogo", "mante"):
        done = subprocess.run([sys.executable, __file__, "--child", task_name, str(args.trials)],
                              capture_output=True, text=True, check=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{task_name} 12 x {args.trials} search in a fresh process: "
              f"{figures['seconds']:.2f} s, peak RSS {figures['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
