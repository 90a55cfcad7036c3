"""The ``spikewidgets`` command line.

Exit codes: 0 success; 2 bad input (a one-line message, no traceback);
3 results computed but a model file could not be updated; 4 some of several
models could not be searched (the others were); 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .examples import EXAMPLE_TASKS
from .rate import ACTIVATIONS
from .tasks import TaskSettingsError, task_names_in_order
from .version import __version__

EXIT_BAD_INPUT = 2
EXIT_NOT_SAVED = 3
EXIT_SOME_MODELS_FAILED = 4
EXIT_INTERRUPTED = 130


def _search_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="+",
                        help="trained rate model (.mat); several files or a quoted glob "
                             "pattern such as 'models/**/*.mat' search many models")
    parser.add_argument("--task", help=f"one of {', '.join(task_names_in_order())} "
                                       "(default: inferred from the model)")
    parser.add_argument("--trials", type=int, default=100, help="trials per scaling factor")
    parser.add_argument("--scaling-factors", default="20:75:5",
                        help="grid as start:stop:step (stop inclusive) or a comma-separated "
                             "list (default 20:75:5)")
    parser.add_argument("--seed", type=int, default=None, help="seed of every random draw")
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


def _parse_factors(text: str):
    from .validation import parse_scaling_factors

    if "," in text:
        try:
            return parse_scaling_factors([float(part) for part in text.split(",") if part])
        except ValueError as error:
            if "could not convert" in str(error):
                raise ValueError(f"--scaling-factors is {text!r}, expected numbers") from None
            raise
    return parse_scaling_factors(text)


def _format_table(ds) -> str:
    lines = [f"{'scaling factor':>15} {'accuracy':>9} {'95% interval':>17} {'rate (Hz)':>10}"]
    for sf in ds.scaling_factor.values:
        row = ds.sel(scaling_factor=sf)
        mark = "  <- optimum" if sf == float(ds.opt_scaling_factor) else ""
        lines.append(
            f"{sf:>15g} {float(row.accuracy):>9.3f} "
            f"[{float(row.accuracy_ci_low):.3f}, {float(row.accuracy_ci_high):.3f}] "
            f"{float(row.mean_rate.mean()):>10.1f}{mark}"
        )
    return "\n".join(lines)


def _executor(address: str | None):
    if address is None:
        return None, None
    try:
        from distributed import Client
    except ImportError:
        raise ValueError('--scheduler needs Dask: pip install "spikewidgets[dask]"') from None
    try:
        client = Client(address, timeout=10)
    except (OSError, TimeoutError) as error:
        raise ValueError(f"--scheduler {address}: cannot connect ({error})") from None
    return client, client.get_executor()


def _read_settings(text: str | None):
    import json

    if not text:
        return None
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--settings is not valid JSON ({error.msg})") from None
    if not isinstance(settings, dict):
        raise ValueError(f"--settings is {text!r}, expected a JSON object")
    return settings


def _run_search(args: argparse.Namespace) -> int:
    from .atomic import write_netcdf
    from .many import resolve_model_paths

    factors = _parse_factors(args.scaling_factors)
    settings = _read_settings(args.settings)
    paths = resolve_model_paths(args.model if len(args.model) > 1 else args.model[0])
    for target in (args.out, args.store):
        if target is not None and not target.resolve().parent.is_dir():
            raise ValueError(f"{target}: folder {target.resolve().parent} does not exist")
    client, executor = _executor(args.scheduler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if len(paths) == 1 and args.store is None and not glob_pattern(args.model):
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
    from .plan import SearchInterrupted

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
    from .modelfile import load_model
    from .search import lambda_grid_search
    from .tasks import infer_task_name

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
    from .many import search_models

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


def _run_example(args: argparse.Namespace) -> int:
    from .examples import example_model

    path = example_model(args.task, args.directory)
    print(path)
    return 0


def _train_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the options of ``spikewidgets train`` to ``parser``."""
    parser.add_argument("--task", required=True,
                        help="go_nogo, xor, mante or a registered task of your own")
    parser.add_argument("--N", type=int, default=200, help="number of units (default 200)")
    parser.add_argument(
        "--taus", type=float, nargs="+", default=[4.0, 20.0], metavar="TAU",
        help="min and max decay in 5 ms steps, or one fixed value (default 4 20)",
    )
    parser.add_argument(
        "--activation", "--act", choices=ACTIVATIONS, default="sigmoid",
        help="activation function (default sigmoid)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", default=".", help="output folder (default: current folder)")
    for flag, kind, default, text in (
        ("--P-inh", float, 0.2, "fraction of inhibitory units"),
        ("--P-rec", float, 0.2, "recurrent connection probability"),
        ("--som-N", int, 0, "number of SOM units"),
    ):
        dest = flag[2:].replace("-", "_")
        parser.add_argument(flag, dest=dest, type=kind, default=default,
                            help=f"{text} (default {default})")
    parser.add_argument("--gain", type=float, default=1.5, help="weight gain (default 1.5)")
    parser.add_argument("--max-trials", dest="max_trials", type=int, default=None,
                        help="trial budget (default: the task's, 10000 for go_nogo, "
                             "40000 for xor and mante)")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="hide the progress bar")
    return parser


#: TrainingConfig's argument names -> the flags of ``spikewidgets train``.
_TRAIN_FLAGS = {"task": "--task", "n_units": "--N", "taus": "--taus",
                "activation": "--activation", "seed": "--seed", "p_inh": "--P-inh",
                "p_rec": "--P-rec", "n_som": "--som-N", "gain": "--gain",
                "max_trials": "--max-trials", "out_dir": "--out"}


def _train_error(error: Exception) -> str:
    """An argument error of training, naming the command-line flag instead of the argument."""
    message = str(error)
    name, _, rest = message.partition(" ")
    return f"{_TRAIN_FLAGS[name]} {rest}" if name in _TRAIN_FLAGS else message


def _run_train(args: argparse.Namespace) -> int:
    """Run ``spikewidgets train`` from parsed arguments.

    Returns
    -------
    int
        0 when the model met the stopping rule, 1 when the trial budget ran out
        first (the file is written all the same), 2 when jax is missing or an
        argument is invalid.
    """
    from .train import (
        INSTALL_HINT,
        MissingTrainDependencyError,
        TrainingConfig,
        require_jax,
        train,
    )

    try:
        require_jax()
    except MissingTrainDependencyError:
        print(f'training needs jax and optax: {INSTALL_HINT}', file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        # The flags keep the published trainer's names (--N, --P-inh, ...).
        config = TrainingConfig(
            task=args.task, n_units=args.N, taus=tuple(args.taus), activation=args.activation,
            seed=args.seed, p_inh=args.P_inh, p_rec=args.P_rec, n_som=args.som_N,
            gain=args.gain, max_trials=args.max_trials,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = train(config, out_dir=args.out, progress=args.progress)
    except (ValueError, TaskSettingsError) as error:
        print(f"spikewidgets train: {_train_error(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    status = "converged" if result.converged else "stopped at the trial budget"
    print(
        f"{result.path}  ({status}: {result.trials} trials, accuracy {result.accuracy:.2f}, "
        f"loss {result.loss:.2f}, {result.seconds:.0f} s)"
    )
    return 0 if result.converged else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``spikewidgets`` command."""
    parser = argparse.ArgumentParser(
        prog="spikewidgets",
        description="Turn trained rate RNNs into spiking LIF networks: find the scaling "
                    "factor (the paper's lambda is 1 / scaling factor).",
    )
    parser.add_argument("--version", action="version", version=f"spikewidgets {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    search = commands.add_parser("search", help="grid-search the scaling factor of a model")
    _search_arguments(search)
    search.set_defaults(handler=_run_search)
    example = commands.add_parser("example", help="copy a bundled example model")
    example.add_argument("task", choices=EXAMPLE_TASKS)
    example.add_argument("directory", nargs="?", default=".",
                         help="folder to copy it into (default: current folder)")
    example.set_defaults(handler=_run_example)
    train = commands.add_parser("train", help="train a rate model (needs spikewidgets[train])")
    _train_arguments(train)
    train.set_defaults(handler=_run_train)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ValueError, OSError) as error:
        message = " ".join(str(error).split())
        print(f"spikewidgets {args.command}: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
