"""Checking arguments: one clear error that names the argument, the value and what was expected."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

__all__ = [
    "normalize_task_name",
    "parse_scaling_factors",
    "positive_int",
    "positive_number",
    "probability",
]


def normalize_task_name(name: str) -> str:
    """Lower-case a task name and turn hyphens and spaces into underscores.

    Examples
    --------
    >>> from spikewidgets.io._validation import normalize_task_name
    >>> normalize_task_name(" Go-NoGo "), normalize_task_name("my task")
    ('go_nogo', 'my_task')
    """
    if not isinstance(name, str):
        raise TypeError(f"task_name is {name!r}, expected a string such as 'go_nogo'")
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def positive_int(name: str, value: object) -> int:
    """``value`` as an int, if it is a whole number >= 1.

    Raises
    ------
    ValueError
        Naming ``name`` and the value otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.io._validation import positive_int
    >>> positive_int("n_trials", np.int64(100))
    100
    >>> positive_int("n_trials", 2.0)
    Traceback (most recent call last):
    ...
    ValueError: n_trials is 2.0, expected a positive integer
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < 1:
        raise ValueError(f"{name} is {value!r}, expected a positive integer")
    return int(value)


def positive_number(name: str, value: object) -> float:
    """``value`` as a float, if it is a finite number > 0.

    Raises
    ------
    ValueError
        Naming ``name`` and the value otherwise.

    Examples
    --------
    >>> from spikewidgets.io._validation import positive_number
    >>> positive_number("factor", 3)
    3.0
    >>> positive_number("factor", float("inf"))
    Traceback (most recent call last):
    ...
    ValueError: factor is inf, expected a finite positive number
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) \
            or not math.isfinite(float(value)) or float(value) <= 0:
        raise ValueError(f"{name} is {value!r}, expected a finite positive number")
    return float(value)


def probability(name: str, value: object, *, open_low: bool = False) -> float:
    """``value`` as a float in [0, 1] (or (0, 1] with ``open_low``).

    Raises
    ------
    ValueError
        Naming ``name`` and the value otherwise.

    Examples
    --------
    >>> from spikewidgets.io._validation import probability
    >>> probability("fraction", 0), probability("fraction", 0.25)
    (0.0, 0.25)
    >>> probability("fraction", 0, open_low=True)
    Traceback (most recent call last):
    ...
    ValueError: fraction is 0, expected a probability in (0, 1]
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{name} is {value!r}, expected a probability")
    number = float(value)
    low_ok = number > 0 if open_low else number >= 0
    if not (low_ok and number <= 1):
        interval = "(0, 1]" if open_low else "[0, 1]"
        raise ValueError(f"{name} is {value!r}, expected a probability in {interval}")
    return number


def parse_scaling_factors(value: str | float | Iterable[float]) -> np.ndarray:
    """Validate scaling factors (or parse ``"start:stop:step"``, stop inclusive).

    Returns them sorted ascending.

    Raises
    ------
    ValueError
        For an empty grid, non-positive or non-finite values, or duplicates.

    Examples
    --------
    >>> from spikewidgets import parse_scaling_factors
    >>> parse_scaling_factors("20:40:5")
    array([20., 25., 30., 35., 40.])
    >>> parse_scaling_factors([30, 20.5])
    array([20.5, 30. ])
    >>> parse_scaling_factors([0, 10])
    Traceback (most recent call last):
    ...
    ValueError: scaling_factors contains [0.0], expected finite positive values
    """
    if isinstance(value, str):
        parts = value.split(":")
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise ValueError(
                f"scaling_factors is {value!r}, expected numbers or 'start:stop:step'"
            ) from None
        if len(parts) == 1:
            factors = np.array(numbers)
        elif len(parts) == 3 and numbers[2] > 0 and numbers[1] >= numbers[0]:
            start, stop, step = numbers
            count = math.floor((stop - start) / step + 1e-9) + 1
            factors = start + step * np.arange(count)
        else:
            raise ValueError(
                f"scaling_factors is {value!r}, expected 'start:stop:step' with "
                "start <= stop and step > 0"
            )
    else:
        factors = np.atleast_1d(np.asarray(value, dtype=np.float64)).ravel()
    if factors.size == 0:
        raise ValueError("scaling_factors is empty, expected at least one positive value")
    bad = factors[~np.isfinite(factors) | (factors <= 0)]
    if bad.size:
        raise ValueError(
            f"scaling_factors contains {bad.tolist()}, expected finite positive values"
        )
    factors = np.sort(factors)
    if np.any(np.diff(factors) == 0):
        raise ValueError(f"scaling_factors has duplicates: {factors.tolist()}")
    return factors
