"""Lists of perturbations along one parameter, for a perturbation search."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from spikewidgets.perturbations._base import Perturbation
from spikewidgets.perturbations._connections import LesionConnections, ScaleConnections

__all__ = ["lesion_sweep", "scale_sweep", "sweep"]


def scale_sweep(pre: str, post: str, factors: Iterable[float]) -> list[ScaleConnections]:
    """One :class:`~spikewidgets.perturbations.ScaleConnections` per factor.

    Examples
    --------
    I -> E scaled by 0.5 ... 1.5:

    >>> from spikewidgets.perturbations import scale_sweep
    >>> [p.label for p in scale_sweep("inh", "exc", [0.5, 1.0, 1.5])]
    ['inh->exc x0.5', 'inh->exc x1', 'inh->exc x1.5']
    """
    return [ScaleConnections(pre, post, float(f)) for f in factors]


def lesion_sweep(fractions: Iterable[float], *, by_type: bool = False
                 ) -> list[LesionConnections]:
    """One :class:`~spikewidgets.perturbations.LesionConnections` per fraction.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.perturbations import lesion_sweep
    >>> [p.label for p in lesion_sweep(np.arange(0, 0.5, 0.2), by_type=True)]
    ['lesion 0 per type', 'lesion 0.2 per type', 'lesion 0.4 per type']
    """
    return [LesionConnections(float(f), by_type) for f in fractions]


def sweep(make: Callable[[float], Perturbation], values: Iterable[float]) -> list[Perturbation]:
    """Any perturbation against a parameter: ``[make(v) for v in values]``.

    Examples
    --------
    Silence a growing share of the inhibitory units for the whole trial:

    >>> from spikewidgets.perturbations import Stimulate, UnitSelection
    >>> from spikewidgets.perturbations._sweeps import sweep
    >>> silenced = sweep(lambda share: Stimulate(UnitSelection(unit_type="inh", fraction=share),
    ...                                          "inh"), [0.25, 0.5])
    >>> [p.label for p in silenced]
    ['silence 0.25 of inh units 0-end s', 'silence 0.5 of inh units 0-end s']
    """
    return [make(float(value)) for value in values]
