"""Running blocks of trials on any ``concurrent.futures.Executor``.

Thread pools (the default: the kernel releases the GIL), process pools and
Dask's ``Client.get_executor()`` all work. Only about two blocks per worker
thread are submitted at a time, and more as they finish: every submitted
block carries a copy of the model, and cancelling thousands of submitted
Dask futures would take seconds. Blocks whose worker was lost (a
broken process pool, a killed Dask worker, a lost connection) are submitted
again, up to ``retries`` times; every other error is the caller's to handle.

``DASK_LOW_OVERHEAD`` holds Dask settings for a cluster on a small machine.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    CancelledError,
    Executor,
    Future,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DASK_LOW_OVERHEAD",
    "Chunk",
    "available_workers",
    "is_lost_worker",
    "run_chunks",
    "worker_threads",
]

#: Dask settings that cut the CPU time Dask spends watching itself: the
#: event-loop tick every 20 ms in every process, the worker profiler sampling
#: every 10 ms, and the system and memory monitors. With the defaults an idle
#: LocalCluster of 2 workers takes 9 to 16 % of a core, which a 2-core
#: laptop's search then lacks; with these, under 2 %
#: (``python benchmarks/bench_many.py``). The price: no profile and coarser
#: system plots in the dashboard, and a memory limit enforced once a second.
#: Use it as ``with dask.config.set(DASK_LOW_OVERHEAD): cluster = LocalCluster(...)``;
#: the workers the cluster starts inherit the settings.
DASK_LOW_OVERHEAD: dict[str, object] = {
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.worker.profile.enabled": False,
}

#: How often the default window asks the executor how many workers it has.
_ASK_WORKERS_SECONDS = 2.0

# Errors of Dask's distributed scheduler meaning the work, not the code, failed.
_LOST_WORKER_NAMES = {"KilledWorker", "CommClosedError", "FutureCancelledError",
                      "WorkerLostError"}


@dataclass(frozen=True)
class Chunk:
    """One block of work: ``function(*arguments)`` under a caller's ``key``.

    Examples
    --------
    >>> from spikewidgets.sim._scheduling import Chunk
    >>> chunk = Chunk("block 0", pow, (3, 2))
    >>> chunk.function(*chunk.arguments)
    9
    """

    key: Hashable
    function: Callable[..., Any]
    arguments: tuple


def is_lost_worker(error: BaseException) -> bool:
    """Whether ``error`` means that the worker, not the work, failed.

    Examples
    --------
    >>> from concurrent.futures.process import BrokenProcessPool
    >>> from spikewidgets.sim._scheduling import is_lost_worker
    >>> is_lost_worker(BrokenProcessPool("a worker died")), is_lost_worker(ValueError("bad"))
    (True, False)
    """
    if isinstance(error, (BrokenExecutor, CancelledError, ConnectionError, EOFError)):
        return True
    return type(error).__name__ in _LOST_WORKER_NAMES


def available_workers() -> int:
    """CPU cores this process may use.

    Examples
    --------
    >>> import os
    >>> from spikewidgets.sim._scheduling import available_workers
    >>> 1 <= available_workers() <= os.cpu_count()
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worker_threads(executor: Executor) -> int:
    """How many blocks ``executor`` runs at once, as far as it can tell (at least 1).

    The pools of ``concurrent.futures`` know their size; a Dask executor asks
    its client, whose view of the cluster follows workers joining and leaving.
    Any other executor counts as this machine's cores.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from spikewidgets.sim._scheduling import worker_threads
    >>> with ThreadPoolExecutor(max_workers=3) as pool:
    ...     worker_threads(pool)
    3
    """
    client = getattr(executor, "_client", None)
    if client is not None and hasattr(client, "scheduler_info"):
        try:
            info = client.scheduler_info()
            threads = info.get("total_threads")
            if threads is None:
                threads = sum(int(w.get("nthreads", 1)) for w in info["workers"].values())
            return max(1, int(threads))
        except Exception:  # a closed client: the cores are a fair guess
            pass
    size = getattr(executor, "_max_workers", None)
    if isinstance(size, int) and size > 0:
        return size
    return available_workers()


def run_chunks(
    chunks: Sequence[Chunk],
    on_result: Callable[[Chunk, Any], None],
    *,
    executor: Executor | None = None,
    n_workers: int = 1,
    make_executor: Callable[[], Executor] | None = None,
    on_error: Callable[[Chunk, BaseException], None] | None = None,
    stop: threading.Event | None = None,
    retries: int = 2,
    in_flight: int | None = None,
    poll_seconds: float = 0.1,
) -> bool:
    """Run ``chunks``, calling ``on_result`` (in this thread) as each one finishes.

    Parameters
    ----------
    chunks : sequence of Chunk
        The work.
    on_result : callable
        ``on_result(chunk, value)`` for each finished chunk, in completion order.
    executor : Executor, optional
        Where to run; by default ``make_executor()`` (else a thread pool of
        ``n_workers`` threads), shut down at the end.
    make_executor : callable, optional
        Makes the default executor, and a new one if it breaks.
    on_error : callable, optional
        ``on_error(chunk, error)`` for a chunk that raised; without it the
        error propagates. Lost workers are retried first.
    stop : threading.Event, optional
        Checked every ``poll_seconds``; when set, pending chunks are cancelled
        and the function returns at once.
    retries : int, default 2
        Extra attempts for a chunk whose worker was lost. A broken pool that
        this function created is replaced by a new one.
    in_flight : int, optional
        Most chunks submitted and not yet finished; by default twice the
        executor's :func:`worker_threads`, asked again every 2 s (a Dask
        cluster may grow).

    Returns
    -------
    bool
        True if every chunk finished, False if stopped or interrupted
        (KeyboardInterrupt) first.

    Examples
    --------
    Four chunks on two threads; the results arrive in this thread, in the
    order they finish:

    >>> from spikewidgets.sim._scheduling import Chunk, run_chunks
    >>> squares = {}
    >>> chunks = [Chunk(k, pow, (k, 2)) for k in range(4)]
    >>> run_chunks(chunks, lambda chunk, value: squares.update({chunk.key: value}),
    ...            n_workers=2)
    True
    >>> dict(sorted(squares.items()))
    {0: 0, 1: 1, 2: 4, 3: 9}

    An error goes to ``on_error`` (without it, it is raised here):

    >>> errors = []
    >>> run_chunks([Chunk("bad", int, ("x",))], lambda chunk, value: None,
    ...            on_error=lambda chunk, error: errors.append((chunk.key, type(error).__name__)))
    True
    >>> errors
    [('bad', 'ValueError')]
    """
    if make_executor is None:
        def make_executor() -> Executor:
            return ThreadPoolExecutor(max_workers=n_workers)
    run = _ChunkRun(chunks, on_result, on_error, executor, make_executor, retries, in_flight)
    finished = False
    try:
        run.submit_more()
        while run.attempts or run.waiting:
            done, _ = wait(list(run.attempts), timeout=poll_seconds, return_when=FIRST_COMPLETED)
            # A pool shut down with cancel_futures cancels its queue without waking wait().
            done |= {future for future in run.attempts if future.cancelled()}
            if stop is not None and stop.is_set():
                return False
            # Handle chunks that finished together in submission order.
            for future in sorted(done, key=run.position):
                run.handle(future)
                if stop is not None and stop.is_set():
                    return False
            run.submit_more()
        finished = True
    except KeyboardInterrupt:
        return False
    finally:
        run.close(finished)
    return finished


class _ChunkRun:
    """The state of one :func:`run_chunks` call: what waits, what runs, where."""

    def __init__(self, chunks, on_result, on_error, executor, make_executor, retries,
                 in_flight) -> None:
        self.on_result, self.on_error = on_result, on_error
        self.own = executor is None
        self.make_executor = make_executor
        self.pool = make_executor() if self.own else executor
        self.retries, self.in_flight = retries, in_flight
        self.attempts: dict[Future, tuple[Chunk, int, Executor]] = {}
        self.order = {id(chunk): index for index, chunk in enumerate(chunks)}
        self.waiting: deque[tuple[Chunk, int]] = deque((chunk, 0) for chunk in chunks)
        self.window, self.window_asked = in_flight or 0, -math.inf

    def position(self, future: Future) -> int:
        return self.order[id(self.attempts[future][0])]

    def submit_more(self) -> None:
        """Submit waiting chunks until the window of chunks in flight is full."""
        if self.in_flight is None and time.monotonic() - self.window_asked > _ASK_WORKERS_SECONDS:
            self.window, self.window_asked = 2 * worker_threads(self.pool), time.monotonic()
        while self.waiting and len(self.attempts) < max(1, self.window):
            chunk, attempt = self.waiting.popleft()
            future = self.pool.submit(chunk.function, *chunk.arguments)
            self.attempts[future] = (chunk, attempt, self.pool)

    def handle(self, future: Future) -> None:
        """Pass a finished chunk's value on, retry it if its worker was lost, or report it."""
        chunk, attempt, submitted_to = self.attempts.pop(future)
        try:
            value = future.result()
        except KeyboardInterrupt:
            raise
        except BaseException as error:
            if is_lost_worker(error) and attempt < self.retries:
                # Replace a broken own pool once, not once per chunk it held.
                if self.own and isinstance(error, BrokenExecutor) and submitted_to is self.pool:
                    self.pool.shutdown(wait=False, cancel_futures=True)
                    self.pool = self.make_executor()
                self.waiting.appendleft((chunk, attempt + 1))
                return
            if self.on_error is None:
                raise
            self.on_error(chunk, error)
            return
        self.on_result(chunk, value)

    def close(self, finished: bool) -> None:
        for future in self.attempts:
            future.cancel()
        if self.own:
            # Do not wait for running chunks: a stopped search returns at once.
            self.pool.shutdown(wait=finished, cancel_futures=True)
