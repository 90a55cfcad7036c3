"""Perturbations of the recurrent connections: scaling a connection type, lesions, self-connections.

Conventions are those of the published code: ``W[post, pre]``, row =
receiving unit. Scaling a connection type multiplies ``W`` where the post-
and presynaptic units have the given types, which equals scaling the stored
magnitudes ``w`` before ``m`` and ``som_m``, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from spikewidgets.io._validation import positive_number, probability
from spikewidgets.perturbations._base import (
    NetworkParts,
    Perturbation,
    check_unit_type,
    unit_type_mask,
)

__all__ = ["LesionConnections", "RemoveSelfConnections", "ScaleConnections"]


@dataclass(frozen=True)
class ScaleConnections(Perturbation):
    """Multiply the weights of connections from ``pre``-type to ``post``-type units.

    Parameters
    ----------
    pre, post : {"exc", "inh", "any"}
        Types of the sending and receiving units.
    factor : float
        Positive multiplier (1.3 strengthens by 30 %, 0.7 weakens by 30 %).
    name : str, optional
        Label (default ``"inh->exc x0.7"``).

    Examples
    --------
    Halve the inhibitory -> excitatory weights of a network of two excitatory
    units and one inhibitory unit (column 2 is the inhibitory unit's output,
    rows 0 and 1 the excitatory units' inputs):

    >>> import numpy as np
    >>> from spikewidgets.perturbations import NetworkParts, ScaleConnections
    >>> parts = NetworkParts(np.ones((3, 3)), np.ones((3, 1)), np.ones(3),
    ...                      np.array([True, True, False]), 5e-5)
    >>> weaker = ScaleConnections("inh", "exc", 0.5)
    >>> weaker.label
    'inh->exc x0.5'
    >>> weaker.apply(parts, np.random.default_rng(0)).weights
    array([[1. , 1. , 0.5],
           [1. , 1. , 0.5],
           [1. , 1. , 1. ]])
    >>> weaker.describe()
    {'kind': 'scale', 'target': 'inh->exc', 'strength': 0.5}
    """

    pre: str
    post: str
    factor: float
    name: str = ""

    def __post_init__(self) -> None:
        check_unit_type("pre", self.pre)
        check_unit_type("post", self.post)
        object.__setattr__(self, "factor", positive_number("factor", self.factor))

    @property
    def label(self) -> str:  # type: ignore[override]
        return self.name or f"{self.pre}->{self.post} x{self.factor:g}"

    def apply(self, parts: NetworkParts, rng: np.random.Generator) -> NetworkParts:
        weights = parts.weights.copy()
        rows = np.flatnonzero(unit_type_mask(parts.exc, self.post))
        columns = np.flatnonzero(unit_type_mask(parts.exc, self.pre))
        weights[np.ix_(rows, columns)] *= self.factor
        return replace(parts, weights=weights)

    def describe(self) -> dict[str, object]:
        return {"kind": "scale", "target": f"{self.pre}->{self.post}",
                "strength": float(self.factor)}


@dataclass(frozen=True)
class LesionConnections(Perturbation):
    """Remove a fraction of the existing off-diagonal connections, chosen by seed.

    Parameters
    ----------
    fraction : float
        Share of the existing connections set to 0, in [0, 1] (rounded to a
        whole number of connections).
    by_type : bool, default False
        Remove that share of each connection type (E->E, I->E, E->I, I->I)
        separately, as the PyTorch port's ``lesion_w_by_type``.

    Examples
    --------
    Of the 6 off-diagonal connections of a 3-unit network, a half is removed
    (the diagonal is never touched); the same generator removes the same ones:

    >>> import numpy as np
    >>> from spikewidgets.perturbations import LesionConnections, NetworkParts
    >>> parts = NetworkParts(np.ones((3, 3)), np.ones((3, 1)), np.ones(3),
    ...                      np.array([True, True, False]), 5e-5)
    >>> lesion = LesionConnections(0.5)
    >>> lesion.label
    'lesion 0.5'
    >>> lesioned = lesion.apply(parts, np.random.default_rng(0)).weights
    >>> int((lesioned == 0).sum()), np.diagonal(lesioned).tolist()
    (3, [1.0, 1.0, 1.0])
    >>> again = lesion.apply(parts, np.random.default_rng(0)).weights
    >>> np.array_equal(lesioned, again)
    True
    """

    fraction: float
    by_type: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "fraction", probability("fraction", self.fraction))

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"lesion {self.fraction:g}" + (" per type" if self.by_type else "")

    def apply(self, parts: NetworkParts, rng: np.random.Generator) -> NetworkParts:
        weights = parts.weights.copy()
        existing = (weights != 0) & ~np.eye(weights.shape[0], dtype=bool)
        if self.by_type:
            groups = [existing & np.outer(unit_type_mask(parts.exc, post),
                                          unit_type_mask(parts.exc, pre))
                      for post in ("exc", "inh") for pre in ("exc", "inh")]
        else:
            groups = [existing]
        for group in groups:
            candidates = np.flatnonzero(group)
            count = round(self.fraction * candidates.size)
            weights.flat[rng.choice(candidates, size=count, replace=False)] = 0.0
        return replace(parts, weights=weights)

    def describe(self) -> dict[str, object]:
        return {"kind": "lesion", "target": "each type" if self.by_type else "connections",
                "strength": float(self.fraction)}


@dataclass(frozen=True)
class RemoveSelfConnections(Perturbation):
    """Set the diagonal of the effective matrix to 0 (the original's ``remove_autoconn``).

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.perturbations import NetworkParts, RemoveSelfConnections
    >>> parts = NetworkParts(np.ones((3, 3)), np.ones((3, 1)), np.ones(3),
    ...                      np.array([True, True, False]), 5e-5)
    >>> RemoveSelfConnections().apply(parts, np.random.default_rng(0)).weights
    array([[0., 1., 1.],
           [1., 0., 1.],
           [1., 1., 0.]])
    """

    label = "no self-connections"

    def apply(self, parts: NetworkParts, rng: np.random.Generator) -> NetworkParts:
        weights = parts.weights.copy()
        np.fill_diagonal(weights, 0.0)
        return replace(parts, weights=weights)

    def describe(self) -> dict[str, object]:
        return {"kind": "remove_self", "target": "diagonal", "strength": float("nan")}
