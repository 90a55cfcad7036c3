"""Scaling-factor searches, their results as xarray Datasets, and single trials.

- :func:`lambda_grid_search` and :func:`evaluate_single_trial`, with the
  published signatures; :func:`perturbation_search` for perturbed copies of
  the network; :func:`search_models` for many models at once;
  :func:`simulate` for every trace of one trial of a search.
- :mod:`spikewidgets.search.adaptive`: searches that spend their trials on
  the factors that may be the best.

Every search is a plan (one model, one task, network variants, one seed) run
in blocks of trials on any executor (by default a pool of threads, for one
model as for many); the same seed gives the same Dataset on any number of
workers. The functions share the names, order and defaults of their common
arguments (``model_path``, ``task_name``, ``n_trials``, ``scaling_factors``,
``task_settings``, ``seed``, ``trials_per_block``, ...).
"""

from spikewidgets.io._validation import parse_scaling_factors
from spikewidgets.search import adaptive
from spikewidgets.search._grid import evaluate_single_trial, lambda_grid_search
from spikewidgets.search._many import search_models
from spikewidgets.search._perturbation_search import perturbation_search
from spikewidgets.search._simulate import simulate
from spikewidgets.sim._scheduling import DASK_LOW_OVERHEAD

__all__ = ["DASK_LOW_OVERHEAD", "adaptive", "evaluate_single_trial", "lambda_grid_search",
           "parse_scaling_factors", "perturbation_search", "search_models", "simulate"]
