"""How a search runs: where, in what blocks of trials, what it reports and when it stops.

The public searches (:func:`~spikewidgets.search.lambda_grid_search`,
:func:`~spikewidgets.search.perturbation_search`,
:func:`~spikewidgets.search.search_models`) take these as keyword arguments
and build one :class:`RunOptions`; every function below them takes that
object. What a search simulates is its plan's (``PlanOptions`` in
``spikewidgets.search._plan``); how it runs never changes its results.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, fields

from spikewidgets.io._validation import positive_int
from spikewidgets.sim._scheduling import available_workers

__all__ = ["RunOptions", "trials_per_block_or_alias"]


@dataclass(frozen=True)
class RunOptions:
    """How a search runs; its results are the same whatever these are.

    Attributes
    ----------
    executor : concurrent.futures.Executor or None
        Where to run blocks of trials (a thread or process pool, or a Dask
        ``Client.get_executor()``); None: a pool of ``n_workers`` threads,
        made for the search and shut down at its end. Threads are the
        default of every search: the compiled kernel releases the GIL, so
        threads run as fast as processes (``python benchmarks/bench_many.py``)
        and start at once.
    n_workers : int or None
        Threads of the default pool (None: the cores this process may use).
    trials_per_block : int or None
        Trials per block of work (None: about four blocks per worker, at
        most 10 trials a block).
    progress : bool
        Show a tqdm progress bar.
    callback : callable or None
        What the search calls with its partial results (its docstring says
        with what).
    stop : threading.Event or None
        Set it to stop the search early.

    Raises
    ------
    ValueError
        If ``n_workers`` or ``trials_per_block`` is not a positive integer.

    Examples
    --------
    >>> from spikewidgets.search._run_options import RunOptions
    >>> options = RunOptions(n_workers=2, progress=False)
    >>> options.workers, options.trials_per_block
    (2, None)
    >>> RunOptions(trials_per_block=0)
    Traceback (most recent call last):
    ...
    ValueError: trials_per_block is 0, expected a positive integer
    """

    executor: Executor | None = None
    n_workers: int | None = None
    trials_per_block: int | None = None
    progress: bool = True
    callback: Callable[..., None] | None = None
    stop: threading.Event | None = None

    def __post_init__(self) -> None:
        for name in ("n_workers", "trials_per_block"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, positive_int(name, value))
        object.__setattr__(self, "progress", bool(self.progress))

    @property
    def workers(self) -> int:
        """Size of the default pool: ``n_workers``, else the cores this process may use."""
        return available_workers() if self.n_workers is None else self.n_workers

    def make_executor(self) -> Executor:
        """A new default pool: :attr:`workers` threads.

        Examples
        --------
        >>> from spikewidgets.search._run_options import RunOptions
        >>> with RunOptions(n_workers=3).make_executor() as pool:
        ...     type(pool).__name__, pool._max_workers
        ('ThreadPoolExecutor', 3)
        """
        return ThreadPoolExecutor(self.workers)

    def keywords(self) -> dict[str, object]:
        """The keyword arguments of the public searches that give these options.

        Examples
        --------
        >>> from spikewidgets.search._run_options import RunOptions
        >>> sorted(RunOptions().keywords())
        ['callback', 'executor', 'n_workers', 'progress', 'stop', 'trials_per_block']
        """
        return {field.name: getattr(self, field.name) for field in fields(self)}


def trials_per_block_or_alias(trials_per_block: int | None, trials_per_chunk: int | None, *,
                              stacklevel: int = 3) -> int | None:
    """``trials_per_block``, or the value of its deprecated name ``trials_per_chunk``.

    A value given as ``trials_per_chunk`` gives a :class:`DeprecationWarning`
    placed ``stacklevel`` frames up (3: the caller of the public function
    that calls this).

    Raises
    ------
    ValueError
        If both are given with different values.

    Examples
    --------
    >>> import warnings
    >>> from spikewidgets.search._run_options import trials_per_block_or_alias
    >>> trials_per_block_or_alias(4, None)
    4
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     trials_per_block_or_alias(None, 2)
    2
    >>> print(caught[0].message)
    trials_per_chunk is deprecated; use trials_per_block (the same value)
    """
    if trials_per_chunk is None:
        return trials_per_block
    warnings.warn("trials_per_chunk is deprecated; use trials_per_block (the same value)",
                  DeprecationWarning, stacklevel=stacklevel)
    if trials_per_block is not None and trials_per_block != trials_per_chunk:
        raise ValueError(f"trials_per_block is {trials_per_block!r} and trials_per_chunk is "
                         f"{trials_per_chunk!r}; expected trials_per_block alone "
                         "(trials_per_chunk is its deprecated name)")
    return trials_per_chunk
