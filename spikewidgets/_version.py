"""The installed version of spikewidgets, read from the package metadata."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    #: The installed version (``"0+unknown"`` in a source tree that is not installed).
    __version__ = version("spikewidgets")
except PackageNotFoundError:  # pragma: no cover - run from a source tree without installing
    __version__ = "0+unknown"
