"""spikewidgets: turn trained rate RNNs into spiking LIF networks, in Jupyter.

The core (model files, kernel, tasks, search) needs no display; the panel and
the plot builders (``spikewidgets.panel``, ``spikewidgets.plots``) import
ipywidgets and Bokeh only when used.
"""

__version__ = "0.1.0"

from . import examples
from .examples import example_model
from .kernel import LIFNetwork, LIFResult, Stimulation, run_lif
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

__all__ = [
    "EdgeOfGridWarning",
    "LIFNetwork",
    "LIFResult",
    "ModelFileError",
    "ModelWriteError",
    "RateModel",
    "Score",
    "SearchInterrupted",
    "Stimulation",
    "Task",
    "TaskSettingsError",
    "Trial",
    "__version__",
    "evaluate_single_trial",
    "example_model",
    "examples",
    "get_task",
    "lambda_grid_search",
    "load_model",
    "parse_scaling_factors",
    "register_task",
    "run_lif",
    "simulate",
    "task_names",
    "write_search_results",
]


def __getattr__(name: str):
    if name == "SearchPanel":
        from .panel import SearchPanel

        return SearchPanel
    raise AttributeError(f"module 'spikewidgets' has no attribute {name!r}")
