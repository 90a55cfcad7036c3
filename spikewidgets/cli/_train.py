"""``spikewidgets train``: train a rate model (needs the ``train`` extra)."""

from __future__ import annotations

import argparse
import sys
import warnings

from spikewidgets.cli._common import EXIT_BAD_INPUT, flag_message
from spikewidgets.cli._parsing import network_size, non_negative_integer, number, positive_integer
from spikewidgets.sim._rate import ACTIVATIONS
from spikewidgets.tasks import TaskSettingsError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the options of ``spikewidgets train`` to ``parser``.

    The flags keep the published trainer's names (``--N``, ``--P-inh``, ...).

    Examples
    --------
    >>> import argparse
    >>> from spikewidgets.cli._train import add_arguments
    >>> args = add_arguments(argparse.ArgumentParser()).parse_args(["--task", "go_nogo"])
    >>> args.N, args.taus, args.activation, args.seed
    (200, [4.0, 20.0], 'sigmoid', 0)
    """
    parser.add_argument("--task", required=True,
                        help="go_nogo, xor, mante or a registered task of your own")
    parser.add_argument("--N", type=network_size, default=200,
                        help="number of units (default: %(default)s)")
    parser.add_argument(
        "--taus", type=number, nargs="+", default=[4.0, 20.0], metavar="TAU",
        help="min and max decay in 5 ms steps, or one fixed value (default: 4 20)",
    )
    parser.add_argument(
        "--activation", "--act", choices=ACTIVATIONS, default="sigmoid",
        help="activation function (default: %(default)s)",
    )
    parser.add_argument("--seed", type=non_negative_integer, default=0,
                        help="seed of the initial weights and the trials (default: %(default)s)")
    parser.add_argument("--out", default=".",
                        help="output folder (default: the current folder)")
    for flag, kind, default, text in (
        ("--P-inh", number, 0.2, "fraction of inhibitory units"),
        ("--P-rec", number, 0.2, "recurrent connection probability"),
        ("--som-N", non_negative_integer, 0, "number of SOM units"),
    ):
        dest = flag[2:].replace("-", "_")
        parser.add_argument(flag, dest=dest, type=kind, default=default,
                            help=f"{text} (default: %(default)s)")
    parser.add_argument("--gain", type=number, default=1.5,
                        help="weight gain (default: %(default)s)")
    parser.add_argument("--max-trials", dest="max_trials", type=positive_integer, default=None,
                        help="trial budget (default: the task's, 10000 for go_nogo, "
                             "40000 for xor and mante)")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="hide the progress bar")
    return parser


#: TrainingConfig's argument names -> the flags of ``spikewidgets train``.
_TRAIN_FLAGS = {"task": "--task", "task_name": "--task", "n_units": "--N", "taus": "--taus",
                "activation": "--activation", "seed": "--seed", "p_inh": "--P-inh",
                "p_rec": "--P-rec", "n_som": "--som-N", "gain": "--gain",
                "max_trials": "--max-trials", "out_dir": "--out"}


def _train_error(error: Exception) -> str:
    """An argument error of training, naming the command-line flags instead of the arguments."""
    return flag_message(str(error), _TRAIN_FLAGS)


def run(args: argparse.Namespace) -> int:
    """Run ``spikewidgets train`` from parsed arguments.

    Returns
    -------
    int
        0 when the model met the stopping rule, 1 when the trial budget ran out
        first (the file is written all the same), 2 when jax is missing or an
        argument is invalid (with a one-line message naming the flag, on
        standard error).

    Examples
    --------
    An invalid argument is refused before anything is trained:

    >>> import argparse
    >>> from spikewidgets.cli._train import add_arguments, run
    >>> parser = add_arguments(argparse.ArgumentParser(prog="spikewidgets train"))
    >>> run(parser.parse_args(["--task", "go_nogo", "--N", "2", "--taus", "0", "--no-progress"]))
    2
    """
    from spikewidgets.train import MissingTrainDependencyError, TrainingConfig, train
    from spikewidgets.train._model import INSTALL_HINT, require_jax

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
        print(f"spikewidgets train: error: {_train_error(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    status = "converged" if result.converged else "stopped at the trial budget"
    print(
        f"{result.path}  ({status}: {result.trials} trials, accuracy {result.accuracy:.2f}, "
        f"loss {result.loss:.2f}, {result.seconds:.0f} s)"
    )
    return 0 if result.converged else 1
