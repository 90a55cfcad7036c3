"""spikewidgets: turn trained rate RNNs into spiking LIF networks, in Jupyter.

The core (model files, kernel, tasks, search plans, searches and perturbation
searches, results) needs no display; the panel and
the plot builders (``spikewidgets.panel``, ``spikewidgets.plots``) import
ipywidgets and Bokeh only when used: ``SearchPanel`` is imported from
``spikewidgets.panel`` on first access.
"""

from . import adaptive, examples, perturbations
from .adaptive import FixedBudget, Race
from .examples import example_model
from .kernel import LIFNetwork, LIFResult, NetworkVariant, Stimulation, run_lif
from .many import search_models
from .modelfile import (
    ModelFileError,
    ModelWriteError,
    RateModel,
    load_model,
    write_search_results,
)
from .results import EdgeOfGridWarning
from .search import (
    SearchInterrupted,
    evaluate_single_trial,
    lambda_grid_search,
    parse_scaling_factors,
    perturbation_search,
)
from .simulate import simulate
from .tasks import (
    Score,
    Task,
    TaskSettingsError,
    Trial,
    get_task,
    register_task,
    task_names,
)
from .version import __version__

__all__ = [
    "EdgeOfGridWarning",
    "FixedBudget",
    "LIFNetwork",
    "LIFResult",
    "ModelFileError",
    "ModelWriteError",
    "NetworkVariant",
    "Race",
    "RateModel",
    "Score",
    "SearchInterrupted",
    "SearchPanel",
    "Stimulation",
    "Task",
    "TaskSettingsError",
    "Trial",
    "__version__",
    "adaptive",
    "evaluate_single_trial",
    "example_model",
    "examples",
    "get_task",
    "lambda_grid_search",
    "load_model",
    "parse_scaling_factors",
    "perturbation_search",
    "perturbations",
    "register_task",
    "run_lif",
    "search_models",
    "simulate",
    "task_names",
    "write_search_results",
]


#: Names of ``__all__`` imported on first access (they import ipywidgets and Bokeh).
_LAZY = {"SearchPanel": ".panel"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'spikewidgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
