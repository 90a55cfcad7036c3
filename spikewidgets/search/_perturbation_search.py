"""The perturbation search: perturbed copies of the converted network against the intact one."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor

import xarray as xr

from spikewidgets.io._validation import positive_int
from spikewidgets.search._blocks import stored_optimum
from spikewidgets.search._grid import run_single_plan
from spikewidgets.search._plan import SearchPlan
from spikewidgets.search._plan_options import PlanOptions
from spikewidgets.search._run_options import RunOptions, trials_per_block_or_alias
from spikewidgets.tasks import Task

__all__ = ["perturbation_search"]


def perturbation_search(
    model_path: str | os.PathLike,
    task_name: str | Task,
    perturbations: object,
    n_trials: int,
    scaling_factors: str | Iterable[float] | None = None,
    task_settings: Mapping[str, object] | None = None,
    *,
    seed: int | None = 0,
    n_workers: int | None = None,
    executor: Executor | None = None,
    trials_per_block: int | None = None,
    progress: bool = True,
    callback: Callable[[xr.Dataset], None] | None = None,
    stop: threading.Event | None = None,
    downsample: int = 1,
    use_initial_weights: bool = False,
    optimum: str = "first",
    trials_per_chunk: int | None = None,
    compare_rate: bool = False,
) -> xr.Dataset:
    """Task accuracy of perturbed copies of the converted network, paired with the intact one.

    Every variant (the intact network ``"none"`` and each perturbation, at
    each scaling factor) sees the same trials: the same stimuli and the same
    noise, drawn once per trial and shared. Trial ``t`` of the intact network
    is trial ``t`` of :func:`~spikewidgets.search.lambda_grid_search` with
    the same seed, bit for bit. The search is paired by construction, so it
    has no ``paired`` argument (``attrs["paired"]`` is 1), and it is never
    adaptive. The model file is not written.

    The arguments it shares with
    :func:`~spikewidgets.search.lambda_grid_search` have the same names,
    order and defaults there.

    Parameters
    ----------
    model_path : path-like
        Trained rate model (``.mat``).
    task_name : str or Task
        Task to run.
    perturbations : Perturbation, str or sequence of them
        Objects of :mod:`spikewidgets.perturbations`, preset names
        (``"ee_inc"`` ... ``"ei_dec"``), or lists of them (applied in order).
        Random choices (lesions, fractions of units) come from ``seed``.
    n_trials : int
        Trials per variant.
    scaling_factors : sequence of float or str, optional
        Default: the optimum stored in the model file by an earlier search.
    task_settings, seed, n_workers, executor, trials_per_block, progress, callback, stop
        As for :func:`~spikewidgets.search.lambda_grid_search`.
    downsample, use_initial_weights, optimum
        As for :func:`~spikewidgets.search.lambda_grid_search`; the optimum
        rule chooses ``opt_scaling_factor`` of every variant.
    trials_per_chunk : int, optional
        Deprecated name of ``trials_per_block`` (a DeprecationWarning).
    compare_rate : bool, default False
        As for :func:`~spikewidgets.search.lambda_grid_search`: every
        variant's units against the (intact) rate network's, per perturbation.

    Returns
    -------
    xarray.Dataset
        Dims ``perturbation`` (coordinate: labels; ``perturbation_kind``,
        ``perturbation_target`` and ``perturbation_strength`` beside it),
        ``scaling_factor`` and ``trial``: every variable of a search, plus
        ``accuracy_change`` against the intact network with its 95 % interval
        (``accuracy_change_ci_low/high``, Newcombe's paired method),
        ``trials_gained``, ``trials_lost``, ``mcnemar_p`` (exact McNemar
        test), and ``condition_accuracy_change`` / ``condition_mcnemar_p``
        per task condition.

    Raises
    ------
    ValueError
        For a model without a stored optimum when ``scaling_factors`` is not
        given, an unknown preset, a fraction outside [0, 1], a factor <= 0 or a
        unit index outside the network.

    Examples
    --------
    A preset, inhibition onto excitatory units cut to 20 % and half of the
    synapses lesioned, each against the intact network on the same 20 trials,
    at the optimum stored in the bundled model (30):

    >>> import spikewidgets as sw
    >>> from spikewidgets.perturbations import LesionConnections, ScaleConnections
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.perturbation_search(
    ...     path, "go_nogo", ["ei_dec", ScaleConnections("inh", "exc", 0.2),
    ...                       LesionConnections(0.5)], n_trials=20, seed=0, progress=False)
    >>> ds.perturbation.values.tolist()
    ['none', 'ei_dec', 'inh->exc x0.2', 'lesion 0.5']
    >>> ds.accuracy_change.sel(scaling_factor=30).values.tolist()
    [0.0, 0.0, -0.55, -0.5]
    >>> ds.mcnemar_p.sel(scaling_factor=30, perturbation="lesion 0.5").item()
    0.001953125
    """
    if perturbations is None:
        raise ValueError("perturbations is None; expected a perturbation, a preset name or a "
                         "list of them")
    n_trials = positive_int("n_trials", n_trials)
    options = RunOptions(executor=executor, n_workers=n_workers,
                         trials_per_block=trials_per_block_or_alias(trials_per_block,
                                                                    trials_per_chunk),
                         progress=progress, callback=callback, stop=stop)
    choices = PlanOptions(downsample=downsample, use_initial_weights=use_initial_weights,
                          perturbations=perturbations, optimum=optimum,
                          compare_rate=compare_rate)
    if scaling_factors is None:
        scaling_factors = [stored_optimum(model_path)]
    plan = SearchPlan.prepare(model_path, task_name, scaling_factors, task_settings, seed=seed,
                              options=choices)
    return run_single_plan(plan, n_trials, options, stacklevel=3)
