"""Regenerate the bundled example models (spikewidgets/data/*.mat) and print their figures.

For each task: train an N = 200 sigmoid rate network (taus 4-20) with
``spikewidgets.train`` from a fixed seed, with a stricter stopping rule than
the published one (accuracy > 0.98 and loss < 5 on 100 evaluation trials) so
that the example converts robustly; keep the keys the conversion needs and
the training metadata (dropping state traces and evaluation outputs); search
the scaling factor (100 trials per factor, seed 1) and store the optimum in
the file; then check it on 200 fresh trials (seed 2026, never used before):
rate accuracy and spiking accuracy at the stored optimum. A candidate whose
spiking accuracy is below 0.95 is reported and the next seed of the list is
tried, so the script's outcome is fully determined by the lists below.

Usage: python benchmarks/make_example_models.py [--tasks go_nogo xor mante] [--out DIR]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.io

from spikewidgets import get_task, lambda_grid_search, load_model
from spikewidgets.modelfile import read_raw
from spikewidgets.rate import simulate_rate
from spikewidgets.seeding import trial_generator

CANDIDATE_SEEDS = {"go_nogo": [0, 1, 2], "xor": [1, 0, 2, 3], "mante": [0, 1, 2, 3]}
GRID = np.arange(20.0, 75.01, 2.5)
SEARCH_TRIALS, SEARCH_SEED = 100, 1
CHECK_TRIALS, CHECK_SEED = 200, 2026
KEEP = ("w", "w0", "m", "som_m", "w_in", "w_in0", "w_out", "b_out", "N", "exc", "inh",
        "som_N", "taus", "taus_gaus", "taus_gaus0", "activation", "tr", "losses",
        "eval_perf_mean", "eval_loss_mean")
DATA = Path(__file__).resolve().parents[1] / "spikewidgets" / "data"


def rate_accuracy(path: Path, task_name: str, n_trials: int, seed: int) -> float:
    """Accuracy of the rate network on fresh trials, scored by the trainer's rule."""
    model = load_model(path)
    task = get_task(task_name)
    settings = task.training_settings()  # the trainer's trial length
    correct = []
    for trial in range(n_trials):
        rng = trial_generator(seed, trial)
        made = task.make_trial(rng, settings)
        output = simulate_rate(model, made.u, rng=rng).output.values
        correct.append(
            task.training_correct(settings, output[None, :], np.array([made.label]))[0]
        )
    return float(np.mean(correct))


def make(task_name: str, seed: int, workdir: Path) -> tuple[Path, dict]:
    from spikewidgets.train import TrainingConfig, train

    began = time.perf_counter()
    config = TrainingConfig(task=task_name, n_units=200, taus=(4, 20), activation="sigmoid",
                            seed=seed, stop_accuracy=0.98, stop_loss=5.0)
    trained = train(config, out_dir=workdir, progress=False)
    figures = {"seed": seed, "train_s": time.perf_counter() - began,
               "train_trials": trained.trials, "converged": trained.converged}
    contents = read_raw(trained.path)
    slim = {key: contents[key] for key in KEEP if key in contents}
    path = workdir / f"{task_name}.mat"
    scipy.io.savemat(path, slim, do_compression=True)
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        searched = lambda_grid_search(path, task_name, SEARCH_TRIALS, GRID, seed=SEARCH_SEED,
                                      progress=False)
        optimum = float(searched.opt_scaling_factor)
        check = lambda_grid_search(path, task_name, CHECK_TRIALS, [optimum], seed=CHECK_SEED,
                                   progress=False, save=False)
    figures.update(search_s=time.perf_counter() - began, optimum=optimum,
                   search_accuracy=float(searched.accuracy.max()),
                   spiking_accuracy=float(check.accuracy[0]),
                   spiking_ci=(float(check.accuracy_ci_low[0]),
                               float(check.accuracy_ci_high[0])),
                   rate_accuracy=rate_accuracy(path, task_name, CHECK_TRIALS, CHECK_SEED),
                   mean_rate=float(check.mean_rate.mean()),
                   size_kb=path.stat().st_size / 1024)
    return path, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(CANDIDATE_SEEDS))
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for task_name in args.tasks:
        for seed in CANDIDATE_SEEDS[task_name]:
            with tempfile.TemporaryDirectory() as workdir:
                path, f = make(task_name, seed, Path(workdir))
                print(f"{task_name} seed {f['seed']}: trained in {f['train_s']:.0f} s "
                      f"({f['train_trials']} trials, converged {f['converged']}); "
                      f"search {len(GRID)} x {SEARCH_TRIALS} in {f['search_s']:.0f} s, "
                      f"optimum {f['optimum']:g}; on {CHECK_TRIALS} fresh trials: rate "
                      f"{f['rate_accuracy']:.3f}, spiking {f['spiking_accuracy']:.3f} "
                      f"[{f['spiking_ci'][0]:.3f}, {f['spiking_ci'][1]:.3f}], "
                      f"{f['mean_rate']:.1f} Hz; {f['size_kb']:.0f} KB", flush=True)
                if f["spiking_accuracy"] >= 0.95 and f["rate_accuracy"] >= 0.95:
                    shutil.copyfile(path, args.out / f"{task_name}.mat")
                    break
        else:
            print(f"{task_name}: no candidate seed reached 0.95; nothing written")


if __name__ == "__main__":
    main()
