"""What the commands share: exit codes and parsing of common options."""

from __future__ import annotations

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_SAVED",
    "EXIT_SOME_MODELS_FAILED",
    "connect_executor",
    "parse_factors",
    "read_settings",
]

#: Exit code for bad input (a one-line message naming the flag, no traceback).
EXIT_BAD_INPUT = 2
#: Exit code when results were computed but a model file could not be updated.
EXIT_NOT_SAVED = 3
#: Exit code when some of several models could not be searched (the others were).
EXIT_SOME_MODELS_FAILED = 4
#: Exit code of an interrupted command.
EXIT_INTERRUPTED = 130


def parse_factors(text: str, flag: str = "--scaling-factors"):
    """Scaling factors from ``start:stop:step`` or a comma-separated list."""
    from ..validation import parse_scaling_factors

    if "," in text:
        try:
            return parse_scaling_factors([float(part) for part in text.split(",") if part])
        except ValueError as error:
            if "could not convert" in str(error):
                raise ValueError(f"{flag} is {text!r}, expected numbers") from None
            raise
    return parse_scaling_factors(text)


def connect_executor(address: str | None):
    """A Dask client and its executor for ``--scheduler`` (``(None, None)`` without one)."""
    if address is None:
        return None, None
    try:
        from distributed import Client
    except ImportError:
        raise ValueError('--scheduler needs Dask: pip install "spikewidgets[dask]"') from None
    try:
        client = Client(address, timeout=10)
    except (OSError, TimeoutError) as error:
        raise ValueError(f"--scheduler {address}: cannot connect ({error})") from None
    return client, client.get_executor()


def read_settings(text: str | None):
    """Task settings from the JSON of ``--settings``."""
    import json

    if not text:
        return None
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--settings is not valid JSON ({error.msg})") from None
    if not isinstance(settings, dict):
        raise ValueError(f"--settings is {text!r}, expected a JSON object")
    return settings
