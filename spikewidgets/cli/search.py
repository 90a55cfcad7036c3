"""``spikewidgets search``: the scaling-factor search of one model or many."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..tasks import task_names_in_order
from .common import (
    EXIT_INTERRUPTED,
    EXIT_NOT_SAVED,
    EXIT_SOME_MODELS_FAILED,
    connect_executor,
    parse_factors,
    read_settings,
)

__all__ = ["add_arguments", "glob_pattern", "run"]


#: Task settings that may be given one flag each, as in the PyTorch port's script.
SETTING_FLAGS = {"T": int, "stim_on": int, "stim_dur": int, "delay": int, "resp_start": int,
                 "eval_amp_thresh": float}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``spikewidgets search`` to ``parser``.

    The PyTorch port's spellings (``--model_dir``, ``--model_path``,
    ``--task_name``, ``--n_trials``, ``--scaling_factors`` and one flag per
    task setting) are accepted too, so that its scripts keep working.
    """
    parser.add_argument("model", nargs="*",
                        help="trained rate model (.mat); several files or a quoted glob "
                             "pattern such as 'models/**/*.mat' search many models")
    parser.add_argument("--task", "--task_name", dest="task",
                        help=f"one of {', '.join(task_names_in_order())} "
                             "(default: inferred from the model)")
    parser.add_argument("--trials", "--n_trials", dest="trials", type=int, default=100,
                        help="trials per scaling factor (default 100)")
    parser.add_argument("--scaling-factors", "--scaling_factors", dest="scaling_factors",
                        default="20:75:5",
                        help="grid as start:stop:step (stop inclusive) or a comma-separated "
                             "list (default 20:75:5)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of every random draw (default: a fresh one, printed)")
    parser.add_argument("--settings", default=None,
                        help='task settings as JSON, e.g. \'{"eval_amp_thresh": 0.6}\'')
    parser.add_argument("--out", type=Path, default=None, help="write the Dataset to netCDF")
    parser.add_argument("--no-save", action="store_true",
                        help="do not write the optimum into the model file")
    parser.add_argument("--workers", type=int, default=None, help="threads (default: all cores)")
    parser.add_argument("--unpaired", action="store_true",
                        help="draw independent trials per scaling factor")
    parser.add_argument("--store", type=Path, default=None,
                        help="many models: netCDF file of finished models; rerun with the "
                             "same store to resume")
    parser.add_argument("--scheduler", default=None,
                        help="address of a Dask scheduler (e.g. tcp://host:8786) to run on; "
                             "needs spikewidgets[dask]")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    port = parser.add_argument_group(
        "spellings of the PyTorch port's script (python -m spiking.lambda_grid_search)")
    port.add_argument("--model_dir", action="append", default=[], metavar="DIR",
                      help="search every .mat file of DIR (sorted)")
    port.add_argument("--model_path", action="append", default=[], metavar="FILE",
                      help="a model file, as the positional MODEL")
    for name, kind in SETTING_FLAGS.items():
        port.add_argument(f"--{name}", dest=f"setting_{name}", type=kind, default=None,
                          metavar=kind.__name__.upper(),
                          help=f"task setting {name} (overrides --settings)")


def _model_paths(args: argparse.Namespace) -> list[Path]:
    from ..many import model_files_in, resolve_model_paths

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


def _format_table(ds) -> str:
    lines = [f"{'scaling factor':>15} {'accuracy':>9} {'95% interval':>17} {'rate (Hz)':>10}"]
    for sf in ds.scaling_factor.values:
        row = ds.sel(scaling_factor=sf)
        mark = "  <- optimum" if sf == float(ds.opt_scaling_factor) else ""
        interval = f"[{float(row.accuracy_ci_low):.3f}, {float(row.accuracy_ci_high):.3f}]"
        lines.append(f"{sf:>15g} {float(row.accuracy):>9.3f} {interval:>17} "
                     f"{float(row.mean_rate.mean()):>10.1f}{mark}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``spikewidgets search``; return the exit code."""
    from ..atomic import write_netcdf

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
    from ..plan import SearchInterrupted

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
    """Whether the command line named a glob pattern rather than files."""
    import glob

    return any(glob.has_magic(m) for m in models)


def _search_one(args, path, factors, settings, executor):
    from ..modelfile import load_model
    from ..search import lambda_grid_search
    from ..tasks import infer_task_name

    task = args.task or infer_task_name(load_model(path).n_inputs, path.name)
    ds = lambda_grid_search(
        path, task, args.trials, factors, settings, seed=args.seed,
        paired=not args.unpaired, save=not args.no_save, n_workers=args.workers,
        executor=executor, progress=not args.quiet,
    )
    print(f"task {ds.attrs['task']}, {ds.attrs['n_trials_completed']} trials per factor, "
          f"seed {ds.attrs['seed']}")
    print(_format_table(ds))
    print(f"optimal scaling factor: {float(ds.opt_scaling_factor):g} "
          f"(paper's lambda = {1 / float(ds.opt_scaling_factor):.4g})")
    if ds.attrs["saved_to_model"]:
        print(f"optimum written to {path}")
    return ds


def _search_many(args, paths, factors, settings, executor):
    from ..many import search_models

    if args.task is None:
        raise ValueError("--task is required when searching several models")
    ds = search_models(
        paths, args.task, args.trials, factors, settings,
        seed=0 if args.seed is None else args.seed, store=args.store,
        paired=not args.unpaired, save=not args.no_save, n_workers=args.workers,
        executor=executor, progress=not args.quiet,
    )
    print(f"{'model':<40} {'optimum':>8} {'accuracy':>9}  note")
    for index, name in enumerate(ds.model.values):
        row = ds.isel(model=index)
        error = str(row.error.values)
        if error:
            print(f"{name:<40} {'-':>8} {'-':>9}  {error}")
            continue
        best = float(row.opt_scaling_factor)
        accuracy = float(row.accuracy.sel(scaling_factor=best))
        print(f"{name:<40} {best:>8g} {accuracy:>9.3f}")
    return ds
