"""Writing files so that they are either complete or untouched.

Every file spikewidgets writes (model files, netCDF results and stores,
trained models) goes through :func:`atomic_write`: the content is written to
a temporary file in the target's folder, flushed to disk (``fsync``), given
the target's permissions, and renamed over the target. A failure at any point
leaves the target as it was and removes the temporary file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import xarray as xr

__all__ = ["atomic_write", "write_netcdf"]


def _fsync_path(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def atomic_write(
    path: str | os.PathLike,
    write: Callable[[str], None],
    *,
    mode: int | None = None,
) -> Path:
    """Write ``path`` atomically: ``write(temporary_path)``, fsync, then rename.

    Parameters
    ----------
    path : path-like
        The target file.
    write : callable
        Writes the complete content to the temporary path it is given.
    mode : int, optional
        Permissions of the new file. By default those of the file it
        replaces, or 0o644 for a new file.

    Returns
    -------
    Path
        The target path.

    Raises
    ------
    OSError
        If anything fails; the target is then unchanged.

    Examples
    --------
    >>> from pathlib import Path
    >>> from spikewidgets.atomic import atomic_write
    >>> target = atomic_write("notes.txt", lambda temporary: Path(temporary).write_text("v1"))
    >>> target.name, target.read_text()
    ('notes.txt', 'v1')

    A write that fails half-way leaves the file as it was, and no temporary file:

    >>> def fail(temporary):
    ...     Path(temporary).write_text("half of v2")
    ...     raise OSError("disk full")
    >>> atomic_write("notes.txt", fail)
    Traceback (most recent call last):
    ...
    OSError: disk full
    >>> Path("notes.txt").read_text(), list(Path(".").glob(".notes.txt.*"))
    ('v1', [])
    """
    target = Path(os.path.abspath(path))
    if mode is None:
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                             dir=target.parent)
    os.close(descriptor)
    try:
        write(temporary)
        _fsync_path(temporary)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
        with contextlib.suppress(OSError):  # some file systems cannot fsync a folder
            _fsync_path(str(target.parent))
    finally:
        if os.path.exists(temporary):
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    return target


def write_netcdf(dataset: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``dataset`` to a netCDF file atomically; an existing file is replaced whole.

    Examples
    --------
    >>> import xarray as xr
    >>> from spikewidgets.atomic import write_netcdf
    >>> ds = xr.Dataset({"accuracy": ("scaling_factor", [0.55, 0.95])},
    ...                 coords={"scaling_factor": [20.0, 30.0]})
    >>> path = write_netcdf(ds, "search.nc")
    >>> xr.load_dataset(path).accuracy.values.tolist()
    [0.55, 0.95]
    """
    return atomic_write(path, dataset.to_netcdf)
