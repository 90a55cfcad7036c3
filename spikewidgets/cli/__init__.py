"""The ``spikewidgets`` command line.

Exit codes: 0 success; 2 bad input (a one-line message naming the flag, no
traceback); 3 results computed but a model file could not be updated; 4 some
of several models could not be searched (the others were); 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from spikewidgets._version import __version__
from spikewidgets.cli import _perturb as perturb
from spikewidgets.cli import _search as search
from spikewidgets.cli import _train as train
from spikewidgets.cli._common import API_FLAGS, EXIT_BAD_INPUT, EXIT_INTERRUPTED, flag_message
from spikewidgets.cli._parsing import OneLineParser
from spikewidgets.io._examples import EXAMPLE_TASKS

__all__ = ["main"]


def _run_example(args: argparse.Namespace) -> int:
    from spikewidgets.io._examples import example_model

    path = example_model(args.task, args.directory)
    print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``spikewidgets`` command.

    Examples
    --------
    The defaults of ``spikewidgets search`` are those of README's examples
    and of the panel: 100 trials on each of 12 factors from 10 to 65, seed 0.

    >>> from spikewidgets.cli import build_parser
    >>> args = build_parser().parse_args(["search", "go_nogo_example.mat"])
    >>> args.trials, args.scaling_factors, args.seed
    (100, '10:65:5', 0)
    """
    parser = OneLineParser(
        prog="spikewidgets",
        description="Turn trained rate RNNs into spiking LIF networks: find the scaling "
                    "factor (the paper's lambda is 1 / scaling factor).",
    )
    parser.add_argument("--version", action="version", version=f"spikewidgets {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    searching = commands.add_parser("search", help="grid-search the scaling factor of a model")
    search.add_arguments(searching)
    searching.set_defaults(handler=search.run, flags=API_FLAGS)
    example = commands.add_parser("example", help="copy a bundled example model")
    example.add_argument("task", choices=EXAMPLE_TASKS)
    example.add_argument("directory", nargs="?", default=".",
                         help="folder to copy it into (default: the current folder)")
    example.set_defaults(handler=_run_example)
    training = commands.add_parser("train", help="train a rate model (needs spikewidgets[train])")
    train.add_arguments(training)
    training.set_defaults(handler=train.run)
    perturbing = commands.add_parser(
        "perturb", help="accuracy of perturbed copies of a converted network, paired with "
                        "the intact one")
    perturb.add_arguments(perturbing)
    perturbing.set_defaults(handler=perturb.run, flags=API_FLAGS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Bad input gets one line on standard error that names the flag (exit code
    2), never a traceback: a bad value, an unknown flag or a missing value as
    well as a file that is not a model. ``--help`` and ``--version`` print and
    exit (``SystemExit(0)``) as argparse does.

    Examples
    --------
    Copy the bundled Go-NoGo model here and search three factors, 10 trials
    each, without writing the optimum into the file:

    >>> from spikewidgets.cli import main
    >>> main(["example", "go_nogo", "."])
    go_nogo_example.mat
    0
    >>> main(["search", "go_nogo_example.mat", "--trials", "10",
    ...       "--scaling-factors", "5,20,60", "--no-save", "--quiet"])
    task go_nogo, 10 trials per factor, seed 0
    scaling factor  accuracy    95% interval  rate (Hz)
                 5     0.500  [0.237, 0.763]       11.6
                20     1.000  [0.722, 1.000]        5.5  <- optimum
                60     0.100  [0.018, 0.404]        8.9
    optimal scaling factor: 20 (paper's lambda = 0.05)
    0
    >>> main(["search", "go_nogo_example.mat", "--trials", "0"])  # message on stderr
    2
    >>> main(["search", "go_nogo_example.mat", "--trials", "2.5"])
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        if stop.code in (0, None):  # --help, --version
            raise
        return EXIT_BAD_INPUT
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ValueError, OSError) as error:
        message = flag_message(str(error), getattr(args, "flags", {}))
        print(f"spikewidgets {args.command}: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT

