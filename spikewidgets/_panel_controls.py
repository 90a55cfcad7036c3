"""The ipywidgets controls of the search panel, and how they are laid out."""

from __future__ import annotations

import contextlib
import html
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as widgets
import numpy as np

from .tasks import TaskSettingsError, get_task, infer_task_name, task_names
from .validation import parse_scaling_factors

__all__ = [
    "NO_FACTOR",
    "Controls",
    "Quiet",
    "build_controls",
    "close_tree",
    "example_tasks",
    "factor_triplet",
    "grid_label",
    "infer_task",
    "layout",
    "read_grid",
    "setting_widgets",
    "status_html",
    "status_text",
]

_WIDE = {"description_width": "150px"}

#: Labels (with units) of the known task settings.
SETTING_LABELS = {
    "T": "trial length (5 ms steps)",
    "stim_on": "stimulus onset (5 ms steps)",
    "stim_dur": "stimulus length (5 ms steps)",
    "delay": "gap between stimuli (5 ms steps)",
    "resp_start": "response from (5 ms steps)",
    "eval_amp_thresh": "readout threshold (a.u.)",
}


def example_tasks() -> tuple[str, ...]:
    """Tasks with a bundled example model (none if the examples module is missing)."""
    try:
        from .examples import EXAMPLE_TASKS
    except ImportError:
        return ()
    return tuple(EXAMPLE_TASKS)


def factor_triplet(value: object) -> tuple[float, float, float]:
    """``(start, stop, step)`` from such a triple or from ``"start:stop:step"``."""
    parts = value.split(":") if isinstance(value, str) else value
    try:
        start, stop, step = (float(p) for p in parts)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"scaling_factors is {value!r}, expected (start, stop, step) or "
                         "'start:stop:step'") from None
    parse_scaling_factors(f"{start!r}:{stop!r}:{step!r}")
    return start, stop, step


def read_grid(controls: Controls) -> np.ndarray:
    """The scaling factors set by the range slider and the step field."""
    low, high = controls.factor_range.value
    step = controls.factor_step.value
    return parse_scaling_factors(f"{low!r}:{high!r}:{step!r}")


def grid_label(controls: Controls) -> str:
    """HTML line describing the grid (or why it is invalid)."""
    try:
        grid = read_grid(controls)
    except ValueError as error:
        return status_html(str(error), "error")
    shown = ", ".join(f"{f:g}" for f in grid) if grid.size <= 8 else \
        f"{grid[0]:g}, {grid[1]:g}, …, {grid[-1]:g}"
    return (f"{grid.size} scaling factors: {shown} (paper's λ = 1/factor: "
            f"{1 / grid[-1]:.4g} to {1 / grid[0]:.4g})")


def close_tree(widget: widgets.Widget, keep: tuple = ()) -> None:
    """Close a widget and, first, all its descendants, except those in ``keep``."""
    if widget in keep:
        return
    for child in getattr(widget, "children", ()):
        close_tree(child, keep)
    # jupyter_bokeh's BokehModel.close is not idempotent and runs again when the
    # widget is garbage-collected: close only its comm here.
    widgets.Widget.close(widget)


def infer_task(n_inputs: int, filename: str | Path | None = None) -> str | None:
    """:func:`~spikewidgets.tasks.infer_task_name`, or None if it cannot tell."""
    try:
        return infer_task_name(n_inputs, Path(filename).name if filename else "")
    except TaskSettingsError:
        return None


def setting_widgets(task: str, values: Mapping[str, float] | None = None) -> dict:
    """One number field per setting of ``task``, filled with ``values`` or the defaults."""
    defaults = dict(get_task(task).defaults)
    defaults.update(values or {})
    fields = {}
    for key, value in defaults.items():
        label = SETTING_LABELS.get(key, key)
        if key == "eval_amp_thresh" or float(value) != int(value):
            box = widgets.FloatText(value=float(value), description=label, style=_WIDE,
                                    step=0.05, layout=widgets.Layout(width="300px"))
        else:
            box = widgets.IntText(value=int(value), description=label, style=_WIDE,
                                  layout=widgets.Layout(width="300px"))
        box.tooltip = key
        fields[key] = box
    return fields


_LEVELS = {
    "info": ("#333333", ""),
    "busy": ("#1f5fa8", "⏳ "),
    "success": ("#1a7f37", "✔ "),
    "warning": ("#9a6700", "⚠ "),
    "error": ("#c62828", "✖ "),
}


def status_html(message: str, level: str = "info") -> str:
    """The status line as HTML: the message escaped, coloured by ``level``."""
    color, mark = _LEVELS.get(level, _LEVELS["info"])
    text = html.escape(message).replace("\n", "<br>")
    return f'<div class="spw-message spw-{level}" style="color:{color}">{mark}{text}</div>'


def status_text(value: str) -> str:
    """The plain text of a status line (for tests and logs)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", value)).strip()


@dataclass
class Controls:
    """Every control of the panel (ipywidgets), by role."""

    example: widgets.Dropdown
    path: widgets.Text
    task: widgets.Dropdown
    settings_box: widgets.VBox
    settings_accordion: widgets.Accordion
    factor_range: widgets.FloatRangeSlider
    factor_step: widgets.BoundedFloatText
    grid_label: widgets.HTML
    n_trials: widgets.BoundedIntText
    seed: widgets.BoundedIntText
    run: widgets.Button
    stop: widgets.Button
    progress: widgets.FloatProgress
    progress_label: widgets.Label
    status: widgets.HTML
    factor: widgets.SelectionSlider
    trial: widgets.BoundedIntText
    trial_info: widgets.HTML
    save: widgets.Button
    export_path: widgets.Text
    export: widgets.Button
    #: The number fields of the current task's settings, by setting name.
    settings: dict = field(default_factory=dict)


class Quiet:
    """A per-thread flag, true while the panel itself changes its controls.

    ``with quiet(): ...`` sets it; observers skip their work ``if quiet``.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def __bool__(self) -> bool:
        return getattr(self._local, "on", False)

    @contextlib.contextmanager
    def __call__(self):
        before = bool(self)
        self._local.on = True
        try:
            yield
        finally:
            self._local.on = before


#: Value of the scaling-factor slider when no factor is selected.
NO_FACTOR = -1


def build_controls(examples: tuple[str, ...], factors: tuple[float, float, float],
                   n_trials: int, seed: int) -> Controls:
    """Create the controls with their initial values (no callbacks attached)."""
    low, high, step = factors
    options = [("file path below", "")] + [(f"{name} example", name) for name in examples]
    settings_box = widgets.VBox([])
    accordion = widgets.Accordion(children=[settings_box], selected_index=None)
    accordion.set_title(0, "task settings")
    controls = Controls(
        example=widgets.Dropdown(options=options, value="", description="model",
                                 layout=widgets.Layout(width="260px")),
        path=widgets.Text(value="", placeholder="path/to/model.mat", description="file",
                          continuous_update=False, layout=widgets.Layout(width="460px")),
        task=widgets.Dropdown(options=task_names(), value="go_nogo", description="task",
                              layout=widgets.Layout(width="200px")),
        settings_box=settings_box,
        settings_accordion=accordion,
        factor_range=widgets.FloatRangeSlider(
            value=(low, high), min=1.0, max=max(200.0, high), step=1.0, readout_format=".4g",
            description="scaling factors (÷ weights, no unit)", continuous_update=False,
            style={"description_width": "initial"}, layout=widgets.Layout(width="500px")),
        factor_step=widgets.BoundedFloatText(
            value=step, min=0.001, max=1000.0, step=1.0, description="step",
            layout=widgets.Layout(width="130px"), style={"description_width": "35px"}),
        grid_label=widgets.HTML(),
        n_trials=widgets.BoundedIntText(
            value=n_trials, min=1, max=100_000, description="trials per factor",
            style={"description_width": "initial"}, layout=widgets.Layout(width="190px")),
        seed=widgets.BoundedIntText(
            value=seed, min=0, max=2**31 - 1, description="seed",
            layout=widgets.Layout(width="150px"), style={"description_width": "35px"}),
        run=widgets.Button(description="Run", button_style="primary", icon="play",
                           tooltip="run the scaling-factor search"),
        stop=widgets.Button(description="Stop", button_style="danger", icon="stop",
                            disabled=True, tooltip="stop the search, keep the finished trials"),
        progress=widgets.FloatProgress(value=0.0, min=0.0, max=1.0,
                                       layout=widgets.Layout(width="240px")),
        progress_label=widgets.Label(""),
        status=widgets.HTML(status_html("Choose a model file and press Run.")),
        factor=widgets.SelectionSlider(
            options=[("none", NO_FACTOR)], value=NO_FACTOR, description="scaling factor",
            continuous_update=False, layout=widgets.Layout(width="440px"),
            style={"description_width": "initial"}),
        trial=widgets.BoundedIntText(value=0, min=0, max=max(n_trials - 1, 0),
                                     description="trial", layout=widgets.Layout(width="140px"),
                                     style={"description_width": "35px"}),
        trial_info=widgets.HTML(""),
        save=widgets.Button(description="Save optimum to model file", icon="save",
                            disabled=True, layout=widgets.Layout(width="230px")),
        export_path=widgets.Text(value="search.nc", description="netCDF file",
                                 layout=widgets.Layout(width="340px")),
        export=widgets.Button(description="Export", icon="download", disabled=True),
    )
    for name in ("run", "stop", "save", "export", "status", "factor", "trial", "path", "task"):
        getattr(controls, name).add_class(f"spw-{name}")
    return controls


def layout(controls: Controls, plots: widgets.Widget, extra: widgets.Widget) -> widgets.VBox:
    """Arrange the controls and the plot area in one VBox."""
    c = controls
    header = widgets.HTML("<b>spikewidgets</b>: scaling-factor search of a rate RNN "
                          "converted to a spiking LIF network")
    grid_row = widgets.HBox([c.factor_range, c.factor_step, c.n_trials, c.seed],
                            layout=widgets.Layout(flex_flow="row wrap"))
    run_row = widgets.HBox([c.run, c.stop, c.progress, c.progress_label],
                           layout=widgets.Layout(align_items="center"))
    select_row = widgets.HBox([c.factor, c.trial, c.trial_info],
                              layout=widgets.Layout(align_items="center"))
    file_row = widgets.HBox([c.save, c.export_path, c.export])
    box = widgets.VBox([
        header,
        widgets.HBox([c.example, c.path, c.task], layout=widgets.Layout(flex_flow="row wrap")),
        c.settings_accordion,
        grid_row,
        c.grid_label,
        run_row,
        c.status,
        plots,
        select_row,
        file_row,
        extra,
    ])
    box.add_class("spw-panel")
    return box
