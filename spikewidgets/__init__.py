"""spikewidgets: turn trained rate RNNs into spiking LIF networks, in Jupyter.

The names here are the ones most work needs; each subpackage holds one
layer, from the bottom:

- :mod:`spikewidgets.io`: model files, bundled examples;
- :mod:`spikewidgets.sim`: the spiking (Numba) and rate networks;
- :mod:`spikewidgets.tasks`, :mod:`spikewidgets.stats`: what a trial is and
  how it is scored; intervals, paired tests;
- :mod:`spikewidgets.perturbations`: perturbed copies of a network;
- :mod:`spikewidgets.search`, :mod:`spikewidgets.analysis`,
  :mod:`spikewidgets.train`: searches, timescales, the trainer;
- :mod:`spikewidgets.plots`: Bokeh figures of the results;
- :mod:`spikewidgets.panel`, :mod:`spikewidgets.cli`: the Jupyter panel and
  the command line.

Exceptions and warnings are in :mod:`spikewidgets.errors`. The core needs no
display: ``SearchPanel`` (ipywidgets and Bokeh) is imported on first access.
"""

from spikewidgets import perturbations
from spikewidgets._version import __version__
from spikewidgets.errors import (
    EdgeOfGridWarning,
    ModelFileError,
    ModelWriteError,
    SearchInterrupted,
    TaskSettingsError,
)
from spikewidgets.io import RateModel, example_model, load_model, write_search_results
from spikewidgets.search import (
    evaluate_single_trial,
    lambda_grid_search,
    parse_scaling_factors,
    perturbation_search,
    search_models,
    simulate,
)
from spikewidgets.search.adaptive import FixedBudget, Race
from spikewidgets.sim import LIFNetwork, LIFResult, NetworkVariant, Stimulation, run_lif
from spikewidgets.tasks import Score, Task, Trial, get_task, register_task, task_names

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
    "evaluate_single_trial",
    "example_model",
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
_LAZY = {"SearchPanel": "spikewidgets.panel"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'spikewidgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
