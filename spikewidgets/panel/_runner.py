"""Scaling-factor searches of the panel, run in a background thread.

:class:`SearchRun` is one search: it calls
:func:`~spikewidgets.search.lambda_grid_search` (or, when the request holds a
perturbation, :func:`~spikewidgets.search.perturbation_search` over the same
grid with that perturbation, whose Dataset holds the intact network and the
perturbed one) with a ``callback`` (each finished block of trials gives a
partial Dataset) and a ``stop`` event (Stop keeps the finished trials), in a
daemon thread, and reports through three callbacks. :class:`SearchRunner`
runs one search at a time and shows its progress on
:class:`~spikewidgets.panel.RunControls` and a
:class:`~spikewidgets.panel.StatusLine`; what to draw is up to its callbacks.

The examples below search the bundled Go-NoGo model, copied into the working
folder, on a small grid.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from spikewidgets.errors import EdgeOfGridWarning, SearchInterrupted
from spikewidgets.io._modelfile import RateModel
from spikewidgets.perturbations import Perturbation
from spikewidgets.plots._base import plural
from spikewidgets.search._grid import lambda_grid_search, perturbation_search
from spikewidgets.search._simulate import simulate

if TYPE_CHECKING:
    from spikewidgets.panel._common import StatusLine
    from spikewidgets.panel._run_controls import RunControls

__all__ = ["REDRAW_INTERVAL", "SearchRequest", "SearchRun", "SearchRunner", "perturbed_summary",
           "warm_up"]

# The panel reports these in its status line instead of printing them.
warnings.filterwarnings("ignore", category=SearchInterrupted,
                        module=r"spikewidgets\.panel\.runner$")
warnings.filterwarnings("ignore", category=EdgeOfGridWarning,
                        module=r"spikewidgets\.panel\.runner$")

#: Seconds between two refreshes of the elapsed time while a search runs.
TICK = 0.25
#: Shortest time between two live redraws of a partial result (s).
REDRAW_INTERVAL = 0.1

_warm = threading.Event()


def warm_up(model: RateModel) -> threading.Event:
    """Load the compiled LIF kernel in the background (once per process).

    The first simulation in a process spends about a second loading the
    compiled kernel; doing it while the user sets up the search makes the
    first point of the first search appear sooner. Returns an Event set when
    the kernel is ready.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._runner import warm_up
    >>> ready = warm_up(sw.load_model(sw.example_model("go_nogo", ".")))
    >>> ready.wait(timeout=60)
    True
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
    """Everything a search needs, read from the panel's controls and checked.

    With a ``perturbation``, the search runs the intact network and the
    perturbed one on the same trials; with ``adaptive``, it is an adaptive
    search (fixed budget) of the intact network.

    Examples
    --------
    >>> import numpy as np
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._runner import SearchRequest
    >>> from spikewidgets.perturbations import PRESETS
    >>> path = sw.example_model("go_nogo", ".")
    >>> request = SearchRequest(path, sw.load_model(path), "go_nogo", {}, np.array([20.0, 30.0]),
    ...                         n_trials=4, seed=0, perturbation=PRESETS["ei_dec"])
    >>> request.networks
    ' × 2 networks (intact, ei_dec)'
    """

    path: Path
    model: RateModel
    task: str
    settings: dict
    factors: np.ndarray
    n_trials: int
    seed: int
    perturbation: Perturbation | None = None
    adaptive: bool = False

    @property
    def networks(self) -> str:
        """``""``, or ``" × 2 networks (intact, ei_dec)"`` for a perturbed run."""
        if self.perturbation is None:
            return ""
        return f" × 2 networks (intact, {self.perturbation.label})"


def perturbed_summary(dataset: xr.Dataset, perturbation: Perturbation | None,
                      index: int) -> str:
    """``"ei_dec at 30: accuracy 85%, change -15% (95 % CI …), McNemar p = 0.004; "``.

    The perturbed network at the factor of index ``index`` (the intact
    network's optimum), or ``""`` without a perturbation.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._runner import perturbed_summary
    >>> from spikewidgets.perturbations import PRESETS
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.perturbation_search(path, "go_nogo", ["ei_dec"], scaling_factors=[30],
    ...                             n_trials=4, seed=0, progress=False)
    >>> perturbed_summary(ds, PRESETS["ei_dec"], 0)
    'ei_dec at 30: accuracy 100%, change +0% (95 % CI ... to ...), McNemar p = 1; '
    >>> perturbed_summary(ds, None, 0)
    ''
    """
    if perturbation is None:
        return ""
    at = dataset.sel(perturbation=perturbation.label).isel(scaling_factor=index)
    factor = float(at.scaling_factor)
    return (f"{perturbation.label} at {factor:g}: accuracy {float(at.accuracy):.0%}, change "
            f"{float(at.accuracy_change):+.0%} (95 % CI {float(at.accuracy_change_ci_low):+.0%} "
            f"to {float(at.accuracy_change_ci_high):+.0%}), McNemar p = "
            f"{float(at.mcnemar_p):.2g}; ")


class SearchRun:
    """A search running in a background thread.

    ``on_partial(run, dataset)`` is called (in the search thread) after each
    finished block of trials, ``on_tick(run)`` every ``TICK`` seconds and
    ``on_finish(run)`` once at the end (``run.result`` or ``run.error`` set).
    ``timings`` holds ``time.perf_counter`` values: ``started``,
    ``finished`` and, if asked to stop, ``stop_requested``.

    Examples
    --------
    >>> import numpy as np
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._runner import SearchRequest, SearchRun
    >>> path = sw.example_model("go_nogo", ".")
    >>> request = SearchRequest(path, sw.load_model(path), "go_nogo", {},
    ...                         np.array([5.0, 30.0, 80.0]), n_trials=4, seed=0)
    >>> partials = []
    >>> run = SearchRun(request, on_partial=lambda run, ds: partials.append(ds.sizes["trial"]),
    ...                 on_finish=lambda run: None, on_tick=lambda run: None)
    >>> run.start()
    >>> run.wait(timeout=60), partials[-1], run.result.attrs["complete"]
    (True, 4, 1)
    >>> print(run.progress()[1])  # doctest: +ELLIPSIS
    4/4 trials × 3 factors · ... s elapsed · done
    >>> print(run.summary()[1])  # doctest: +ELLIPSIS
    Optimum: scaling factor 30 (λ = 0.03333), accuracy 100% (95 % CI 51%–100%);
    3 factors × 4 trials in ... s.
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
        """Trials finished so far (per factor; an adaptive search's finalists')."""
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
        latest = self.result if self.result is not None else self.partial
        if request.adaptive and latest is not None:
            fraction = min(1.0, latest.attrs["adaptive_simulations"]
                           / latest.attrs["adaptive_max_simulations"])
        if "finished" in self.timings:
            left = "stopped" if fraction < 1 else "done"
        elif fraction > 0:
            left = f"about {elapsed * (1 - fraction) / fraction:.1f} s left"
        else:
            left = "estimating the time left…"
        return fraction, (f"{completed}/{plural(request.n_trials, 'trial')} × "
                          f"{plural(request.factors.size, 'factor')}{request.networks} · "
                          f"{elapsed:.1f} s elapsed · {left}")

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
                f"Stopped after {self.completed} of {plural(request.n_trials, 'trial')} per "
                f"factor ({self.elapsed:.1f} s): the plots show these trials. Run again to "
                "finish; saving needs a complete search.")
        intact = dataset
        if request.perturbation is not None:
            intact = dataset.sel(perturbation=dataset.attrs.get("intact_perturbation", "none"))
        lead = "Optimum" if request.perturbation is None else "Intact network's optimum"
        factors = intact.scaling_factor.values
        optimum = float(intact.opt_scaling_factor)
        index = int(np.argmin(np.abs(factors - optimum)))
        message = (
            f"{lead}: scaling factor {optimum:g} (λ = {1 / optimum:.4g}), accuracy "
            f"{float(intact.accuracy[index]):.0%} (95 % CI "
            f"{float(intact.accuracy_ci_low[index]):.0%}–"
            f"{float(intact.accuracy_ci_high[index]):.0%}); "
            f"{perturbed_summary(dataset, request.perturbation, index)}"
            f"{plural(factors.size, 'factor')} × {plural(request.n_trials, 'trial')}"
            f"{request.networks} in {self.elapsed:.1f} s.")
        if request.perturbation is not None:
            message += " The toggle above the trial plots switches between the networks."
        if request.adaptive:
            used, full = (dataset.attrs[key] for key in ("adaptive_simulations",
                                                         "full_grid_simulations"))
            message += (f" Adaptive: {used} of {full} simulations, {full - used} saved; the "
                        "grey factors left early.")
        if factors.size > 1 and index in (0, factors.size - 1):
            return "warning", (message + " The optimum is at the edge of the grid: widen the "
                               "range to be sure.")
        return "success", message

    def _callback(self, partial: xr.Dataset) -> None:
        self.partial = partial
        self._on_partial(self, partial)

    def _target(self) -> None:
        request = self.request
        options = {"seed": request.seed, "progress": False, "callback": self._callback,
                   "stop": self._stop, "n_workers": self._n_workers,
                   "trials_per_chunk": self._trials_per_chunk, "executor": self._executor}
        try:
            if request.perturbation is None:
                self.result = lambda_grid_search(
                    request.path, request.task, request.n_trials, request.factors,
                    request.settings, save=False, adaptive=request.adaptive, **options)
            else:
                self.result = perturbation_search(
                    request.path, request.task, [request.perturbation],
                    scaling_factors=request.factors, n_trials=request.n_trials,
                    task_settings=request.settings, **options)
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
        the first one at once, later ones at most every :data:`REDRAW_INTERVAL`.
    on_result : callable
        ``on_result(dataset)``, in the search thread, with the final result
        (partial if stopped; not called if the search failed).
    lock : threading.RLock, optional
        Held while the callbacks run and while a search starts.
    n_workers, trials_per_chunk, executor
        Passed to :func:`~spikewidgets.search.lambda_grid_search` (or
        :func:`~spikewidgets.search.perturbation_search`).

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
    >>> from spikewidgets.panel._runner import SearchRunner
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
                 lock: threading.RLock | None = None, n_workers: int | None = None,
                 trials_per_chunk: int = 1, executor: Executor | None = None) -> None:
        self.controls, self.status = controls, status
        self._on_partial, self._on_result = on_partial, on_result
        self._lock = lock if lock is not None else threading.RLock()
        self._options = {"n_workers": n_workers, "executor": executor,
                         "trials_per_chunk": int(trials_per_chunk)}
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
                            on_tick=self._tick, **self._options)
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
