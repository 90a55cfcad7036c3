"""An interactive panel for the scaling-factor search, in Jupyter (ipywidgets + Bokeh).

::

    from spikewidgets import SearchPanel
    panel = SearchPanel()            # the bundled Go-NoGo example model
    panel                            # show it; press Run
    panel.result                     # the search Dataset (also partial ones)

The search runs in a background thread, so the notebook stays usable; the
plots follow it live. Clicking a point of the accuracy plot (or moving the
scaling-factor slider) and choosing a trial shows that trial of the search
(same stimulus, same noise) in the spike raster, the readout plot (with the
rate network's output for the same input) and the firing-rate histogram.
BokehJS is loaded from the kernel, with no CDN (see :func:`setup_notebook`);
:func:`figure_widget` shows any Bokeh figure the same way.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import xarray as xr
from jupyter_bokeh import BokehModel

from . import plots as _plots
from ._panel_bokehjs import BokehJSGate, bokehjs_loader, figure_widget, setup_notebook
from ._panel_controls import (
    NO_FACTOR,
    Controls,
    Quiet,
    build_controls,
    close_tree,
    example_tasks,
    factor_triplet,
    grid_label,
    infer_task,
    layout,
    read_grid,
    setting_widgets,
    status_html,
    status_text,
)
from ._panel_results import export_result, replay_trial, save_result, trial_text
from ._panel_search import SearchRequest, SearchRun, warm_up
from .modelfile import RateModel, load_model
from .tasks import get_task

__all__ = ["SearchPanel", "figure_widget", "setup_notebook"]

#: Shortest time between two live redraws of the accuracy plot (s).
REDRAW_INTERVAL = 0.1


class SearchPanel:
    """Jupyter panel to run the scaling-factor search and look at single trials.

    Parameters
    ----------
    model : path-like or str, optional
        A ``.mat`` model file, or the task name of a bundled example model
        (``"go_nogo"``, ``"xor"``, ``"mante"``; a writable copy is used).
        Default: the Go-NoGo example when it is installed.
    task : str, optional
        Task to search on. Default: inferred from the file name and the
        model's input count (1 go_nogo, 2 xor, 4 mante).
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
    trials_per_chunk : int, default 1
        Trials per block of work. One trial per block gives the first point
        soonest and lets Stop end the run quickly.
    executor : concurrent.futures.Executor, optional
        Where to run the blocks instead, such as a Dask ``Client.get_executor()``.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The panel (shown when the panel is the value of a cell).
    result : xarray.Dataset or None
        Dataset of the last search (partial if it was stopped).
    plots : dict
        ``accuracy``, ``output``, ``raster`` and ``rates``: the objects of
        :mod:`spikewidgets.plots` (figure and sources).
    controls : Controls
        Every ipywidget of the panel, by role.
    sim, rate : xarray.Dataset or None
        The trial shown (:func:`~spikewidgets.simulate.simulate`) and the
        rate network's output for its input.
    timings : dict
        ``perf_counter`` times of the last run: ``started``, ``first_point``,
        ``finished``, and ``stop_requested`` if it was stopped.
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
        trials_per_chunk: int = 1,
        executor: Executor | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._quiet = Quiet()
        self._run: SearchRun | None = None
        self._run_options = {"n_workers": n_workers, "executor": executor,
                             "trials_per_chunk": int(trials_per_chunk)}
        self._model: RateModel | None = None
        self._shown: tuple | None = None
        self._last_redraw = 0.0
        self._saved_sha: str | None = None
        self.result: xr.Dataset | None = None
        self.sim: xr.Dataset | None = None
        self.rate: xr.Dataset | None = None
        self.timings: dict[str, float] = {}
        self._examples = example_tasks()
        self.controls: Controls = build_controls(self._examples, factor_triplet(scaling_factors),
                                                 int(n_trials), int(seed))
        self.plots = {"accuracy": _plots.plot_accuracy(), "output": _plots.plot_output(),
                      "raster": _plots.plot_raster(), "rates": _plots.plot_rates()}
        self._bokeh = {name: BokehModel(plot.figure) for name, plot in self.plots.items()}
        self._plot_grid = widgets.GridBox(
            list(self._bokeh.values()),
            layout=widgets.Layout(grid_template_columns="repeat(2, max-content)",
                                  grid_gap="4px"))
        self._plot_area = widgets.Box([widgets.HTML("<i>Loading the plots (BokehJS)…</i>")])
        self._gate = BokehJSGate(self._show_plots)
        self.widget = layout(self.controls, self._plot_area, self._gate.widget)
        self._wire()
        self._set_task(self.controls.task.value, task_settings)
        self.controls.grid_label.value = grid_label(self.controls)
        if model is None and "go_nogo" in self._examples:
            model = "go_nogo"
        if model is not None:
            self.load(model, task, task_settings)

    # ------------------------------------------------------------------ display

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _show_plots(self) -> None:
        """Put the Bokeh views in the page (called once the page has BokehJS)."""
        with self._lock:
            for name, view in self._bokeh.items():
                view.update_from_model(self.plots[name].figure)
            self._plot_area.children = ()
            self._plot_area.children = (self._plot_grid,)

    @property
    def status(self) -> str:
        """The text of the status line."""
        return status_text(self.controls.status.value)

    def _status(self, message: str, level: str = "info") -> None:
        self.controls.status.value = status_html(message, level)

    # ------------------------------------------------------------------ wiring

    def _wire(self) -> None:
        c = self.controls
        c.example.observe(self._guarded(self._on_example), names="value")
        c.path.observe(self._guarded(lambda change: self._load_path(change.new)), names="value")
        c.task.observe(self._guarded(lambda change: self._set_task(change.new)), names="value")
        for control in (c.factor_range, c.factor_step):
            control.observe(lambda _change: setattr(c.grid_label, "value", grid_label(c)),
                            names="value")
        c.run.on_click(self._guarded(lambda _b: self._click_run()))
        c.stop.on_click(self._guarded(lambda _b: self.stop(wait=False)))
        c.save.on_click(self._guarded(lambda _b: self.save()))
        c.export.on_click(self._guarded(lambda _b: self.export()))
        c.factor.observe(self._guarded(self._on_factor), names="value")
        c.trial.observe(self._guarded(self._on_trial), names="value")
        tap = self._guarded(self._on_tap)
        self.plots["accuracy"].source.selected.on_change(
            "indices", lambda attr, old, new: tap(attr, old, new))

    def _guarded(self, handler):
        def call(*args):
            try:
                handler(*args)
            except Exception as error:  # shown to the user instead of a traceback
                self._status(str(error) or type(error).__name__, "error")
        return call

    # ------------------------------------------------------------------ model and task

    def load(self, model: str | os.PathLike, task: str | None = None,
             task_settings: Mapping[str, float] | None = None) -> RateModel | None:
        """Load a model file (or the bundled example of a task) into the panel.

        Parameters
        ----------
        model : path-like or str
            A ``.mat`` model file, or ``"go_nogo"``, ``"xor"`` or ``"mante"``
            for a writable copy of that bundled example.
        task : str, optional
            Task to search on (default: inferred from the file name and the
            input count).
        task_settings : mapping, optional
            Overrides of the task's default settings.

        Returns
        -------
        RateModel or None
            The model, or None if it could not be read (the status line then
            says why, in words).
        """
        text = os.fspath(model)
        if text in self._examples and not Path(text).exists():
            with self._quiet():
                self.controls.example.value = text
            text = self._example_path(text)
        if text is None:
            return None
        if self.controls.path.value == text:
            self._load_path(text)
        else:
            self.controls.path.value = text
        if self._model is not None and task is not None:
            self.controls.task.value = get_task(task).name
        if task_settings:
            self._set_task(self.controls.task.value, task_settings)
        return self._model

    def _example_path(self, name: str) -> str | None:
        from .examples import example_model

        try:
            return str(example_model(name))
        except (FileNotFoundError, ValueError) as error:
            self._status(f"The {name} example model is not available: {error}", "error")
            return None

    def _on_example(self, change) -> None:
        if self._quiet or not change.new:
            return
        path = self._example_path(change.new)
        if path is not None:
            self.controls.path.value = path

    def _load_path(self, text: str) -> None:
        text = text.strip()
        self._model = None
        if not text:
            self._status("Choose a bundled example or type the path of a .mat model file.")
            return
        try:
            model = load_model(text)
        except (FileNotFoundError, ValueError, OSError) as error:
            self._status(f"Cannot use this model: {error}", "error")
            return
        self._model = model
        warm_up(model)
        guess = infer_task(model.n_inputs, text)
        if guess is not None and guess != self.controls.task.value:
            with self._quiet():
                self.controls.task.value = guess
            self._set_task(guess)
        earlier = (f" The file holds an earlier optimum: {model.opt_scaling_factor:g}."
                   if model.opt_scaling_factor is not None else "")
        message = (f"Loaded {Path(text).name}: {model.n_units} units "
                   f"({int(np.sum(model.exc))} excitatory, {int(np.sum(model.inh))} inhibitory), "
                   f"{model.n_inputs} input(s); task {self.controls.task.value}.{earlier}")
        if self._task_mismatch() is None:
            self._status(message, "success")

    def _task_mismatch(self) -> str | None:
        if self._model is None:
            return None
        try:
            get_task(self.controls.task.value).check_model_inputs(
                self._model.n_inputs, f"model file {Path(self.controls.path.value).name}")
        except ValueError as error:
            self._status(f"Wrong task: {error}", "error")
            return str(error)
        return None

    def _set_task(self, name: str, values: Mapping[str, float] | None = None) -> None:
        if self._quiet:
            return
        fields = setting_widgets(name, values)
        self.controls.settings = fields
        self.controls.settings_box.children = tuple(fields.values())
        if self._model is not None and self._task_mismatch() is None:
            self._status(f"Task {name}: ready to run.", "info")

    def _settings_values(self) -> dict[str, float]:
        return {key: box.value for key, box in self.controls.settings.items()}

    # ------------------------------------------------------------------ running

    @property
    def running(self) -> bool:
        """Whether a search is running."""
        return self._run is not None and self._run.running

    def _click_run(self) -> None:
        self.timings = {"run_clicked": time.perf_counter()}
        try:
            self.run()
        except Exception:
            pass  # run() has put the reason in the status line

    def _make_request(self) -> SearchRequest:
        c = self.controls
        text = c.path.value.strip()
        if not text:
            raise ValueError("no model file: choose a bundled example or type the path of a "
                             ".mat file")
        path = Path(text).expanduser()
        model = load_model(path)
        task = get_task(c.task.value)
        task.check_model_inputs(model.n_inputs, f"model file {path.name}")
        settings = task.settings(self._settings_values())
        return SearchRequest(path, model, task.name, settings, read_grid(c),
                             int(c.n_trials.value), int(c.seed.value))

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

        Raises
        ------
        RuntimeError
            If a search is already running.
        ValueError, FileNotFoundError
            For a bad model file, a task that does not fit the model, or bad
            settings (the status line shows the same message).
        """
        with self._lock:
            if self.running:
                message = ("A search is already running: press Stop (or call stop()) before "
                           "starting another one.")
                self._status(message, "warning")
                raise RuntimeError(message)
            try:
                request = self._make_request()
            except Exception as error:
                self._status(f"Cannot run: {error}", "error")
                raise
            self._start(request)
        if wait:
            return self.wait(timeout, stop_on_timeout=True)
        return None

    def _start(self, request: SearchRequest) -> None:
        c = self.controls
        self.result = self.sim = self.rate = None
        self._shown = None
        self._last_redraw = 0.0
        for plot in self.plots.values():
            plot.update(None)
        self._set_factor_options(None)
        c.trial.max = max(request.n_trials - 1, 0)
        c.trial_info.value = ""
        c.stop.disabled = False
        c.save.disabled = c.export.disabled = True
        c.progress.value, c.progress.bar_style = 0.0, "info"
        c.progress_label.value = "starting…"
        self._status(f"Running {request.factors.size} scaling factors × {request.n_trials} "
                     f"trials of {request.task} on {request.path.name}…", "busy")
        self._run = SearchRun(request, on_partial=self._on_partial, on_finish=self._on_finish,
                              on_tick=self._on_tick, **self._run_options)
        self._run.timings.update(self.timings)
        self.timings = self._run.timings
        self._run.start()

    def _on_partial(self, run: SearchRun, partial: xr.Dataset) -> None:
        with self._lock:
            if run is not self._run:
                return
            now = time.perf_counter()
            first = "first_point" not in run.timings
            if not first and now - self._last_redraw < REDRAW_INTERVAL:
                return
            self._last_redraw = now
            self.plots["accuracy"].update(partial)
            if first:
                run.timings["first_point"] = time.perf_counter()
                self._set_factor_options(partial.scaling_factor.values)
            self._on_tick(run)

    def _on_tick(self, run: SearchRun) -> None:
        fraction, text = run.progress()
        self.controls.progress.value = fraction
        self.controls.progress_label.value = text

    def _on_finish(self, run: SearchRun) -> None:
        with self._lock:
            if run is self._run:
                self._finish(run)

    def _finish(self, run: SearchRun) -> None:
        c, dataset = self.controls, run.result
        c.stop.disabled = True
        self._on_tick(run)
        level, message = run.summary()
        self._status(message, level)
        if dataset is None:
            c.progress.bar_style = "danger"
            return
        c.progress.bar_style = "success" if dataset.attrs.get("complete") else "warning"
        self.result = dataset
        self.plots["accuracy"].update(dataset)
        self._set_factor_options(dataset.scaling_factor.values)
        c.export.disabled = False
        c.save.disabled = not dataset.attrs.get("complete")

    def stop(self, wait: bool = True, timeout: float | None = 5.0) -> xr.Dataset | None:
        """Stop the running search; the trials already finished are kept.

        Parameters
        ----------
        wait : bool, default True
            Wait for the search thread to end and return the partial Dataset.
        timeout : float, optional
            Longest wait in seconds.
        """
        run = self._run
        if run is None or not run.running:
            return self.result
        run.stop()
        self._status("Stopping after the trials in progress…", "busy")
        return self.wait(timeout) if wait else None

    def wait(self, timeout: float | None = None, *,
             stop_on_timeout: bool = False) -> xr.Dataset | None:
        """Wait for the running search to end and return :attr:`result`.

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
        run = self._run
        if run is None:
            return self.result
        try:
            finished = run.wait(timeout)
        except KeyboardInterrupt:
            run.stop()
            run.wait()
            raise
        if not finished and stop_on_timeout:
            run.stop()
            run.wait()
        return self.result

    # ------------------------------------------------------------------ trials

    def _set_factor_options(self, factors: Sequence[float] | None) -> None:
        options = [("none", NO_FACTOR)]
        if factors is not None:
            options += [(f"{f:g}", index) for index, f in enumerate(factors)]
        if tuple(self.controls.factor.options) == tuple(options):
            return
        keep = self.controls.factor.value if factors is not None else NO_FACTOR
        with self._quiet():
            self.controls.factor.options = options
            self.controls.factor.value = keep if keep < len(options) - 1 else NO_FACTOR
        if factors is None:
            self.plots["accuracy"].select(None)

    def _on_factor(self, change) -> None:
        if not self._quiet:
            self._show(change.new, self.controls.trial.value)

    def _on_trial(self, change) -> None:
        if not self._quiet and self.controls.factor.value != NO_FACTOR:
            self._show(self.controls.factor.value, change.new)

    def _on_tap(self, _attr, _old, new) -> None:
        current = self.controls.factor.value
        if new:
            if new[0] != current:
                self.controls.factor.value = int(new[0])
        elif current != NO_FACTOR:
            self.plots["accuracy"].select(current)

    def select(self, scaling_factor: float, trial: int = 0) -> xr.Dataset:
        """Show one trial at one searched scaling factor and return it (as ``simulate`` does).

        Raises
        ------
        ValueError
            If there is no search result yet or ``scaling_factor`` was not searched.
        """
        dataset = self._shown_dataset()
        if dataset is None:
            raise ValueError("there is no search result yet: run a search first")
        factors = dataset.scaling_factor.values
        matches = np.flatnonzero(np.isclose(factors, float(scaling_factor), rtol=1e-9, atol=0))
        if matches.size == 0:
            raise ValueError(f"scaling_factor is {scaling_factor!r}, expected one of the "
                             f"searched factors {', '.join(f'{f:g}' for f in factors)}")
        with self._quiet():
            self.controls.trial.value = int(trial)
            self.controls.factor.value = int(matches[0])
        self._show(int(matches[0]), int(trial))
        return self.sim

    def _shown_dataset(self) -> xr.Dataset | None:
        if self.result is not None or self._run is None:
            return self.result
        return self._run.partial

    def _show(self, index: int, trial: int) -> None:
        dataset = self._shown_dataset()
        if dataset is None or index == NO_FACTOR:
            return
        key = (id(dataset), index, int(trial))
        if key == self._shown:
            return
        sim, rate, note = replay_trial(self._run.request.model, dataset, index, int(trial))
        with self._lock:
            self.plots["raster"].update(sim)
            self.plots["output"].update(sim, rate)
            self.plots["rates"].update(sim)
            self.plots["accuracy"].select(index)
            self.sim, self.rate, self._shown = sim, rate, key
        self.controls.trial_info.value = trial_text(sim, dataset, index) + note

    # ------------------------------------------------------------------ files

    def save(self) -> Path:
        """Write the optimum of the last (complete) search into its model file.

        Writes ``opt_scaling_factor``, ``all_perfs`` and ``scaling_factors``
        with :func:`~spikewidgets.modelfile.write_search_results` (atomic).

        Raises
        ------
        ValueError
            If there is no complete search result, or the model file changed
            since the search.
        """
        path, self._saved_sha = save_result(self.result, self._saved_sha)
        self._status(f"Saved opt_scaling_factor = {float(self.result.opt_scaling_factor):g} "
                     f"(with all_perfs and scaling_factors) into {path}.", "success")
        return path

    def export(self, path: str | os.PathLike | None = None) -> Path:
        """Write :attr:`result` to a netCDF file.

        Parameters
        ----------
        path : path-like, optional
            Target file (default: the file named in the export field); ``.nc``
            is added to a name without a suffix.

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        ValueError
            If there is no result yet or the name is empty.
        """
        target = export_result(self.result,
                               path if path is not None else self.controls.export_path.value)
        self._status(f"Wrote {target} ({target.stat().st_size / 1024:.0f} kB).", "success")
        return target

    def close(self) -> None:
        """Stop a running search and close every widget of the panel."""
        self.stop(wait=True)
        keep = (bokehjs_loader(),)  # shared by every panel of the kernel
        close_tree(self._plot_grid, keep)
        close_tree(self.widget, keep)
