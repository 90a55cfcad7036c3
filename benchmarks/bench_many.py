"""Throughput of many-model searches on different executors.

Searches ``--models`` Go-NoGo models (copies of the bundled example) with 12
scaling factors and ``--trials`` trials each, and prints the throughput in
(trial x factor) simulations per second on: a process pool of 1 and 2 workers,
a thread pool of 2 (the default executor of every search, ``search_models``
included: it runs as fast as the process pool, since the compiled kernel
releases the GIL), and a Dask LocalCluster of 2 single-threaded worker
processes, with Dask's default settings and with ``DASK_LOW_OVERHEAD``. It
also prints the CPU an idle LocalCluster takes with each setting, and the
per-block overhead of the process pool and of Dask, measured on near-empty
blocks.

Each executor is started, warmed (workers started, compiled code loaded) and
timed alone, so that an idle cluster does not slow the others down. The speed
of this shared machine drifts by 10 % or more over minutes, so the executors
are timed in ``--rounds`` rounds in rotating order; ratios are computed within
each round and the median over rounds is printed with the range.

Usage: python benchmarks/bench_many.py [--models 24] [--trials 5] [--rounds 10]
       [--only EXECUTOR ...]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np

FACTORS = np.arange(20.0, 80.0, 5.0)
DASK = "Dask LocalCluster 2 x 1"
DASK_LOW = "Dask 2 x 1, DASK_LOW_OVERHEAD"


def run(folder: Path, n_trials: int, executor: Executor) -> float:
    from spikewidgets.search import search_models

    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search_models(str(folder / "*.mat"), "go_nogo", n_trials, FACTORS, seed=0,
                      progress=False, save=False, executor=executor)
    return time.perf_counter() - began


def block_overhead(executor: Executor, n_blocks: int = 200) -> float:
    from spikewidgets.sim._scheduling import Block, run_blocks

    blocks = [Block(i, abs, (i,)) for i in range(n_blocks)]
    began = time.perf_counter()
    run_blocks(blocks, lambda block, value: None, executor=executor)
    return (time.perf_counter() - began) / n_blocks


def idle_cpu(seconds: float = 10.0) -> float:
    """CPU time used by this process and its children per second of wall time."""
    import psutil

    def total() -> float:
        me = psutil.Process()
        used = 0.0
        for process in [me, *me.children(recursive=True)]:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            used += times.user + times.system
        return used

    before, began = total(), time.perf_counter()
    time.sleep(seconds)
    return (total() - before) / (time.perf_counter() - began)


@contextmanager
def dask_executor(n_workers: int, low_overhead: bool) -> Iterator[Executor]:
    import dask
    from distributed import Client, LocalCluster

    from spikewidgets.search import DASK_LOW_OVERHEAD

    with dask.config.set(DASK_LOW_OVERHEAD if low_overhead else {}), \
            LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster, Client(cluster) as client:
        yield client.get_executor()


EXECUTORS: dict[str, Callable[[], object]] = {
    "1 process": lambda: ProcessPoolExecutor(1),
    "2 processes": lambda: ProcessPoolExecutor(2),
    "2 threads": lambda: ThreadPoolExecutor(2),
    DASK: lambda: dask_executor(2, low_overhead=False),
    DASK_LOW: lambda: dask_executor(2, low_overhead=True),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=24)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--only", nargs="+", choices=list(EXECUTORS), metavar="EXECUTOR",
                        help="time only these executors (default: all)")
    return parser.parse_args()


def time_rounds(folder: Path, names: list[str], n_trials: int, n_rounds: int
                ) -> tuple[dict[str, list[float]], dict[str, float], dict[str, float]]:
    """Seconds of each round per executor, overheads per block and idle CPU.

    The executors are timed in ``n_rounds`` rounds in rotating order, on the
    models in ``folder``; the idle CPU (of Dask) and the overhead per block (of
    the process pool and Dask) are measured in the first round only.
    """
    seconds: dict[str, list[float]] = {name: [] for name in names}
    overheads: dict[str, float] = {}
    idle: dict[str, float] = {}
    for round_index in range(n_rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            with EXECUTORS[name]() as executor:
                run(folder, 1, executor)  # start the workers, load compiled code
                if round_index == 0 and name in (DASK, DASK_LOW):
                    idle[name] = idle_cpu()
                seconds[name].append(run(folder, n_trials, executor))
                if round_index == 0 and name in ("2 processes", DASK):
                    overheads[name] = block_overhead(executor)
            print(f"round {round_index + 1}: {name}: {seconds[name][-1]:.2f} s", flush=True)
    return seconds, overheads, idle


def ratios(seconds: dict[str, list[float]], numerator: str, denominator: str) -> str:
    """Throughput of ``numerator`` over that of ``denominator`` within each round."""
    if numerator not in seconds or denominator not in seconds:
        return "not timed"
    values = [b / a for a, b in zip(seconds[numerator], seconds[denominator], strict=True)]
    return (f"{statistics.median(values):.2f}x "
            f"[{min(values):.2f}, {max(values):.2f}]")


def print_results(args: argparse.Namespace, seconds: dict[str, list[float]],
                  overheads: dict[str, float], idle: dict[str, float]) -> None:
    simulations = args.models * args.trials * len(FACTORS)
    print(f"\n{args.models} go_nogo models x {len(FACTORS)} factors x {args.trials} trials "
          f"= {simulations} simulations; median of {args.rounds} rounds [range]")
    for name, values in seconds.items():
        print(f"{name:>30}: {simulations / statistics.median(values):6.1f} simulations/s "
              f"[{simulations / max(values):.1f}, {simulations / min(values):.1f}]")
    print("throughput ratios within a round, median [range]:")
    print(f"  2 processes vs 1 process:          {ratios(seconds, '2 processes', '1 process')}")
    print(f"  2 threads vs 1 process:            {ratios(seconds, '2 threads', '1 process')}")
    print(f"  Dask (defaults) vs 2 processes:    {ratios(seconds, DASK, '2 processes')}")
    print(f"  Dask (low overhead) vs 2 processes: {ratios(seconds, DASK_LOW, '2 processes')}")
    for name, value in idle.items():
        print(f"idle CPU of {name}: {100 * value:.1f} % of a core")
    for name, value in overheads.items():
        print(f"overhead per block, {name}: {1000 * value:.1f} ms")


def main() -> None:
    args = parse_args()
    from spikewidgets.io import example_model

    names = args.only or list(EXECUTORS)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        source = example_model("go_nogo", folder / "source")
        for index in range(args.models):
            (folder / f"model_{index:02d}.mat").write_bytes(source.read_bytes())
        seconds, overheads, idle = time_rounds(folder, names, args.trials, args.rounds)
    print_results(args, seconds, overheads, idle)


if __name__ == "__main__":
    main()
