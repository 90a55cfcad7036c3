"""Checking the layout of a MATLAB v5 file before :func:`scipy.io.loadmat` reads it.

scipy's reader trusts the type codes of a file: a numeric or character element
whose code is not one of MATLAB's data types makes it look a table up out of
bounds and crash the interpreter (a segmentation fault, not an exception), and
arrays nested deeply enough overflow the C stack. A damaged model file must get
a message, not end the Jupyter kernel or the command, so
:func:`check_mat5_layout` first walks the file's elements in the order scipy
reads them, skipping their data, and raises ``ValueError`` at the first one
that scipy could not read safely. It reads the tags only (and decompresses
compressed variables), so it costs little next to reading the arrays.
"""

from __future__ import annotations

import os
import struct
import zlib
from typing import BinaryIO

__all__ = ["MAX_NESTING", "check_mat5_layout"]

#: Deepest nesting of cells, structs and objects accepted (model files have none).
MAX_NESTING = 100

_MATRIX, _COMPRESSED = 14, 15
#: Data type codes for which scipy's reader has a dtype (miINT8 ... miUTF32).
_DATA_TYPES = frozenset({1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 16, 17, 18})
_INT8, _INT32, _UINT32, _UTF8 = 1, 5, 6, 16
_CELL, _STRUCT, _OBJECT, _CHAR, _SPARSE, _FUNCTION, _OPAQUE = 1, 2, 3, 4, 5, 16, 17
_NUMERIC = range(6, 16)
_BLOCK = 131072  # compressed bytes that scipy's zlib stream inflates at a time
_MAX_INFLATION = 1032  # the most that deflate expands one byte


class _FileStream:
    """The file itself, read as scipy's plain stream reads it."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.handle, self.size = handle, size

    def read(self, n: int) -> bytes:
        data = self.handle.read(n)
        if len(data) != n:
            raise ValueError("the file ends inside an element")
        return data

    def skip(self, n: int) -> None:
        if self.handle.tell() + n > self.size:
            raise ValueError("the file ends inside an element")
        self.handle.seek(n, os.SEEK_CUR)

    def pad(self, n: int) -> None:
        self.handle.seek(n, os.SEEK_CUR)

    def all_data_read(self) -> bool:
        return True

    def room(self) -> int:
        """At most this many bytes are left to read."""
        return self.size - self.handle.tell()


class _ZlibStream:
    """A compressed variable, inflated block by block exactly as scipy's stream does."""

    def __init__(self, handle: BinaryIO, length: int) -> None:
        self.handle, self.length, self.taken = handle, length, 0
        self.inflate = zlib.decompressobj()
        self.buffer, self.position = b"", 0

    def _fill(self) -> None:
        if self.position < len(self.buffer):
            return
        block = self.handle.read(min(_BLOCK, self.length - self.taken))
        self.taken += len(block)
        self.position = 0
        self.buffer = self.inflate.decompress(block) if block else self.inflate.flush()

    def _advance(self, n: int, keep: bool) -> bytes | int:
        parts, count = [], 0
        while count < n:
            self._fill()
            if not self.buffer:
                break
            size = min(n - count, len(self.buffer) - self.position)
            if keep:
                parts.append(self.buffer[self.position:self.position + size])
            count += size
            self.position += size
        return b"".join(parts) if keep else count

    def read(self, n: int) -> bytes:
        data = self._advance(n, keep=True)
        if len(data) != n:
            raise ValueError("a compressed variable ends inside an element")
        return data

    def skip(self, n: int) -> None:
        if self._advance(n, keep=False) != n:
            raise ValueError("a compressed variable ends inside an element")

    def pad(self, n: int) -> None:
        self._advance(n, keep=False)

    def all_data_read(self) -> bool:
        if self.taken < self.length:
            self._fill()
        return self.taken == self.length and self.position == len(self.buffer)

    def room(self) -> int:
        """At most this many bytes are left to inflate."""
        left = len(self.buffer) - self.position
        return left + (self.length - self.taken + 1) * _MAX_INFLATION


class _Walker:
    """Follows scipy's VarReader5 through one variable, checking what it would trust."""

    def __init__(self, stream: _FileStream | _ZlibStream, order: str) -> None:
        self.stream, self.order = stream, order

    def tag(self) -> tuple[int, int, bytes | None]:
        """Type code, byte count and, for a small data element, its 4 bytes of data."""
        raw = self.stream.read(8)
        code, count = struct.unpack(self.order + "II", raw)
        if code >> 16:
            if code >> 16 > 4:
                raise ValueError("a small data element of more than 4 bytes")
            return code & 0xFFFF, code >> 16, raw[4:]
        return code, count, None

    def element(self) -> tuple[int, int]:
        code, count, small = self.tag()
        if small is None:
            self.stream.skip(count)
            self.stream.pad(-count % 8)
        return code, count

    def data(self) -> None:
        code, _count = self.element()
        if code not in _DATA_TYPES:
            raise ValueError(f"a data element of unknown type {code}")

    def text(self) -> None:
        code, count = self.element()
        if count and code not in _DATA_TYPES:
            raise ValueError(f"text of unknown type {code}")

    def name(self) -> int:
        code, count = self.element()
        if code not in (_INT8, _UTF8):
            raise ValueError(f"a name of type {code}, expected text (miINT8)")
        return count

    def int32s(self, limit: int) -> tuple[int, ...]:
        code, count, small = self.tag()
        if small is None:
            if count > limit:
                raise ValueError(f"{count} bytes of dimensions, expected at most {limit}")
            small = self.stream.read(count)
            self.stream.pad(-count % 8)
        if code not in (_INT32, _UINT32):
            raise ValueError(f"dimensions of type {code}, expected miINT32")
        values = struct.unpack(f"{self.order}{count // 4}i", small[:count // 4 * 4])
        if code == _UINT32 and any(value < 0 for value in values):
            raise ValueError("dimensions beyond the range of miINT32")
        return values

    def room_for(self, n: int) -> None:
        if n * 8 > self.stream.room():  # every array takes an 8-byte tag at least
            raise ValueError(f"{n} arrays declared, more than the file holds")

    def matrix(self, depth: int) -> None:
        code, count = struct.unpack(self.order + "II", self.stream.read(8))
        if code != _MATRIX:
            raise ValueError(f"an element of type {code} where an array (14) belongs")
        if count:
            self.array(depth)

    def array(self, depth: int) -> bool:
        """One array after its tag; whether a compressed variable was used up."""
        if depth > MAX_NESTING:
            raise ValueError(f"arrays nested more than {MAX_NESTING} deep")
        self.stream.read(8)
        (flags,) = struct.unpack(self.order + "I", self.stream.read(8)[:4])
        kind = flags & 0xFF
        if kind == _OPAQUE:
            for _ in range(3):
                self.name()
            self.matrix(depth + 1)
        else:
            dims = self.int32s(128)
            self.name()
            self.contents(kind, flags >> 11 & 1, dims, depth)
        return self.stream.all_data_read()

    def contents(self, kind: int, complex_: int, dims: tuple[int, ...], depth: int) -> None:
        count = 1
        for dim in dims:  # as scipy's size_t product of int32 dimensions
            count = count * (dim % 2**64) % 2**64
        if kind in _NUMERIC or kind == _SPARSE:
            for _ in range((1 + complex_) + (2 if kind == _SPARSE else 0)):
                self.data()
        elif kind == _CHAR:
            self.text()
        elif kind == _CELL:
            self.room_for(count)
            for _ in range(count):
                self.matrix(depth + 1)
        elif kind in (_STRUCT, _OBJECT):
            if kind == _OBJECT:
                self.name()
            self.fields(count, depth)
        elif kind == _FUNCTION:
            self.matrix(depth + 1)
        else:
            raise ValueError(f"an array of unknown class {kind}")

    def fields(self, count: int, depth: int) -> None:
        lengths = self.int32s(4)
        if len(lengths) != 1 or lengths[0] == 0:
            raise ValueError(f"field names of length {list(lengths)}, expected one length")
        n_names = self.name() // lengths[0]
        if n_names > 0:
            self.room_for(count * n_names)
            for _ in range(count * n_names):
                self.matrix(depth + 1)


def check_mat5_layout(path: str | os.PathLike) -> None:
    """Check that :func:`scipy.io.loadmat` can read a MATLAB v5 file without crashing.

    Parameters
    ----------
    path : path-like
        A file whose header says MATLAB v5 (or v7, which is v5 compressed).

    Raises
    ------
    ValueError
        Naming the first element that scipy could not read safely: an unknown
        data type, arrays nested too deeply, more arrays declared than the file
        holds, or a file that ends inside an element.

    Examples
    --------
    >>> import io, scipy.io
    >>> from spikewidgets.io._mat_layout import check_mat5_layout
    >>> scipy.io.savemat("good.mat", {"w": [[1.0, 2.0]]})
    >>> check_mat5_layout("good.mat")  # nothing to say
    >>> data = bytearray(open("good.mat", "rb").read())
    >>> data[-24] = 0xC9  # the type code of the array's data
    >>> _ = open("bad.mat", "wb").write(bytes(data))
    >>> check_mat5_layout("bad.mat")
    Traceback (most recent call last):
    ...
    ValueError: a data element of unknown type 201
    """
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        header = handle.read(128)
        if len(header) < 128:
            raise ValueError(f"{size} bytes, shorter than the 128-byte header of a MAT-file")
        order = "<" if header[126:128] == b"IM" else ">"
        plain = _FileStream(handle, size)
        while handle.read(1):
            handle.seek(-1, os.SEEK_CUR)
            code, count = struct.unpack(order + "II", plain.read(8))
            if count == 0:
                raise ValueError("a variable of 0 bytes")
            following = handle.tell() + count
            stream = _ZlibStream(handle, count) if code == _COMPRESSED else plain
            if code == _COMPRESSED:
                code, _ = struct.unpack(order + "II", stream.read(8))
            if code != _MATRIX:
                raise ValueError(f"a variable of type {code}, expected an array (14)")
            used_up = _Walker(stream, order).array(0)
            if stream is not plain and not used_up:
                raise ValueError("a compressed variable holds more than its array")
            handle.seek(following)
