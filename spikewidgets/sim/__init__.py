"""Simulating the networks: the spiking LIF network (Numba) and the rate network.

- :class:`LIFNetwork` prepares a batch of spiking networks of one rate model
  (one per scaling factor, or perturbed copies, :class:`NetworkVariant`);
  :func:`run_lif` simulates one trial of all of them on shared noise, with the
  update rules of the published MATLAB code to the bit (:class:`LIFResult`).
- :class:`Stimulation` adds the original's artificial stimulation.
- :func:`simulate_rate` runs the trained rate network itself.
"""

from spikewidgets.sim._kernel.network import LIFNetwork, NetworkVariant, Stimulation
from spikewidgets.sim._kernel.run import LIFResult, run_lif
from spikewidgets.sim._rate import simulate_rate

__all__ = ["LIFNetwork", "LIFResult", "NetworkVariant", "Stimulation", "run_lif",
           "simulate_rate"]
