"""``spikewidgets search``: the scaling-factor search of one model or many."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from spikewidgets.cli._common import (
    DEFAULT_SCALING_FACTORS,
    DEFAULT_SEED,
    DEFAULT_TRIALS,
    EXIT_INTERRUPTED,
    EXIT_NOT_SAVED,
    EXIT_SOME_MODELS_FAILED,
    connect_executor,
    format_table,
    parse_factors,
    read_settings,
)
from spikewidgets.cli._parsing import integer, non_negative_integer, number, positive_integer
from spikewidgets.stats._optimum import TIE_LEVEL
from spikewidgets.tasks._registry import task_names_in_order

__all__ = ["add_arguments", "glob_pattern", "run"]


#: Task settings that may be given one flag each, as in the PyTorch port's script.
SETTING_FLAGS = {"T": integer, "stim_on": integer, "stim_dur": integer, "delay": integer,
                 "resp_start": integer, "eval_amp_thresh": number}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``spikewidgets search`` to ``parser``.

    The PyTorch port's spellings (``--model_dir``, ``--model_path``,
    ``--task_name``, ``--n_trials``, ``--scaling_factors`` and one flag per
    task setting) are accepted too, so that its scripts keep working.

    Examples
    --------
    Without options, 100 trials on each of 12 factors from 10 to 65, seed 0:

    >>> import argparse
    >>> from spikewidgets.cli._search import add_arguments
    >>> parser = argparse.ArgumentParser(prog="spikewidgets search")
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["model.mat"])
    >>> args.trials, args.scaling_factors, args.seed
    (100, '10:65:5', 0)
    >>> parser.parse_args(["--model_path", "model.mat", "--n_trials", "20"]).trials
    20
    """
    parser.add_argument("model", nargs="*",
                        help="trained rate model (.mat); several files or a quoted glob "
                             "pattern such as 'models/**/*.mat' search many models")
    parser.add_argument("--task", "--task_name", dest="task",
                        help=f"one of {', '.join(task_names_in_order())} "
                             "(default: inferred from the model)")
    parser.add_argument("--trials", "--n_trials", dest="trials", type=positive_integer,
                        default=DEFAULT_TRIALS,
                        help="trials per scaling factor (default: %(default)s)")
    parser.add_argument("--scaling-factors", "--scaling_factors", dest="scaling_factors",
                        default=DEFAULT_SCALING_FACTORS,
                        help="grid as start:stop:step (stop inclusive) or a comma-separated "
                             "list (default: %(default)s)")
    parser.add_argument("--seed", type=non_negative_integer, default=DEFAULT_SEED,
                        help="seed of every random draw; the same seed gives the same "
                             "results (default: %(default)s)")
    parser.add_argument("--settings", default=None,
                        help='task settings as JSON, e.g. \'{"eval_amp_thresh": 0.6}\' '
                             "(default: the task's own)")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the Dataset to this netCDF file (default: not written)")
    parser.add_argument("--no-save", action="store_true",
                        help="do not write the optimum into the model file")
    parser.add_argument("--workers", type=positive_integer, default=None,
                        help="threads (default: all cores)")
    parser.add_argument("--unpaired", action="store_true",
                        help="draw independent trials per scaling factor")
    parser.add_argument("--adaptive", nargs="?", const="fixed_budget", default=None,
                        choices=["fixed_budget", "race"],
                        help="spend the trials on the factors that may be the best: "
                             "fixed_budget (alone: --adaptive) uses a third of the grid's "
                             "simulations, race removes a factor only when an exact paired "
                             "test shows it worse (default: the full grid)")
    parser.add_argument("--optimum", choices=["first", "robust"], default="first",
                        help="first: highest accuracy, ties to the smallest factor, as the "
                             "original; robust: middle of the longest run of neighbouring "
                             "factors statistically tied with the best (exact McNemar test) "
                             "(default: %(default)s)")
    parser.add_argument("--compare-rate", action="store_true",
                        help="also run the rate network on every trial and compare its units "
                             "with the spiking ones (r_spk / factor): adds a 'rate corr' "
                             "column, their mean correlation per factor (default: off)")
    parser.add_argument("--store", type=Path, default=None,
                        help="many models: netCDF file of finished models; rerun with the "
                             "same store to resume (default: none)")
    parser.add_argument("--scheduler", default=None,
                        help="address of a Dask scheduler (e.g. tcp://host:8786) to run on; "
                             "needs spikewidgets[dask] (default: this machine's cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    port = parser.add_argument_group(
        "spellings of the PyTorch port's script (python -m spiking.lambda_grid_search)")
    port.add_argument("--model_dir", action="append", default=[], metavar="DIR",
                      help="search every .mat file of DIR (sorted); repeatable (default: none)")
    port.add_argument("--model_path", action="append", default=[], metavar="FILE",
                      help="a model file, as the positional MODEL; repeatable (default: none)")
    for name, kind in SETTING_FLAGS.items():
        port.add_argument(f"--{name}", dest=f"setting_{name}", type=kind, default=None,
                          metavar="INT" if kind is integer else "FLOAT",
                          help=f"task setting {name}, over --settings (default: the task's)")


def _model_paths(args: argparse.Namespace) -> list[Path]:
    from spikewidgets.search._many import model_files_in, resolve_model_paths

    named = list(args.model) + list(args.model_path)
    for folder in args.model_dir:
        named += [str(p) for p in model_files_in(folder, "--model_dir")]
    if not named:
        raise ValueError("no model given: name a .mat file (or --model_dir DIR)")
    return resolve_model_paths(named if len(named) > 1 else named[0])


def _settings(args: argparse.Namespace) -> dict | None:
    settings = dict(read_settings(args.settings) or {})
    for name in SETTING_FLAGS:
        value = getattr(args, f"setting_{name}")
        if value is not None:
            settings[name] = value
    return settings or None


def _search_table(ds) -> str:
    """Accuracy, its 95 % Wilson interval and the mean rate per factor; the optimum marked.

    A search with ``compare_rate`` adds ``rate corr``, the mean over trials of
    ``rate_correlation`` (spiking units against the rate network's).

    Factors of ``tied_with_optimum`` are marked ``tied``: of equal accuracy under the rule
    ``"first"``, statistically tied with the best factor under ``"robust"``.
    """
    optimum = float(ds.opt_scaling_factor)
    adaptive = "n_trials_run" in ds
    compared = "rate_correlation" in ds
    rows = []
    for index, (sf, tied) in enumerate(zip(ds.scaling_factor.values,
                                           ds.tied_with_optimum.values, strict=True)):
        row = ds.isel(scaling_factor=index)
        interval = f"[{float(row.accuracy_ci_low):.3f}, {float(row.accuracy_ci_high):.3f}]"
        note = "<- optimum" if sf == optimum else "tied" if tied else ""
        rate = float(row.mean_rate.mean(skipna=True))
        cells = [f"{sf:g}", f"{float(row.accuracy):.3f}", interval, f"{rate:.1f}"]
        if compared:
            cells.append(f"{float(row.rate_correlation.mean(skipna=True)):.3f}")
        if adaptive:
            left = int(row.left_in_round)
            cells.append(str(int(row.n_trials_run)))
            note = note or (str(row.left_reason.values) if left >= 0 else "")
        rows.append([*cells, note])
    header = ["scaling factor", "accuracy", "95% interval", "rate (Hz)"]
    header += ["rate corr"] if compared else []
    header += ["trials"] if adaptive else []
    return format_table([*header, ""], rows, ">" * len(header) + "<")


def _optimum_line(ds) -> str:
    """The optimum and the paper's lambda; on a second line, the factors tied with it."""
    optimum = float(ds.opt_scaling_factor)
    tied = ds.scaling_factor.values[ds.tied_with_optimum.values]
    line = f"optimal scaling factor: {optimum:g} (paper's lambda = {1 / optimum:.4g})"
    if ds.attrs.get("optimum_rule") == "robust":
        names = ", ".join(f"{factor:g}" for factor in tied)
        line += ("\nthe middle of the longest run of neighbouring factors statistically tied "
                 f"with the best (exact McNemar test, p >= {TIE_LEVEL:g}; tied: {names})")
    elif tied.size > 1 and optimum == tied.min():
        names = [f"{factor:g}" for factor in tied]
        best = float(ds.accuracy.sel(scaling_factor=optimum))
        line += (f"\n{', '.join(names[:-1])} and {names[-1]} tie at accuracy "
                 f"{best:.3f}: the smallest wins, as in the original")
    return line


def _models_table(ds) -> str:
    """The optimum of each model of a many-model search and its accuracy, or its error."""
    rows = []
    for index, name in enumerate(ds.model.values):
        row = ds.isel(model=index)
        error = str(row.error.values)
        if error:
            rows.append([str(name), "-", "-", error])
            continue
        best = float(row.opt_scaling_factor)
        rows.append([str(name), f"{best:g}",
                     f"{float(row.accuracy.sel(scaling_factor=best)):.3f}", ""])
    return format_table(["model", "optimum", "accuracy", "note"], rows, "<>><")


def run(args: argparse.Namespace) -> int:
    """Run ``spikewidgets search``; return the exit code.

    Examples
    --------
    Four factors of the bundled Go-NoGo model, 10 trials each, without
    writing the optimum into the file:

    >>> import argparse
    >>> import spikewidgets as sw
    >>> from spikewidgets.cli._search import add_arguments, run
    >>> path = sw.example_model("go_nogo", ".")
    >>> parser = argparse.ArgumentParser(prog="spikewidgets search")
    >>> add_arguments(parser)
    >>> run(parser.parse_args([str(path), "--trials", "10", "--scaling-factors", "5,20,25,60",
    ...                       "--no-save", "--quiet"]))
    task go_nogo, 10 trials per factor, seed 0
    scaling factor  accuracy    95% interval  rate (Hz)
                 5     0.500  [0.237, 0.763]       11.6
                20     1.000  [0.722, 1.000]        5.5  <- optimum
                25     1.000  [0.722, 1.000]        5.8  tied
                60     0.100  [0.018, 0.404]        8.9
    optimal scaling factor: 20 (paper's lambda = 0.05)
    20 and 25 tie at accuracy 1.000: the smallest wins, as in the original
    0
    """
    from spikewidgets.io._atomic import write_netcdf

    factors = parse_factors(args.scaling_factors)
    settings = _settings(args)
    paths = _model_paths(args)
    for target in (args.out, args.store):
        if target is not None and not target.resolve().parent.is_dir():
            raise ValueError(f"{target}: folder {target.resolve().parent} does not exist")
    client, executor = connect_executor(args.scheduler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            many = args.store is not None or glob_pattern(args.model) or args.model_dir
            if len(paths) == 1 and not many:
                ds = _search_one(args, paths[0], factors, settings, executor)
            else:
                ds = _search_many(args, paths, factors, settings, executor)
    finally:
        if client is not None:
            client.close()
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    if args.out is not None:
        write_netcdf(ds, args.out)
        print(f"results written to {args.out}")
    return _exit_code(ds, caught, save=not args.no_save)


def _exit_code(ds, caught, *, save: bool) -> int:
    """Exit code of a finished search: interrupted, some models failed, not saved, or 0."""
    from spikewidgets.errors import SearchInterrupted

    if any(issubclass(w.category, SearchInterrupted) for w in caught):
        return EXIT_INTERRUPTED
    if "model" in ds.dims:
        if (ds["error"].values != "").any():
            return EXIT_SOME_MODELS_FAILED
        saved = ds["saved_to_model"].values
    else:
        saved = np.atleast_1d(ds.attrs["saved_to_model"])
    if save and not np.all(saved):
        return EXIT_NOT_SAVED
    return 0


def glob_pattern(models: Sequence[str]) -> bool:
    """Whether the command line named a glob pattern rather than files.

    Examples
    --------
    >>> from spikewidgets.cli._search import glob_pattern
    >>> glob_pattern(["models/**/*.mat"]), glob_pattern(["a.mat", "b.mat"])
    (True, False)
    """
    import glob

    return any(glob.has_magic(m) for m in models)


def _keywords(args: argparse.Namespace, executor) -> dict[str, object]:
    """The keyword arguments of both searches: the plan's choices and how it runs."""
    from spikewidgets.search._run_options import RunOptions

    options = RunOptions(executor=executor, n_workers=args.workers, progress=not args.quiet)
    return {"seed": args.seed, "paired": not args.unpaired, "save": not args.no_save,
            "adaptive": args.adaptive or False, "optimum": args.optimum,
            "compare_rate": args.compare_rate, **options.keywords()}


def _search_one(args, path, factors, settings, executor):
    from spikewidgets.io._modelfile import load_model
    from spikewidgets.search._grid import lambda_grid_search
    from spikewidgets.tasks._registry import infer_task_name

    task = args.task or infer_task_name(load_model(path).n_inputs, path.name)
    ds = lambda_grid_search(path, task, args.trials, factors, settings,
                            **_keywords(args, executor))
    if args.adaptive:
        print(f"task {ds.attrs['task']}, at most {args.trials} trials per factor, seed "
              f"{ds.attrs['seed']}, {args.adaptive.replace('_', ' ')}: "
              f"{ds.attrs['adaptive_simulations']} of {ds.attrs['full_grid_simulations']} "
              "simulations")
    else:
        print(f"task {ds.attrs['task']}, {ds.attrs['n_trials_completed']} trials per factor, "
              f"seed {ds.attrs['seed']}")
    print(_search_table(ds))
    print(_optimum_line(ds))
    if ds.attrs["saved_to_model"]:
        print(f"optimum written to {path}")
    return ds


def _search_many(args, paths, factors, settings, executor):
    from spikewidgets.search._many import search_models

    if args.task is None:
        raise ValueError("--task is required when searching several models")
    ds = search_models(paths, args.task, args.trials, factors, settings, store=args.store,
                       **_keywords(args, executor))
    print(_models_table(ds))
    return ds
