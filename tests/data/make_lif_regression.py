"""Regenerate lif_regression.npz: a small simulation kept to catch kernel regressions.

The kernel that made it replays the original's recorded simulation exactly
(tests/test_kernel.py); rerun this only after a deliberate change of the kernel.
"""

from pathlib import Path

import numpy as np

from spikewidgets.io import RateModel, random_model_arrays
from spikewidgets.sim._kernel import LIFNetwork, run_lif

arrays = random_model_arrays(24, 1, seed=2024, dtype=np.float64)
model = RateModel.from_arrays(arrays)
u = np.zeros((1, 9))
u[0, 3:6] = 1.0
factors = np.array([1.0, 5.0])
seed = 77
result = run_lif(LIFNetwork.from_model(model, factors), u, rng=np.random.default_rng(seed),
                 record_spikes=True)
payload = {f"model_{key}": value for key, value in arrays.items()}
payload.update(u=u, scaling_factors=factors, seed=seed, out=result.out)
for k in range(factors.size):
    payload[f"spike_units_{k}"] = result.spike_units[k]
    payload[f"spike_steps_{k}"] = result.spike_steps[k]
np.savez_compressed(Path(__file__).with_name("lif_regression.npz"), **payload)
print({k: len(result.spike_units[k]) for k in range(factors.size)}, "spikes")
