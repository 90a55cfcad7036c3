"""Perturbations of the converted network: small, composable, picklable objects.

Each perturbation changes a copy of the network a search simulates (its
recurrent weights, input weights, readout or stimulation) and has a short
``label`` and a :meth:`~Perturbation.describe` record (``kind``, ``target``,
``strength``) that a perturbation search turns into coordinates. A list of
perturbations applies in order. Every random choice (which synapses a lesion
removes, which units a fraction picks, how input weights are shuffled) comes
from a ``numpy.random.Generator`` that the search derives from your seed.

Conventions are those of the published code (see the project's reference on
perturbations): ``W[post, pre]``, row = receiving unit; the effective matrix
is ``(w @ m) * som_m``. Scaling a connection type multiplies ``W`` where the
post- and presynaptic units have the given types, which equals scaling the
stored magnitudes ``w`` first, bit for bit, since ``m`` is a diagonal of +-1
and ``som_m`` a 0/1 mask. The presets ``ee_inc`` ... ``ei_dec`` name the
**receiving** type first: ``ei_dec`` multiplies inhibitory -> excitatory
weights by 0.7.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .kernel import Stimulation
from .validation import positive_number, probability

__all__ = [
    "PRESETS",
    "Combined",
    "LesionConnections",
    "LesionUnits",
    "NetworkParts",
    "Perturbation",
    "RemoveSelfConnections",
    "ReplaceInputWeights",
    "ScaleConnections",
    "ShuffleInputWeights",
    "Stimulate",
    "UnitSelection",
    "as_perturbation",
    "lesion_sweep",
    "preset",
    "scale_sweep",
    "sweep",
]

UNIT_TYPES = ("exc", "inh", "any")


@dataclass(frozen=True, eq=False)
class NetworkParts:
    """The parts of one network that perturbations change (before the scaling factor).

    ``weights`` is the effective signed matrix ``(w @ m) * som_m`` (row:
    receiving unit); ``dt`` the LIF time step, for stimulation windows.
    """

    weights: np.ndarray
    w_in: np.ndarray
    readout: np.ndarray
    exc: np.ndarray
    dt: float
    stimulation: Stimulation | None = None
    inputs_changed: bool = False


def _type_mask(exc: np.ndarray, unit_type: str) -> np.ndarray:
    if unit_type == "exc":
        return np.asarray(exc, dtype=bool)
    if unit_type == "inh":
        return ~np.asarray(exc, dtype=bool)
    return np.ones(np.shape(exc), dtype=bool)


def _check_type(name: str, value: str) -> str:
    if value not in UNIT_TYPES:
        raise ValueError(f"{name} is {value!r}, expected one of {', '.join(UNIT_TYPES)}")
    return value


class Perturbation:
    """Base class: a change to a network, applied by :meth:`~Perturbation.apply`."""

    label: str = ""

    def apply(self, parts: NetworkParts, rng: np.random.Generator) -> NetworkParts:
        """Return changed copies of ``parts`` (never change the arrays given)."""
        raise NotImplementedError

    def describe(self) -> dict[str, object]:
        """``kind``, ``target`` and ``strength`` (NaN where it has none), for coordinates."""
        return {"kind": type(self).__name__, "target": "", "strength": float("nan")}


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
    """

    pre: str
    post: str
    factor: float
    name: str = ""

    def __post_init__(self) -> None:
        _check_type("pre", self.pre)
        _check_type("post", self.post)
        object.__setattr__(self, "factor", positive_number("factor", self.factor))

    @property
    def label(self) -> str:  # type: ignore[override]
        return self.name or f"{self.pre}->{self.post} x{self.factor:g}"

    def apply(self, parts: NetworkParts, rng: np.random.Generator) -> NetworkParts:
        weights = parts.weights.copy()
        rows = np.flatnonzero(_type_mask(parts.exc, self.post))
        columns = np.flatnonzero(_type_mask(parts.exc, self.pre))
        weights[np.ix_(rows, columns)] *= self.factor
        return replace(parts, weights=weights)

    def describe(self) -> dict[str, object]:
        return {"kind": "scale", "target": f"{self.pre}->{self.post}",
                "strength": float(self.factor)}


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

    >>> from spikewidgets.perturbations import preset
    >>> preset("ei_dec")
    ScaleConnections(pre='inh', post='exc', factor=0.7, name='ei_dec')
    """
    if name not in PRESETS:
        raise ValueError(f"preset is {name!r}, expected one of {', '.join(sorted(PRESETS))}")
    return PRESETS[name]


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
            groups = [existing & np.outer(_type_mask(parts.exc, post), _type_mask(parts.exc, pre))
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
            _check_type("unit_type", self.unit_type)
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
        pool = np.flatnonzero(_type_mask(exc, self.unit_type))
        count = round(self.fraction * pool.size)
        return np.sort(rng.choice(pool, size=count, replace=False))

    def text(self) -> str:
        if self.units is not None:
            shown = ",".join(str(u) for u in self.units[:4]) + ("…" if len(self.units) > 4
                                                              else "")
            return f"units {shown}"
        share = "" if self.fraction == 1 else f"{self.fraction:g} of "
        return f"{share}{self.unit_type} units"

    def strength(self) -> float:
        return float(len(self.units)) if self.units is not None else float(self.fraction)

    def target(self) -> str:
        """Which units, without the fraction (that is the strength): ``"inh units"``."""
        return self.text() if self.units is not None else f"{self.unit_type} units"


@dataclass(frozen=True)
class LesionUnits(Perturbation):
    """Remove every synapse of some units: recurrent inputs and outputs, input and readout weights.

    The units still fire from their bias and noise, but no longer take part in
    the network or its readout.
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


@dataclass(frozen=True)
class RemoveSelfConnections(Perturbation):
    """Set the diagonal of the effective matrix to 0 (the original's ``remove_autoconn``)."""

    label = "no self-connections"

    def apply(self, parts: NetworkParts, rng: np.random.Generator) -> NetworkParts:
        weights = parts.weights.copy()
        np.fill_diagonal(weights, 0.0)
        return replace(parts, weights=weights)

    def describe(self) -> dict[str, object]:
        return {"kind": "remove_self", "target": "diagonal", "strength": float("nan")}


@dataclass(frozen=True, eq=False)
class ReplaceInputWeights(Perturbation):
    """Simulate with other input weights ``w_in`` (N x n_inputs), as ``shuffle_w_in``."""

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
    """Give each unit another unit's input weights (rows of ``w_in`` permuted by seed)."""

    label = "shuffled input weights"

    def apply(self, parts: NetworkParts, rng: np.random.Generator) -> NetworkParts:
        return replace(parts, w_in=parts.w_in[rng.permutation(parts.w_in.shape[0])],
                       inputs_changed=True)

    def describe(self) -> dict[str, object]:
        return {"kind": "shuffle_inputs", "target": "w_in", "strength": float("nan")}


@dataclass(frozen=True)
class Stimulate(Perturbation):
    """Stimulate (``mode="exc"``) or silence (``mode="inh"``) units during a time window.

    As the original's ``stims``: on each LIF step of the window, with
    probability 0.5, +0.5 mV (``exc``) or -0.5 mV (``inh``) is added to the
    chosen units' voltage. The coin flips of a trial are drawn apart from its
    noise, so the other variants of a search see the same noise.

    Parameters
    ----------
    selection : UnitSelection
        The units.
    mode : {"exc", "inh"}
        Depolarise or hyperpolarise.
    start, stop : float
        Window in seconds from trial start (``start <= t < stop``).
    """

    selection: UnitSelection
    mode: str = "exc"
    start: float = 0.0
    stop: float = math.inf

    def __post_init__(self) -> None:
        if self.mode not in ("exc", "inh"):
            raise ValueError(f"mode is {self.mode!r}, expected 'exc' (stimulate) or 'inh' "
                             "(silence)")
        if not (0 <= self.start < self.stop):
            raise ValueError(f"the window is start={self.start!r}, stop={self.stop!r} s; "
                             "expected 0 <= start < stop")

    @property
    def label(self) -> str:  # type: ignore[override]
        verb = "stimulate" if self.mode == "exc" else "silence"
        end = "end" if math.isinf(self.stop) else f"{self.stop:g}"
        return f"{verb} {self.selection.text()} {self.start:g}-{end} s"

    def apply(self, parts: NetworkParts, rng: np.random.Generator) -> NetworkParts:
        if parts.stimulation is not None:
            raise ValueError("a network variant takes one stimulation; combine the units "
                             "into one Stimulate")
        units = self.selection.choose(parts.exc, rng)
        first = max(1, round(self.start / parts.dt))
        last = 2**62 if math.isinf(self.stop) else max(first, round(self.stop / parts.dt))
        stimulation = Stimulation(self.mode, tuple(int(u) for u in units), first, last)
        return replace(parts, stimulation=stimulation)

    def describe(self) -> dict[str, object]:
        end = "end" if math.isinf(self.stop) else f"{self.stop:g}"
        return {"kind": "stimulate" if self.mode == "exc" else "silence",
                "target": f"{self.selection.target()}, {self.start:g}-{end} s",
                "strength": self.selection.strength()}


@dataclass(frozen=True)
class Combined(Perturbation):
    """Several perturbations applied in order; its label joins theirs with ``" + "``."""

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


def as_perturbation(value: Perturbation | str | Sequence[Perturbation | str] | None
                    ) -> Perturbation:
    """A perturbation from an object, a preset name, a list (applied in order) or None (none).

    Raises
    ------
    TypeError
        For anything else.

    Examples
    --------
    >>> from spikewidgets.perturbations import LesionConnections, as_perturbation
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


def scale_sweep(pre: str, post: str, factors: Iterable[float]) -> list[ScaleConnections]:
    """One :class:`ScaleConnections` per factor, e.g. I -> E scaled by 0.5 ... 1.5."""
    return [ScaleConnections(pre, post, float(f)) for f in factors]


def lesion_sweep(fractions: Iterable[float], *, by_type: bool = False
                 ) -> list[LesionConnections]:
    """One :class:`LesionConnections` per fraction, e.g. 0 ... 0.5."""
    return [LesionConnections(float(f), by_type) for f in fractions]


def sweep(make: Callable[[float], Perturbation], values: Iterable[float]) -> list[Perturbation]:
    """Any perturbation against a parameter: ``[make(v) for v in values]``."""
    return [make(float(value)) for value in values]
