"""Running the panel's searches one at a time, with their progress on the run controls.

:class:`SearchRunner` starts a ``SearchRun`` (``spikewidgets.panel._runner``)
for each request, refuses a second one while the first runs, and shows how
it goes on the run controls and the status line; what to draw is up to its
callbacks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import xarray as xr

from spikewidgets.panel._runner import REDRAW_INTERVAL, SearchRequest, SearchRun
from spikewidgets.plots._base import plural
from spikewidgets.search._run_options import RunOptions

if TYPE_CHECKING:
    from spikewidgets.panel._common import StatusLine
    from spikewidgets.panel._run_controls import RunControls

__all__ = ["SearchRunner"]


class SearchRunner:
    """Runs one search at a time and shows how it goes on the run controls and a status line.

    Parameters
    ----------
    controls : RunControls
        Gets ``running``, the progress bar and its line.
    status : StatusLine
        Says what runs, and how the search ended.
    on_partial : callable
        ``on_partial(dataset)``, in the search thread, with a partial result:
        the first one at once, later ones at most every ``REDRAW_INTERVAL`` seconds.
    on_result : callable
        ``on_result(dataset)``, in the search thread, with the final result
        (partial if stopped; not called if the search failed).
    lock : threading.RLock, optional
        Held while the callbacks run and while a search starts.
    options : RunOptions, optional
        How every search runs: its executor, ``n_workers`` and
        ``trials_per_block`` (default ``PANEL_RUN_OPTIONS``: one trial per
        block, a pool of threads over every core).

    Attributes
    ----------
    run : SearchRun or None
        The last search started.
    timings : dict
        ``perf_counter`` times of the last search (see :class:`SearchRun`),
        with ``first_point`` once the first partial result was drawn. Values
        put here before :meth:`start` are kept.

    Examples
    --------
    >>> import numpy as np
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._common import StatusLine
    >>> from spikewidgets.panel._run_controls import RunControls
    >>> from spikewidgets.panel._runner import SearchRequest
    >>> from spikewidgets.panel._search_runner import SearchRunner
    >>> path = sw.example_model("go_nogo", ".")
    >>> controls, status, results = RunControls(), StatusLine(), []
    >>> runner = SearchRunner(controls, status, on_partial=lambda ds: None,
    ...                       on_result=results.append)
    >>> run = runner.start(SearchRequest(path, sw.load_model(path), "go_nogo", {},
    ...                                  np.array([5.0, 30.0, 80.0]), n_trials=1, seed=0))
    >>> runner.wait(timeout=60), controls.progress, controls.progress_style
    (True, 1.0, 'success')
    >>> status.text  # doctest: +ELLIPSIS
    '✔ Optimum: scaling factor 30 ...; 3 factors × 1 trial in ... s.'
    """

    def __init__(self, controls: RunControls, status: StatusLine, *,
                 on_partial: Callable[[xr.Dataset], None],
                 on_result: Callable[[xr.Dataset], None],
                 lock: threading.RLock | None = None,
                 options: RunOptions | None = None) -> None:
        self.controls, self.status = controls, status
        self._on_partial, self._on_result = on_partial, on_result
        self._lock = lock if lock is not None else threading.RLock()
        self._options = options
        self._last_redraw = 0.0
        self.run: SearchRun | None = None
        self.timings: dict[str, float] = {}

    @property
    def running(self) -> bool:
        """Whether a search is running."""
        return self.run is not None and self.run.running

    def ensure_idle(self) -> None:
        """Raise RuntimeError (and say so in the status line) if a search is running."""
        if self.running:
            message = ("A search is already running: press Stop (or call stop()) before "
                       "starting another one.")
            self.status.show(message, "warning")
            raise RuntimeError(message)

    def start(self, request: SearchRequest) -> SearchRun:
        """Start searching ``request`` in the background; return the run.

        Raises
        ------
        RuntimeError
            If a search is already running.
        """
        with self._lock:
            self.ensure_idle()
            self._last_redraw = 0.0
            controls = self.controls
            controls.running = True
            controls.progress, controls.progress_style = 0.0, "info"
            controls.progress_text = "starting…"
            self.status.show(f"Running {plural(request.factors.size, 'scaling factor')} × "
                             f"{plural(request.n_trials, 'trial')}{request.networks} of "
                             f"{request.task} on {request.path.name}…", "busy")
            run = SearchRun(request, on_partial=self._partial, on_finish=self._finish,
                            on_tick=self._tick, options=self._options)
            run.timings.update(self.timings)
            self.run, self.timings = run, run.timings
            run.start()
        return run

    def stop(self) -> bool:
        """Ask the running search to stop after the blocks in progress; False if none runs."""
        run = self.run
        if run is None or not run.running:
            return False
        run.stop()
        self.status.show("Stopping after the trials in progress…", "busy")
        return True

    def wait(self, timeout: float | None = None, *, stop_on_timeout: bool = False) -> bool:
        """Wait for the search to end (True if it has); see :meth:`SearchPanel.wait`."""
        run = self.run
        if run is None:
            return True
        try:
            finished = run.wait(timeout)
        except KeyboardInterrupt:
            run.stop()
            run.wait()
            raise
        if not finished and stop_on_timeout:
            run.stop()
            finished = run.wait()
        return finished

    def _partial(self, run: SearchRun, partial: xr.Dataset) -> None:
        with self._lock:
            if run is not self.run:
                return
            now = time.perf_counter()
            first = "first_point" not in run.timings
            if not first and now - self._last_redraw < REDRAW_INTERVAL:
                return
            self._last_redraw = now
            self._on_partial(partial)
            if first:
                run.timings["first_point"] = time.perf_counter()
            self._tick(run)

    def _tick(self, run: SearchRun) -> None:
        fraction, text = run.progress()
        self.controls.progress, self.controls.progress_text = fraction, text

    def _finish(self, run: SearchRun) -> None:
        with self._lock:
            if run is not self.run:
                return
            self.controls.running = False
            self._tick(run)
            level, message = run.summary()
            self.status.show(message, level)
            if run.result is None:
                self.controls.progress_style = "danger"
                return
            complete = bool(run.result.attrs.get("complete"))
            self.controls.progress_style = "success" if complete else "warning"
            self._on_result(run.result)
