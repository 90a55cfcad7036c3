"""Every random stream of spikewidgets, derived from the user's seed.

A seed becomes an integer *entropy*; each trial's draws come from a
``numpy.random.Generator`` keyed by that entropy and the trial's index (and,
for other streams, a fixed stream number). A stream depends only on the seed
and the indices, never on how the trials were split among workers, so the
same seed gives the same results on any executor and any number of workers.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = [
    "PERTURBATION_STREAM",
    "RATE_NOISE_STREAM",
    "STIMULATION_STREAM",
    "entropy_from_seed",
    "perturbation_generator",
    "rate_noise_seed",
    "seed_attr",
    "stimulation_generator",
    "trial_generator",
]

#: Spawn-key stream of the rate network's noise when a spiking trial is replayed.
RATE_NOISE_STREAM = 2**31 - 1
#: Spawn-key stream of the coin flips of stimulated network variants.
STIMULATION_STREAM = 2**31 - 2
#: Spawn-key stream of the random choices of perturbations (lesions, unit fractions).
PERTURBATION_STREAM = 2**31 - 3


def entropy_from_seed(seed: int | np.random.SeedSequence | None) -> int:
    """The integer entropy of ``seed`` (a fresh random one for None).

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative integer, a SeedSequence or None.
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.entropy)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed is {seed!r}, expected a non-negative integer or None")
    return int(seed)


def seed_attr(entropy: int) -> int | str:
    """``entropy`` as a netCDF attribute: an int below 2**63, else its decimal string."""
    return entropy if entropy < 2**63 else str(entropy)


def trial_generator(entropy: int, trial: int, stream: int | None = None) -> np.random.Generator:
    """The Generator of one trial's stimulus and noise.

    Parameters
    ----------
    entropy : int
        From :func:`entropy_from_seed`.
    trial : int
        Trial index.
    stream : int, optional
        Another stream of the same trial: the factor index of an unpaired
        search, or one of the module's ``*_STREAM`` numbers.
    """
    key = (int(trial),) if stream is None else (int(trial), int(stream))
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=key))


def stimulation_generator(entropy: int, trial: int) -> np.random.Generator:
    """The Generator of one trial's stimulation coin flips (apart from its noise)."""
    return trial_generator(entropy, trial, STIMULATION_STREAM)


def rate_noise_seed(entropy: int, trial: int) -> np.random.SeedSequence:
    """Seed of the rate network's noise when trial ``trial`` is replayed in the rate model."""
    return np.random.SeedSequence(entropy, spawn_key=(int(trial), RATE_NOISE_STREAM))


def perturbation_generator(entropy: int, label: str) -> np.random.Generator:
    """The Generator of a perturbation's random choices, keyed by its label.

    The same perturbation with the same seed is the same network in every
    search, whatever else the search holds and in whatever order.
    """
    key = zlib.crc32(label.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence(entropy,
                                                        spawn_key=(PERTURBATION_STREAM, key)))
