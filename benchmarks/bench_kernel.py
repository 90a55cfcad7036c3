"""Speed and memory of the LIF kernel.

Prints, for an N = 200 model (the bundled example of the task if present,
else an untrained synthetic one):

- Numba compile time in a fresh process with an empty cache, and the load
  time of the cached code in a second fresh process;
- seconds per (trial x scaling factor) of the compiled kernel, single thread,
  and of the plain NumPy per-step loop (``spikewidgets.sim._reference``) in the
  same run, and their ratio;
- wall time and peak RSS of a 12 factors x 100 trials grid of simulation
  (noise drawn once per trial and shared by the 12 factors), on all cores,
  for Go-NoGo and for Mante (50 000 steps per trial).

Usage: python benchmarks/bench_kernel.py [--trials 100] [--numpy-trials 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

FACTORS = np.arange(20.0, 80.0, 5.0)  # 12 scaling factors


def _model(task: str):
    from spikewidgets.io import RateModel, load_model, random_model_arrays
    from spikewidgets.tasks import get_task

    try:
        from spikewidgets.io import example_model

        return load_model(example_model(task)), "bundled example"
    except (FileNotFoundError, ImportError, ValueError):
        n_inputs = get_task(task).n_inputs
        return RateModel.from_arrays(random_model_arrays(200, n_inputs, seed=1)), "synthetic"


def _grid(task: str, n_trials: int, workers: int) -> dict:
    """Simulate the grid with the search's seeding and blocks of trials, kernel only."""
    from spikewidgets.sim._kernel import LIFNetwork, run_lif
    from spikewidgets.sim._seeding import trial_generator
    from spikewidgets.tasks import get_task

    model, kind = _model(task)
    task_object = get_task(task)
    settings = task_object.settings()
    start = task_object.window_start(settings)
    network = LIFNetwork.from_model(model, FACTORS)

    def one(trial: int) -> float:
        rng = trial_generator(0, trial)
        made = task_object.make_trial(rng, settings)
        return float(run_lif(network, made.u, rng=rng, out_start=start).out.max())

    one(0)  # load compiled code
    began = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(n_trials)))
    wall = time.perf_counter() - began
    return {"task": task, "model": kind, "trials": n_trials, "factors": len(FACTORS),
            "workers": workers, "wall_s": wall,
            "per_trial_factor_ms": 1000 * wall / (n_trials * len(FACTORS)),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _single_thread(numpy_trials: int) -> dict:
    from spikewidgets.sim._kernel import LIFNetwork, run_lif
    from spikewidgets.sim._reference import reference_lif
    from spikewidgets.sim._seeding import trial_generator
    from spikewidgets.tasks import get_task

    model, kind = _model("go_nogo")
    task = get_task("go_nogo")
    settings = task.settings()
    network = LIFNetwork.from_model(model, FACTORS)
    made = task.make_trial(trial_generator(0, 0), settings)
    run_lif(network, made.u, rng=trial_generator(0, 0), out_start=10000)
    repeats = 10
    began = time.perf_counter()
    for trial in range(repeats):
        run_lif(network, made.u, rng=trial_generator(1, trial), out_start=10000)
    compiled = (time.perf_counter() - began) / (repeats * len(FACTORS))
    _, n_steps = network.timing(made.u.shape[1])
    began = time.perf_counter()
    for trial in range(numpy_trials):
        rng = trial_generator(2, trial)
        v_init = rng.random(model.n_units)
        noise = rng.standard_normal((model.n_units, n_steps)) / 10
        reference_lif(network, made.u, v_init, noise, factor_index=trial % len(FACTORS))
    plain = (time.perf_counter() - began) / numpy_trials
    return {"model": kind, "compiled_ms": 1000 * compiled, "numpy_loop_ms": 1000 * plain,
            "speedup": plain / compiled}


def _first_call() -> dict:
    began = time.perf_counter()
    import spikewidgets  # noqa: F401
    from spikewidgets.io import RateModel, random_model_arrays
    from spikewidgets.sim._kernel import LIFNetwork, run_lif

    imported = time.perf_counter() - began
    model = RateModel.from_arrays(random_model_arrays(20, 1, seed=0))
    began = time.perf_counter()
    run_lif(LIFNetwork.from_model(model, 1.0), np.zeros((1, 3)), rng=np.random.default_rng(0))
    return {"import_s": imported, "first_call_s": time.perf_counter() - began}


def _child(mode: str, *arguments: str, env: dict | None = None) -> dict:
    command = [sys.executable, __file__, "--child", mode, *arguments]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--numpy-trials", type=int, default=2)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        if mode == "grid":
            result = _grid(rest[0], int(rest[1]), int(rest[2]))
        elif mode == "single":
            result = _single_thread(int(rest[0]))
        else:
            result = _first_call()
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        cold = _child("first", env=env)
        warm = _child("first", env=env)
    print(f"import spikewidgets: {cold['import_s']:.2f} s")
    print(f"Numba compile (empty cache): {cold['first_call_s']:.2f} s; "
          f"cached, new process: {warm['first_call_s']:.3f} s")
    single = _child("single", str(args.numpy_trials))
    print(f"[{single['model']} go_nogo model, N = 200, 20 000 steps, 1 thread]")
    print(f"compiled kernel: {single['compiled_ms']:.2f} ms per (trial x factor) "
          f"(12 factors per pass, noise included)")
    print(f"plain NumPy per-step loop: {single['numpy_loop_ms']:.0f} ms per (trial x factor); "
          f"speed-up {single['speedup']:.0f}x")
    for task in ("go_nogo", "mante"):
        grid = _child("grid", task, str(args.trials), str(args.workers))
        print(f"{task} grid {grid['factors']} x {grid['trials']} ({grid['model']} model, "
              f"{grid['workers']} threads): {grid['wall_s']:.2f} s wall, "
              f"{grid['per_trial_factor_ms']:.2f} ms per (trial x factor), "
              f"peak RSS {grid['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
