"""Checking the arrays of a rate-model file: every error names the file, the key and what
was expected."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from spikewidgets.errors import ModelFileError

__all__ = ["ArrayReader", "ModelFileError"]


class ArrayReader:
    """Reads and checks the keys of a model mapping; errors name the file and the key.

    Examples
    --------
    >>> from spikewidgets.io._model_arrays import ArrayReader
    >>> read = ArrayReader({"N": [[200]], "taus": [4, 20]}, "model.mat")
    >>> read.unit_count(), read.taus()
    (200, (4.0, 20.0))
    >>> read.per_unit("taus", 3)
    Traceback (most recent call last):
    ...
    spikewidgets.errors.ModelFileError: model.mat: key 'taus' has 2 values, expected 3
    (one per unit)
    """

    def __init__(self, arrays: Mapping[str, object], where: str) -> None:
        self.arrays, self.where = arrays, where

    def numeric(self, key: str) -> np.ndarray:
        value = np.asarray(self.arrays[key])
        if value.dtype.kind not in "biuf":
            raise ModelFileError(
                f"{self.where}: key {key!r} has dtype {value.dtype}, expected a numeric array"
            )
        value = value.astype(np.float64)
        if not np.all(np.isfinite(value)):
            bad = int(np.size(value) - np.count_nonzero(np.isfinite(value)))
            raise ModelFileError(
                f"{self.where}: key {key!r} holds {bad} NaN or infinite value(s), "
                "expected finite numbers"
            )
        return value

    def shaped(self, key: str, expected: tuple[int, ...], text: str) -> np.ndarray:
        value = self.numeric(key)
        if value.shape != expected:
            raise ModelFileError(
                f"{self.where}: key {key!r} has shape {value.shape}, expected {expected} ({text})"
            )
        return value

    def per_unit(self, key: str, n: int) -> np.ndarray:
        value = self.numeric(key).ravel()
        if value.size != n:
            raise ModelFileError(
                f"{self.where}: key {key!r} has {value.size} values, expected {n} (one per unit)"
            )
        return value

    def unit_count(self) -> int:
        value = self.numeric("N")
        if value.size != 1 or value.ravel()[0] < 1 or value.ravel()[0] % 1:
            raise ModelFileError(
                f"{self.where}: key 'N' is {value.ravel().tolist()}, expected one positive "
                "integer"
            )
        return int(value.ravel()[0])

    def taus(self) -> tuple[float, ...]:
        taus = self.numeric("taus").ravel()
        if taus.size not in (1, 2):
            raise ModelFileError(
                f"{self.where}: key 'taus' has {taus.size} values, expected 1 (fixed decay) "
                "or 2 (minimum and maximum decay, in rate steps)"
            )
        if np.any(taus <= 0) or (taus.size == 2 and taus[1] < taus[0]):
            raise ModelFileError(
                f"{self.where}: key 'taus' is {taus.tolist()}, expected positive values with "
                "minimum <= maximum"
            )
        return tuple(float(t) for t in taus)

    def scalar(self, key: str) -> float | None:
        """The key's single number, or None when absent (or not a single value)."""
        if key in self.arrays and np.size(self.arrays[key]) == 1:
            return float(self.numeric(key).ravel()[0])
        return None

    def text(self, key: str, default: str) -> str:
        if key in self.arrays:
            value = np.asarray(self.arrays[key]).ravel()
            if value.size and value.dtype.kind in "US":
                return str(value[0]).strip()
        return default
