"""The search panel: the parts of :mod:`spikewidgets.panel` composed and wired together."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Executor

import ipywidgets as widgets
import traitlets
import xarray as xr

from spikewidgets.io._examples import EXAMPLE_TASKS
from spikewidgets.panel._accuracy_view import AccuracyView
from spikewidgets.panel._common import Part, StatusLine, guarded
from spikewidgets.panel._file_actions import FileActions
from spikewidgets.panel._model_picker import ModelPicker
from spikewidgets.panel._perturbation_controls import PerturbationControls
from spikewidgets.panel._rate_view import RateView
from spikewidgets.panel._run_controls import RunControls
from spikewidgets.panel._runner import PANEL_RUN_OPTIONS, SearchRequest, warm_up
from spikewidgets.panel._search_runner import SearchRunner
from spikewidgets.panel._shortcuts import PanelShortcuts
from spikewidgets.panel._trial_viewer import TrialViewer
from spikewidgets.perturbations import ScaleConnections
from spikewidgets.search._run_options import RunOptions, trials_per_block_or_alias

__all__ = ["SearchPanel"]


class SearchPanel(PanelShortcuts, Part, widgets.VBox):
    """Jupyter panel to run the scaling-factor search and look at single trials.

    It is an ``ipywidgets.VBox`` of the parts ``ModelPicker``,
    ``PerturbationControls``, ``RunControls``, a ``StatusLine``,
    :class:`AccuracyView`, :class:`TrialViewer`, ``FileActions`` and a
    ``RateView``; a tap on the accuracy plot sets the trial viewer's scaling
    factor (the two ``*_index`` traits are linked).

    With "compare with rate network" ticked, Run searches with
    ``compare_rate=True``; the rate view (empty, without figures, until then)
    shows the mean rate correlation beside the accuracy, each unit's gain at
    the selected factor by population, and a chosen unit's ``r_spk / sf``
    over its rate unit's ``r`` in the trial shown (replayed with
    ``simulate(..., compare_rate=True)``).

    With a perturbation chosen, Run runs one
    :func:`~spikewidgets.search.perturbation_search` over the grid with that
    perturbation: the intact and the perturbed network on the same trials.
    The accuracy plot then shows both curves, the trial viewer's toggle
    replays a trial in either network, ``result`` is the perturbation
    search's Dataset (``result.sel(perturbation="none")`` is the intact
    network, the same as a run without perturbation), Save writes the intact
    network's optimum and Export the whole Dataset. With ``"none"`` the panel
    runs :func:`~spikewidgets.search.lambda_grid_search` as before.

    Parameters
    ----------
    model : path-like or str, optional
        A ``.mat`` model file, or the task name of a bundled example model
        (see :func:`~spikewidgets.io.example_model`; a writable copy is
        used). Default: the first example (Go-NoGo) when it is installed.
    task : str, optional
        Task to search on. Default: inferred from the file name and the
        model's input count.
    scaling_factors : (start, stop, step) or str, default (10, 65, 5)
        Initial grid (``stop`` included).
    n_trials : int, default 20
        Initial number of trials per scaling factor.
    seed : int, default 0
        Initial seed of the search.
    task_settings : mapping, optional
        Initial overrides of the task's default settings.
    n_workers : int, optional
        Threads of the search when no ``executor`` is given (default: every core).
    trials_per_block : int, optional
        Trials per block of work (default: 1). One trial per block gives the
        first point soonest and lets Stop end the run quickly (the searches'
        own default, about four blocks per worker, is made for throughput).
    executor : concurrent.futures.Executor, optional
        Where to run the blocks instead, such as a Dask ``Client.get_executor()``.
    perturbation : str or ScaleConnections, optional
        Initial perturbation: ``"none"`` (default), a preset name
        (``"ei_dec"``, ...), ``"custom"`` or a
        :class:`~spikewidgets.perturbations.ScaleConnections`.
    trials_per_chunk : int, optional
        Deprecated name of ``trials_per_block`` (a DeprecationWarning).

    Attributes
    ----------
    model_picker, run_controls, perturbation_controls, status_line
        The parts above the plots.
    accuracy_view, trial_viewer, file_actions, rate_view
        The parts that show and keep the result (``rate_view.plots``: the
        comparison with the rate network's figures).
    runner : SearchRunner
        Runs the searches in a background thread.
    result : xarray.Dataset or None
        Dataset of the last search (partial if it was stopped): a plain
        search's, or, after a run with a perturbation, the perturbation
        search's (dims ``perturbation`` x ``scaling_factor`` x ``trial``).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets import SearchPanel
    >>> path = sw.example_model("go_nogo", ".")  # SearchPanel("go_nogo") copies it itself
    >>> panel = SearchPanel(path, scaling_factors=(5, 55, 25), n_trials=2)
    >>> panel.model_picker.example_field.value, panel.run_controls.grid
    ('go_nogo', [5.0, 30.0, 55.0])
    >>> ds = panel.run(wait=True)  # what Run does, waiting for the end
    >>> print(panel.status)  # doctest: +ELLIPSIS
    ✔ Optimum: scaling factor 30 (λ = 0.03333), ...; 3 factors × 2 trials in ... s.
    >>> sim = panel.select(30, trial=1)  # what a click on the point at 30 and trial 1 do
    >>> panel.plots["raster"].figure.title.text
    'spikes, scaling factor 30, trial 1, nogo correct'
    >>> panel.close()
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        task: str | None = None,
        *,
        scaling_factors: object = (10.0, 65.0, 5.0),
        n_trials: int = 20,
        seed: int = 0,
        task_settings: Mapping[str, float] | None = None,
        n_workers: int | None = None,
        trials_per_block: int | None = None,
        executor: Executor | None = None,
        perturbation: str | ScaleConnections | None = None,
        trials_per_chunk: int | None = None,
    ) -> None:
        block = trials_per_block_or_alias(trials_per_block, trials_per_chunk)
        if block is None:
            block = PANEL_RUN_OPTIONS.trials_per_block
        options = RunOptions(executor=executor, n_workers=n_workers, trials_per_block=block,
                             progress=False)
        super().__init__()
        self._lock = threading.RLock()
        self.result: xr.Dataset | None = None
        self.status_line = StatusLine("Choose a model file and press Run.")
        self.model_picker = ModelPicker(task_settings=task_settings, status=self.status_line)
        self.run_controls = RunControls(scaling_factors, int(n_trials), int(seed))
        self.perturbation_controls = PerturbationControls(perturbation)
        self.accuracy_view = AccuracyView(lock=self._lock, width=720, height=300)
        self.trial_viewer = TrialViewer(status=self.status_line, lock=self._lock, width=360,
                                        height=300)
        self.file_actions = FileActions(status=self.status_line, vertical=True)
        self.rate_view = RateView(lock=self._lock)
        self.runner = SearchRunner(self.run_controls, self.status_line,
                                    on_partial=self._on_partial, on_result=self._on_result,
                                    lock=self._lock, options=options)
        traitlets.link((self.accuracy_view, "selected_index"),
                       (self.trial_viewer, "factor_index"))
        traitlets.dlink((self.perturbation_controls, "label"), (self.accuracy_view, "perturbation"))
        traitlets.dlink((self.trial_viewer, "factor_index"), (self.rate_view, "factor_index"))
        traitlets.dlink((self.run_controls, "compare_rate"), (self.rate_view, "expected"))
        self.trial_viewer.on_trial(self.rate_view.show_trial)
        # The empty accuracy axis spans the grid that Run would search.
        self.accuracy_view.span(self.run_controls.grid)
        self.run_controls.observe(lambda change: self.accuracy_view.span(change.new),
                                  names="grid")
        self.model_picker.observe(lambda change: change.new and warm_up(change.new),
                                  names="model")
        self.run_controls.on_run(guarded(lambda _controls: self._click_run(), self.status_line))
        self.run_controls.on_stop(guarded(lambda _controls: self.runner.stop(),
                                          self.status_line))
        header = widgets.HTML("<b>spikewidgets</b>: scaling-factor search of a rate RNN "
                              "converted to a spiking LIF network")
        search_row = widgets.HBox([self.accuracy_view, self.file_actions], layout=widgets.Layout(
            flex_flow="row wrap", align_items="flex-start", grid_gap="8px"))
        self.children = (header, self.model_picker, self.perturbation_controls,
                         self.run_controls, self.status_line, search_row, self.trial_viewer,
                         self.rate_view)
        self.add_class("spw-panel")
        if model is None and EXAMPLE_TASKS and EXAMPLE_TASKS[0] in self.model_picker.examples:
            model = EXAMPLE_TASKS[0]
        if model is not None:
            self.load(model, task, task_settings)
        elif task is not None:
            self.model_picker.task = task

    # ------------------------------------------------------------------ running

    def _click_run(self) -> None:
        if not self.running:
            self.runner.timings = {"run_clicked": time.perf_counter()}
        try:
            self.run()
        except Exception:
            pass  # run() has put the reason in the status line

    def run(self, wait: bool = False, timeout: float | None = None) -> xr.Dataset | None:
        """Start a search with the values of the controls.

        Parameters
        ----------
        wait : bool, default False
            Block until the search ends and return its Dataset. Otherwise the
            search runs in the background and this returns None at once.
        timeout : float, optional
            With ``wait``, stop the search after this many seconds (and
            return the trials finished by then).

        With a perturbation chosen (:attr:`perturbation_controls`), the
        intact and the perturbed network run on the same trials, and the
        Dataset is a perturbation search's.

        Raises
        ------
        RuntimeError
            If a search is already running.
        ValueError, FileNotFoundError
            For a bad model file, a task that does not fit the model, or bad
            settings or grid (the status line shows the same message).
        """
        with self._lock:
            self.runner.ensure_idle()
            try:
                choice = self.model_picker.read()
                factors = self.run_controls.read_grid()
            except Exception as error:
                self.status_line.show(f"Cannot run: {error}", "error")
                raise
            self.result = None
            self.accuracy_view.show(None)
            self.trial_viewer.set_dataset(None)
            self.rate_view.show_search(None)
            self.trial_viewer.model = choice.model
            perturbation = self.perturbation_controls.read()
            self.trial_viewer.perturbations = ({} if perturbation is None
                                               else {perturbation.label: perturbation})
            self.file_actions.set_dataset(None)
            controls = self.run_controls
            self.runner.start(SearchRequest(choice.path, choice.model, choice.task,
                                             choice.settings, factors, int(controls.n_trials),
                                             int(controls.seed), perturbation,
                                             bool(controls.adaptive) and perturbation is None,
                                             bool(controls.compare_rate)))
        return self.wait(timeout, stop_on_timeout=True) if wait else None

    def _on_partial(self, partial: xr.Dataset) -> None:
        self.accuracy_view.show(partial)
        self.trial_viewer.set_dataset(partial)
        self.rate_view.show_search(partial)

    def _on_result(self, dataset: xr.Dataset) -> None:
        self.result = dataset
        self.accuracy_view.show(dataset)
        self.trial_viewer.set_dataset(dataset)
        self.rate_view.show_search(dataset)
        self.file_actions.set_dataset(dataset)

    def stop(self, wait: bool = True, timeout: float | None = 5.0) -> xr.Dataset | None:
        """Stop the running search; the trials already finished are kept.

        With ``wait``, wait (at most ``timeout`` seconds) for the search thread
        to end and return ``result``, the partial Dataset.
        """
        if not self.runner.stop():
            return self.result
        return self.wait(timeout) if wait else None

    def wait(self, timeout: float | None = None, *,
             stop_on_timeout: bool = False) -> xr.Dataset | None:
        """Wait for the running search to end and return ``result``.

        Parameters
        ----------
        timeout : float, optional
            Longest wait in seconds (None: until the end).
        stop_on_timeout : bool, default False
            Stop the search if it has not ended after ``timeout``.

        Returns
        -------
        xarray.Dataset or None
            The result (None while a search that has not ended yet).
        """
        self.runner.wait(timeout, stop_on_timeout=stop_on_timeout)
        return self.result

    def close(self) -> None:
        """Stop a running search and close every widget of the panel."""
        self.stop(wait=True)
        super().close()
