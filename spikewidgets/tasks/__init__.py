"""Cognitive tasks: stimuli, labels, conditions, scoring, decision lines and training rules.

The published tasks (``go_nogo``, ``xor``, ``mante``) are registered on
import; :func:`register_task` adds your own, which then works everywhere a
published task does. See :class:`Task` for the settings.
"""

from spikewidgets.errors import TaskSettingsError
from spikewidgets.tasks._base import DecisionLine, Score, Task, Trial, score_signed
from spikewidgets.tasks._dms import DelayedMatchToSample
from spikewidgets.tasks._published import NOGO_CEILING, GoNoGo, Mante, Xor
from spikewidgets.tasks._registry import get_task, register_task, task_names, unregister_task

__all__ = [
    "NOGO_CEILING",
    "DecisionLine",
    "Score",
    "Task",
    "TaskSettingsError",
    "Trial",
    "Xor",
    "get_task",
    "register_task",
    "score_signed",
    "task_names",
    "unregister_task",
]

for _task in (GoNoGo(), Xor(), Mante(), DelayedMatchToSample()):
    register_task(_task)
# The other published tasks are reached by name (get_task), their classes in tasks._published.
del _task, GoNoGo, Mante, DelayedMatchToSample
