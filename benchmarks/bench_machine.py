"""How much a second process speeds up pure computation on this machine.

A reference for ``bench_many.py``: a pure-Python loop, with no memory traffic
and no spikewidgets code, is run as 4 equal tasks on a process pool of 1 and
of 2 workers, in ``--rounds`` alternating rounds. On a machine with 2 full
cores the ratio is 2.0; a shared virtual machine gives less, and whatever it
gives bounds what 2 workers of any search can reach.

Usage: python benchmarks/bench_machine.py [--rounds 8] [--iterations 6000000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor


def burn(iterations: int) -> int:
    total = 0
    for i in range(iterations):
        total += i * i % 7
    return total


def timed(pool: ProcessPoolExecutor, iterations: int) -> float:
    began = time.perf_counter()
    list(pool.map(burn, [iterations] * 4))
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=6_000_000)
    args = parser.parse_args()
    ratios = []
    with ProcessPoolExecutor(1) as one, ProcessPoolExecutor(2) as two:
        timed(one, 10), timed(two, 10)  # start the workers
        for round_index in range(args.rounds):
            single, double = timed(one, args.iterations), timed(two, args.iterations)
            ratios.append(single / double)
            print(f"round {round_index + 1}: 1 process {single:.2f} s, 2 processes "
                  f"{double:.2f} s: {ratios[-1]:.2f}x", flush=True)
    print(f"2 processes vs 1 process on pure computation: median {statistics.median(ratios):.2f}x "
          f"[{min(ratios):.2f}, {max(ratios):.2f}] over {args.rounds} rounds")


if __name__ == "__main__":
    main()
