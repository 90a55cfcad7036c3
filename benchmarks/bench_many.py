"""Throughput of many-model searches on different executors.

Searches 24 Go-NoGo models (copies of the bundled example) with 12 scaling
factors and ``--trials`` trials each, and prints the throughput in
(trial x factor) simulations per second for: 1 thread, 2 threads (the
default pool on this machine), a 2-process pool, and a Dask LocalCluster of
2 single-threaded worker processes; plus the per-chunk overhead of the Dask
executor measured on near-empty chunks.

Usage: python benchmarks/bench_many.py [--models 24] [--trials 20]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

FACTORS = np.arange(20.0, 80.0, 5.0)


def run(folder: Path, n_trials: int, **options) -> float:
    from spikewidgets.many import search_models

    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search_models(str(folder / "*.mat"), "go_nogo", n_trials, FACTORS, seed=0,
                      progress=False, save=False, **options)
    return time.perf_counter() - began


def chunk_overhead(executor, n_chunks: int = 200) -> float:
    from spikewidgets.scheduling import Chunk, run_chunks

    chunks = [Chunk(i, abs, (i,)) for i in range(n_chunks)]
    began = time.perf_counter()
    run_chunks(chunks, lambda chunk, value: None, executor=executor)
    return (time.perf_counter() - began) / n_chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=24)
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    from spikewidgets.examples import example_model

    simulations = args.models * args.trials * len(FACTORS)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        source = example_model("go_nogo", folder / "source")
        for index in range(args.models):
            (folder / f"model_{index:02d}.mat").write_bytes(source.read_bytes())
        run(folder, 2, n_workers=1)  # load compiled code
        results = {}
        results["1 thread"] = run(folder, args.trials, n_workers=1)
        results["2 threads"] = run(folder, args.trials, n_workers=2)
        with ProcessPoolExecutor(2) as pool:
            run(folder, 1, executor=pool)  # start and warm the workers
            results["2 processes"] = run(folder, args.trials, executor=pool)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            executor = client.get_executor()
            run(folder, 1, executor=executor)  # warm the workers
            results["Dask LocalCluster (2 x 1)"] = run(folder, args.trials, executor=executor)
            overhead = chunk_overhead(executor)
    print(f"{args.models} go_nogo models x 12 factors x {args.trials} trials "
          f"= {simulations} simulations")
    for name, seconds in results.items():
        print(f"{name:>28}: {seconds:6.2f} s, {simulations / seconds:6.1f} simulations/s")
    print(f"2 threads vs 1 thread: {results['1 thread'] / results['2 threads']:.2f}x")
    print(f"Dask vs 2 threads: {results['2 threads'] / results['Dask LocalCluster (2 x 1)']:.2f}x"
          f"; Dask overhead per chunk {1000 * overhead:.1f} ms")


if __name__ == "__main__":
    main()
