"""The command line: output, exit codes, one-line messages naming flags, tables, help."""

from __future__ import annotations

import argparse
import doctest
import importlib
import inspect
import json
import os
import re
import subprocess
import sys

import pytest
import xarray as xr

from spikewidgets import __version__
from spikewidgets.cli import build_parser, main
from spikewidgets.cli._common import (
    DEFAULT_SCALING_FACTORS,
    DEFAULT_SEED,
    DEFAULT_TRIALS,
    EXIT_BAD_INPUT,
    EXIT_NOT_SAVED,
)
from spikewidgets.io import read_raw

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


#: Names of the Python functions' arguments, which no message of the command line may use.
PYTHON_NAMES = re.compile(r"\b(n_trials|task_name|scaling_factors|task_settings|n_workers|"
                          r"model_path|models|n_units|p_inh|p_rec|n_som)\b")


@pytest.mark.parametrize(("arguments", "fragment"), [
    (["--task", "go_nogo"], "does not exist"),
    (["--task", "xor"], "'xor' has 2 inputs"),
    (["--trials", "0"], "--trials is 0, expected a positive integer"),
    (["--scaling-factors", "5:1:1"], "--scaling-factors is '5:1:1'"),
    (["--scaling-factors", "0,1"], "--scaling-factors contains [0.0]"),
    (["--scaling-factors", "2,2"], "--scaling-factors has duplicates"),
    (["--scaling-factors", "a,b"], "--scaling-factors is 'a,b', expected numbers"),
    (["--settings", "{bad"], "--settings is not valid JSON"),
    (["--settings", '{"colour": 1}'], "--settings has unknown key 'colour'"),
    (["--settings", '{"T": 0}'], "--settings 'T' is 0"),
    (["--T", "0"], "--settings 'T' is 0"),
    (["--task", "juggling"], "--task is 'juggling'"),
    (["--workers", "0"], "--workers is 0"),
    (["--seed", "-1"], "--seed is -1, expected a non-negative integer"),
])
def test_bad_input_gives_one_line_naming_the_flag_and_exit_2(write_model, capsys, arguments,
                                                             fragment):
    path = write_model()
    if "does not exist" in fragment:
        path = path.with_name("absent.mat")
    assert main(["search", str(path), *arguments, "--quiet"]) == EXIT_BAD_INPUT
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and fragment in error[0], error
    assert not PYTHON_NAMES.search(error[0]), error
    assert not error[0].endswith("or None"), error


@pytest.mark.parametrize(("command", "fragment"), [
    (["search", "{folder}/*.none", "--task", "go_nogo"], "MODEL is '"),
    (["perturb", "{model}", "--preset", "ei_dec", "--trials", "0"], "--trials is 0"),
    (["perturb", "{model}", "--preset", "ei_dec", "--workers", "0", "--scaling-factors", "1"],
     "--workers is 0"),
    (["perturb", "{model}", "--preset", "ei_dec", "--scaling-factors", "0"],
     "--scaling-factors contains [0.0]"),
    (["perturb", "{model}", "--preset", "ei_dec", "--task", "juggling",
      "--scaling-factors", "1"], "--task is 'juggling'"),
    (["perturb", "{model}", "--preset", "ei_dec"],
     "run spikewidgets search on it first, or pass --scaling-factors"),
    (["perturb", "{model}", "--preset", "ei_dec", "--scaling-factors", "1", "--seed", "-2"],
     "--seed is -2"),
    (["train", "--task", "go_nogo", "--N", "1", "--no-progress"], "--N is 1"),
    (["train", "--task", "juggling", "--no-progress"], "--task is 'juggling'"),
])
def test_every_command_names_flags_in_its_messages(write_model, capsys, command, fragment):
    if command[0] == "train":
        pytest.importorskip("jax")  # without it, train says which extra to install instead
    model = write_model()
    filled = [part.format(model=model, folder=model.parent) for part in command]
    assert main([*filled, "--quiet"] if command[0] != "train" else filled) == EXIT_BAD_INPUT
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and fragment in error[0], error
    assert not PYTHON_NAMES.search(error[0].replace(str(model.parent), "")), error


def _one_error_line(capsys) -> str:
    error = capsys.readouterr().err.splitlines()
    assert len(error) == 1 and "usage:" not in error[0] and "Traceback" not in error[0], error
    return error[0]


#: Arguments that each subcommand needs before the flag under test.
BEFORE = {"search": ["m.mat"], "perturb": ["m.mat"], "train": ["--task", "go_nogo"],
          "example": ["go_nogo"]}


def _bad_values(action: argparse.Action) -> list[tuple[str, str]]:
    """(value, what the message must say) for a flag whose values argparse checks."""
    from spikewidgets.cli import _parsing as parsing

    kind = getattr(action.type, "__name__", "")
    if kind in ("positive_integer", "non_negative_integer", "integer"):
        expected = {"positive_integer": "a positive integer", "integer": "an integer",
                    "non_negative_integer": "a non-negative integer"}[kind]
        bad = [("2.5", f"is '2.5', expected {expected}"), ("ten", f"is 'ten', expected {expected}")]
        return bad + ([("-3", f"is -3, expected {expected}")] if kind != "integer" else [])
    if action.type is parsing.number:
        return [("abc", "is 'abc', expected a finite number"),
                ("inf", "is 'inf', expected a finite number")]
    if action.choices is not None:
        return [("bogus", "is 'bogus', expected one of ")]
    return []


def test_every_flag_of_every_subcommand_gets_one_line_naming_it(capsys):
    checked = 0
    for name, sub in _subcommands().items():
        assert main([name, *BEFORE[name], "--bogus"]) == EXIT_BAD_INPUT
        assert _one_error_line(capsys) == (f"spikewidgets {name}: error: --bogus is not a flag of "
                                           f"spikewidgets {name} (see spikewidgets {name} --help)")
        for action in sub._actions:
            if not action.option_strings or action.nargs in (0, "?"):
                continue
            needs = {None: "a value", "+": "at least one value", 3: "3 values"}[action.nargs]
            for flag in action.option_strings:
                assert main([name, *BEFORE[name], flag]) == EXIT_BAD_INPUT, flag
                line = _one_error_line(capsys)
                assert line == f"spikewidgets {name}: error: {flag} needs {needs}", line
                for value, said in _bad_values(action):
                    assert main([name, *BEFORE[name], flag, value]) == EXIT_BAD_INPUT, flag
                    line = _one_error_line(capsys)
                    assert line.startswith(f"spikewidgets {name}: error: {flag} {said}"), line
                    checked += 1
    assert checked >= 40  # every integer, number and choice flag, in each spelling


@pytest.mark.parametrize("command", ["search", "perturb"])
def test_a_missing_or_foreign_model_file_gets_one_line_naming_it(tmp_path, capsys, command):
    extra = ["--preset", "ei_dec", "--scaling-factors", "1"] if command == "perturb" else []
    absent = tmp_path / "absent.mat"
    assert main([command, str(absent), *extra, "--quiet"]) == EXIT_BAD_INPUT
    assert f"{absent} does not exist" in _one_error_line(capsys)
    notes = tmp_path / "notes.mat"
    notes.write_text("my notes on the model: N = 200, delay 30 steps\n")  # 48 bytes
    assert main([command, str(notes), *extra, "--quiet"]) == EXIT_BAD_INPUT
    line = _one_error_line(capsys)
    assert line.startswith(f"spikewidgets {command}: error: {notes}: not a readable MATLAB "
                           "model file (no MAT-file header; the file starts with b'my notes"), line


def test_bad_values_in_a_real_process_are_one_line_without_traceback(tmp_path):
    notes = tmp_path / "notes.mat"
    notes.write_text("shopping list: eggs, flour\n")
    run = [sys.executable, "-m", "spikewidgets.cli", "search", str(notes)]
    for extra, said in ((["--trials", "2.5"], "--trials is '2.5', expected a positive integer"),
                        ([], f"{notes}: not a readable MATLAB model file")):
        done = subprocess.run([*run, *extra], capture_output=True, text=True)
        assert done.returncode == EXIT_BAD_INPUT and done.stdout == ""
        assert done.stderr.count("\n") == 1 and said in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_unwritable_model_exits_3_with_results(write_model, capsys, monkeypatch):
    from spikewidgets.errors import ModelWriteError
    from spikewidgets.io import write_search_results

    def refuse(*args, **kwargs):
        raise ModelWriteError("could not write search results into x: Read-only file system; "
                              "the file is unchanged")

    # Wherever the package imported the writer from spikewidgets.io._modelfile.
    users = [module for name, module in list(sys.modules.items()) if name.startswith(
        "spikewidgets") and getattr(module, "write_search_results", None) is write_search_results]
    assert users
    for module in users:
        monkeypatch.setattr(module, "write_search_results", refuse)
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


# ------------------------------------------------------------------ tables


def _columns(line: str) -> list[tuple[int, int]]:
    """(start, end) of each cell: cells are separated by two spaces or more."""
    return [match.span() for match in re.finditer(r"\S+(?: \S+)*", line)]


def _assert_lined_up(lines: list[str]) -> None:
    """Every column of a table starts (text) or ends (numbers) at one place on every line."""
    header = _columns(lines[0])
    assert len(lines) > 1 and len(header) >= 3, lines
    for column, (start, end) in enumerate(header):
        cells = [_columns(line)[column] for line in lines[1:] if len(_columns(line)) > column]
        assert cells, (column, lines)
        assert all(cell[0] == start for cell in cells) or all(cell[1] == end for cell in cells), (
            f"column {column} ({lines[0][start:end]!r}) is not lined up:\n" + "\n".join(lines))


def _table(out: str, first: str) -> list[str]:
    lines = out.splitlines()
    begin = next(i for i, line in enumerate(lines) if line.lstrip().startswith(first))
    end = next((i for i in range(begin + 1, len(lines))
                if not lines[i].strip() or lines[i].startswith(("optimal", "warning"))
                or re.match(r"^\d+ of \d+ ", lines[i])), len(lines))
    return lines[begin:end]


def test_the_search_table_lines_up_and_marks_the_ties(write_model, capsys):
    path = write_model()
    assert main(["search", str(path), "--trials", "6", "--scaling-factors", "0.5,1,2,4,8",
                 "--settings", SHORT, "--no-save", "--quiet"]) == 0
    out = capsys.readouterr().out
    table = _table(out, "scaling factor")
    assert len(table) == 6
    _assert_lined_up(table)
    assert table[0].split("  ")[0] == "scaling factor"
    assert "95% interval" in table[0] and "rate (Hz)" in table[0]
    ds_line = [line for line in table if "<- optimum" in line]
    assert len(ds_line) == 1
    tied = [line for line in table if line.endswith("tied")]
    if tied:  # the factors tied with the optimum, named under the table
        assert " tie at accuracy " in out and "the smallest wins" in out


def test_the_perturb_and_many_model_tables_line_up(write_model, capsys, tmp_path):
    path = write_model(n_units=30)
    assert main(["perturb", str(path), "--preset", "ei_dec", "--lesion", "0:0.2:0.1",
                 "--scaling-factors", "1,2", "--trials", "3", "--settings", SHORT,
                 "--quiet"]) == 0
    table = _table(capsys.readouterr().out, "perturbation")
    assert len(table) == 1 + 5 * 2  # none, ei_dec, lesion 0, 0.1 and 0.2; two factors
    _assert_lined_up(table)
    (tmp_path / "folder").mkdir()
    for index in range(2):
        write_model(f"folder/a_much_longer_model_name_than_forty_characters_{index}.mat")
    (tmp_path / "folder" / "broken.mat").write_bytes(b"not a model")
    code = main(["search", str(tmp_path / "folder" / "*.mat"), "--task", "go_nogo",
                 "--trials", "2", "--scaling-factors", "1,2", "--settings", SHORT,
                 "--no-save", "--quiet", "--workers", "1"])
    assert code == 4
    table = _table(capsys.readouterr().out, "model")
    assert len(table) == 4
    _assert_lined_up(table)


# ------------------------------------------------------------------ help and defaults


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    return dict(parser._subparsers._group_actions[0].choices)  # argparse keeps them private


def test_help_gives_the_default_of_every_option():
    for name, sub in _subcommands().items():
        for action in sub._actions:
            if not action.option_strings or action.nargs == 0 or action.required:
                continue  # switches, positionals and required options have no default
            text = (action.help or "") % {**vars(action), "prog": sub.prog}
            assert "(default: " in text, f"spikewidgets {name} {action.option_strings[0]}"
            if "%(default)s" in (action.help or ""):
                assert f"(default: {action.default})" in text


def test_the_help_shows_the_defaults_in_a_real_process():
    run = [sys.executable, "-m", "spikewidgets.cli"]
    helped = subprocess.run([*run, "search", "--help"], capture_output=True, text=True,
                            env={**os.environ, "COLUMNS": "200"})
    assert helped.returncode == 0
    assert f"(default: {DEFAULT_TRIALS})" in helped.stdout
    assert f"(default: {DEFAULT_SCALING_FACTORS})" in helped.stdout
    assert f"(default: {DEFAULT_SEED})" in helped.stdout


def test_search_defaults_are_the_panels_and_readmes():
    args = build_parser().parse_args(["search", "m.mat"])
    perturbing = build_parser().parse_args(["perturb", "m.mat"])
    assert (args.trials, args.scaling_factors, args.seed) == (100, "10:65:5", 0)
    assert (perturbing.trials, perturbing.seed) == (100, 0)
    run_controls = importlib.import_module("spikewidgets.panel._run_controls")
    start, stop, step = inspect.signature(run_controls.RunControls).parameters[
        "scaling_factors"].default
    assert f"{start:g}:{stop:g}:{step:g}" == args.scaling_factors
    assert inspect.signature(run_controls.RunControls).parameters["seed"].default == args.seed


# ------------------------------------------------------------------ the examples of the docstrings

CLI_MODULES = ["spikewidgets.cli", "spikewidgets.cli._common", "spikewidgets.cli._search",
               "spikewidgets.cli._perturb", "spikewidgets.cli._train", "spikewidgets.cli._parsing"]


@pytest.mark.parametrize("module_name", CLI_MODULES)
def test_every_public_function_has_examples_that_run(module_name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples copy the bundled model into "."
    module = importlib.import_module(module_name)
    functions = [name for name in module.__all__ if inspect.isfunction(getattr(module, name))]
    assert functions
    for name in functions:
        doc = inspect.getdoc(getattr(module, name)) or ""
        assert "Examples\n--------\n" in doc and ">>> " in doc, f"{name} has no Examples"
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= len(functions)


def test_adaptive_and_robust_searches_from_the_command_line(tmp_path, capsys):
    from spikewidgets.io import example_model

    path = example_model("go_nogo", tmp_path)
    out = tmp_path / "adaptive.nc"
    assert main(["search", str(path), "--trials", "30", "--scaling-factors", "5:60:5",
                 "--adaptive", "--no-save", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    ds = xr.load_dataset(out)
    assert ds.attrs["adaptive"] == "fixed_budget"
    assert f"{ds.attrs['adaptive_simulations']} of 360 simulations" in printed
    table = _table(printed, "scaling factor")
    _assert_lined_up(table)
    assert table[0].split()[-1] == "trials"
    left = [line for line in table if "left after round" in line]
    assert len(left) == int((ds.left_in_round >= 0).sum()) > 0
    assert main(["search", str(path), "--trials", "20", "--scaling-factors", "5:60:5",
                 "--adaptive", "race", "--optimum", "robust", "--no-save", "--quiet",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    ds = xr.load_dataset(out)
    assert ds.attrs["adaptive"] == "race" and ds.attrs["optimum_rule"] == "robust"
    assert "statistically tied with the best" in printed
    assert main(["search", str(path), "--adaptive", "halving", "--quiet"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == (
        "spikewidgets search: error: --adaptive is 'halving', expected one of fixed_budget, race\n")
