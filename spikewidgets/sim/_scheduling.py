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
    "POLL_SECONDS",
    "Block",
    "available_workers",
    "is_lost_worker",
    "run_blocks",
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

#: Seconds between two looks at ``stop`` while blocks run.
POLL_SECONDS = 0.1

# Errors of Dask's distributed scheduler meaning the work, not the code, failed.
_LOST_WORKER_NAMES = {"KilledWorker", "CommClosedError", "FutureCancelledError",
                      "WorkerLostError"}


@dataclass(frozen=True)
class Block:
    """One block of work: ``function(*arguments)`` under a caller's ``key``.

    Examples
    --------
    >>> from spikewidgets.sim._scheduling import Block
    >>> block = Block("block 0", pow, (3, 2))
    >>> block.function(*block.arguments)
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


def run_blocks(
    blocks: Sequence[Block],
    on_result: Callable[[Block, Any], None],
    *,
    executor: Executor | None = None,
    make_executor: Callable[[], Executor] | None = None,
    on_error: Callable[[Block, BaseException], None] | None = None,
    stop: threading.Event | None = None,
    retries: int = 2,
    in_flight: int | None = None,
) -> bool:
    """Run ``blocks``, calling ``on_result`` (in this thread) as each one finishes.

    Parameters
    ----------
    blocks : sequence of Block
        The work.
    on_result : callable
        ``on_result(block, value)`` for each finished block, in completion order.
    executor : Executor, optional
        Where to run; by default ``make_executor()`` (else a thread pool with
        one thread per core, :func:`available_workers`), shut down at the end.
    make_executor : callable, optional
        Makes the default executor, and a new one if it breaks.
    on_error : callable, optional
        ``on_error(block, error)`` for a block that raised; without it the
        error propagates. Lost workers are retried first.
    stop : threading.Event, optional
        Checked every :data:`POLL_SECONDS`; when set, pending blocks are
        cancelled and the function returns at once.
    retries : int, default 2
        Extra attempts for a block whose worker was lost. A broken pool that
        this function created is replaced by a new one.
    in_flight : int, optional
        Most blocks submitted and not yet finished; by default twice the
        executor's :func:`worker_threads`, asked again every 2 s (a Dask
        cluster may grow).

    Returns
    -------
    bool
        True if every block finished, False if stopped or interrupted
        (KeyboardInterrupt) first.

    Examples
    --------
    Four blocks on two threads; the results arrive in this thread, in the
    order they finish:

    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from spikewidgets.sim._scheduling import Block, run_blocks
    >>> squares = {}
    >>> blocks = [Block(k, pow, (k, 2)) for k in range(4)]
    >>> run_blocks(blocks, lambda block, value: squares.update({block.key: value}),
    ...            make_executor=lambda: ThreadPoolExecutor(2))
    True
    >>> dict(sorted(squares.items()))
    {0: 0, 1: 1, 2: 4, 3: 9}

    An error goes to ``on_error`` (without it, it is raised here):

    >>> errors = []
    >>> run_blocks([Block("bad", int, ("x",))], lambda block, value: None,
    ...            on_error=lambda block, error: errors.append((block.key, type(error).__name__)))
    True
    >>> errors
    [('bad', 'ValueError')]
    """
    if make_executor is None:
        def make_executor() -> Executor:
            return ThreadPoolExecutor(max_workers=available_workers())
    run = _BlockRun(blocks, on_result, on_error, executor, make_executor, retries, in_flight)
    finished = False
    try:
        run.submit_more()
        while run.attempts or run.waiting:
            done, _ = wait(list(run.attempts), timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            # A pool shut down with cancel_futures cancels its queue without waking wait().
            done |= {future for future in run.attempts if future.cancelled()}
            if stop is not None and stop.is_set():
                return False
            # Handle blocks that finished together in submission order.
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


class _BlockRun:
    """The state of one :func:`run_blocks` call: what waits, what runs, where."""

    def __init__(self, blocks, on_result, on_error, executor, make_executor, retries,
                 in_flight) -> None:
        self.on_result, self.on_error = on_result, on_error
        self.own = executor is None
        self.make_executor = make_executor
        self.pool = make_executor() if self.own else executor
        self.retries, self.in_flight = retries, in_flight
        self.attempts: dict[Future, tuple[Block, int, Executor]] = {}
        self.order = {id(block): index for index, block in enumerate(blocks)}
        self.waiting: deque[tuple[Block, int]] = deque((block, 0) for block in blocks)
        self.window, self.window_asked = in_flight or 0, -math.inf

    def position(self, future: Future) -> int:
        return self.order[id(self.attempts[future][0])]

    def submit_more(self) -> None:
        """Submit waiting blocks until the window of blocks in flight is full."""
        if self.in_flight is None and time.monotonic() - self.window_asked > _ASK_WORKERS_SECONDS:
            self.window, self.window_asked = 2 * worker_threads(self.pool), time.monotonic()
        while self.waiting and len(self.attempts) < max(1, self.window):
            block, attempt = self.waiting.popleft()
            future = self.pool.submit(block.function, *block.arguments)
            self.attempts[future] = (block, attempt, self.pool)

    def handle(self, future: Future) -> None:
        """Pass a finished block's value on, retry it if its worker was lost, or report it."""
        block, attempt, submitted_to = self.attempts.pop(future)
        try:
            value = future.result()
        except KeyboardInterrupt:
            raise
        except BaseException as error:
            if is_lost_worker(error) and attempt < self.retries:
                # Replace a broken own pool once, not once per block it held.
                if self.own and isinstance(error, BrokenExecutor) and submitted_to is self.pool:
                    self.pool.shutdown(wait=False, cancel_futures=True)
                    self.pool = self.make_executor()
                self.waiting.appendleft((block, attempt + 1))
                return
            if self.on_error is None:
                raise
            self.on_error(block, error)
            return
        self.on_result(block, value)

    def close(self, finished: bool) -> None:
        for future in self.attempts:
            future.cancel()
        if self.own:
            # Do not wait for running blocks: a stopped search returns at once.
            self.pool.shutdown(wait=finished, cancel_futures=True)
