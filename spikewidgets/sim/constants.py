"""Constants of the published LIF network (Kim, Li & Sejnowski 2019), as its MATLAB code sets them.

Examples
--------
>>> from spikewidgets.sim import constants
>>> constants.V_RESET, constants.V_PEAK, constants.V_SPIKE  # mV
(-65.0, -40.0, 30.0)
>>> constants.BASE_DT * constants.STEPS_PER_COLUMN  # s: one rate step
0.005
"""

from __future__ import annotations

__all__ = [
    "BASE_DT",
    "BIAS",
    "FIRST_COUNTED_STEP",
    "RATE_STEP",
    "STEPS_PER_COLUMN",
    "TAU_M",
    "T_REF",
    "V_PEAK",
    "V_RESET",
    "V_SPIKE",
]

#: Length of one rate-model step (one input column) in seconds: 100 LIF steps.
RATE_STEP = 0.005
#: LIF time step in seconds at ``downsample=1`` (0.05 ms).
BASE_DT = 0.00005
#: Membrane time constant (s).
TAU_M = 0.01
#: Refractory period (s).
T_REF = 0.002
#: Reset voltage (mV).
V_RESET = -65.0
#: Spike threshold (mV).
V_PEAK = -40.0
#: Voltage recorded at a spike (mV).
V_SPIKE = 30.0
#: Bias current.
BIAS = -40.0
#: LIF steps per rate-model input column.
STEPS_PER_COLUMN = 100
#: Mean rates count spikes from this (1-based) step on.
FIRST_COUNTED_STEP = 10
