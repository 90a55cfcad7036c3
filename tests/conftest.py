"""Shared fixtures: model files written to temporary folders, the reference fixture."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from spikewidgets.synthetic import random_model_arrays

REPO = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures" / "lif-reference"


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
    """Folder of the reference simulation made by the original code.

    It lies beside the repository (``../shared``). Without it the tests that
    need it fail in CI (``CI`` set) and are skipped on a developer's machine.
    """
    if not (SHARED_FIXTURES / "fixture_model.mat").exists():
        if os.environ.get("CI"):
            pytest.fail(f"reference fixture missing: {SHARED_FIXTURES}")
        pytest.skip("reference fixture ../shared/fixtures/lif-reference not present")
    return SHARED_FIXTURES
