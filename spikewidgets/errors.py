"""Every exception and warning that spikewidgets raises or gives.

Each is also available at the top level (``spikewidgets.ModelFileError``).
"""

from __future__ import annotations

__all__ = [
    "EdgeOfGridWarning",
    "MissingTrainDependencyError",
    "ModelFileError",
    "ModelWriteError",
    "SearchInterrupted",
    "TaskSettingsError",
]


class EdgeOfGridWarning(UserWarning):
    """The best scaling factor lies at the edge of the searched grid.

    Examples
    --------
    >>> import warnings
    >>> import spikewidgets as sw
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     ds = sw.lambda_grid_search(sw.example_model("go_nogo", "."), "go_nogo", 10,
    ...                                [60, 70], progress=False, save=False)
    >>> print(caught[0].message)
    the optimal scaling factor 70 is the largest of the grid (60 to 70); widen the grid
    to be sure it is the optimum
    """


class ModelFileError(ValueError):
    """A model file is missing, unreadable, or does not hold a valid rate model.

    Examples
    --------
    A ``ValueError`` whose message names the file, the key and what was expected:

    >>> from spikewidgets.errors import ModelFileError

    >>> from spikewidgets.io._modelfile import RateModel
    >>> try:
    ...     RateModel.from_arrays({"w": [[1.0]]})
    ... except ModelFileError as error:
    ...     print(error)
    model: missing required key(s) 'w_in', 'w_out', 'm', 'som_m', 'N', 'inh', 'exc', 'taus',
    'taus_gaus'; a rate-model file needs w, w_in, w_out, m, som_m, N, inh, exc, taus, taus_gaus
    """


class ModelWriteError(OSError):
    """Search results could not be written into a model file (the file is unchanged).

    Examples
    --------
    An ``OSError`` (a read-only or full disk) of :func:`~spikewidgets.io.write_search_results`:

    >>> import spikewidgets as sw
    >>> path = sw.example_model("go_nogo", ".")
    >>> try:
    ...     sw.write_search_results(path, 35.0, [0.8, 0.95], [30.0, 35.0])
    ... except sw.ModelWriteError as error:
    ...     print(f"not saved, the file is unchanged: {error}")
    >>> sw.load_model(path).opt_scaling_factor
    35.0
    """


class SearchInterrupted(UserWarning):
    """A search stopped before every trial finished; its results are partial.

    Examples
    --------
    >>> import threading, warnings
    >>> import spikewidgets as sw
    >>> stop = threading.Event()
    >>> stop.set()  # stopped before it starts
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     ds = sw.lambda_grid_search(sw.example_model("go_nogo", "."), "go_nogo", 10, [30],
    ...                                seed=0, progress=False, stop=stop)
    >>> caught[0].category.__name__, ds.attrs["complete"]
    ('SearchInterrupted', 0)
    """


class TaskSettingsError(ValueError):
    """Task settings that are unknown, of the wrong type, or inconsistent.

    A ``ValueError`` whose message names the setting and what was expected.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> try:
    ...     sw.get_task("go_nogo").settings({"T": 50})
    ... except sw.TaskSettingsError as error:
    ...     print(error)
    task_settings put the stimulus of task 'go_nogo' up to column 75, past the end of the
    trial (T = 50 columns)
    """


class MissingTrainDependencyError(ImportError):
    """JAX or optax, needed for training, is not installed.

    Examples
    --------
    It is an ImportError whose message says how to install what is missing:

    >>> from spikewidgets.train import MissingTrainDependencyError
    >>> from spikewidgets.train._model import require_jax
    >>> try:
    ...     jax, jnp, optax = require_jax()
    ... except MissingTrainDependencyError as error:
    ...     print(error)  # training needs jax and optax (...); install them with: ...
    >>> issubclass(MissingTrainDependencyError, ImportError)
    True
    """
