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

Every name below is imported from this package. A perturbation of your own
subclasses :class:`Perturbation` and changes the :class:`NetworkParts` it is
given.

Examples
--------
A preset and a lesion of half the inhibitory units, applied in order, in
trial 3 of a search of the bundled Go-NoGo model with seed 0: the network
fires faster than the intact one on the same trial:

>>> import spikewidgets as sw
>>> from spikewidgets.perturbations import LesionUnits, UnitSelection
>>> change = ["ei_dec", LesionUnits(UnitSelection(unit_type="inh", fraction=0.5))]
>>> path = sw.example_model("go_nogo", ".")
>>> perturbed = sw.simulate(path, 30, "go_nogo", seed=0, trial=3, perturbation=change)
>>> perturbed.attrs["perturbation"]
'ei_dec + lesion 0.5 of inh units'
>>> intact = sw.simulate(path, 30, "go_nogo", seed=0, trial=3)
>>> round(float(perturbed.mean_rate.mean()), 1), round(float(intact.mean_rate.mean()), 1)
(13.2, 7.3)
"""

from spikewidgets.perturbations._base import NetworkParts, Perturbation
from spikewidgets.perturbations._connections import (
    LesionConnections,
    RemoveSelfConnections,
    ScaleConnections,
)
from spikewidgets.perturbations._inputs import ReplaceInputWeights, ShuffleInputWeights
from spikewidgets.perturbations._presets import PRESETS
from spikewidgets.perturbations._stimulation import Stimulate
from spikewidgets.perturbations._sweeps import lesion_sweep, scale_sweep
from spikewidgets.perturbations._units import LesionUnits, UnitSelection

__all__ = [
    "PRESETS",
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
    "lesion_sweep",
    "scale_sweep",
]
