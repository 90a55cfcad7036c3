"""What every perturbation shares: the network parts it changes, its base class, unit types.

A perturbation receives a :class:`NetworkParts` and a ``numpy.random.Generator``
and returns changed copies of the parts (it never changes the arrays it was
given). :class:`Combined` applies several in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spikewidgets.sim._kernel import Stimulation

__all__ = [
    "UNIT_TYPES",
    "Combined",
    "NetworkParts",
    "Perturbation",
    "check_unit_type",
    "unit_type_mask",
]

#: The unit types a perturbation can name (``"any"``: every unit).
UNIT_TYPES = ("exc", "inh", "any")


def unit_type_mask(exc: np.ndarray, unit_type: str) -> np.ndarray:
    """Boolean mask of the units of ``unit_type`` (``"exc"``, ``"inh"`` or ``"any"``).

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.perturbations._base import unit_type_mask
    >>> exc = np.array([True, True, False])
    >>> unit_type_mask(exc, "inh")
    array([False, False,  True])
    >>> unit_type_mask(exc, "any")
    array([ True,  True,  True])
    """
    if unit_type == "exc":
        return np.asarray(exc, dtype=bool)
    if unit_type == "inh":
        return ~np.asarray(exc, dtype=bool)
    return np.ones(np.shape(exc), dtype=bool)


def check_unit_type(name: str, value: str) -> str:
    """``value`` if it is one of :data:`UNIT_TYPES`.

    Raises
    ------
    ValueError
        Naming the argument ``name`` and the value otherwise.

    Examples
    --------
    >>> from spikewidgets.perturbations._base import check_unit_type
    >>> check_unit_type("pre", "inh")
    'inh'
    >>> check_unit_type("pre", "pv")
    Traceback (most recent call last):
    ...
    ValueError: pre is 'pv', expected one of exc, inh, any
    """
    if value not in UNIT_TYPES:
        raise ValueError(f"{name} is {value!r}, expected one of {', '.join(UNIT_TYPES)}")
    return value


@dataclass(frozen=True, eq=False)
class NetworkParts:
    """The parts of one network that perturbations change (before the scaling factor).

    ``weights`` is the effective signed matrix ``(w @ m) * som_m`` (row:
    receiving unit); ``dt`` the LIF time step, for stimulation windows.

    Examples
    --------
    A network of two excitatory units and one inhibitory unit, every weight 1:

    >>> import numpy as np
    >>> from spikewidgets.perturbations import NetworkParts
    >>> parts = NetworkParts(weights=np.ones((3, 3)), w_in=np.ones((3, 1)),
    ...                      readout=np.ones(3), exc=np.array([True, True, False]), dt=5e-5)
    >>> parts.weights.shape, parts.stimulation, parts.inputs_changed
    ((3, 3), None, False)
    """

    weights: np.ndarray
    w_in: np.ndarray
    readout: np.ndarray
    exc: np.ndarray
    dt: float
    stimulation: Stimulation | None = None
    inputs_changed: bool = False


class Perturbation:
    """Base class: a change to a network, applied by :meth:`~Perturbation.apply`.

    Subclasses set a ``label`` (the perturbation's name in a search's
    Dataset and the key of its random choices), implement :meth:`apply`, and
    say in :meth:`describe` what they change.

    Examples
    --------
    A perturbation of your own, that silences the readout of unit 0:

    >>> import numpy as np
    >>> from dataclasses import replace
    >>> from spikewidgets.perturbations import NetworkParts, Perturbation
    >>> class MuteReadout(Perturbation):
    ...     label = "mute readout 0"
    ...     def apply(self, parts, rng):
    ...         readout = parts.readout.copy()
    ...         readout[0] = 0.0
    ...         return replace(parts, readout=readout)
    >>> parts = NetworkParts(np.ones((3, 3)), np.ones((3, 1)), np.ones(3),
    ...                      np.array([True, True, False]), 5e-5)
    >>> MuteReadout().apply(parts, np.random.default_rng(0)).readout
    array([0., 1., 1.])
    >>> MuteReadout().describe()
    {'kind': 'MuteReadout', 'target': '', 'strength': nan}
    """

    label: str = ""

    def apply(self, parts: NetworkParts, rng: np.random.Generator) -> NetworkParts:
        """Return changed copies of ``parts`` (never change the arrays given)."""
        raise NotImplementedError

    def describe(self) -> dict[str, object]:
        """``kind``, ``target`` and ``strength`` (NaN where it has none), for coordinates."""
        return {"kind": type(self).__name__, "target": "", "strength": float("nan")}


@dataclass(frozen=True)
class Combined(Perturbation):
    """Several perturbations applied in order; its label joins theirs with ``" + "``.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.perturbations import (
    ...     NetworkParts, RemoveSelfConnections, ScaleConnections)
    >>> from spikewidgets.perturbations._base import Combined
    >>> both = Combined((ScaleConnections("inh", "exc", 0.5), RemoveSelfConnections()))
    >>> both.label
    'inh->exc x0.5 + no self-connections'
    >>> parts = NetworkParts(np.ones((3, 3)), np.ones((3, 1)), np.ones(3),
    ...                      np.array([True, True, False]), 5e-5)
    >>> both.apply(parts, np.random.default_rng(0)).weights
    array([[0. , 1. , 0.5],
           [1. , 0. , 0.5],
           [1. , 1. , 0. ]])
    >>> Combined(()).label  # nothing changed: the intact network
    'none'
    """

    parts: tuple[Perturbation, ...] = field(default_factory=tuple)
    name: str = ""

    @property
    def label(self) -> str:  # type: ignore[override]
        return self.name or " + ".join(part.label for part in self.parts) or "none"

    def apply(self, parts: NetworkParts, rng: np.random.Generator) -> NetworkParts:
        for part in self.parts:
            parts = part.apply(parts, rng)
        return parts

    def describe(self) -> dict[str, object]:
        if len(self.parts) == 1:
            return self.parts[0].describe()
        if not self.parts:
            return {"kind": "none", "target": "", "strength": float("nan")}
        return {"kind": "combined", "target": self.label, "strength": float("nan")}
