"""``spikewidgets perturb``: accuracy of perturbed copies of a network, paired with the intact one.

::

    spikewidgets perturb MODEL.mat --preset ei_dec --trials 200
    spikewidgets perturb MODEL.mat --preset all
    spikewidgets perturb MODEL.mat --scale inh exc 0.5:1.5:0.25      # a sweep
    spikewidgets perturb MODEL.mat --lesion 0:0.5:0.1 --by-type
    spikewidgets perturb MODEL.mat --silence inh:0.5 0.25 0.375      # units, start, stop (s)
"""

from __future__ import annotations

import argparse
import math
import warnings

import numpy as np

from spikewidgets.cli._common import (
    DEFAULT_SEED,
    DEFAULT_TRIALS,
    format_table,
    parse_factors,
    read_settings,
)
from spikewidgets.cli._parsing import non_negative_integer, positive_integer
from spikewidgets.io._modelfile import load_model
from spikewidgets.perturbations import (
    PRESETS,
    LesionConnections,
    LesionUnits,
    Perturbation,
    RemoveSelfConnections,
    ScaleConnections,
    Stimulate,
    UnitSelection,
)
from spikewidgets.tasks._registry import infer_task_name

__all__ = ["add_arguments", "parse_units", "parse_values", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``spikewidgets perturb`` to ``parser``.

    Examples
    --------
    >>> import argparse
    >>> from spikewidgets.cli._perturb import add_arguments
    >>> parser = argparse.ArgumentParser(prog="spikewidgets perturb")
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["model.mat", "--preset", "ei_dec", "--lesion", "0:0.2:0.1"])
    >>> args.preset, args.lesion, args.trials, args.seed
    (['ei_dec'], '0:0.2:0.1', 100, 0)
    """
    parser.add_argument("model", help="trained rate model (.mat) holding an optimum")
    parser.add_argument("--task", help="task (default: inferred from the model)")
    parser.add_argument("--preset", action="append", default=[], metavar="NAME",
                        help="published modulation (receiving type first, +-30 %%): "
                             f"{', '.join(sorted(PRESETS))}, or 'all'; repeatable "
                             "(default: none)")
    parser.add_argument("--scale", nargs=3, action="append", default=[],
                        metavar=("PRE", "POST", "FACTORS"),
                        help="scale PRE -> POST connections (exc, inh, any) by each factor "
                             "(start:stop:step or a comma list): a sweep; repeatable "
                             "(default: none)")
    parser.add_argument("--lesion", metavar="FRACTIONS",
                        help="remove these fractions of the connections, a sweep "
                             "(default: none)")
    parser.add_argument("--by-type", action="store_true",
                        help="with --lesion: the fraction of each connection type")
    parser.add_argument("--lesion-units", metavar="UNITS", action="append", default=[],
                        help="remove every synapse of UNITS (1,5,9 or a type: inh, or a "
                             "fraction of a type: inh:0.5); repeatable (default: none)")
    parser.add_argument("--stimulate", nargs=3, action="append", default=[],
                        metavar=("UNITS", "START", "STOP"),
                        help="depolarise UNITS from START to STOP (s from trial start); "
                             "repeatable (default: none)")
    parser.add_argument("--silence", nargs=3, action="append", default=[],
                        metavar=("UNITS", "START", "STOP"),
                        help="hyperpolarise UNITS from START to STOP (s); repeatable "
                             "(default: none)")
    parser.add_argument("--no-self-connections", action="store_true",
                        help="remove self-connections")
    parser.add_argument("--trials", type=positive_integer, default=DEFAULT_TRIALS,
                        help="trials per variant (default: %(default)s)")
    parser.add_argument("--scaling-factors", default=None,
                        help="factors as start:stop:step or a comma-separated list "
                             "(default: the optimum stored in the model file)")
    parser.add_argument("--seed", type=non_negative_integer, default=DEFAULT_SEED,
                        help="seed of every random draw (default: %(default)s)")
    parser.add_argument("--settings", default=None,
                        help="task settings as JSON (default: the task's own)")
    parser.add_argument("--workers", type=positive_integer, default=None,
                        help="threads (default: all cores)")
    parser.add_argument("--out", default=None,
                        help="write the Dataset to this netCDF file (default: not written)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def parse_values(text: str, flag: str) -> list[float]:
    """Numbers from ``start:stop:step`` (stop included) or a comma-separated list.

    Examples
    --------
    >>> from spikewidgets.cli._perturb import parse_values
    >>> parse_values("0:0.5:0.25", "--lesion"), parse_values("0.5,1.5", "--scale")
    ([0.0, 0.25, 0.5], [0.5, 1.5])
    """
    try:
        if ":" in text:
            start, stop, step = (float(part) for part in text.split(":"))
            if step <= 0 or stop < start:
                raise ValueError
            count = math.floor((stop - start) / step + 1e-9) + 1
            return [round(start + step * k, 12) for k in range(count)]
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"{flag} is {text!r}, expected start:stop:step (step > 0) or "
                         "numbers separated by commas") from None


def parse_units(text: str, n_units: int, flag: str) -> UnitSelection:
    """Units from ``1,5,9``, a type (``inh``) or a fraction of a type (``inh:0.5``).

    Examples
    --------
    >>> from spikewidgets.cli._perturb import parse_units
    >>> parse_units("inh:0.5", 200, "--silence")
    UnitSelection(units=None, unit_type='inh', fraction=0.5)
    >>> parse_units("1,5,9", 200, "--lesion-units").units
    (1, 5, 9)
    """
    kind, _, share = text.partition(":")
    try:
        if kind in ("exc", "inh", "any"):
            return UnitSelection(unit_type=kind, fraction=float(share) if share else 1.0)
        units = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise ValueError(f"{flag} {text!r}: {error}") from None
    bad = [u for u in units if not 0 <= u < n_units]
    if not units or bad:
        raise ValueError(f"{flag} is {text!r}: unit indices {bad or 'missing'} outside "
                         f"0..{n_units - 1} (the model has {n_units} units)")
    return UnitSelection(units=units)


def _flagged(flag: str, make):
    try:
        return make()
    except ValueError as error:
        raise ValueError(f"{flag} {error}") from None


def perturbations_from(args: argparse.Namespace, n_units: int) -> list[Perturbation]:
    """The perturbations the flags ask for, in the order of the flags' kinds."""
    made = [*_presets(args.preset), *_sweeps(args)]
    made += [LesionUnits(parse_units(text, n_units, "--lesion-units"))
             for text in args.lesion_units]
    for flag, mode, items in (("--stimulate", "exc", args.stimulate),
                              ("--silence", "inh", args.silence)):
        for units, start, stop in items:
            window = parse_values(f"{start},{stop}", flag)
            selection = parse_units(units, n_units, flag)
            made.append(_flagged(flag, lambda s=selection, w=window, m=mode:
                                 Stimulate(s, m, w[0], w[1])))
    if args.no_self_connections:
        made.append(RemoveSelfConnections())
    if not made:
        raise ValueError("no perturbation given: use --preset, --scale, --lesion, "
                         "--lesion-units, --stimulate, --silence or --no-self-connections")
    return made


def _presets(names: list[str]) -> list[Perturbation]:
    chosen = [each for name in names for each in (sorted(PRESETS) if name == "all" else [name])]
    unknown = [name for name in chosen if name not in PRESETS]
    if unknown:
        raise ValueError(f"--preset is {unknown[0]!r}, expected one of "
                         f"{', '.join(sorted(PRESETS))} or all")
    return [PRESETS[name] for name in chosen]


def _sweeps(args: argparse.Namespace) -> list[Perturbation]:
    made: list[Perturbation] = [
        _flagged("--scale", lambda f=factor, a=pre, b=post: ScaleConnections(a, b, f))
        for pre, post, factors in args.scale for factor in parse_values(factors, "--scale")]
    if args.lesion is not None:
        made += [_flagged("--lesion", lambda f=fraction: LesionConnections(f, args.by_type))
                 for fraction in parse_values(args.lesion, "--lesion")]
    return made


def _paired_table(ds) -> str:
    """One row per perturbation and factor: accuracy, change, its interval and McNemar's p."""
    rows = []
    for label in ds.perturbation.values:
        for factor in ds.scaling_factor.values:
            row = ds.sel(perturbation=label, scaling_factor=factor)
            interval = (f"[{float(row.accuracy_change_ci_low):+.3f}, "
                        f"{float(row.accuracy_change_ci_high):+.3f}]")
            rows.append([str(label), f"{factor:g}", f"{float(row.accuracy):.3f}",
                         f"{float(row.accuracy_change):+.3f}", interval,
                         f"{float(row.mcnemar_p):.3g}"])
    return format_table(["perturbation", "factor", "accuracy", "change", "95% interval",
                         "McNemar p"], rows, "<>>>>>")


def run(args: argparse.Namespace) -> int:
    """Run ``spikewidgets perturb``; return the exit code.

    Examples
    --------
    Inhibition onto excitatory units weakened by 30 % (the preset ``ei_dec``)
    and half of the synapses lesioned, against the intact network on the same
    10 trials, at the optimum stored in the bundled Go-NoGo model:

    >>> import argparse
    >>> import spikewidgets as sw
    >>> from spikewidgets.cli._perturb import add_arguments, run
    >>> path = sw.example_model("go_nogo", ".")
    >>> parser = argparse.ArgumentParser(prog="spikewidgets perturb")
    >>> add_arguments(parser)
    >>> run(parser.parse_args([str(path), "--preset", "ei_dec", "--lesion", "0.5",
    ...                       "--trials", "10", "--quiet"]))
    task go_nogo, 10 paired trials per variant, seed 0
    perturbation  factor  accuracy  change      95% interval  McNemar p
    none              30     1.000  +0.000  [-0.278, +0.278]          1
    ei_dec            30     1.000  +0.000  [-0.278, +0.278]          1
    lesion 0.5        30     0.500  -0.500  [-0.763, -0.117]     0.0625
    0 of 2 perturbed variants differ from the intact network at p < 0.05
    (exact McNemar test per variant, not corrected for several tests)
    0
    """
    from spikewidgets.io._atomic import write_netcdf
    from spikewidgets.search._perturbation_search import perturbation_search

    model = load_model(args.model)
    perturbations = perturbations_from(args, model.n_units)
    if args.trials < 1:
        raise ValueError(f"--trials is {args.trials}, expected a positive integer")
    factors = None if args.scaling_factors is None else parse_factors(args.scaling_factors)
    task = args.task or infer_task_name(model.n_inputs, str(args.model))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ds = perturbation_search(args.model, task, perturbations, args.trials, factors,
                                 read_settings(args.settings), seed=args.seed,
                                 n_workers=args.workers, progress=not args.quiet)
    print(f"task {ds.attrs['task']}, {ds.attrs['n_trials_completed']} paired trials per "
          f"variant, seed {ds.attrs['seed']}")
    print(_paired_table(ds))
    significant = int(np.sum(ds.mcnemar_p.values[1:] < 0.05))
    print(f"{significant} of {ds.mcnemar_p.values[1:].size} perturbed variants differ from the "
          "intact network at p < 0.05\n(exact McNemar test per variant, not corrected for "
          "several tests)")
    if args.out is not None:
        write_netcdf(ds, args.out)
        print(f"results written to {args.out}")
    return 0
