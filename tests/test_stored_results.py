"""Searches give, bit for bit, the Datasets stored by an earlier version.

``tests/data/make_stored_results.py`` made the files; this test runs the same
searches with the current code. Every variable and coordinate must be equal
(values, dtype and dims), and so must the Dataset attributes that do not
depend on where the files lie or which version ran.

The labels of the variables changed since the files were stored: what was
the ``long_name`` (a sentence) is now the ``description``, beside a short
``long_name`` for plot axes, and the dimensionless ``units = "1"`` is gone.
`_assert_same_labels` checks exactly that change and nothing else.

Every value is compared to the bit but ``response``: the readout
``w_out @ r`` is summed in a reassociated (vectorized) order whose last bit
depends on the processor's vector width (AVX2, AVX-512, ...), so it is
compared with a relative tolerance of 1e-12. Everything the kernel promises
exactly (spikes, rates, which trials are correct and when they respond) is
still compared exactly.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

DATA = Path(__file__).resolve().parent / "data"
_spec = importlib.util.spec_from_file_location("make_stored_results",
                                               DATA / "make_stored_results.py")
stored = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stored)

#: Attributes that name paths, checksums of copies or the running version.
_PLACE_ATTRS = {"model_path", "model_sha256", "spikewidgets_version"}


#: Variables summed in a reassociated order, and their relative tolerance.
REASSOCIATED = {"response": 1e-12}

#: Longest axis label ``"long_name [units]"`` that xarray's plots keep on one line.
LABEL_WIDTH = 30


def _assert_same_labels(new: dict, old: dict, name: str) -> None:
    """The stored labels, moved: old ``long_name`` -> ``description``, no ``units = "1"``.

    Files stored since then (a search of a bundled model that changed) hold the
    new labels, which must then be equal.
    """
    if "description" in old:
        assert new == old, name
        return
    assert set(old) == {"units", "long_name"}, name
    assert set(new) <= {"units", "long_name", "description"}, name
    assert new["description"] == old["long_name"], name
    assert new.get("units") == (None if old["units"] == "1" else old["units"]), name
    label = new["long_name"] + (f" [{new['units']}]" if "units" in new else "")
    assert 0 < len(label) <= LABEL_WIDTH, (name, label)


def _assert_same(new: xr.Dataset, old: xr.Dataset) -> None:
    assert set(new.variables) == set(old.variables)
    for name, variable in old.variables.items():
        fresh = new[name].variable
        assert fresh.dims == variable.dims, name
        assert fresh.dtype == variable.dtype or (fresh.dtype.kind in "UO"
                                                 and variable.dtype.kind in "UO"), name
        if name in REASSOCIATED:
            np.testing.assert_allclose(fresh.values, variable.values, atol=0,
                                       rtol=REASSOCIATED[name], err_msg=name)
        elif variable.dtype.kind == "f":
            assert np.array_equal(fresh.values, variable.values, equal_nan=True), name
        else:
            assert np.array_equal(fresh.values, variable.values), name
        _assert_same_labels(fresh.attrs, variable.attrs, name)
    for key, value in old.attrs.items():
        if key not in _PLACE_ATTRS:
            assert str(new.attrs[key]) == str(value), key


@pytest.mark.parametrize("task", sorted(stored.CASES))
def test_single_model_search_equals_the_stored_dataset(task, tmp_path):
    new = stored.single(task, tmp_path)
    with xr.open_dataset(DATA / "stored" / f"single_{task}.nc") as old:
        _assert_same(new, old.load())


def test_many_model_search_equals_the_stored_dataset(tmp_path):
    new = stored.many(tmp_path)
    with xr.open_dataset(DATA / "stored" / "many_go_nogo.nc") as old:
        old = old.load()
    # Paths of the copies differ from those of the run that stored the file.
    new, old = new.drop_vars(["model_path", "model_sha256"]), old.drop_vars(["model_path",
                                                                             "model_sha256"])
    _assert_same(new, old)
