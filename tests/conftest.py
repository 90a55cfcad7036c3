"""Shared test helpers: model files in temporary folders, the reference fixture, markers.

``skip_or_fail`` is for tests that need something outside Python (a browser,
``chattr``, an optional package): on a developer's machine they are skipped
without it, in CI (``CI`` set) they fail. Test modules import it with
``from conftest import skip_or_fail`` (``tests/`` is on ``sys.path`` under
pytest's default import mode).

``pytest_collection_modifyitems`` gives the markers registered in
``pyproject.toml``: ``browser``, ``binder``, ``notebooks`` (nbval's notebook
cells) and ``slow``, so that ``python -m pytest -m "not browser and not binder
and not notebooks and not slow"`` runs the fast subset.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import numpy as np
import pytest
import scipy.io

from spikewidgets.io import random_model_arrays

REPO = Path(__file__).resolve().parents[1]
#: The reference simulation recorded from the original code (see its README.md).
LIF_REFERENCE = Path(__file__).resolve().parent / "data" / "lif-reference"

#: Marker given to every test of a file, by file name.
FILE_MARKERS = {"test_browser.py": "browser", "test_binder.py": "binder"}
#: Marker given to nbval's items (the cells of the notebooks it runs).
NOTEBOOK_MARKER = "notebooks"
#: Tests that took more than about 5 s on the 2-core development machine: a
#: file name (every test of the file) or a node id without parameters (every
#: parametrization).
SLOW = frozenset({
    # Training with JAX: the trained module fixture 11 s, two tests 8 s and 7 s
    # (the whole file 33 s).
    "test_train.py",
    "tests/test_many.py::test_same_dataset_on_every_executor",  # 7.6 s
    "tests/test_search.py::test_unseeded_single_trials_estimate_the_accuracy",  # 7 s
})


def skip_or_fail(reason: str, *, allow_module_level: bool = False) -> NoReturn:
    """Skip the current test on a developer's machine, fail it in CI.

    Parameters
    ----------
    reason : str
        What is missing, shown in the skip or failure message.
    allow_module_level : bool, optional
        Allow the skip at module level (skips the whole module), as in
        ``pytest.skip``. Default False.

    Raises
    ------
    pytest.fail.Exception
        When the ``CI`` environment variable is set (non-empty): CI installs
        everything the tests need, so a missing piece is an error there.
    pytest.skip.Exception
        Otherwise.
    """
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: it must be available there)", pytrace=False)
    pytest.skip(reason, allow_module_level=allow_module_level)


#: Relative rounding allowed in a sum whose order is not fixed (vectorized or BLAS).
SUM_RTOL = 1e-12


def assert_sum_close(actual: np.ndarray, expected: np.ndarray, magnitude: np.ndarray,
                     rtol: float = SUM_RTOL) -> None:
    """Assert that two sums of the same terms, added in different orders, agree.

    The readout ``w_out @ r`` is summed in an order that depends on the
    processor (the kernel's vector width) or on BLAS (the original, the NumPy
    oracle). Any order's rounding is bounded relative to ``magnitude``, the
    sum of the terms' absolute values (``|w_out| @ |r|``), not to the result,
    which can be tiny where the terms cancel: ``|actual - expected| <= rtol *
    magnitude``, element by element.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    excess = np.abs(actual - expected) - rtol * np.asarray(magnitude)
    worst = int(np.argmax(excess)) if excess.size else 0
    assert excess.size == 0 or excess.flat[worst] <= 0, (
        f"element {worst}: {actual.flat[worst]!r} != {expected.flat[worst]!r} beyond "
        f"{rtol} x {np.broadcast_to(magnitude, excess.shape).flat[worst]!r}")


def _is_slow(item: pytest.Item) -> bool:
    return item.path.name in SLOW or item.nodeid.split("[", 1)[0] in SLOW


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of some files, nbval's notebook cells, and the slow tests."""
    for item in items:
        marker = FILE_MARKERS.get(item.path.name)
        if marker:
            item.add_marker(marker)
        if item.path.suffix == ".ipynb":
            item.add_marker(NOTEBOOK_MARKER)
        if _is_slow(item):
            item.add_marker("slow")


@pytest.fixture
def write_model(tmp_path):
    """Factory writing an untrained model file; returns its path."""

    def write(name: str = "model.mat", n_units: int = 40, n_inputs: int = 1, seed: int = 0,
              dtype=np.float32, **extra) -> Path:
        arrays = random_model_arrays(n_units, n_inputs, seed=seed, dtype=dtype)
        arrays.update(extra)
        path = tmp_path / name
        scipy.io.savemat(path, arrays)
        return path

    return write


@pytest.fixture(scope="session")
def lif_reference() -> Path:
    """Folder of the reference simulation made by the original code (``tests/data``)."""
    return LIF_REFERENCE
