"""Parsing the command line: every bad value, unknown flag or missing value is one line.

argparse prints its usage (a dozen lines) above an error and words it for
programmers (``argument --trials/--n_trials: invalid int value: '2.5'``).
:class:`OneLineParser` prints one line instead, naming the flag as it was
typed, the value and what was expected, and exits with code 2; the ``type=``
callables here say what they expected in the same words as the Python
functions' checks.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

__all__ = [
    "OneLineParser",
    "integer",
    "non_negative_integer",
    "number",
    "one_line",
    "positive_integer",
]

#: Exit code for bad input (the same as ``spikewidgets.cli._common.EXIT_BAD_INPUT``).
_BAD_INPUT = 2
_ARGUMENT = re.compile(r"argument (?P<names>[^:]+?): (?P<text>.*)", re.S)
_CHOICE = re.compile(r"invalid choice: (?P<value>'.*') \(choose from (?P<choices>.*)\)", re.S)
_TYPE = re.compile(r"invalid (?P<kind>\w+) value: (?P<value>'.*')", re.S)
_COUNT = re.compile(r"expected (?P<count>one|at least one|\d+) arguments?")
_KINDS = {"int": "an integer", "float": "a number"}


def _shown(text: str) -> str:
    """A whole number as typed (``-3``), anything else quoted (``'2.5'``)."""
    return text if re.fullmatch(r"[+-]?\d+", text.strip()) else repr(text)


def _whole(text: str, low: int, expected: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low:
        raise argparse.ArgumentTypeError(f"is {_shown(text)}, expected {expected}")
    return value


def positive_integer(text: str) -> int:
    """A whole number >= 1, for ``type=``.

    Examples
    --------
    >>> from spikewidgets.cli._parsing import positive_integer
    >>> positive_integer("100")
    100
    >>> positive_integer("2.5")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: is '2.5', expected a positive integer
    """
    return _whole(text, 1, "a positive integer")


def network_size(text: str) -> int:
    """A number of units: a whole number >= 2 (one excitatory and one inhibitory), for ``type=``.

    Examples
    --------
    >>> from spikewidgets.cli._parsing import network_size
    >>> network_size("200")
    200
    >>> network_size("1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: is 1, expected an integer >= 2
    """
    return _whole(text, 2, "an integer >= 2")


def non_negative_integer(text: str) -> int:
    """A whole number >= 0 (a seed, a count that may be zero), for ``type=``.

    Examples
    --------
    >>> from spikewidgets.cli._parsing import non_negative_integer
    >>> non_negative_integer("0")
    0
    >>> non_negative_integer("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: is -1, expected a non-negative integer
    """
    return _whole(text, 0, "a non-negative integer")


def integer(text: str) -> int:
    """Any whole number (whose range the task checks), for ``type=``.

    Examples
    --------
    >>> from spikewidgets.cli._parsing import integer
    >>> integer("-5")
    -5
    >>> integer("ten")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: is 'ten', expected an integer
    """
    return _whole(text, -sys.maxsize, "an integer")


def number(text: str) -> float:
    """A finite number, for ``type=``.

    Examples
    --------
    >>> from spikewidgets.cli._parsing import number
    >>> number("1.5"), number("2")
    (1.5, 2.0)
    >>> number("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: is 'nan', expected a finite number
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"is {_shown(text)}, expected a finite number")
    return value


def _flag(names: str, typed: Sequence[str]) -> str:
    """Of an argument's spellings (``--trials/--n_trials``), the one on the command line."""
    spellings = names.split("/")
    for word in typed:
        if word.split("=", 1)[0] in spellings:
            return word.split("=", 1)[0]
    return spellings[0]


def _about(flag: str, text: str) -> str:
    if text.startswith("is "):
        return f"{flag} {text}"
    if match := _CHOICE.fullmatch(text):
        choices = match["choices"].replace("'", "")
        return f"{flag} is {match['value']}, expected one of {choices}"
    if match := _TYPE.fullmatch(text):
        return f"{flag} is {match['value']}, expected {_KINDS.get(match['kind'], match['kind'])}"
    if match := _COUNT.fullmatch(text):
        count = match["count"]
        wanted = {"one": "a value", "at least one": "at least one value"}.get(count)
        return f"{flag} needs {wanted or count + ' values'}"
    if text.startswith("ignored explicit argument"):
        return f"{flag} takes no value ({text.removeprefix('ignored explicit argument ')} given)"
    return f"{flag}: {text}"


def one_line(message: str, typed: Sequence[str] = (), prog: str = "spikewidgets") -> str:
    """argparse's error message, reworded on one line that names the flag as typed.

    Parameters
    ----------
    message : str
        What argparse passes to :meth:`~argparse.ArgumentParser.error`.
    typed : sequence of str
        The command line, to name the spelling of a flag that was used.
    prog : str
        The command, to name in a message about unknown arguments.

    Examples
    --------
    >>> from spikewidgets.cli._parsing import one_line
    >>> one_line("argument --trials/--n_trials: is '2.5', expected a positive integer",
    ...          ["m.mat", "--n_trials", "2.5"])
    "--n_trials is '2.5', expected a positive integer"
    >>> one_line("argument --optimum: invalid choice: 'best' (choose from 'first', 'robust')")
    "--optimum is 'best', expected one of first, robust"
    >>> one_line("argument --seed: expected one argument")
    '--seed needs a value'
    >>> one_line("unrecognized arguments: --trails 5", prog="spikewidgets search")
    '--trails is not a flag of spikewidgets search (see spikewidgets search --help)'
    >>> one_line("the following arguments are required: --task")
    '--task is required'
    """
    text = " ".join(message.split())
    if match := _ARGUMENT.fullmatch(text):
        return _about(_flag(match["names"], typed), match["text"])
    if text.startswith("unrecognized arguments: "):
        words = text.removeprefix("unrecognized arguments: ").split()
        unknown = next((word for word in words if word.startswith("-")), None)
        if unknown is not None:
            return f"{unknown.split('=', 1)[0]} is not a flag of {prog} (see {prog} --help)"
        return f"unexpected argument(s) {' '.join(words)} (see {prog} --help)"
    if text.startswith("the following arguments are required: "):
        names = text.removeprefix("the following arguments are required: ")
        return f"{names} {'is' if ',' not in names else 'are'} required"
    return text


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose every error is one line naming the flag, with exit code 2.

    Its subcommands' parsers are of the same class, and say their own name.

    Examples
    --------
    >>> from spikewidgets.cli._parsing import OneLineParser, positive_integer
    >>> parser = OneLineParser(prog="spikewidgets search")
    >>> _ = parser.add_argument("--trials", "--n_trials", type=positive_integer, default=100)
    >>> parser.parse_args(["--n_trials", "20"]).trials
    20
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     try:
    ...         parser.parse_args(["--trials", "2.5"])
    ...     except SystemExit as stop:
    ...         print(stop.code)
    2
    >>> print(err.getvalue(), end="")
    spikewidgets search: error: --trials is '2.5', expected a positive integer
    """

    _typed: Sequence[str] = ()

    def parse_known_args(self, args=None, namespace=None):
        self._typed = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def parse_args(self, args=None, namespace=None):
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command = getattr(parsed, "command", None)
            prog = f"{self.prog} {command}" if command else self.prog
            self._fail(prog, one_line(f"unrecognized arguments: {' '.join(extras)}", prog=prog))
        return parsed

    def error(self, message: str) -> NoReturn:
        """Print one line naming the flag on standard error; exit with code 2."""
        self._fail(self.prog, one_line(message, self._typed, self.prog))

    def _fail(self, prog: str, text: str) -> NoReturn:
        self.exit(_BAD_INPUT, f"{prog}: error: {text}\n")
