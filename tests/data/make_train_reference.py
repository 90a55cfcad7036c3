"""Regenerate train_reference.npz: arrays of small trained models, to catch a change of training.

``tests/test_train.py`` trains each run again from the config stored with it
and compares: the arrays drawn by NumPy (initial network, trials, targets,
labels) must be equal, those computed by JAX (trained weights, losses,
states, readouts) equal up to floating-point rounding across machines. The
first version of this file was made with the single-module trainer that
preceded ``spikewidgets.train``'s package, and equalled it bit for bit.

Rerun it only after a deliberate change of the training procedure:

    python tests/data/make_train_reference.py
"""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

import numpy as np
import scipy.io

from spikewidgets.train import TrainingConfig, train

#: name -> TrainingConfig arguments.
RUNS = {
    "go_nogo": {"task": "go_nogo", "n_units": 20, "seed": 3, "max_trials": 300},
    "xor_fixed_softplus_som": {
        "task": "xor", "n_units": 12, "taus": [5.0], "activation": "softplus", "n_som": 2,
        "p_inh": 0.5, "seed": 3, "max_trials": 100,
    },
    "mante": {"task": "mante", "n_units": 20, "seed": 3, "max_trials": 200},
}
#: Keys of the model file stored whole.
WHOLE = ("w0", "taus_gaus0", "w_in0", "u", "o", "w", "target", "w_out", "m", "som_m", "N",
         "exc", "inh", "w_in", "b_out", "som_N", "losses", "taus", "eval_perf_mean",
         "eval_loss_mean", "eval_labels", "taus_gaus", "tr", "activation")
#: State traces (T, N, 1) and evaluation readouts (100, T - 1), stored in part.
TRACES = ("x0", "r0", "x", "r")


def reference_arrays(raw: dict) -> dict[str, np.ndarray]:
    """The stored part of a loaded model file."""
    arrays = {key: raw[key] for key in WHOLE}
    for key in TRACES:
        arrays[f"{key}_last_step"] = raw[key][-1]
    arrays["eval_os_sums"] = raw["eval_os"].sum(axis=1)
    arrays["eval_os_last"] = raw["eval_os"][:, -1]
    return arrays


def main() -> None:
    payload = {}
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every run stops at its budget
        for name, arguments in RUNS.items():
            result = train(TrainingConfig(**arguments), out_dir=folder, progress=False)
            raw = scipy.io.loadmat(result.path)
            payload[f"{name}.config"] = np.array(json.dumps(arguments))
            for key, value in reference_arrays(raw).items():
                payload[f"{name}.{key}"] = value
    target = Path(__file__).with_name("train_reference.npz")
    np.savez_compressed(target, **payload)
    print(f"{target}: {target.stat().st_size / 1024:.0f} KB, runs {', '.join(RUNS)}")


if __name__ == "__main__":
    main()
