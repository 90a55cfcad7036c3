"""The LIF network of the published rate-to-spike conversion, compiled with Numba.

This package is pure NumPy/Numba: no xarray, no widgets. It follows the update
rules of the original MATLAB implementation to the bit (same update order,
strict refractory test on ``dt * i``, MATLAB rounding of the input column,
libm ``exp`` for the decay factors, readout divided by the scaling factor), so
that, given the same initial draw and noise, spike trains and voltages equal
those of the original.

One call of :func:`run_lif` simulates one trial of a batch of *network
variants* (:class:`NetworkVariant`: one per scaling factor of a grid search,
or perturbed copies of the network): the trial's Gaussian noise, which is
most of the cost, is drawn once, block by block, and shared by every variant.
Comparisons between variants are therefore paired, and memory stays O(N) per
variant beyond one block of noise. The compiled functions live in the private
module ``_compiled``.
"""

from spikewidgets.sim._kernel.network import (
    LIFNetwork,
    NetworkVariant,
    Stimulation,
    libm_exp,
    scaling_variants,
)
from spikewidgets.sim._kernel.run import LIFResult, run_lif
from spikewidgets.sim.constants import (
    BASE_DT,
    BIAS,
    STEPS_PER_COLUMN,
    T_REF,
    TAU_M,
    V_PEAK,
    V_RESET,
    V_SPIKE,
)

__all__ = [
    "BASE_DT",
    "BIAS",
    "STEPS_PER_COLUMN",
    "TAU_M",
    "T_REF",
    "V_PEAK",
    "V_RESET",
    "V_SPIKE",
    "LIFNetwork",
    "LIFResult",
    "NetworkVariant",
    "Stimulation",
    "libm_exp",
    "run_lif",
    "scaling_variants",
]
