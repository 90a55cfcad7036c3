"""run_blocks: the window of submitted blocks, a broken pool, stop, worker counts."""

from __future__ import annotations

import threading
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

from spikewidgets.sim._scheduling import Block, available_workers, run_blocks, worker_threads


class _Counting(Executor):
    """Wraps an executor and counts submitted futures that are not done yet."""

    def __init__(self, inner: Executor):
        self.inner = inner
        self._client = getattr(inner, "_client", None)
        self._lock = threading.Lock()
        self.outstanding = self.most = self.submitted = 0

    def submit(self, function, /, *args, **kwargs):
        with self._lock:
            self.outstanding += 1
            self.submitted += 1
            self.most = max(self.most, self.outstanding)
        future = self.inner.submit(function, *args, **kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future):
        with self._lock:
            self.outstanding -= 1


class _FailsAll(Executor):
    """A pool whose every block fails as if its worker process died."""

    def __init__(self):
        self.pool = ThreadPoolExecutor(1)

    def submit(self, function, /, *args, **kwargs):
        return self.pool.submit(lambda: (_ for _ in ()).throw(BrokenProcessPool("died")))

    def shutdown(self, wait=True, *, cancel_futures=False):
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _gated(gate: threading.Event, value: int) -> int:
    gate.wait(10)
    return value * 2


def _collect(blocks, **options) -> tuple[bool, dict]:
    results = {}
    complete = run_blocks(blocks, lambda block, value: results.update({block.key: value}),
                          **options)
    return complete, results


def test_window_of_twice_the_worker_threads():
    gate = threading.Event()
    threading.Timer(0.3, gate.set).start()  # every block waits until the window is full
    with ThreadPoolExecutor(2) as pool:
        counting = _Counting(pool)
        counting._max_workers = pool._max_workers
        complete, results = _collect([Block(i, _gated, (gate, i)) for i in range(20)],
                                     executor=counting)
    assert complete and results == {i: 2 * i for i in range(20)}
    assert counting.most == 4 and counting.submitted == 20


def test_explicit_window():
    gate = threading.Event()
    threading.Timer(0.3, gate.set).start()
    with ThreadPoolExecutor(4) as pool:
        counting = _Counting(pool)
        complete, results = _collect([Block(i, _gated, (gate, i)) for i in range(9)],
                                     executor=counting, in_flight=3)
    assert complete and len(results) == 9 and counting.most == 3


def test_a_broken_own_pool_is_replaced_once():
    made = []

    def make_executor():
        made.append(_FailsAll() if not made else ThreadPoolExecutor(2))
        return made[-1]

    complete, results = _collect([Block(i, abs, (-i,)) for i in range(10)],
                                 make_executor=make_executor, in_flight=4)
    assert complete and results == {i: i for i in range(10)}
    assert len(made) == 2  # four blocks failed on the first pool; one new pool


def test_stop_on_dask_leaves_few_blocks_to_cancel():
    from distributed import Client, LocalCluster

    stop = threading.Event()
    with LocalCluster(n_workers=2, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        executor = client.get_executor()
        assert worker_threads(executor) == 4
        counting = _Counting(executor)

        def on_result(block, value):
            stop.set()

        complete = run_blocks([Block(i, abs, (i,)) for i in range(1000)], on_result,
                              executor=counting, stop=stop)
        assert executor.submit(abs, -3).result() == 3  # the user's executor still works
    assert not complete
    assert counting.submitted <= 2 * 4 + 1  # not all 1000 blocks went to the scheduler


@pytest.mark.parametrize(("make", "expected"), [
    (lambda: ThreadPoolExecutor(3), 3),
    (lambda: ProcessPoolExecutor(2), 2),
    (lambda: _FailsAll(), available_workers()),
])
def test_worker_threads_of_plain_executors(make, expected):
    executor = make()
    try:
        assert worker_threads(executor) == expected
    finally:
        executor.shutdown()
