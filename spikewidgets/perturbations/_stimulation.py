"""Stimulating or silencing units during a time window, as the original's ``stims``."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from spikewidgets.perturbations._base import NetworkParts, Perturbation
from spikewidgets.perturbations._units import UnitSelection
from spikewidgets.sim._kernel import Stimulation

__all__ = ["Stimulate"]


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

    Examples
    --------
    Silence units 0 and 2 from 0.25 s to 0.5 s: with LIF steps of 0.05 ms,
    that is steps 5000 to 10000:

    >>> import numpy as np
    >>> from spikewidgets.perturbations import NetworkParts, Stimulate, UnitSelection
    >>> silence = Stimulate(UnitSelection(units=[0, 2]), "inh", 0.25, 0.5)
    >>> silence.label
    'silence units 0,2 0.25-0.5 s'
    >>> parts = NetworkParts(np.ones((3, 3)), np.ones((3, 1)), np.ones(3),
    ...                      np.array([True, True, False]), 5e-5)
    >>> silence.apply(parts, np.random.default_rng(0)).stimulation
    Stimulation(mode='inh', units=(0, 2), start=5000, stop=10000)
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
