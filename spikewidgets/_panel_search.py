"""One scaling-factor search of the panel, run in a background thread."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from .modelfile import RateModel
from .results import EdgeOfGridWarning
from .search import SearchInterrupted, lambda_grid_search
from .simulate import simulate

__all__ = ["SearchRequest", "SearchRun", "warm_up"]

# The panel reports these in its status line instead of printing them.
warnings.filterwarnings("ignore", category=SearchInterrupted,
                        module=r"spikewidgets\._panel_search$")
warnings.filterwarnings("ignore", category=EdgeOfGridWarning,
                        module=r"spikewidgets\._panel_search$")

#: Seconds between two refreshes of the elapsed time while a search runs.
TICK = 0.25

_warm = threading.Event()


def warm_up(model: RateModel) -> threading.Event:
    """Load the compiled LIF kernel in the background (once per process).

    The first simulation in a process spends about a second loading the
    compiled kernel; doing it while the user sets up the search makes the
    first point of the first search appear sooner. Returns an Event set when
    the kernel is ready.
    """
    def work() -> None:
        try:
            simulate(model, 1.0, u=np.zeros((model.n_inputs, 2)))
        finally:
            _warm.set()

    if not _warm.is_set() and not getattr(warm_up, "started", False):
        warm_up.started = True  # type: ignore[attr-defined]
        threading.Thread(target=work, daemon=True, name="spikewidgets-warm-up").start()
    return _warm


@dataclass(frozen=True)
class SearchRequest:
    """Everything a search needs, read from the panel's controls and checked."""

    path: Path
    model: RateModel
    task: str
    settings: dict
    factors: np.ndarray
    n_trials: int
    seed: int


class SearchRun:
    """A search running in a background thread.

    ``on_partial(run, dataset)`` is called (in the search thread) after each
    finished block of trials, ``on_tick(run)`` every :data:`TICK` seconds and
    ``on_finish(run)`` once at the end (``run.result`` or ``run.error`` set).
    ``timings`` holds ``time.perf_counter`` values: ``started``,
    ``finished`` and, if asked to stop, ``stop_requested``.
    """

    def __init__(
        self,
        request: SearchRequest,
        *,
        on_partial: Callable[[SearchRun, xr.Dataset], None],
        on_finish: Callable[[SearchRun], None],
        on_tick: Callable[[SearchRun], None],
        n_workers: int | None = None,
        trials_per_chunk: int = 1,
        executor: Executor | None = None,
    ) -> None:
        self.request = request
        self.timings: dict[str, float] = {}
        self.partial: xr.Dataset | None = None
        self.result: xr.Dataset | None = None
        self.error: Exception | None = None
        self._on_partial, self._on_finish, self._on_tick = on_partial, on_finish, on_tick
        self._n_workers, self._trials_per_chunk = n_workers, trials_per_chunk
        self._executor = executor
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._target, daemon=True,
                                        name="spikewidgets-search")

    def start(self) -> None:
        """Start the search thread and the clock."""
        self.timings["started"] = time.perf_counter()
        self._thread.start()
        threading.Thread(target=self._tick, daemon=True, name="spikewidgets-clock").start()

    @property
    def running(self) -> bool:
        """Whether the thread has started and not yet finished."""
        return "started" in self.timings and not self._done.is_set()

    @property
    def completed(self) -> int:
        """Trials finished so far (per factor)."""
        if self.result is not None:
            return int(self.result.sizes["trial"])
        return 0 if self.partial is None else int(self.partial.sizes["trial"])

    @property
    def elapsed(self) -> float:
        """Seconds since the start (until the end, once finished)."""
        end = self.timings.get("finished", time.perf_counter())
        return end - self.timings.get("started", end)

    def stop(self) -> None:
        """Ask the search to stop after the blocks in progress."""
        if self.running and not self._stop.is_set():
            self.timings["stop_requested"] = time.perf_counter()
            self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the end; True if the search has ended."""
        if self._done.wait(timeout):
            self._thread.join()
            return True
        return False

    def progress(self) -> tuple[float, str]:
        """Fraction done and a line such as ``"4/20 trials × 12 factors · 1.2 s elapsed …"``."""
        request, completed, elapsed = self.request, self.completed, self.elapsed
        fraction = completed / request.n_trials
        if "finished" in self.timings:
            left = "stopped" if fraction < 1 else "done"
        elif fraction > 0:
            left = f"about {elapsed * (1 - fraction) / fraction:.1f} s left"
        else:
            left = "estimating the time left…"
        return fraction, (f"{completed}/{request.n_trials} trials × {request.factors.size} "
                          f"factors · {elapsed:.1f} s elapsed · {left}")

    def summary(self) -> tuple[str, str]:
        """``(level, message)`` for the status line once the search has ended.

        ``level`` is ``"success"``, ``"warning"`` (stopped early, or optimum
        at the edge of the grid) or ``"error"``.
        """
        request, dataset = self.request, self.result
        if dataset is None:
            return "error", f"The search failed: {self.error}"
        if not dataset.attrs.get("complete"):
            return "warning", (
                f"Stopped after {self.completed} of {request.n_trials} trials per factor "
                f"({self.elapsed:.1f} s): the plots show these trials. Run again to finish; "
                "saving needs a complete search.")
        factors = dataset.scaling_factor.values
        optimum = float(dataset.opt_scaling_factor)
        index = int(np.argmin(np.abs(factors - optimum)))
        message = (
            f"Optimum: scaling factor {optimum:g} (λ = {1 / optimum:.4g}), accuracy "
            f"{float(dataset.accuracy[index]):.0%} (95 % CI "
            f"{float(dataset.accuracy_ci_low[index]):.0%}–"
            f"{float(dataset.accuracy_ci_high[index]):.0%}); {factors.size} factors × "
            f"{request.n_trials} trials in {self.elapsed:.1f} s. Click a point (or use the "
            "slider) to see a trial.")
        if factors.size > 1 and index in (0, factors.size - 1):
            return "warning", (message + " The optimum is at the edge of the grid: widen the "
                               "range to be sure.")
        return "success", message

    def _callback(self, partial: xr.Dataset) -> None:
        self.partial = partial
        self._on_partial(self, partial)

    def _target(self) -> None:
        request = self.request
        try:
            self.result = lambda_grid_search(
                request.path, request.task, request.n_trials, request.factors,
                request.settings, seed=request.seed, save=False, progress=False,
                callback=self._callback, stop=self._stop, n_workers=self._n_workers,
                trials_per_chunk=self._trials_per_chunk, executor=self._executor)
        except Exception as error:
            self.error = error
        finally:
            self.timings["finished"] = time.perf_counter()
            try:
                self._on_finish(self)
            finally:
                self._done.set()

    def _tick(self) -> None:
        while not self._done.wait(TICK):
            self._on_tick(self)
