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
TAU_M = 0.01  # membrane time constant (s)
INVERSE_TAU_M = 1 / TAU_M
T_REF = 0.002  # refractory period (s)
V_RESET = -65.0  # reset voltage (mV)
V_PEAK = -40.0  # spike threshold (mV)
V_SPIKE = 30.0  # voltage recorded at a spike (mV)
BIAS = -40.0  # bias current
STEPS_PER_COLUMN = 100  # LIF steps per rate-model input column
SMALLEST_NORMAL = float(np.finfo(np.float64).smallest_normal)
FIRST_COUNTED_STEP = 10  # mean rates count spikes from this (1-based) step on
