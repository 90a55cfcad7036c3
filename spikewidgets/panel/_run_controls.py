"""The grid of scaling factors, the trials and seed, Run and Stop, and the progress bar.

Its rows are attributes (``grid_row``, ``grid_label``, ``action_row``): a
further option of the search (a checkbox, say) goes into ``grid_row`` as a
control linked to a trait of its own, as the trials and the seed are.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
import traitlets

from spikewidgets.io._validation import parse_scaling_factors
from spikewidgets.panel._common import Part, decimals_needed, factor_labels, status_html
from spikewidgets.plots._base import plural

__all__ = ["RunControls", "factor_triplet"]


def factor_triplet(value: object) -> tuple[float, float, float]:
    """``(start, stop, step)`` from such a triple or from ``"start:stop:step"``, checked.

    Raises
    ------
    ValueError
        If ``value`` is not three numbers that make a valid grid (stop included).

    Examples
    --------
    >>> from spikewidgets.panel._run_controls import factor_triplet
    >>> factor_triplet("10:65:5"), factor_triplet((20, 40, 10))
    ((10.0, 65.0, 5.0), (20.0, 40.0, 10.0))
    >>> factor_triplet("60:20:5")
    Traceback (most recent call last):
    ...
    ValueError: scaling_factors is '60.0:20.0:5.0', expected 'start:stop:step' with start <= ...
    """
    parts = value.split(":") if isinstance(value, str) else value
    try:
        start, stop, step = (float(p) for p in parts)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"scaling_factors is {value!r}, expected (start, stop, step) or "
                         "'start:stop:step'") from None
    parse_scaling_factors(f"{start!r}:{stop!r}:{step!r}")
    return start, stop, step


class RunControls(Part, widgets.VBox):
    """Scaling-factor range and step, trials per factor, seed, Run and Stop, progress.

    Parameters
    ----------
    scaling_factors : (start, stop, step) or str, default (10, 65, 5)
        Initial grid (``stop`` included).
    n_trials : int, default 20
        Initial trials per scaling factor.
    seed : int, default 0
        Initial seed.

    Attributes
    ----------
    factor_range : (float, float) (trait)
        First and last scaling factor (linked to ``range_slider``, whose
        readout has the decimals the grid needs: ``10 – 65`` for a step of 5,
        ``10.0 – 65.0`` for a step of 0.5).
    factor_step : float (trait)
        Step of the grid (linked to ``step_field``).
    n_trials, seed : int (traits)
        Linked to ``trials_field`` and ``seed_field``.
    adaptive : bool (trait)
        Linked to ``adaptive_box``: an adaptive search (fixed budget, a third
        of the grid's simulations; :mod:`spikewidgets.search.adaptive`).
    compare_rate : bool (trait)
        Linked to ``compare_box``: the search also compares the spiking
        units with the rate network's (``compare_rate=True``). An adaptive
        search cannot, so ticking either box unticks the other.
    grid : list of float (trait)
        The scaling factors these values give; empty while they are invalid
        (``grid_label`` then says why).
    running : bool (trait)
        Set it while a search runs: Stop is enabled only then.
    progress : float (trait)
        Fraction done, 0 to 1 (the bar); ``progress_text`` is the line next
        to it and ``progress_style`` the bar's colour (``"info"``,
        ``"success"``, ``"warning"``, ``"danger"`` or ``""``).
    run_button, stop_button : ipywidgets.Button
        Their clicks go to the callbacks of :meth:`on_run` and :meth:`on_stop`.
    grid_row, action_row : ipywidgets.HBox
        The row of the grid, trials and seed; the row of Run, Stop and the
        progress bar.

    Examples
    --------
    >>> from spikewidgets.panel._run_controls import RunControls
    >>> controls = RunControls("10:65:5", n_trials=20)
    >>> print(controls.grid_label.value)
    12 scaling factors: 10, 15, …, 65 (paper's λ = 1/factor: 0.01538 to 0.1)
    >>> controls.range_slider.readout_format  # the slider reads "10 – 65"
    '.0f'
    >>> controls.factor_step = 2.5
    >>> controls.range_slider.readout_format, controls.grid[:3]
    ('.1f', [10.0, 12.5, 15.0])
    >>> clicks = []
    >>> controls.on_run(lambda part: clicks.append(part.n_trials))
    >>> controls.run_button.click()
    >>> clicks
    [20]
    >>> controls.adaptive_box.value = True
    >>> controls.adaptive
    True
    >>> controls.compare_box.value = True  # unticks adaptive
    >>> controls.compare_rate, controls.adaptive
    (True, False)
    """

    factor_range = traitlets.Tuple(traitlets.Float(), traitlets.Float(),
                                   default_value=(10.0, 65.0))
    factor_step = traitlets.Float(5.0)
    n_trials = traitlets.Int(20)
    seed = traitlets.Int(0)
    adaptive = traitlets.Bool(False)
    compare_rate = traitlets.Bool(False)
    grid = traitlets.List(traitlets.Float())
    running = traitlets.Bool(False)
    progress = traitlets.Float(0.0)
    progress_text = traitlets.Unicode("")
    progress_style = traitlets.Unicode("")

    def __init__(self, scaling_factors: object = (10.0, 65.0, 5.0), n_trials: int = 20,
                 seed: int = 0, **kwargs: object) -> None:
        super().__init__(**kwargs)
        low, high, step = factor_triplet(scaling_factors)
        self.range_slider = widgets.FloatRangeSlider(
            value=(low, high), min=1.0, max=max(200.0, high), step=1.0, readout_format=".0f",
            description="scaling factors (÷ weights, no unit)", continuous_update=False,
            style={"description_width": "initial"}, layout=widgets.Layout(width="500px"))
        self.range_slider.add_class("spw-factor-range")
        self.step_field = widgets.BoundedFloatText(
            value=step, min=0.001, max=1000.0, step=1.0, description="step",
            layout=widgets.Layout(width="130px"), style={"description_width": "35px"})
        self.trials_field = widgets.BoundedIntText(
            value=int(n_trials), min=1, max=100_000, description="trials per factor",
            style={"description_width": "initial"}, layout=widgets.Layout(width="190px"))
        self.seed_field = widgets.BoundedIntText(
            value=int(seed), min=0, max=2**31 - 1, description="seed",
            layout=widgets.Layout(width="150px"), style={"description_width": "35px"})
        self.adaptive_box = widgets.Checkbox(
            value=False, description="adaptive", indent=False,
            tooltip="spend a third of the simulations, on the factors that may be the best",
            layout=widgets.Layout(width="100px"))
        self.compare_box = widgets.Checkbox(
            value=False, description="compare with rate network", indent=False,
            tooltip="also compare each spiking unit with its rate unit (correlation, gain)",
            layout=widgets.Layout(width="210px"))
        self.compare_box.add_class("spw-compare-rate")
        self.grid_label = widgets.HTML()
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="play",
                                         tooltip="run the scaling-factor search")
        self.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop",
                                          disabled=True,
                                          tooltip="stop the search, keep the finished trials")
        self.progress_bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0,
                                                  layout=widgets.Layout(width="240px"))
        self.progress_label = widgets.Label("")
        self.run_button.add_class("spw-run")
        self.stop_button.add_class("spw-stop")
        for control, name in ((self.range_slider, "factor_range"), (self.step_field, "factor_step"),
                              (self.trials_field, "n_trials"), (self.seed_field, "seed"),
                              (self.adaptive_box, "adaptive"),
                              (self.compare_box, "compare_rate")):
            traitlets.link((control, "value"), (self, name))
        traitlets.dlink((self, "progress"), (self.progress_bar, "value"))
        traitlets.dlink((self, "progress_style"), (self.progress_bar, "bar_style"))
        traitlets.dlink((self, "progress_text"), (self.progress_label, "value"))
        traitlets.dlink((self, "running"), (self.stop_button, "disabled"), lambda on: not on)
        self._run_callbacks = widgets.CallbackDispatcher()
        self._stop_callbacks = widgets.CallbackDispatcher()
        self.run_button.on_click(lambda _button: self._run_callbacks(self))
        self.stop_button.on_click(lambda _button: self._stop_callbacks(self))
        self.observe(self._update_grid, names=["factor_range", "factor_step"])
        self.observe(self._exclusive, names=["adaptive", "compare_rate"])
        self._update_grid()
        self.grid_row = widgets.HBox(
            [self.range_slider, self.step_field, self.trials_field, self.seed_field,
             self.adaptive_box, self.compare_box],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        self.action_row = widgets.HBox(
            [self.run_button, self.stop_button, self.progress_bar, self.progress_label],
            layout=widgets.Layout(align_items="center"))
        self.children = (self.grid_row, self.grid_label, self.action_row)

    def on_run(self, callback: Callable[[RunControls], None], remove: bool = False) -> None:
        """Call ``callback(controls)`` on each click of Run (``remove`` unregisters it)."""
        self._run_callbacks.register_callback(callback, remove=remove)

    def on_stop(self, callback: Callable[[RunControls], None], remove: bool = False) -> None:
        """Call ``callback(controls)`` on each click of Stop (``remove`` unregisters it)."""
        self._stop_callbacks.register_callback(callback, remove=remove)

    def read_grid(self) -> np.ndarray:
        """The scaling factors of the range and step, ascending.

        Raises
        ------
        ValueError
            If they make no valid grid (in words).
        """
        low, high = self.factor_range
        return parse_scaling_factors(f"{low!r}:{high!r}:{self.factor_step!r}")

    def _exclusive(self, change: traitlets.Bunch) -> None:
        """An adaptive search cannot compare with the rate network: one box unticks the other."""
        if change.new:
            other = "compare_rate" if change.name == "adaptive" else "adaptive"
            setattr(self, other, False)

    def _update_grid(self, _change: object = None) -> None:
        decimals = decimals_needed([*self.factor_range, self.factor_step])
        self.range_slider.step = 10.0 ** -decimals
        self.range_slider.readout_format = f".{decimals}f"
        try:
            grid = self.read_grid()
        except ValueError as error:
            self.grid = []
            self.grid_label.value = status_html(str(error), "error")
            return
        self.grid = [float(f) for f in grid]
        labels = factor_labels(grid)
        shown = (", ".join(labels) if grid.size <= 8
                 else f"{labels[0]}, {labels[1]}, …, {labels[-1]}")
        lam = (f"{1 / grid[-1]:.4g} to {1 / grid[0]:.4g}" if grid.size > 1
               else f"{1 / grid[0]:.4g}")
        self.grid_label.value = (f"{plural(grid.size, 'scaling factor')}: {shown} "
                                 f"(paper's λ = 1/factor: {lam})")
