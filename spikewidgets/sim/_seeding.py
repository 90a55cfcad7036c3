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

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.sim._seeding import entropy_from_seed
    >>> entropy_from_seed(42), entropy_from_seed(np.random.SeedSequence(7))
    (42, 7)
    >>> entropy_from_seed(None) >= 0  # fresh entropy, recorded by the search
    True
    >>> entropy_from_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed is -1, expected a non-negative integer or None
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.entropy)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed is {seed!r}, expected a non-negative integer or None")
    return int(seed)


def seed_attr(entropy: int) -> int | str:
    """``entropy`` as a netCDF attribute: an int below 2**63, else its decimal string.

    Examples
    --------
    >>> from spikewidgets.sim._seeding import seed_attr
    >>> seed_attr(42), seed_attr(2**64)
    (42, '18446744073709551616')
    """
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

    Examples
    --------
    A trial's draws depend on the seed and the trial index only:

    >>> from spikewidgets.sim._seeding import trial_generator
    >>> first = trial_generator(0, 3).standard_normal(2)
    >>> bool((trial_generator(0, 3).standard_normal(2) == first).all())
    True
    >>> bool((trial_generator(0, 4).standard_normal(2) == first).any())
    False
    """
    key = (int(trial),) if stream is None else (int(trial), int(stream))
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=key))


def stimulation_generator(entropy: int, trial: int) -> np.random.Generator:
    """The Generator of one trial's stimulation coin flips (apart from its noise).

    Examples
    --------
    It is the trial's stream :data:`STIMULATION_STREAM`, not its noise:

    >>> from spikewidgets.sim._seeding import (
    ...     STIMULATION_STREAM, stimulation_generator, trial_generator)
    >>> flips = stimulation_generator(0, 3).random(3)
    >>> bool((flips == trial_generator(0, 3, STIMULATION_STREAM).random(3)).all())
    True
    >>> bool((flips == trial_generator(0, 3).random(3)).any())
    False
    """
    return trial_generator(entropy, trial, STIMULATION_STREAM)


def rate_noise_seed(entropy: int, trial: int) -> np.random.SeedSequence:
    """Seed of the rate network's noise when trial ``trial`` is replayed in the rate model.

    Examples
    --------
    >>> from spikewidgets.sim._seeding import RATE_NOISE_STREAM, rate_noise_seed
    >>> sequence = rate_noise_seed(0, 3)
    >>> sequence.entropy, sequence.spawn_key == (3, RATE_NOISE_STREAM)
    (0, True)
    """
    return np.random.SeedSequence(entropy, spawn_key=(int(trial), RATE_NOISE_STREAM))


def perturbation_generator(entropy: int, label: str) -> np.random.Generator:
    """The Generator of a perturbation's random choices, keyed by its label.

    The same perturbation with the same seed is the same network in every
    search, whatever else the search holds and in whatever order.

    Examples
    --------
    >>> from spikewidgets.sim._seeding import perturbation_generator
    >>> chosen = perturbation_generator(0, "lesion 0.1").choice(100, 5, replace=False)
    >>> again = perturbation_generator(0, "lesion 0.1").choice(100, 5, replace=False)
    >>> other = perturbation_generator(0, "lesion 0.2").choice(100, 5, replace=False)
    >>> chosen.tolist() == again.tolist(), chosen.tolist() == other.tolist()
    (True, False)
    """
    key = zlib.crc32(label.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence(entropy,
                                                        spawn_key=(PERTURBATION_STREAM, key)))
