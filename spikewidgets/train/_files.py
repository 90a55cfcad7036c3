"""Trained model files: the published trainer's file name, written atomically, never overwritten."""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import scipy.io

from spikewidgets.io._atomic import atomic_write
from spikewidgets.train._config import TrainingConfig

__all__ = ["file_name", "output_folder", "write_model_file"]


def file_name(config: TrainingConfig, *, when: datetime.datetime | None = None) -> str:
    """Model file name as the published trainer builds it.

    ``Task_<task>_N_<N>_Taus_<min>_<max>_Act_<activation>_<YYYY_mm_dd_HHMMSS>.mat``
    (``Tau_<value>`` for a fixed decay), with the task's ``file_label``
    (``go-nogo`` for go_nogo) or else its name.

    Parameters
    ----------
    config : TrainingConfig
        The training run.
    when : datetime.datetime, optional
        Time stamp (default: now).

    Returns
    -------
    str

    Examples
    --------
    >>> import datetime
    >>> from spikewidgets.train import TrainingConfig
    >>> from spikewidgets.train._files import file_name
    >>> when = datetime.datetime(2024, 5, 1, 12, 30, 5)
    >>> file_name(TrainingConfig(task="go_nogo"), when=when)
    'Task_go-nogo_N_200_Taus_4.0_20.0_Act_sigmoid_2024_05_01_123005.mat'
    >>> file_name(TrainingConfig(task="xor", n_units=50, taus=5), when=when)
    'Task_xor_N_50_Tau_5.0_Act_sigmoid_2024_05_01_123005.mat'
    """
    task = config.task_object
    stamp = (when or datetime.datetime.now()).strftime("%Y_%m_%d_%H%M%S")
    taus = config.taus
    decay = f"Taus_{taus[0]}_{taus[1]}" if len(taus) > 1 else f"Tau_{taus[0]}"
    label = task.file_label or task.name
    return f"Task_{label}_N_{config.n_units}_{decay}_Act_{config.activation}_{stamp}.mat"


def output_folder(out_dir: str | os.PathLike) -> Path:
    """``out_dir`` as a Path, created with its parents if missing.

    Raises
    ------
    ValueError
        If it cannot be created (naming the folder and the reason).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from spikewidgets.train._files import output_folder
    >>> folder = output_folder(Path(tempfile.mkdtemp()) / "models" / "xor")
    >>> folder.is_dir(), folder.name
    (True, 'xor')
    """
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(
            f"out_dir is {str(folder)!r}, which could not be created as a folder "
            f"({error.strerror or error}); expected a writable folder"
        ) from error
    return folder


def write_model_file(folder: Path, name: str, contents: Mapping[str, np.ndarray]) -> Path:
    """Write ``contents`` to ``folder / name`` atomically; return the path.

    A file of that name is never replaced: ``_1``, ``_2``, ... is appended
    (two models finished within the same second).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from spikewidgets.train._files import write_model_file
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_model_file(folder, "model.mat", {"N": np.int64(3)}).name
    'model.mat'
    >>> write_model_file(folder, "model.mat", {"N": np.int64(4)}).name
    'model_1.mat'
    """
    path, suffix = folder / name, 1
    while path.exists():
        path = folder / f"{name[: -len('.mat')]}_{suffix}.mat"
        suffix += 1
    atomic_write(path, lambda temporary: scipy.io.savemat(temporary, dict(contents)))
    return path
