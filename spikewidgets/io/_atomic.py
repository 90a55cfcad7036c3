"""Writing files so that they are either complete or untouched.

Every file spikewidgets writes (model files, netCDF results and stores,
trained models) goes through :func:`atomic_write`: the content is written to
a temporary file in the target's folder, flushed to disk (``fsync``), given
the target's permissions, and renamed over the target. A failure at any point
leaves the target as it was and removes the temporary file.

A process killed in the middle of a write (``kill -9``, a crash, a power cut)
cannot remove its temporary file. Its name, ``.{target}.spikewidgets-{pid}-{host}-{random}.tmp``,
says which target, process and machine it belongs to, and the next write to the
same target removes those whose process is gone. Nothing else is touched: not
another target's, not another machine's, not a running process's, and no file
of another program (``.model.mat.swp``, ``.model.mat.tmp``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import socket
from collections.abc import Callable
from pathlib import Path

import xarray as xr

__all__ = ["atomic_write", "write_netcdf"]


def _host() -> str:
    """8 hex digits naming this machine, so that leftovers on a shared disk stay apart."""
    return hashlib.blake2s(socket.gethostname().encode(), digest_size=4).hexdigest()


def _temporary_name(target: Path) -> str:
    return f".{target.name}.spikewidgets-{os.getpid()}-{_host()}-{secrets.token_hex(4)}.tmp"


def _create_temporary(target: Path) -> str:
    """A new empty file beside ``target``, named after it, this process and this machine."""
    while True:
        temporary = target.parent / _temporary_name(target)
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        os.close(descriptor)
        return str(temporary)


def _process_gone(pid: int) -> bool:
    """Whether no process ``pid`` runs on this machine (never judged so on Windows)."""
    if os.name == "nt" or pid == os.getpid():  # on Windows, os.kill would end the process
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):  # PermissionError: another user's process, alive
        return False
    return False


def _remove_leftovers(target: Path) -> list[Path]:
    """Remove the temporary files of writes to ``target`` whose process was killed."""
    prefix = f".{target.name}.spikewidgets-"
    own = re.compile(rf"{re.escape(prefix)}(?P<pid>[1-9][0-9]{{0,9}})-{_host()}-[0-9a-f]{{8}}\.tmp")
    removed = []
    with contextlib.suppress(OSError), os.scandir(target.parent) as entries:
        for entry in entries:
            match = own.fullmatch(entry.name) if entry.name.startswith(prefix) else None
            if match and entry.is_file(follow_symlinks=False) and _process_gone(int(match["pid"])):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


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

    Notes
    -----
    Before writing, it removes the temporary files that writes to the same
    target left when their process was killed (see the module's notes).

    Examples
    --------
    >>> from pathlib import Path
    >>> from spikewidgets.io._atomic import atomic_write
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
    _remove_leftovers(target)
    temporary = _create_temporary(target)
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
    >>> from spikewidgets.io._atomic import write_netcdf
    >>> ds = xr.Dataset({"accuracy": ("scaling_factor", [0.55, 0.95])},
    ...                 coords={"scaling_factor": [20.0, 30.0]})
    >>> path = write_netcdf(ds, "search.nc")
    >>> xr.load_dataset(path).accuracy.values.tolist()
    [0.55, 0.95]
    """
    return atomic_write(path, dataset.to_netcdf)
