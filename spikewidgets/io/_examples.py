"""Trained example models shipped with the package (one per task).

Each was trained with :mod:`spikewidgets.train` from a fixed seed and already
grid-searched, so it holds ``opt_scaling_factor``, ``all_perfs`` and
``scaling_factors``. ``benchmarks/make_example_models.py`` regenerates them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from spikewidgets.io._validation import normalize_task_name

__all__ = ["EXAMPLE_TASKS", "example_model"]

#: The bundled models' folder (inside this package).
_DATA = resources.files("spikewidgets.io") / "data"
#: The published tasks in the order of the paper, then the working-memory task.
_ORDER = ("go_nogo", "xor", "mante", "dms")


def _bundled_tasks() -> tuple[str, ...]:
    """Tasks with a model file in the package's ``data`` folder, in the paper's order."""
    stems = {entry.name[: -len(".mat")] for entry in _DATA.iterdir()
             if entry.name.endswith(".mat")}
    known = [name for name in _ORDER if name in stems]
    return tuple(known + sorted(stems - set(known)))


#: Tasks that have a bundled example model (one ``data/<task>.mat`` file each).
EXAMPLE_TASKS = _bundled_tasks()


def _bundled(task: str) -> resources.abc.Traversable:
    name = normalize_task_name(task)  # the spellings the task registry accepts
    if name not in EXAMPLE_TASKS:
        raise ValueError(
            f"task is {task!r}, expected one of {', '.join(EXAMPLE_TASKS)} (the tasks with "
            "a bundled example model)"
        )
    return _DATA / f"{name}.mat"


def example_model(task: str = "go_nogo", directory: str | os.PathLike | None = None) -> Path:
    """Copy a bundled example model to a folder you may write to, and return its path.

    The installed package is never modified: searches write their results
    into the copy.

    Parameters
    ----------
    task : str, default "go_nogo"
        ``"go_nogo"``, ``"xor"`` or ``"mante"``.
    directory : path-like, optional
        Where to put the copy (created if needed). By default a new temporary
        folder.

    Returns
    -------
    Path
        ``<directory>/<task>_example.mat``.

    Examples
    --------
    A copy of the XOR model in the current folder, with the optimum its
    search stored:

    >>> import spikewidgets as sw
    >>> path = sw.example_model("xor", ".")
    >>> path.name
    'xor_example.mat'
    >>> model = sw.load_model(path)
    >>> model.n_inputs, model.opt_scaling_factor is not None
    (2, True)
    """
    source = _bundled(task)
    target_dir = Path(tempfile.mkdtemp(prefix="spikewidgets-")) if directory is None \
        else Path(directory)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{source.name[: -len('.mat')]}_example.mat"
    with resources.as_file(source) as bundled:
        if not bundled.exists():
            raise FileNotFoundError(f"the bundled example model {bundled} is missing from the "
                                    "installation; reinstall spikewidgets")
        shutil.copyfile(bundled, target)
    return target
