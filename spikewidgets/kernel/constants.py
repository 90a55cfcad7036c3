"""Constants of the published LIF network (Kim, Li & Sejnowski 2019)."""

from __future__ import annotations

import numpy as np

__all__ = [
    "BASE_DT",
    "BIAS",
    "FIRST_COUNTED_STEP",
    "INVERSE_TAU_M",
    "SMALLEST_NORMAL",
    "STEPS_PER_COLUMN",
    "TAU_M",
    "T_REF",
    "V_PEAK",
    "V_RESET",
    "V_SPIKE",
]

#: LIF time step in seconds at ``downsample=1`` (0.05 ms).
BASE_DT = 0.00005
#: Membrane time constant (s).
TAU_M = 0.01
#: ``1 / TAU_M``.
INVERSE_TAU_M = 1 / TAU_M
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
#: Smallest normal float64; synaptic traces below it are set to 0.
SMALLEST_NORMAL = float(np.finfo(np.float64).smallest_normal)
#: Mean rates count spikes from this (1-based) step on.
FIRST_COUNTED_STEP = 10
