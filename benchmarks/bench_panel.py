"""Responsiveness of the search panel, measured on its data sources (no browser).

For 12 scaling factors x 20 trials of the bundled Go-NoGo example model (an
untrained N = 200 model if the examples are not installed), it presses the
panel's Run button and prints:

- the time from the click to the first point in the accuracy plot's
  ColumnDataSource (what the browser draws), and to the end of the run;
- the time from a click on Stop to the end of the search thread.

The first repetition runs right after the panel is created in a fresh
process, so it includes loading the compiled kernel (the panel starts that in
the background when it loads a model); later repetitions do not. With
``--dask`` the panel runs its searches on a Dask LocalCluster of 2
single-threaded worker processes (started, under ``DASK_LOW_OVERHEAD``, before
the clock starts; its workers load the compiled kernel during the first run).

Usage: python benchmarks/bench_panel.py [--repeats 3] [--trials 20] [--model PATH] [--dask] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import Executor
from pathlib import Path

TARGETS = {"first_point_s": 2.0, "run_s": 5.0, "stop_s": 1.0}


def _model_path(given: str | None) -> tuple[Path, str]:
    if given:
        return Path(given), "given"
    try:
        from spikewidgets.io import example_model

        return example_model("go_nogo"), "bundled Go-NoGo example"
    except (ImportError, FileNotFoundError):
        import scipy.io

        from spikewidgets.io import random_model_arrays

        path = Path(tempfile.mkdtemp()) / "gonogo_synthetic.mat"
        scipy.io.savemat(path, random_model_arrays(200, 1, seed=0))
        return path, "untrained synthetic N = 200"


def _watch_first_point(panel) -> threading.Event:
    """An Event set (with ``.at``) when the accuracy source first holds a finite value."""
    import numpy as np

    seen = threading.Event()

    def changed(_attr, _old, new):
        if not seen.is_set() and np.isfinite(np.asarray(new["accuracy"], dtype=float)).any():
            seen.at = time.perf_counter()
            seen.set()

    panel.plots["accuracy"].source.on_change("data", changed)
    return seen


def _run_once(panel) -> dict[str, float]:
    seen = _watch_first_point(panel)
    clicked = time.perf_counter()
    panel.run_controls.run_button.click()
    panel.wait()
    finished = panel.timings["finished"]
    if not seen.is_set():
        raise RuntimeError(f"no point reached the accuracy plot; status: {panel.status}")
    return {"first_point_s": seen.at - clicked, "run_s": finished - clicked}


def _stop_once(panel, n_trials: int) -> float:
    panel.run_controls.n_trials = n_trials
    seen = _watch_first_point(panel)
    panel.run_controls.run_button.click()
    if not seen.wait(30):
        raise RuntimeError(f"the search did not start; status: {panel.status}")
    time.sleep(0.3)  # stop in the middle of the blocks in progress
    clicked = time.perf_counter()
    panel.run_controls.stop_button.click()
    panel.wait()
    if panel.result is None or panel.result.attrs["complete"]:
        raise RuntimeError(f"the search was not stopped; status: {panel.status}")
    return panel.timings["finished"] - clicked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--model", help="model file (default: the bundled Go-NoGo example)")
    parser.add_argument("--dask", action="store_true",
                        help="run the searches on a Dask LocalCluster (2 x 1)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    if args.dask:
        from bench_many import dask_executor  # this folder is on sys.path

        with dask_executor(2, low_overhead=True) as executor:
            return _measure(args, executor)
    return _measure(args, None)


def _measure(args: argparse.Namespace, executor: Executor | None) -> int:
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    from spikewidgets.panel import SearchPanel
    from spikewidgets.plots._base import plural

    imported = time.perf_counter() - started
    path, kind = _model_path(args.model)
    panel = SearchPanel(path, task="go_nogo", n_trials=args.trials,
                        scaling_factors=(10.0, 65.0, 5.0), seed=0, executor=executor)
    runs = []
    for _ in range(args.repeats):
        panel.run_controls.n_trials = args.trials
        runs.append(_run_once(panel))
    stops = [_stop_once(panel, 100 * args.trials) for _ in range(args.repeats)]
    panel.close()

    report = {
        "model": f"{path.name} ({kind})",
        "grid": f"12 factors x {plural(args.trials, 'trial')}",
        "executor": "Dask LocalCluster 2 x 1" if executor is not None else "threads",
        "import_panel_s": imported,
        "cold": runs[0],
        "warm_median": {key: statistics.median(r[key] for r in runs[1:] or runs)
                        for key in runs[0]},
        "stop_s": {"median": statistics.median(stops), "max": max(stops)},
        "runs": runs,
        "stops": stops,
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"model: {report['model']}; {report['grid']}; {report['executor']}; "
          f"{args.repeats} repeats")
    print(f"import spikewidgets.panel: {imported:.2f} s")
    print(f"{'':28s}{'first point (s)':>16s}{'whole run (s)':>15s}")
    for index, run in enumerate(runs):
        label = "run 1 (fresh process)" if index == 0 else f"run {index + 1}"
        print(f"{label:28s}{run['first_point_s']:16.2f}{run['run_s']:15.2f}")
    print(f"{'target':28s}{TARGETS['first_point_s']:16.2f}{TARGETS['run_s']:15.2f}")
    print(f"Stop to end of search (s): median {report['stop_s']['median']:.2f}, "
          f"max {report['stop_s']['max']:.2f} (target {TARGETS['stop_s']:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
