"""Write the search Datasets that later versions must reproduce exactly.

Run from the repository root: ``python tests/data/make_stored_results.py``,
or ``python tests/data/make_stored_results.py xor`` to store again only the
searches of a task whose bundled model changed.
It searches copies of the bundled example models (single model per task, and
the Go-NoGo example with two random one-input models together) with fixed seeds, and stores the
results in ``tests/data/stored/``. ``tests/test_stored_results.py`` searches
again with the current code and compares every variable bit for bit.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import scipy.io

import spikewidgets as sw
from spikewidgets.io import random_model_arrays
from spikewidgets.search import search_models

HERE = Path(__file__).resolve().parent / "stored"
#: Two untrained one-input models (N = 60), kept as files so that the stored
#: results do not depend on how random models are drawn.
MODELS = HERE / "models"

#: task -> (scaling factors, trials, short task settings keeping trials cheap)
CASES = {
    "go_nogo": ([20.0, 30.0, 45.0, 70.0], 6, {}),
    "xor": ([10.0, 22.5, 40.0], 5, {}),
    "mante": ([20.0, 45.0, 80.0], 4, {"T": 301, "stim_dur": 100, "resp_start": 160}),
}
SEED = 11


def single(task: str, folder: Path):
    factors, trials, settings = CASES[task]
    path = sw.example_model(task, folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sw.lambda_grid_search(path, task, trials, factors, settings, seed=SEED,
                                     save=False, progress=False)


def many(folder: Path):
    factors, trials, settings = CASES["go_nogo"]
    sw.example_model("go_nogo", folder / "lab0")
    for index in (1, 2):
        (folder / f"lab{index}").mkdir()
        shutil.copyfile(MODELS / f"random{index}.mat", folder / f"lab{index}" / "random.mat")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return search_models(folder / "lab*" / "*.mat", "go_nogo", trials, factors, settings,
                             seed=SEED, save=False, progress=False, n_workers=2)


def main(tasks: list[str]) -> None:
    MODELS.mkdir(parents=True, exist_ok=True)
    for index in (1, 2):
        if not (MODELS / f"random{index}.mat").exists():
            scipy.io.savemat(MODELS / f"random{index}.mat", random_model_arrays(60, 1, seed=index),
                             do_compression=True)
    folder = Path(tempfile.mkdtemp())
    try:
        for task in tasks or CASES:
            ds = single(task, folder)
            ds.to_netcdf(HERE / f"single_{task}.nc")
            print(task, ds.accuracy.values)
        if not tasks or "go_nogo" in tasks:
            ds = many(folder)
            ds.to_netcdf(HERE / "many_go_nogo.nc")
            print("many", ds.accuracy.values)
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main(sys.argv[1:])
