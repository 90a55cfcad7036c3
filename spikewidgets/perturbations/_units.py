"""Choosing units (given indices, or a fraction of a type drawn by seed) and lesioning them."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from spikewidgets.io._validation import probability
from spikewidgets.perturbations._base import (
    NetworkParts,
    Perturbation,
    check_unit_type,
    unit_type_mask,
)

__all__ = ["LesionUnits", "UnitSelection"]


@dataclass(frozen=True)
class UnitSelection:
    """Which units: given indices, or a fraction of a type chosen by seed.

    Parameters
    ----------
    units : sequence of int, optional
        0-based unit indices (exclusive with ``unit_type``).
    unit_type : {"exc", "inh", "any"}, optional
        Choose among units of this type ...
    fraction : float, default 1.0
        ... this share of them (rounded to whole units), drawn by seed.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.perturbations import UnitSelection
    >>> exc = np.array([True, True, True, True, False, False])
    >>> UnitSelection(units=[5, 2]).choose(exc, np.random.default_rng(0))
    array([2, 5])
    >>> half = UnitSelection(unit_type="exc", fraction=0.5)
    >>> half.text()
    '0.5 of exc units'
    >>> chosen = half.choose(exc, np.random.default_rng(0))
    >>> len(chosen), bool(exc[chosen].all())
    (2, True)
    """

    units: tuple[int, ...] | None = None
    unit_type: str | None = None
    fraction: float = 1.0

    def __post_init__(self) -> None:
        if (self.units is None) == (self.unit_type is None):
            raise ValueError("pass either units (indices) or unit_type ('exc', 'inh', 'any')")
        if self.units is not None:
            units = tuple(int(u) for u in np.atleast_1d(self.units))
            if any(u < 0 for u in units):
                raise ValueError(f"units is {list(units)}, expected indices >= 0")
            object.__setattr__(self, "units", units)
        else:
            check_unit_type("unit_type", self.unit_type)
        object.__setattr__(self, "fraction", probability("fraction", self.fraction))

    def choose(self, exc: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The chosen unit indices, sorted.

        Raises
        ------
        ValueError
            For an index outside the network.
        """
        n_units = np.size(exc)
        if self.units is not None:
            bad = [u for u in self.units if u >= n_units]
            if bad:
                raise ValueError(f"units includes {bad}, expected indices below {n_units} "
                                 f"(the network has {n_units} units)")
            return np.array(sorted(set(self.units)), dtype=np.int64)
        pool = np.flatnonzero(unit_type_mask(exc, self.unit_type))
        count = round(self.fraction * pool.size)
        return np.sort(rng.choice(pool, size=count, replace=False))

    def text(self) -> str:
        """The selection in a few words, for labels: ``"units 1,2"``, ``"0.5 of exc units"``."""
        if self.units is not None:
            shown = ",".join(str(u) for u in self.units[:4]) + ("…" if len(self.units) > 4
                                                              else "")
            return f"units {shown}"
        share = "" if self.fraction == 1 else f"{self.fraction:g} of "
        return f"{share}{self.unit_type} units"

    def strength(self) -> float:
        """The number of units given, or the fraction of a type."""
        return float(len(self.units)) if self.units is not None else float(self.fraction)

    def target(self) -> str:
        """Which units, without the fraction (that is the strength): ``"inh units"``."""
        return self.text() if self.units is not None else f"{self.unit_type} units"


@dataclass(frozen=True)
class LesionUnits(Perturbation):
    """Remove every synapse of some units: recurrent inputs and outputs, input and readout weights.

    The units still fire from their bias and noise, but no longer take part in
    the network or its readout.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.perturbations import LesionUnits, NetworkParts, UnitSelection
    >>> parts = NetworkParts(np.ones((3, 3)), np.ones((3, 1)), np.ones(3),
    ...                      np.array([True, True, False]), 5e-5)
    >>> lesion = LesionUnits(UnitSelection(units=[1]))
    >>> lesion.label
    'lesion units 1'
    >>> after = lesion.apply(parts, np.random.default_rng(0))
    >>> after.weights
    array([[1., 0., 1.],
           [0., 0., 0.],
           [1., 0., 1.]])
    >>> after.w_in.ravel(), after.readout
    (array([1., 0., 1.]), array([1., 0., 1.]))
    """

    selection: UnitSelection

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"lesion {self.selection.text()}"

    def apply(self, parts: NetworkParts, rng: np.random.Generator) -> NetworkParts:
        units = self.selection.choose(parts.exc, rng)
        weights, w_in, readout = parts.weights.copy(), parts.w_in.copy(), parts.readout.copy()
        weights[units, :] = 0.0
        weights[:, units] = 0.0
        w_in[units, :] = 0.0
        readout[units] = 0.0
        return replace(parts, weights=weights, w_in=w_in, readout=readout, inputs_changed=True)

    def describe(self) -> dict[str, object]:
        return {"kind": "lesion_units", "target": self.selection.target(),
                "strength": self.selection.strength()}
