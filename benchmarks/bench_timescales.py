"""Time the timescales of every unit of an N = 200 spiking network from 100 trials.

``spikewidgets.analysis.network_timescales``: 100 trials of 1.25 s without
stimulus (25 000 LIF steps each) at the model's stored optimum on all cores,
spikes binned in 50 ms over the default window, then autocorrelation,
exponential fits and Fano factors of the 200 units (a timescale longer than the
lags span, 700 ms, is excluded and counted apart). The model is the bundled
DMS example (the XOR example if it is missing). The Numba code is compiled
(or loaded from its cache) by a warm-up call first; each round is timed end
to end, and the simulation and the analysis separately.

Usage: python benchmarks/bench_timescales.py [--task dms] [--trials 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from spikewidgets import load_model
from spikewidgets.analysis import (
    EXCLUDED_TOO_LONG,
    network_timescales,
    spontaneous_spike_counts,
    timescales_from_counts,
)
from spikewidgets.io import example_model
from spikewidgets.io._examples import EXAMPLE_TASKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="dms" if "dms" in EXAMPLE_TASKS else "xor")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    model = load_model(example_model(args.task))
    spontaneous_spike_counts(model, n_trials=2, seed=0)  # compile or load the kernel
    print(f"[{args.task} example, N = {model.n_units}, scaling factor "
          f"{model.opt_scaling_factor:g}, {args.trials} trials, {os.cpu_count()} cores]")
    totals = []
    for round_ in range(args.rounds):
        began = time.perf_counter()
        ds = network_timescales(model, n_trials=args.trials, seed=round_)
        totals.append(time.perf_counter() - began)
        began = time.perf_counter()
        counts = spontaneous_spike_counts(model, n_trials=args.trials, seed=round_)
        simulated = time.perf_counter() - began
        began = time.perf_counter()
        timescales_from_counts(counts.spike_count.values, unit_type=counts.unit_type.values,
                               synaptic_decay=counts.synaptic_decay.values)
        analysed = time.perf_counter() - began
        print(f"round {round_ + 1}: {totals[-1]:.2f} s end to end (simulation {simulated:.2f} s, "
              f"analysis {analysed:.2f} s); {ds.attrs['n_fitted']} units fitted, "
              f"{int((ds.exclusion == EXCLUDED_TOO_LONG).sum())} beyond the "
              f"{ds.attrs['max_timescale_ms']:g} ms the lags span, mean rate "
              f"{float(ds.mean_rate.mean()):.1f} Hz, median timescale "
              f"{float(np.nanmedian(ds.timescale.values)):.0f} ms", flush=True)
    print(f"median of {args.rounds} rounds: {np.median(totals):.2f} s "
          f"(target: at most 10 s)")


if __name__ == "__main__":
    main()
