"""Cognitive tasks: stimuli, labels, conditions, scoring, decision lines and training rules.

The published tasks (``go_nogo``, ``xor``, ``mante``) are registered on
import; :func:`register_task` adds your own, which then works everywhere a
published task does. See :class:`Task` for the settings.
"""

from spikewidgets.errors import TaskSettingsError
from spikewidgets.tasks._base import (
    STEPS_PER_COLUMN,
    DecisionLine,
    Score,
    Task,
    Trial,
    first_crossing,
    score_signed,
)
from spikewidgets.tasks._dms import DelayedMatchToSample
from spikewidgets.tasks._published import NOGO_CEILING, GoNoGo, Mante, Xor
from spikewidgets.tasks._registry import (
    get_task,
    infer_task_name,
    normalize_task_name,
    register_task,
    task_names,
    task_names_in_order,
    unregister_task,
)

__all__ = [
    "NOGO_CEILING",
    "STEPS_PER_COLUMN",
    "DecisionLine",
    "DelayedMatchToSample",
    "GoNoGo",
    "Mante",
    "Score",
    "Task",
    "TaskSettingsError",
    "Trial",
    "Xor",
    "first_crossing",
    "get_task",
    "infer_task_name",
    "normalize_task_name",
    "register_task",
    "score_signed",
    "task_names",
    "task_names_in_order",
    "unregister_task",
]

for _task in (GoNoGo(), Xor(), Mante(), DelayedMatchToSample()):
    register_task(_task)
del _task
