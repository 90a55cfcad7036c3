"""A write-back killed mid-write leaves its temporary file; the next write-back removes it.

A child process writes search results into a large model and is killed with
SIGKILL while its temporary file exists (it stops just before renaming it over
the model, so the moment is certain). The next write-back to the same model
removes that leftover, and only leftovers of its own: files of other programs,
of other models, of other machines and of running processes stay.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from conftest import skip_or_fail

from spikewidgets.io import load_model, random_model_arrays, read_raw, write_search_results
from spikewidgets.io._atomic import _host

#: Writes results into the model, and stops (forever) when the temporary file is complete.
CHILD = textwrap.dedent("""
    import os, sys, time
    from spikewidgets.io import write_search_results

    def stop_before_renaming(source, target):
        print(source, flush=True)
        time.sleep(600)

    os.replace = stop_before_renaming
    write_search_results(sys.argv[1], 40.0, [0.5, 0.7], [30.0, 40.0])
""")


def _killed_mid_write(path: Path) -> Path:
    """Run CHILD on ``path``, kill it with SIGKILL while its temporary file exists; return it."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        temporary = Path(child.stdout.readline().strip())
        if not temporary.name:  # the child ended without writing
            pytest.fail(f"the writing process failed: {child.stderr.read()}")
        assert temporary.exists() and temporary.parent == path.parent
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    return temporary


def _lookalikes(path: Path, dead: int, alive: int) -> list[Path]:
    """Files a write-back to ``path`` must leave alone, though their names are close."""
    name, host = path.name, _host()
    names = [f".{name}.swp", f".{name}.tmp", f".{name}.abcd1234.tmp", f"{name}.tmp",
             f".{name}.spikewidgets-{dead}.tmp",  # not the full pattern
             f".{name}.spikewidgets-{dead}-{host}-0123abcd.tmp.bak",
             f"{name}.spikewidgets-{dead}-{host}-0123abcd.tmp",  # not hidden
             f".other.mat.spikewidgets-{dead}-{host}-0123abcd.tmp",  # another model's
             f".{name}.spikewidgets-{dead}-{'0' * 8 if host != '0' * 8 else '1' * 8}-0123abcd.tmp",
             f".{name}.spikewidgets-{alive}-{host}-0123abcd.tmp"]  # a running process's
    paths = [path.parent / each for each in names]
    for each in paths:
        each.write_bytes(b"not ours to remove")
    return paths


def test_the_next_write_back_removes_the_leftover_of_a_killed_one(tmp_path):
    path = tmp_path / "model.mat"
    arrays = random_model_arrays(700, 2, seed=3)  # 700 x 700 weights: an 8 MB file
    arrays["custom"] = np.arange(5, dtype=np.int16)
    scipy.io.savemat(path, arrays)
    before, original = read_raw(path), path.read_bytes()
    leftover = _killed_mid_write(path)
    assert leftover.exists() and leftover.stat().st_size > 1_000_000
    assert path.read_bytes() == original  # the killed write never touched the model
    sleeper = subprocess.Popen(["sleep", "300"])
    try:
        lookalikes = _lookalikes(path, dead=_dead_pid(), alive=sleeper.pid)
        write_search_results(path, 35.0, [0.6, 0.9, 0.8], [30.0, 35.0, 40.0])
        assert not leftover.exists()
        assert all(each.exists() for each in lookalikes), [p.name for p in lookalikes]
        assert sorted(tmp_path.iterdir()) == sorted([path, *lookalikes])
    finally:
        sleeper.kill()
        sleeper.wait()
    after = read_raw(path)
    assert after["opt_scaling_factor"][0, 0] == 35.0 and after["all_perfs"].shape == (3, 1)
    for key in set(before) - {"opt_scaling_factor", "all_perfs", "scaling_factors"}:
        assert after[key].dtype == before[key].dtype and np.array_equal(after[key], before[key])
    assert load_model(path).n_units == 700


def _dead_pid() -> int:
    """The id of a process that has ended (and been waited for)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_leftover_that_cannot_be_removed_does_not_stop_the_write_back(tmp_path):
    path = tmp_path / "model.mat"
    scipy.io.savemat(path, random_model_arrays(20, 1, seed=4))
    leftover = _killed_mid_write(path)
    if subprocess.run(["chattr", "+i", str(leftover)], capture_output=True).returncode:
        skip_or_fail("chattr +i is not supported on this file system")
    try:
        write_search_results(path, 20.0, [0.9], [20.0])
        assert leftover.exists()  # immutable: left, and the write-back went on
    finally:
        subprocess.run(["chattr", "-i", str(leftover)], check=True)
    assert load_model(path).opt_scaling_factor == 20.0
    write_search_results(path, 25.0, [0.9], [25.0])  # removable again: removed
    assert not leftover.exists() and [p.name for p in tmp_path.iterdir()] == ["model.mat"]


def test_each_write_back_removes_the_leftover_of_the_one_killed_before(tmp_path):
    path = tmp_path / "model.mat"
    scipy.io.savemat(path, random_model_arrays(30, 1, seed=5))
    leftovers = [_killed_mid_write(path) for _ in range(3)]
    assert len({each.name for each in leftovers}) == 3  # three processes, three names
    assert [each.exists() for each in leftovers] == [False, False, True]
    write_search_results(path, 30.0, [0.8], [30.0])
    assert [p.name for p in tmp_path.iterdir()] == ["model.mat"]
