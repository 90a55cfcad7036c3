"""Tasks by name: registering your own, looking one up, guessing a model's task."""

from __future__ import annotations

from spikewidgets.errors import TaskSettingsError
from spikewidgets.io._validation import normalize_task_name
from spikewidgets.tasks._base import Task

__all__ = [
    "get_task",
    "infer_task_name",
    "normalize_task_name",
    "register_task",
    "task_names",
    "task_names_in_order",
    "unregister_task",
]

# Insertion order is the order of preference when a model's task is guessed.
_REGISTRY: dict[str, Task] = {}


def register_task(task: Task, *, replace: bool = False) -> Task:
    """Make ``task`` available by name to the search, the panel, the plots, the CLI and training.

    Raises
    ------
    ValueError
        If a task of the same name exists and ``replace`` is False.

    Examples
    --------
    Go-NoGo with a stricter threshold, under its own name:

    >>> import spikewidgets as sw
    >>> from spikewidgets.tasks import unregister_task
    >>> from spikewidgets.tasks._published import GoNoGo
    >>> class StrictGoNoGo(GoNoGo):
    ...     name = "strict_go_nogo"
    ...     defaults = {**GoNoGo.defaults, "eval_amp_thresh": 0.9}
    >>> task = sw.register_task(StrictGoNoGo())
    >>> sw.get_task("strict-go-nogo") is task
    True
    >>> unregister_task("strict_go_nogo")
    """
    if not isinstance(task, Task):
        raise TypeError(f"task is {task!r}, expected an instance of spikewidgets.Task")
    key = normalize_task_name(task.name)
    if not key:
        raise ValueError("task.name is empty, expected a name such as 'my_task'")
    if key in _REGISTRY and not replace:
        raise ValueError(f"a task named {key!r} is already registered; pass replace=True")
    _REGISTRY[key] = task
    return task


def unregister_task(name: str) -> None:
    """Remove a registered task (for tests and notebooks that register temporary tasks).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.tasks import unregister_task
    >>> from spikewidgets.tasks._published import GoNoGo
    >>> class GoNoGoCopy(GoNoGo):
    ...     name = "go_nogo_copy"
    >>> _ = sw.register_task(GoNoGoCopy())
    >>> "go_nogo_copy" in sw.task_names()
    True
    >>> unregister_task("go-nogo-copy")
    >>> "go_nogo_copy" in sw.task_names()
    False
    """
    _REGISTRY.pop(normalize_task_name(name), None)


def get_task(name: str | Task) -> Task:
    """Look a task up by name (``go_nogo``, ``go-nogo``, ``xor``, ``mante``, ...).

    Raises
    ------
    TaskSettingsError
        For a name that no registered task has (the message lists them).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> task = sw.get_task("go-nogo")
    >>> task.name, task.n_inputs, task.defaults["eval_amp_thresh"]
    ('go_nogo', 1, 0.7)
    """
    if isinstance(name, Task):
        return name
    key = normalize_task_name(name)
    if key not in _REGISTRY:
        raise TaskSettingsError(
            f"task_name is {name!r}, expected one of {', '.join(sorted(_REGISTRY))}"
        )
    return _REGISTRY[key]


def task_names() -> list[str]:
    """Names of the registered tasks, sorted.

    Examples
    --------
    The published tasks, and any you registered:

    >>> import spikewidgets as sw
    >>> names = sw.task_names()
    >>> [name for name in names if name in ("go_nogo", "xor", "mante", "dms")]
    ['dms', 'go_nogo', 'mante', 'xor']
    """
    return sorted(_REGISTRY)


def task_names_in_order() -> list[str]:
    """Names of the registered tasks, in registration order (published tasks first).

    Examples
    --------
    The published tasks come first (tasks you register follow them):

    >>> from spikewidgets.tasks._registry import task_names_in_order
    >>> task_names_in_order()[:4]
    ['go_nogo', 'xor', 'mante', 'dms']
    """
    return list(_REGISTRY)


def infer_task_name(n_inputs: int, file_name: str = "") -> str:
    """Guess a model's task from its file name, else from its input count.

    A registered task name (or the name a trainer writes, ``go-nogo``) inside
    the file name wins (``Task_xor_N_200...``); otherwise the first
    registered task with ``n_inputs`` inputs (the published tasks come first:
    1, 2 and 4 inputs mean ``go_nogo``, ``xor`` and ``mante``).

    Raises
    ------
    TaskSettingsError
        If neither the name nor the input count identifies a task.

    Examples
    --------
    ``xor`` and ``dms`` both have two inputs: the file name tells them apart,
    and without one the first registered wins:

    >>> from spikewidgets.tasks._registry import infer_task_name
    >>> infer_task_name(2, "Task_dms_N_200_Taus_4.0_25.0.mat")
    'dms'
    >>> infer_task_name(2, "model.mat"), infer_task_name(4)
    ('xor', 'mante')
    """
    stem = normalize_task_name(str(file_name))
    matching = [task for task in _REGISTRY.values() if task.n_inputs == n_inputs]
    spelled = {name: normalize_task_name(task.file_label or name)
               for name, task in _REGISTRY.items()}
    for task in sorted(matching, key=lambda t: len(t.name), reverse=True):
        if normalize_task_name(task.name) in stem or spelled[task.name] in stem:
            return task.name
    if matching:
        return matching[0].name
    inputs = "1 input" if n_inputs == 1 else f"{n_inputs} inputs"
    raise TaskSettingsError(
        f"cannot tell the task of a model with {inputs} from its file name "
        f"{file_name!r}; pass the task explicitly (one of {', '.join(sorted(_REGISTRY))})"
    )
