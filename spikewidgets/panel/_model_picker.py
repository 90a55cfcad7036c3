"""Choosing the model file, its task and the task's settings.

The examples below use copies of the bundled example models in the working
folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import traitlets

from spikewidgets.io import _examples as examples
from spikewidgets.io._modelfile import RateModel, load_model
from spikewidgets.panel._common import Part, Quiet, StatusLine, guarded
from spikewidgets.plots._base import plural
from spikewidgets.tasks import TaskSettingsError, get_task, task_names
from spikewidgets.tasks._registry import infer_task_name

__all__ = ["OWN_FILE", "SETTING_LABELS", "ModelChoice", "ModelPicker", "example_of",
           "infer_task", "loaded_text", "setting_field"]

#: The model dropdown's entry for a file that is not a copy of a bundled example.
OWN_FILE = "own .mat file"

_WIDE = {"description_width": "150px"}

#: Labels (with units) of the settings of the registered tasks, by key.
SETTING_LABELS = {
    "T": "trial length (5 ms steps)",
    "stim_on": "stimulus onset (5 ms steps)",
    "stim_dur": "stimulus length (5 ms steps)",
    "delay": "gap between stimuli (5 ms steps)",
    "resp_start": "response from (5 ms steps)",
    "eval_amp_thresh": "readout threshold (a.u.)",
}


def infer_task(n_inputs: int, filename: str | os.PathLike | None = None) -> str | None:
    """``spikewidgets.tasks._registry.infer_task_name``, or None if it cannot tell.

    Examples
    --------
    >>> from spikewidgets.panel._model_picker import infer_task
    >>> infer_task(2, "models/xor_200.mat"), infer_task(1)
    ('xor', 'go_nogo')
    """
    try:
        return infer_task_name(n_inputs, Path(filename).name if filename else "")
    except TaskSettingsError:
        return None


def setting_field(key: str, default: float, value: float | None = None) -> widgets.Widget:
    """A number field for one task setting: whole numbers for integer defaults.

    Parameters
    ----------
    key : str
        The setting (its label comes from :data:`SETTING_LABELS`; the key is the tooltip).
    default : float
        The task's default, whose type (int or float) sets the field's.
    value : float, optional
        The initial value (default: ``default``).

    Returns
    -------
    ipywidgets.IntText or ipywidgets.FloatText

    Examples
    --------
    >>> from spikewidgets.panel._model_picker import setting_field
    >>> field = setting_field("stim_on", 50)
    >>> type(field).__name__, field.description, field.value
    ('IntText', 'stimulus onset (5 ms steps)', 50)
    >>> setting_field("eval_amp_thresh", 0.7, 1.2).value
    1.2
    """
    label = SETTING_LABELS.get(key, key)
    value = default if value is None else value
    layout = widgets.Layout(width="300px")
    if isinstance(default, (float, np.floating)):
        box = widgets.FloatText(value=float(value), description=label, style=_WIDE, step=0.05,
                                layout=layout)
    else:
        box = widgets.IntText(value=int(value), description=label, style=_WIDE, layout=layout)
    box.tooltip = key
    return box


def example_of(path: str | os.PathLike, examples: tuple[str, ...]) -> str:
    """The task whose bundled example ``path`` is a copy of, by its name (``<task>_example.mat``).

    ``""`` for any other file.

    Examples
    --------
    >>> from spikewidgets.panel._model_picker import example_of
    >>> example_of("work/go_nogo_example.mat", ("go_nogo", "xor")), example_of("mine.mat", ())
    ('go_nogo', '')
    """
    name = Path(path).name
    return next((task for task in examples if name == f"{task}_example.mat"), "")


def loaded_text(path: str | os.PathLike, model: RateModel, task: str) -> str:
    """What the status line says once a model file is loaded.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._model_picker import loaded_text
    >>> path = sw.example_model("go_nogo", ".")
    >>> print(loaded_text(path, sw.load_model(path), "go_nogo"))
    Loaded go_nogo_example.mat: 200 units (163 excitatory, 37 inhibitory), 1 input; task go_nogo.
    The file holds an earlier optimum: 30.
    """
    earlier = (f" The file holds an earlier optimum: {model.opt_scaling_factor:g}."
               if model.opt_scaling_factor is not None else "")
    return (f"Loaded {Path(path).name}: {plural(model.n_units, 'unit')} "
            f"({int(np.sum(model.exc))} excitatory, {int(np.sum(model.inh))} inhibitory), "
            f"{plural(model.n_inputs, 'input')}; task {task}.{earlier}")


@dataclass(frozen=True)
class ModelChoice:
    """A model file read afresh and checked against the chosen task and settings.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._model_picker import ModelPicker
    >>> choice = ModelPicker(sw.example_model("xor", ".")).read()
    >>> choice.path.name, choice.task, choice.model.n_inputs, choice.settings["eval_amp_thresh"]
    ('xor_example.mat', 'xor', 2, 0.7)
    """

    path: Path
    model: RateModel
    task: str
    settings: dict


class ModelPicker(Part, widgets.VBox):
    """Model file, task and task settings, with a line saying what was loaded or what is wrong.

    Parameters
    ----------
    source : path-like or str, optional
        A ``.mat`` model file, or the name of a task with a bundled example
        model (see :func:`~spikewidgets.io.example_model`; a writable
        copy is used).
    task : str, optional
        The task (default: inferred from the file name and the input count).
    task_settings : mapping, optional
        Overrides of the task's default settings.
    status : StatusLine, optional
        Where to report; by default the picker shows its own line.

    Attributes
    ----------
    path : str (trait)
        The model file's path, as typed (linked to ``path_field``).
    task : str (trait)
        The task's name (linked to ``task_field``).
    model : RateModel or None (trait)
        The model read from ``path``, or None if it could not be read.
    settings : dict (trait)
        The values of the settings fields.
    example_field, path_field, task_field : ipywidgets
        The controls (a bundled example, the file, the task).
    setting_fields : dict
        One number field per setting of the task, by key.
    settings_accordion : ipywidgets.Accordion
        Holds the settings fields (collapsed).
    status : StatusLine
        Where the picker reports, in words.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._model_picker import ModelPicker
    >>> picker = ModelPicker(sw.example_model("mante", "."))
    >>> picker.task, picker.example_field.value  # from the inputs and the file's name
    ('mante', 'mante')
    >>> picker.status.text
    '✔ Loaded mante_example.mat: 200 units (163 excitatory, 37 inhibitory), 4 inputs; task mante...'
    """

    path = traitlets.Unicode("")
    task = traitlets.Unicode("")
    model = traitlets.Instance(RateModel, allow_none=True)
    settings = traitlets.Dict()

    def __init__(self, source: str | os.PathLike | None = None, task: str | None = None, *,
                 task_settings: Mapping[str, float] | None = None,
                 status: StatusLine | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._quiet = Quiet()
        own_status = status is None
        self.status = StatusLine("Choose a bundled example or type the path of a .mat model "
                                 "file.") if status is None else status
        self.examples = tuple(name for name in examples.EXAMPLE_TASKS if name in task_names())
        options = [(OWN_FILE, "")] + [(f"{name} example", name) for name in self.examples]
        self.example_field = widgets.Dropdown(options=options, value="", description="model",
                                              layout=widgets.Layout(width="260px"))
        self.path_field = widgets.Text(value="", placeholder="path/to/model.mat",
                                       description="file", continuous_update=False,
                                       layout=widgets.Layout(width="460px"))
        first = (self.examples or tuple(task_names()))[0]
        self.task_field = widgets.Dropdown(options=task_names(), value=first, description="task",
                                           layout=widgets.Layout(width="200px"))
        self.settings_box = widgets.VBox([])
        self.settings_accordion = widgets.Accordion(children=[self.settings_box],
                                                    selected_index=None)
        self.settings_accordion.set_title(0, "task settings")
        self.setting_fields: dict[str, widgets.Widget] = {}
        for name, control in (("path", self.path_field), ("task", self.task_field)):
            control.add_class(f"spw-{name}")
        row = widgets.HBox([self.example_field, self.path_field, self.task_field],
                           layout=widgets.Layout(flex_flow="row wrap"))
        self.children = (row, self.settings_accordion) + ((self.status,) if own_status else ())
        self.task = first
        traitlets.link((self.path_field, "value"), (self, "path"))
        traitlets.link((self.task_field, "value"), (self, "task"))
        self.example_field.observe(self._guard(self._on_example), names="value")
        self.observe(self._guard(lambda change: self._load_path(change.new)), names="path")
        self.observe(self._guard(lambda change: self._set_task(change.new)), names="task")
        self._set_task(first, task_settings)
        if source is not None:
            self.load(source, task, task_settings)

    def _guard(self, handler):
        return guarded(handler, self.status)

    # ------------------------------------------------------------------ loading

    def load(self, source: str | os.PathLike, task: str | None = None,
             task_settings: Mapping[str, float] | None = None) -> RateModel | None:
        """Load a model file (or the bundled example of a task).

        Parameters
        ----------
        source : path-like or str
            A ``.mat`` model file, or a task name of
            :func:`~spikewidgets.io.example_model` for a writable copy
            of that bundled example.
        task : str, optional
            The task (default: inferred from the file name and the input count).
        task_settings : mapping, optional
            Overrides of the task's default settings.

        Returns
        -------
        RateModel or None
            The model, or None if it could not be read (the status line then
            says why, in words).
        """
        text: str | None = os.fspath(source)
        if text in self.examples and not Path(text).exists():
            with self._quiet():
                self.example_field.value = text
            text = self._example_path(text)
        if text is None:
            return None
        if self.path == text:
            self._load_path(text)
        else:
            self.path = text
        if self.model is not None and task is not None:
            self.task = get_task(task).name
        if task_settings:
            self._set_task(self.task, task_settings)
        return self.model

    def _example_path(self, name: str) -> str | None:
        try:
            return str(examples.example_model(name))
        except (FileNotFoundError, ValueError) as error:
            self.status.show(f"The {name} example model is not available: {error}", "error")
            return None

    def _on_example(self, change: traitlets.Bunch) -> None:
        if self._quiet or not change.new:
            return
        path = self._example_path(change.new)
        if path is not None:
            self.path = path

    def _load_path(self, text: str) -> None:
        text = text.strip()
        self.model = None
        with self._quiet():  # the dropdown names the example this file is a copy of
            self.example_field.value = example_of(text, self.examples)
        if not text:
            self.status.show("Choose a bundled example or type the path of a .mat model file.")
            return
        try:
            model = load_model(text)
        except (FileNotFoundError, ValueError, OSError) as error:
            self.status.show(f"Cannot use this model: {error}", "error")
            return
        guess = infer_task(model.n_inputs, text)
        if guess is not None and guess != self.task:
            with self._quiet():
                self.task = guess
            self._set_task(guess)
        self.model = model
        if self._task_mismatch() is None:
            self.status.show(loaded_text(text, model, self.task), "success")

    # ------------------------------------------------------------------ task

    def _task_mismatch(self) -> str | None:
        if self.model is None:
            return None
        try:
            get_task(self.task).check_model_inputs(
                self.model.n_inputs, f"model file {Path(self.path).name}")
        except ValueError as error:
            self.status.show(f"Wrong task: {error}", "error")
            return str(error)
        return None

    def _set_task(self, name: str, values: Mapping[str, float] | None = None) -> None:
        if self._quiet:
            return
        values = values or {}
        try:
            get_task(name).settings(values)
            problem = False
        except TaskSettingsError as error:
            self.status.show(f"Task settings: {error}", "error")
            problem = True
        fields = {key: setting_field(key, default, values.get(key))
                  for key, default in get_task(name).defaults.items()}
        for box in fields.values():
            box.observe(self._read_settings, names="value")
        old = self.settings_box.children
        self.setting_fields = fields
        self.settings_box.children = tuple(fields.values())
        for box in old:
            box.close()
        self._read_settings()
        if not problem and self.model is not None and self._task_mismatch() is None:
            self.status.show(f"Task {name}: ready to run.", "info")

    def _read_settings(self, _change: object = None) -> None:
        self.settings = {key: box.value for key, box in self.setting_fields.items()}

    # ------------------------------------------------------------------ checking

    def read(self) -> ModelChoice:
        """Read the model file afresh and check it against the task and its settings.

        Returns
        -------
        ModelChoice
            The path, the model, the task's name and its complete settings.

        Raises
        ------
        ValueError, FileNotFoundError
            For no file, a bad file, a task that does not fit the model, or
            bad settings (in words).
        """
        text = self.path.strip()
        if not text:
            raise ValueError("no model file: choose a bundled example or type the path of a "
                             ".mat file")
        path = Path(text).expanduser()
        model = load_model(path)
        task = get_task(self.task)
        task.check_model_inputs(model.n_inputs, f"model file {path.name}")
        return ModelChoice(path, model, task.name, task.settings(dict(self.settings)))
