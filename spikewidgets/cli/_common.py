"""What the commands share: exit codes, defaults, tables, and messages that name flags."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

__all__ = [
    "API_FLAGS",
    "DEFAULT_SCALING_FACTORS",
    "DEFAULT_SEED",
    "DEFAULT_TRIALS",
    "EXIT_BAD_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_SAVED",
    "EXIT_SOME_MODELS_FAILED",
    "connect_executor",
    "flag_message",
    "format_table",
    "parse_factors",
    "read_settings",
]

#: Exit code for bad input (a one-line message naming the flag, no traceback).
EXIT_BAD_INPUT = 2
#: Exit code when results were computed but a model file could not be updated.
EXIT_NOT_SAVED = 3
#: Exit code when some of several models could not be searched (the others were).
EXIT_SOME_MODELS_FAILED = 4
#: Exit code of an interrupted command.
EXIT_INTERRUPTED = 130

#: The grid a search runs without ``--scaling-factors``: 12 factors, 10 to 65,
#: the same as the panel's first grid and README's examples.
DEFAULT_SCALING_FACTORS = "10:65:5"
#: Trials per scaling factor (or per variant) without ``--trials``.
DEFAULT_TRIALS = 100
#: Seed without ``--seed``, as the Python functions and the panel: the same
#: command gives the same numbers.
DEFAULT_SEED = 0

#: How the Python functions' messages name what came from the command line.
API_FLAGS = {
    "n_trials": "--trials",
    "task_name": "--task",
    "scaling_factors": "--scaling-factors",
    "task_settings": "--settings",
    "seed": "--seed",
    "n_workers": "--workers",
    "model_path": "MODEL",
    "models": "MODEL",
    "model_dir": "--model_dir",
    "lambda_grid_search": "spikewidgets search",
}


def flag_message(message: str, flags: Mapping[str, str] = API_FLAGS) -> str:
    """An error message of the Python functions, naming command-line flags instead.

    Each argument name of ``flags`` that is not part of a longer word or a
    path becomes its flag; a setting named as ``task_settings['T']`` becomes
    ``--settings 'T'``.

    Parameters
    ----------
    message : str
        The message of a ``ValueError`` raised by the Python functions.
    flags : mapping of str to str
        Argument name -> flag (default: the search's and the perturbation
        search's arguments).

    Returns
    -------
    str
        The message, one line, with the flags' names.

    Examples
    --------
    >>> from spikewidgets.cli._common import flag_message
    >>> flag_message("n_trials is 0, expected a positive integer")
    '--trials is 0, expected a positive integer'
    >>> flag_message("task_settings['T'] is 0, expected a positive value")
    "--settings 'T' is 0, expected a positive value"
    >>> flag_message("seed is -1, expected a non-negative integer or None")
    '--seed is -1, expected a non-negative integer'
    >>> flag_message("cannot read /data/n_trials/model.mat")
    'cannot read /data/n_trials/model.mat'
    >>> flag_message("no optimum: run lambda_grid_search first, or pass scaling_factors")
    'no optimum: run spikewidgets search first, or pass --scaling-factors'
    """
    text = " ".join(str(message).split())
    if "task_settings" in flags:
        text = re.sub(r"(?<![\w./\\-])task_settings\[('[^']*')\]",
                      rf"{flags['task_settings']} \1", text)
    for name, flag in flags.items():
        text = re.sub(rf"(?<![\w./\\-]){re.escape(name)}(?=[\[\s,;:)]|$)", flag, text)
    return text.replace("a non-negative integer or None", "a non-negative integer")


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> str:
    """A plain-text table whose headers line up with their columns.

    Parameters
    ----------
    header : sequence of str
        Column titles.
    rows : sequence of sequences of str
        Cells, already formatted; a row may be shorter than the header.
    align : str
        One letter per column: ``"<"`` (left, for text) or ``">"`` (right,
        for numbers).

    Returns
    -------
    str
        Lines of columns two spaces apart, each column as wide as its widest
        cell or title, without trailing spaces.

    Examples
    --------
    >>> from spikewidgets.cli._common import format_table
    >>> print(format_table(["factor", "accuracy", ""],
    ...                    [["20", "0.990", "<- optimum"], ["25", "0.990"]], ">><"))
    factor  accuracy
        20     0.990  <- optimum
        25     0.990
    """
    if len(align) != len(header):
        raise ValueError(f"align is {align!r}, expected one letter per column of {header}")
    widths = [max([len(title)] + [len(row[column]) for row in rows if column < len(row)])
              for column, title in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        count = len(cells)
        parts = [f"{cell:{side}{width}}"
                 for cell, side, width in zip(cells, align[:count], widths[:count], strict=True)]
        return "  ".join(parts).rstrip()

    return "\n".join([line(header), *(line(row) for row in rows)])


def parse_factors(text: str, flag: str = "--scaling-factors"):
    """Scaling factors from ``start:stop:step`` (stop included) or a comma-separated list.

    Examples
    --------
    >>> from spikewidgets.cli._common import parse_factors
    >>> parse_factors("10:65:5").tolist()
    [10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 55.0, 60.0, 65.0]
    >>> parse_factors("22.5,30").tolist()
    [22.5, 30.0]
    """
    from spikewidgets.io._validation import parse_scaling_factors

    try:
        if "," in text:
            try:
                values = [float(part) for part in text.split(",") if part]
            except ValueError:
                raise ValueError(f"{flag} is {text!r}, expected numbers") from None
            return parse_scaling_factors(values)
        return parse_scaling_factors(text)
    except ValueError as error:
        raise ValueError(flag_message(str(error), {"scaling_factors": flag})) from None


def connect_executor(address: str | None):
    """A Dask client and its executor for ``--scheduler`` (``(None, None)`` without one).

    Examples
    --------
    >>> from spikewidgets.cli._common import connect_executor
    >>> connect_executor(None)
    (None, None)
    """
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


def read_settings(text: str | None):
    """Task settings from the JSON of ``--settings`` (None without it).

    Examples
    --------
    >>> from spikewidgets.cli._common import read_settings
    >>> read_settings('{"T": 301, "eval_amp_thresh": 0.6}')
    {'T': 301, 'eval_amp_thresh': 0.6}
    """
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
