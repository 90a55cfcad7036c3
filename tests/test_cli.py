"""The command line: output, exit codes and one-line messages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import xarray as xr

from spikewidgets import __version__
from spikewidgets.cli import EXIT_BAD_INPUT, EXIT_NOT_SAVED, main
from spikewidgets.modelfile import read_raw

SHORT = json.dumps({"T": 41, "stim_on": 5, "stim_dur": 10, "resp_start": 20})


def test_search_prints_table_saves_and_exports(write_model, tmp_path, capsys):
    path = write_model()
    out = tmp_path / "result.nc"
    code = main(["search", str(path), "--trials", "6", "--scaling-factors", "1:3:1",
                 "--seed", "2", "--settings", SHORT, "--out", str(out), "--quiet"])
    assert code == 0
    printed = capsys.readouterr()
    assert "scaling factor" in printed.out and "<- optimum" in printed.out
    assert "optimal scaling factor" in printed.out
    assert "Traceback" not in printed.err
    with xr.open_dataset(out) as ds:
        assert ds.sizes["scaling_factor"] == 3 and ds.attrs["task"] == "go_nogo"
        assert read_raw(path)["opt_scaling_factor"][0, 0] == float(ds.opt_scaling_factor)


def test_no_save_leaves_the_model_alone(write_model, capsys):
    path = write_model()
    before = path.read_bytes()
    assert main(["search", str(path), "--task", "go-nogo", "--trials", "2",
                 "--scaling-factors", "1,2", "--settings", SHORT, "--no-save",
                 "--quiet"]) == 0
    assert path.read_bytes() == before


@pytest.mark.parametrize(("arguments", "fragment"), [
    (["--task", "go_nogo"], "does not exist"),
    (["--task", "xor"], "'xor' has 2 input(s)"),
    (["--trials", "0"], "n_trials is 0"),
    (["--scaling-factors", "5:1:1"], "start <= stop"),
    (["--scaling-factors", "0,1"], "expected finite positive values"),
    (["--scaling-factors", "a,b"], "expected numbers"),
    (["--settings", "{bad"], "not valid JSON"),
    (["--settings", '{"colour": 1}'], "unknown key 'colour'"),
    (["--task", "juggling"], "task_name is 'juggling'"),
])
def test_bad_input_gives_one_line_and_exit_2(write_model, capsys, arguments, fragment):
    path = write_model()
    if "does not exist" in fragment:
        path = path.with_name("absent.mat")
    assert main(["search", str(path), *arguments, "--quiet"]) == EXIT_BAD_INPUT
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and fragment in error[0], error


def test_unwritable_model_exits_3_with_results(write_model, capsys, monkeypatch):
    import spikewidgets.plan as search

    def refuse(*args, **kwargs):
        from spikewidgets.modelfile import ModelWriteError
        raise ModelWriteError("could not write search results into x: Read-only file system; "
                              "the file is unchanged")

    monkeypatch.setattr(search, "write_search_results", refuse)
    path = write_model()
    code = main(["search", str(path), "--trials", "2", "--scaling-factors", "1,2",
                 "--settings", SHORT, "--quiet"])
    printed = capsys.readouterr()
    assert code == EXIT_NOT_SAVED
    assert "optimal scaling factor" in printed.out and "Read-only" in printed.err


def test_version_help_and_no_traceback_in_a_real_process(tmp_path):
    run = [sys.executable, "-m", "spikewidgets.cli"]
    version = subprocess.run([*run, "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and __version__ in version.stdout
    helped = subprocess.run([*run, "search", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "--scaling-factors" in helped.stdout
    missing = subprocess.run([*run, "search", str(tmp_path / "no.mat")], capture_output=True,
                             text=True)
    assert missing.returncode == EXIT_BAD_INPUT
    assert "Traceback" not in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
