"""Reading a MATLAB file for a model: whatever the file holds, a variable dict or ModelFileError.

scipy's readers raise many kinds of exception for a file that is not a MAT-file
or is damaged (``IndexError`` for a short text file, ``struct.error``,
``zlib.error``, ``OverflowError`` or ``MemoryError`` for absurd declared sizes,
...), and crash on some damaged v5 files (see ``spikewidgets.io._mat_layout``).
:func:`read_mat_file` checks the layout first and turns each of those
exceptions into one :class:`~spikewidgets.errors.ModelFileError` that
names the file and says why.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np
import scipy.io
from scipy.io.matlab import MatReadError, matfile_version

from spikewidgets.errors import ModelFileError
from spikewidgets.io._mat_layout import check_mat5_layout

__all__ = ["READER_ERRORS", "read_mat_file", "unreadable"]

#: What the MAT-file readers raise for a file they cannot read: scipy's
#: ``MatReadError``, NumPy's and scipy's ``ValueError``, ``TypeError``,
#: ``LookupError`` (``IndexError``, ``KeyError``) and ``AttributeError`` on
#: malformed headers, ``OSError`` and ``EOFError`` for truncated files,
#: ``struct.error`` and ``zlib.error`` for bad binary data, ``UnicodeError``
#: for bad names, ``ArithmeticError`` (``OverflowError``, ``ZeroDivisionError``)
#: and ``MemoryError`` for absurd declared sizes, ``NotImplementedError``, and
#: ``UnboundLocalError`` (scipy's v5 reader, for an array of unknown class).
READER_ERRORS: tuple[type[BaseException], ...] = (
    MatReadError, ValueError, TypeError, LookupError, AttributeError, OSError, EOFError,
    struct.error, zlib.error, UnicodeError, ArithmeticError, MemoryError, NotImplementedError,
    UnboundLocalError,
)


def _reason(path: Path, error: BaseException) -> str:
    """A short reason: the file is empty, has no MAT-file header, or the reader's words."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(128)
    except OSError as problem:
        return problem.strerror or type(problem).__name__
    if not start:
        return "the file is empty"
    if start.startswith(b"MATLAB") and len(start) < 128:
        return f"cut short: {len(start)} bytes, less than the 128-byte header of a MAT-file"
    looks_like_v4 = 0 in start[:4]
    if not looks_like_v4 and (len(start) < 128 or start[126:128] not in (b"IM", b"MI")):
        return f"no MAT-file header; the file starts with {start[:20]!r}"
    text = " ".join(str(error).split()) or type(error).__name__
    if len(text) > 120:
        text = text[:117] + "..."
    if looks_like_v4:  # MATLAB v4 files have no header: a zero byte among the first 4 says so
        return f"not a MAT-file, or damaged MATLAB v4 data: {text}; it starts with {start[:20]!r}"
    return f"damaged MAT-file contents: {text}"


def unreadable(path: str | os.PathLike, error: BaseException) -> ModelFileError:
    """The error for a file the MAT-file readers failed on, naming it and saying why.

    Examples
    --------
    >>> from pathlib import Path
    >>> from spikewidgets.io._mat_reading import unreadable
    >>> _ = Path("notes.mat").write_text("shopping: eggs, milk")
    >>> print(unreadable("notes.mat", IndexError("index out of range")))
    notes.mat: not a readable MATLAB model file (no MAT-file header; the file starts with
    b'shopping: eggs, milk'); expected a .mat file saved by the rate-model trainer
    """
    return ModelFileError(
        f"{path}: not a readable MATLAB model file ({_reason(Path(path), error)}); "
        "expected a .mat file saved by the rate-model trainer"
    )


def read_mat_file(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every variable of a MATLAB v4/v5/v7 file as stored, or ModelFileError.

    The path must name an existing file (the callers say when it does not).

    Raises
    ------
    ModelFileError
        If the file is not a MAT-file, is damaged, or is a MATLAB v7.3 (HDF5)
        file; the message names the file and the reason, and the reader's
        exception is chained to it.

    Examples
    --------
    >>> import scipy.io
    >>> from spikewidgets.io._mat_reading import read_mat_file
    >>> scipy.io.savemat("small.mat", {"w": [[1.0, 2.0]]})
    >>> read_mat_file("small.mat")
    {'w': array([[1., 2.]])}
    >>> data = open("small.mat", "rb").read()
    >>> _ = open("cut.mat", "wb").write(data[:150])
    >>> read_mat_file("cut.mat")
    Traceback (most recent call last):
    ...
    spikewidgets.errors.ModelFileError: cut.mat: not a readable MATLAB model file
    (damaged MAT-file contents: the file ends inside an element); expected a .mat file saved by
    the rate-model trainer
    """
    try:
        with open(path, "rb") as handle:
            major, _minor = matfile_version(handle)
        if major == 2:
            raise ModelFileError(
                f"model file {path} is a MATLAB v7.3 (HDF5) file, which spikewidgets does not "
                "read. Re-save it as a v7 file: in MATLAB, `m = load('old.mat'); "
                "save('new.mat', '-struct', 'm', '-v7')`; the published trainers write v5/v7 "
                "files already"
            )
        if major == 1:
            check_mat5_layout(path)
        raw = scipy.io.loadmat(path)
    except ModelFileError:
        raise
    except READER_ERRORS as error:
        raise unreadable(path, error) from error
    return {key: value for key, value in raw.items() if not key.startswith("__")}
