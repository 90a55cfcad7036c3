"""Perturbations of the input weights ``w_in``: other weights, or the units' rows shuffled."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from spikewidgets.perturbations._base import NetworkParts, Perturbation

__all__ = ["ReplaceInputWeights", "ShuffleInputWeights"]


@dataclass(frozen=True, eq=False)
class ReplaceInputWeights(Perturbation):
    """Simulate with other input weights ``w_in`` (N x n_inputs), as ``shuffle_w_in``.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.perturbations import NetworkParts, ReplaceInputWeights
    >>> parts = NetworkParts(np.ones((3, 3)), np.ones((3, 1)), np.ones(3),
    ...                      np.array([True, True, False]), 5e-5)
    >>> other = ReplaceInputWeights(np.array([[0.5], [0.0], [2.0]]), "my inputs")
    >>> after = other.apply(parts, np.random.default_rng(0))
    >>> other.label, after.w_in.ravel(), after.inputs_changed
    ('my inputs', array([0.5, 0. , 2. ]), True)
    """

    w_in: np.ndarray
    name: str = "other input weights"

    @property
    def label(self) -> str:  # type: ignore[override]
        return self.name

    def apply(self, parts: NetworkParts, rng: np.random.Generator) -> NetworkParts:
        w_in = np.asarray(self.w_in, dtype=np.float64)
        if w_in.shape != parts.w_in.shape:
            raise ValueError(f"w_in has shape {w_in.shape}, expected {parts.w_in.shape}")
        return replace(parts, w_in=w_in.copy(), inputs_changed=True)

    def describe(self) -> dict[str, object]:
        return {"kind": "replace_inputs", "target": "w_in", "strength": float("nan")}


@dataclass(frozen=True)
class ShuffleInputWeights(Perturbation):
    """Give each unit another unit's input weights (rows of ``w_in`` permuted by seed).

    Examples
    --------
    The rows are the same weights in another order:

    >>> import numpy as np
    >>> from spikewidgets.perturbations import NetworkParts, ShuffleInputWeights
    >>> w_in = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> parts = NetworkParts(np.ones((4, 4)), w_in, np.ones(4),
    ...                      np.array([True, True, True, False]), 5e-5)
    >>> shuffled = ShuffleInputWeights().apply(parts, np.random.default_rng(0)).w_in
    >>> sorted(shuffled.ravel().tolist()), np.array_equal(shuffled, w_in)
    ([1.0, 2.0, 3.0, 4.0], False)
    """

    label = "shuffled input weights"

    def apply(self, parts: NetworkParts, rng: np.random.Generator) -> NetworkParts:
        return replace(parts, w_in=parts.w_in[rng.permutation(parts.w_in.shape[0])],
                       inputs_changed=True)

    def describe(self) -> dict[str, object]:
        return {"kind": "shuffle_inputs", "target": "w_in", "strength": float("nan")}
