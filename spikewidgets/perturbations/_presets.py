"""The published connection-type modulations by name; names and lists made perturbations.

The presets ``ee_inc`` ... ``ei_dec`` name the **receiving** type first:
``ei_dec`` multiplies inhibitory -> excitatory weights by 0.7.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from spikewidgets.perturbations._base import Combined, Perturbation
from spikewidgets.perturbations._connections import ScaleConnections

__all__ = ["PRESETS", "as_perturbation", "preset"]

#: The published connection-type modulations (receiving type first; +-30 %).
PRESETS: dict[str, ScaleConnections] = {
    f"{post[0]}{pre[0]}_{direction}": ScaleConnections(pre, post, factor,
                                                       f"{post[0]}{pre[0]}_{direction}")
    for post in ("exc", "inh") for pre in ("exc", "inh")
    for direction, factor in (("inc", 1.3), ("dec", 0.7))
}


def preset(name: str) -> ScaleConnections:
    """A published connection-type modulation by name (``ee_inc`` ... ``ei_dec``).

    Raises
    ------
    ValueError
        For an unknown name (the message lists the presets).

    Examples
    --------
    ``ei_dec`` weakens inhibition onto excitatory units by 30 %:

    >>> from spikewidgets.perturbations._presets import preset
    >>> preset("ei_dec")
    ScaleConnections(pre='inh', post='exc', factor=0.7, name='ei_dec')
    """
    if name not in PRESETS:
        raise ValueError(f"preset is {name!r}, expected one of {', '.join(sorted(PRESETS))}")
    return PRESETS[name]


def as_perturbation(value: Perturbation | str | Sequence[Perturbation | str] | None
                    ) -> Perturbation:
    """A perturbation from an object, a preset name, a list (applied in order) or None (none).

    Raises
    ------
    TypeError
        For anything else.

    Examples
    --------
    >>> from spikewidgets.perturbations import LesionConnections
    >>> from spikewidgets.perturbations._presets import as_perturbation
    >>> as_perturbation("ei_dec").label
    'ei_dec'
    >>> as_perturbation(None).label
    'none'
    >>> as_perturbation(["ei_dec", LesionConnections(0.1)]).label
    'ei_dec + lesion 0.1'
    """
    if value is None:
        return Combined((), "none")
    if isinstance(value, str):
        return Combined((), "none") if value == "none" else preset(value)
    if isinstance(value, Perturbation):
        return value
    if isinstance(value, Iterable):
        return Combined(tuple(as_perturbation(item) for item in value))
    raise TypeError(f"perturbation is {value!r}, expected a Perturbation, a preset name "
                    f"({', '.join(sorted(PRESETS))}) or a list of them")
