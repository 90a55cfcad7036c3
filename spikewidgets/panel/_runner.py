"""Scaling-factor searches of the panel, run in a background thread.

:class:`SearchRun` is one search: it calls
:func:`~spikewidgets.search.lambda_grid_search` (or, when the request holds a
perturbation, :func:`~spikewidgets.search.perturbation_search` over the same
grid with that perturbation, whose Dataset holds the intact network and the
perturbed one) with a ``callback`` (each finished block of trials gives a
partial Dataset) and a ``stop`` event (Stop keeps the finished trials), in a
daemon thread, and reports through three callbacks; how it runs (executor,
workers, trials per block) is one ``RunOptions``
(``spikewidgets.search._run_options``). ``SearchRunner``
(``spikewidgets.panel._search_runner``) runs one search at a time and shows
its progress.

The examples below search the bundled Go-NoGo model, copied into the working
folder, on a small grid.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from spikewidgets.errors import EdgeOfGridWarning, SearchInterrupted
from spikewidgets.io._modelfile import RateModel
from spikewidgets.perturbations import Perturbation
from spikewidgets.plots._base import plural
from spikewidgets.search._grid import lambda_grid_search
from spikewidgets.search._perturbation_search import perturbation_search
from spikewidgets.search._run_options import RunOptions
from spikewidgets.search._simulate import simulate

__all__ = ["PANEL_RUN_OPTIONS", "REDRAW_INTERVAL", "SearchRequest", "SearchRun",
           "perturbed_summary", "warm_up"]

# The panel reports these in its status line instead of printing them.
warnings.filterwarnings("ignore", category=SearchInterrupted,
                        module=r"spikewidgets\.panel\._runner$")
warnings.filterwarnings("ignore", category=EdgeOfGridWarning,
                        module=r"spikewidgets\.panel\._runner$")

#: Seconds between two refreshes of the elapsed time while a search runs.
TICK = 0.25
#: Shortest time between two live redraws of a partial result (s).
REDRAW_INTERVAL = 0.1
#: How the panel's searches run unless told otherwise: one trial per block
#: gives the first point soonest and lets Stop end the run quickly.
PANEL_RUN_OPTIONS = RunOptions(trials_per_block=1, progress=False)

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
    search (fixed budget) of the intact network; with ``compare_rate``, the
    search also compares the spiking units with the rate network's.

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
    compare_rate: bool = False

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
    ``finished`` and, if asked to stop, ``stop_requested``. ``options`` say
    how the search runs (default :data:`PANEL_RUN_OPTIONS`); the run sets
    their ``callback``, ``stop`` and ``progress`` itself.

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
        options: RunOptions | None = None,
    ) -> None:
        self.request = request
        self.timings: dict[str, float] = {}
        self.partial: xr.Dataset | None = None
        self.result: xr.Dataset | None = None
        self.error: Exception | None = None
        self._on_partial, self._on_finish, self._on_tick = on_partial, on_finish, on_tick
        self._stop = threading.Event()
        self._options = dataclasses.replace(options or PANEL_RUN_OPTIONS, progress=False,
                                            callback=self._callback, stop=self._stop)
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
        options = self._options.keywords()
        try:
            if request.perturbation is None:
                self.result = lambda_grid_search(
                    request.path, request.task, request.n_trials, request.factors,
                    request.settings, seed=request.seed, save=False,
                    adaptive=request.adaptive, compare_rate=request.compare_rate, **options)
            else:
                self.result = perturbation_search(
                    request.path, request.task, [request.perturbation], request.n_trials,
                    request.factors, request.settings, seed=request.seed,
                    compare_rate=request.compare_rate, **options)
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
