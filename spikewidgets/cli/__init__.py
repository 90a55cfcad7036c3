"""The ``spikewidgets`` command line.

Exit codes: 0 success; 2 bad input (a one-line message naming the flag, no
traceback); 3 results computed but a model file could not be updated; 4 some
of several models could not be searched (the others were); 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..examples import EXAMPLE_TASKS
from ..version import __version__
from . import perturb, search, train
from .common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_NOT_SAVED, EXIT_SOME_MODELS_FAILED

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_SAVED",
    "EXIT_SOME_MODELS_FAILED",
    "build_parser",
    "main",
]


def _run_example(args: argparse.Namespace) -> int:
    from ..examples import example_model

    path = example_model(args.task, args.directory)
    print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``spikewidgets`` command."""
    parser = argparse.ArgumentParser(
        prog="spikewidgets",
        description="Turn trained rate RNNs into spiking LIF networks: find the scaling "
                    "factor (the paper's lambda is 1 / scaling factor).",
    )
    parser.add_argument("--version", action="version", version=f"spikewidgets {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    searching = commands.add_parser("search", help="grid-search the scaling factor of a model")
    search.add_arguments(searching)
    searching.set_defaults(handler=search.run)
    example = commands.add_parser("example", help="copy a bundled example model")
    example.add_argument("task", choices=EXAMPLE_TASKS)
    example.add_argument("directory", nargs="?", default=".",
                         help="folder to copy it into (default: current folder)")
    example.set_defaults(handler=_run_example)
    training = commands.add_parser("train", help="train a rate model (needs spikewidgets[train])")
    train.add_arguments(training)
    training.set_defaults(handler=train.run)
    perturbing = commands.add_parser(
        "perturb", help="accuracy of perturbed copies of a converted network, paired with "
                        "the intact one")
    perturb.add_arguments(perturbing)
    perturbing.set_defaults(handler=perturb.run)
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

