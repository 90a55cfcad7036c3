"""Any file that is not a rate model gets ModelFileError naming it: no other exception, no crash.

Property tests (hypothesis) feed load_model random bytes, random text and genuine
MAT-file headers (v5, v7.3/HDF5) followed by junk or by randomly built elements;
a deterministic list of a few hundred generated foreign files is checked in a
loop; files that make scipy itself crash are read in a child process.
"""

from __future__ import annotations

import io
import random
import struct
import subprocess
import sys
import textwrap
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

from spikewidgets.errors import ModelFileError
from spikewidgets.io import RateModel, load_model, random_model_arrays
from spikewidgets.io._modelfile import REQUIRED_KEYS

#: Reproducible in CI (the same examples every run), no example database left behind.
PROPERTY = settings(max_examples=250, deadline=None, derandomize=True, database=None)
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def mat_header(version: bytes = b"\x00\x01", endian: bytes = b"IM") -> bytes:
    """A 128-byte MAT-file header: text, subsystem offset, version and endian indicator."""
    major = "7.3" if version in (b"\x00\x02", b"\x02\x00") else "5.0"
    text = f"MATLAB {major} MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024"
    ordered = version if endian == b"IM" else version[::-1]
    return text.encode().ljust(116, b" ") + b"\x00" * 8 + ordered + endian


def outcome(path: Path) -> str:
    """``"loaded"`` or ``"refused"``; any other exception propagates and fails the test."""
    try:
        model = load_model(path)
    except ModelFileError as error:
        message = str(error)
        assert str(path) in message and "\n" not in message, message
        return "refused"
    assert isinstance(model, RateModel)
    return "loaded"


# ------------------------------------------------------------------ random MAT-file elements


def _element(code: int, payload: bytes) -> bytes:
    if len(payload) <= 4 and code < 0x10000 and payload:  # a small data element
        return struct.pack("<HH", code, len(payload)) + payload.ljust(4, b"\0")
    return struct.pack("<II", code & 0xFFFFFFFF, len(payload)) + payload + b"\0" * (
        -len(payload) % 8)


def _matrix(kind: int, flags: int, dims: list[int], parts: list[bytes]) -> bytes:
    body = (_element(6, struct.pack("<II", kind | flags << 8, 0))
            + _element(5, struct.pack(f"<{len(dims)}i", *dims)) + _element(1, b"x")
            + b"".join(parts))
    return struct.pack("<II", 14, len(body)) + body


TYPE_CODES = st.one_of(st.integers(0, 20), st.sampled_from([255, 0xC907, 0xFFFF]))
DATA = st.builds(_element, TYPE_CODES, st.binary(max_size=40))
ARRAYS = st.recursive(
    DATA,
    lambda inner: st.builds(_matrix, st.integers(0, 19), st.sampled_from([0, 8, 2, 1]),
                            st.lists(st.integers(-2, 3), min_size=1, max_size=3),
                            st.lists(inner, max_size=3)),
    max_leaves=8)


def _variables(arrays: list[bytes], compress: list[bool]) -> bytes:
    out = b""
    for array, packed in zip(arrays, compress, strict=False):
        if packed:
            array = zlib.compress(array)
            array = struct.pack("<II", 15, len(array)) + array
        out += array
    return out


ELEMENTS = st.builds(_variables, st.lists(ARRAYS, min_size=1, max_size=4),
                     st.lists(st.booleans(), min_size=4, max_size=4))
HEADERS = st.builds(mat_header, st.sampled_from([b"\x00\x01", b"\x00\x02", b"\x01\x00",
                                                 b"\x07\x03"]),
                    st.sampled_from([b"IM", b"MI"]))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("foreign") / "notes.mat"


@PROPERTY
@given(content=st.binary(max_size=4096))
def test_random_bytes_are_refused_by_name(scratch, content):
    scratch.write_bytes(content)
    assert outcome(scratch) == "refused"


@PROPERTY
@given(text=st.text(max_size=4096), encoding=st.sampled_from(["utf-8", "utf-16", "latin-1"]))
def test_random_text_is_refused_by_name(scratch, text, encoding):
    scratch.write_bytes(text.encode(encoding, errors="replace"))
    assert outcome(scratch) == "refused"


@PROPERTY
@given(header=HEADERS, junk=st.binary(max_size=4096))
def test_a_mat_header_followed_by_junk_is_refused_by_name(scratch, header, junk):
    scratch.write_bytes(header + junk)
    assert outcome(scratch) == "refused"


@PROPERTY
@given(header=HEADERS, elements=ELEMENTS)
def test_a_mat_header_followed_by_random_elements_is_refused_by_name(scratch, header, elements):
    scratch.write_bytes(header + elements)
    assert outcome(scratch) == "refused"


@PROPERTY
@given(userblock=st.sampled_from([0, 512]), junk=st.binary(max_size=4096))
def test_an_hdf5_signature_followed_by_junk_is_refused_by_name(scratch, userblock, junk):
    header = mat_header(b"\x00\x02").ljust(userblock, b"\0") if userblock else b""
    scratch.write_bytes(header + HDF5_SIGNATURE + junk)
    assert outcome(scratch) == "refused"


# ------------------------------------------------------------------ a deterministic list

#: Lengths of the junk after each kind's prefix: the edges of the headers, then random.
LENGTHS = [0, 1, 3, 4, 5, 30, 64, 126, 127, 128, 129, 136, 512, 2048, 4095, 4096]
#: PNG, zip, gzip and PDF.
MAGIC_NUMBERS = [b"\x89PNG\r\n\x1a\n", b"PK\x03\x04", b"\x1f\x8b\x08\x00", b"%PDF-1.7\n"]
#: Kinds cut or damaged from a real model, which may still load.
FROM_A_MODEL = ("truncated model", "truncated compressed model", "damaged model",
                "damaged compressed model")


def _model_bytes(compressed: bool) -> bytes:
    buffer = io.BytesIO()
    scipy.io.savemat(buffer, random_model_arrays(6, 1, seed=0), do_compression=compressed)
    return buffer.getvalue()


def foreign_files(per_kind: int = 20, seed: int = 0) -> list[tuple[str, bytes]]:
    """``per_kind`` files of each of 15 kinds, the junk of every length from 0 to 4096."""
    rng = random.Random(seed)
    plain, packed = _model_bytes(False), _model_bytes(True)
    words = ["model", "units", "N", "=", "200", "delay", "notes", "λ", "\n", "0.5", ","]

    def damaged(data: bytes) -> bytes:
        data = bytearray(data)
        for index in rng.sample(range(128, len(data)), k=max(1, len(data) // 100)):
            data[index] = rng.randrange(256)
        return bytes(data)

    makers = {
        "text": lambda n: " ".join(rng.choice(words) for _ in range(n)).encode()[:n],
        "utf-16 text": lambda n: "".join(rng.choice(words) for _ in range(n)).encode("utf-16")[:n],
        "csv": lambda n: "\n".join(",".join(str(rng.random()) for _ in range(4))
                                   for _ in range(n // 60 + 1)).encode()[:n],
        "random bytes": rng.randbytes,
        "zeros": bytes,
        "other formats": lambda n: rng.choice(MAGIC_NUMBERS) + rng.randbytes(n),
        "v5 header + junk": lambda n: (mat_header(endian=rng.choice([b"IM", b"MI"]))
                                       + rng.randbytes(n)),
        "v7.3 header + HDF5 junk": lambda n: (mat_header(b"\x00\x02").ljust(512, b"\0")
                                              + HDF5_SIGNATURE + rng.randbytes(n)),
        "HDF5 signature + junk": lambda n: HDF5_SIGNATURE + rng.randbytes(n),
        "v4 header + junk": lambda n: struct.pack("<5i", 0, rng.randrange(-3, 1 << 31),
                                                  rng.randrange(-3, 1 << 31), 0,
                                                  rng.randrange(40)) + rng.randbytes(n),
        "truncated model": lambda n: plain[:min(n, len(plain) - 1)],
        "truncated compressed model": lambda n: packed[:min(n, len(packed) - 1)],
        "damaged model": lambda n: damaged(plain),
        "damaged compressed model": lambda n: damaged(packed),
        "v5 header + elements": lambda n: mat_header() + _random_elements(rng, n),
    }
    return [(kind, make(LENGTHS[i] if i < len(LENGTHS) else rng.randrange(4097)))
            for kind, make in makers.items() for i in range(per_kind)]


def _random_elements(rng: random.Random, n: int) -> bytes:
    """Arrays of random classes holding elements of random type codes, about n bytes."""
    out = b""
    while len(out) < n:
        parts = [_element(rng.choice([0, 7, 8, 9, 19, 20, 255, 0xC907]), rng.randbytes(16))]
        array = _matrix(rng.randrange(20), rng.choice([0, 8]), [1, rng.randrange(-1, 3)], parts)
        out += array if rng.random() < 0.5 else (
            lambda z: struct.pack("<II", 15, len(z)) + z)(zlib.compress(array))
    return out


def test_hundreds_of_foreign_files_are_refused_by_name(tmp_path):
    files = foreign_files()
    seen, lengths = Counter(), []
    for index, (kind, content) in enumerate(files):
        path = tmp_path / f"{index:03d}.mat"
        path.write_bytes(content)
        result = outcome(path)
        assert result == "refused" or kind in FROM_A_MODEL, (kind, content[:40])
        seen[kind, result] += 1
        lengths.append(len(content))
    assert len(files) >= 200 and len({kind for kind, _ in files}) == 15
    assert min(lengths) == 0 and max(lengths) >= 4096
    refused_from_a_model = sum(seen[kind, "refused"] for kind in FROM_A_MODEL)
    assert refused_from_a_model >= 40, seen  # cut or damaged models are mostly refused


# ------------------------------------------------------------------ files that crash scipy

CHILD = textwrap.dedent("""
    import sys
    from spikewidgets.errors import ModelFileError
    from spikewidgets.io import load_model
    try:
        load_model(sys.argv[1])
    except ModelFileError as error:
        print(f"ModelFileError: {error}")
""")


def _deeply_nested(depth: int) -> bytes:
    """A compressed variable of cells nested ``depth`` deep (built without quadratic copying)."""
    core = _matrix(6, 0, [1, 1], [_element(9, struct.pack("<d", 1.0))])
    head = _matrix(1, 0, [1, 1], [])[8:]  # a cell's flags, dimensions and name
    levels, size = [], len(core)
    for _ in range(depth):
        levels.append(struct.pack("<II", 14, len(head) + size) + head)
        size += 8 + len(head)
    packed = zlib.compress(b"".join(reversed(levels)) + core)
    return mat_header() + struct.pack("<II", 15, len(packed)) + packed


@pytest.mark.parametrize("damage", ["an unknown type code", "cells nested 100000 deep"])
def test_files_that_crash_scipy_are_refused_in_a_real_process(tmp_path, damage):
    path = tmp_path / "damaged.mat"
    if damage == "an unknown type code":  # scipy 1.18 reads a table out of bounds
        data = struct.pack("<II", 0xC907, 8) + struct.pack("<d", 1.0)
        path.write_bytes(mat_header() + _matrix(6, 0, [1, 1], [data]))
    else:  # scipy's recursion overflows the C stack
        path.write_bytes(_deeply_nested(100_000))
    child = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                           text=True, timeout=300)
    assert child.returncode == 0, f"the reader crashed ({child.returncode}): {child.stderr[-800:]}"
    assert child.stdout.startswith(f"ModelFileError: {path}: not a readable MATLAB model file ("), (
        child.stdout)


# ------------------------------------------------------------------ MAT-files of the wrong contents

WRONG_VALUES = {
    "text": "not numbers",
    "a struct": {"a": 1.0},
    "a cell": np.array([1.0, "x"], dtype=object),
    "complex": np.ones((6, 6)) * (1 + 1j),
    "sparse": scipy.sparse.csc_matrix(np.eye(6)),
    "3-D": np.ones((6, 6, 2)),
    "NaN": np.full((6, 6), np.nan),
    "empty": np.zeros((0, 0)),
    "a row of 4": np.ones((1, 4)),
}


@pytest.mark.filterwarnings("ignore:The default value for `spmatrix`:DeprecationWarning")
@pytest.mark.parametrize("compressed", [False, True])
def test_a_mat_file_with_a_missing_or_wrong_key_gets_an_error_naming_it(tmp_path, compressed):
    path = tmp_path / "model.mat"
    tried = 0
    for key in REQUIRED_KEYS:
        for wrong in [None, *WRONG_VALUES]:
            arrays = random_model_arrays(6, 1, seed=0)
            if wrong is None:
                del arrays[key]
            else:
                arrays[key] = WRONG_VALUES[wrong]
            scipy.io.savemat(path, arrays, do_compression=compressed)
            with pytest.raises(ModelFileError) as error:
                load_model(path)
            message = str(error.value)
            assert f"'{key}'" in message and str(path) in message, (key, wrong, message)
            tried += 1
    assert tried == len(REQUIRED_KEYS) * (1 + len(WRONG_VALUES))
