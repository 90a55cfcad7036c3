"""Speed and memory of a perturbation search.

For the bundled Go-NoGo model at its stored optimum, times the eight published
connection-type modulations plus the intact network, ``--trials`` trials each:
once as one ``perturbation_search`` (the nine variants share each trial's
stimulus and noise) and once as nine separate searches of one variant each,
with the same threads, in ``--rounds`` interleaved rounds (the speed of this
shared machine drifts; the ratio is taken within each round). Then, in a fresh
process, the peak RSS of a search of the nine variants x 12 scaling factors.

Usage: python benchmarks/bench_perturb.py [--trials 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def together(path: Path, n_trials: int) -> float:
    from spikewidgets.perturbations import PRESETS
    from spikewidgets.search import perturbation_search

    began = time.perf_counter()
    perturbation_search(path, "go_nogo", list(PRESETS), n_trials=n_trials, seed=0,
                        progress=False)
    return time.perf_counter() - began


def separately(path: Path, n_trials: int) -> float:
    from spikewidgets.perturbations import PRESETS
    from spikewidgets.search._blocks import stored_optimum
    from spikewidgets.search._grid import run_single_plan
    from spikewidgets.search._plan import SearchPlan
    from spikewidgets.search._plan_options import PlanOptions
    from spikewidgets.search._run_options import RunOptions

    factor = [stored_optimum(path)]
    began = time.perf_counter()
    for name in ["none", *PRESETS]:
        plan = SearchPlan.prepare(path, "go_nogo", factor, seed=0,
                                  options=PlanOptions(perturbations=[name]))
        alone = dataclasses.replace(plan, perturbations=plan.perturbations[-1:])
        run_single_plan(alone, n_trials, RunOptions(progress=False))
    return time.perf_counter() - began


MEMORY = """
import json, resource, sys
import numpy as np
from spikewidgets.perturbations import PRESETS
from spikewidgets.search import perturbation_search
ds = perturbation_search(sys.argv[1], "go_nogo", list(PRESETS), n_trials=int(sys.argv[2]),
                         scaling_factors=np.arange(20.0, 80.0, 5.0), seed=0, progress=False)
print(json.dumps({"variants": int(ds.sizes["perturbation"] * ds.sizes["scaling_factor"]),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-trials", type=int, default=4)
    args = parser.parse_args()
    from spikewidgets.io import example_model

    with tempfile.TemporaryDirectory() as folder:
        path = example_model("go_nogo", folder)
        together(path, 2)  # load the compiled kernel
        shared, alone = [], []
        for round_index in range(args.rounds):
            order = (together, separately) if round_index % 2 == 0 else (separately, together)
            for run in order:
                (shared if run is together else alone).append(run(path, args.trials))
            print(f"round {round_index + 1}: together {shared[-1]:.2f} s, "
                  f"separately {alone[-1]:.2f} s", flush=True)
        ratios = [b / a for a, b in zip(shared, alone, strict=True)]
        print(f"\n9 variants (intact + 8 presets) x {args.trials} go_nogo trials at the stored "
              f"optimum, median of {args.rounds} rounds [range]:")
        print(f"  one perturbation search: {statistics.median(shared):.2f} s "
              f"[{min(shared):.2f}, {max(shared):.2f}]")
        print(f"  nine separate searches:  {statistics.median(alone):.2f} s "
              f"[{min(alone):.2f}, {max(alone):.2f}]")
        print(f"  speed-up within a round: {statistics.median(ratios):.2f}x "
              f"[{min(ratios):.2f}, {max(ratios):.2f}]")
        memory = subprocess.run([sys.executable, "-c", MEMORY, str(path),
                                 str(args.memory_trials)], capture_output=True, text=True,
                                check=True)
        figures = json.loads(memory.stdout)
        print(f"peak RSS of a search of {figures['variants']} variants (9 x 12 factors, "
              f"N = 200), fresh process: {figures['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
