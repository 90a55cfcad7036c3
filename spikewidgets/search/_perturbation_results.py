"""The Dataset of a perturbation search: each variant's change against the intact network."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from spikewidgets.io._labels import variable_attrs
from spikewidgets.search._rate_comparison import comparison_variables, slice_comparison
from spikewidgets.search._results import TrialScores, build_dataset
from spikewidgets.stats._paired import mcnemar_exact, paired_difference_interval

__all__ = ["perturbation_dataset"]


def _paired_counts(correct: np.ndarray) -> tuple[np.ndarray, ...]:
    """(both, gained, lost, neither) of each variant against variant 0, over the last axis."""
    intact, perturbed = correct[:1], correct
    return ((intact & perturbed).sum(-1), (~intact & perturbed).sum(-1),
            (intact & ~perturbed).sum(-1), (~intact & ~perturbed).sum(-1))


def perturbation_dataset(
    scaling_factors: np.ndarray,
    perturbations: Sequence[object],
    scores: Sequence[TrialScores],
    conditions: Sequence[str],
    attrs: Mapping[str, object],
    *,
    rule: str = "first",
    exc: np.ndarray | None = None,
) -> xr.Dataset:
    """The Dataset of a perturbation search: dims ``perturbation``, ``scaling_factor``, ``trial``.

    ``scores`` hold, per trial, the variants in the order perturbation-major
    (every factor of the first perturbation, then of the second, ...); the
    first perturbation is the intact network. Besides what a search Dataset
    has (per perturbation), it holds the paired change in accuracy against
    the intact network with its 95 % interval and McNemar's exact p-value,
    overall and per task condition. Each network's optimum is chosen by
    ``rule`` (``spikewidgets.stats._optimum``). With ``exc`` (the model's
    excitatory units) and scores that hold a rate comparison, the comparison's
    variables too (``spikewidgets.search._rate_comparison``).

    Examples
    --------
    Four Go trials at one scaling factor, each scored for the intact network
    and for ``ei_dec`` (:func:`~spikewidgets.search.perturbation_search`
    makes the scores by simulating):

    >>> import numpy as np
    >>> from spikewidgets.search._perturbation_results import perturbation_dataset
    >>> from spikewidgets.perturbations._presets import as_perturbation
    >>> from spikewidgets.search._results import TrialScores
    >>> intact = [True, True, False, True]
    >>> perturbed = [False, True, False, False]
    >>> scores = [TrialScores(trial, 1, "go", np.array([a, b]), np.array([0.9, 0.1]),
    ...                       np.array([0.6, np.nan]), np.array([5.0, 6.0]))
    ...           for trial, (a, b) in enumerate(zip(intact, perturbed))]
    >>> ds = perturbation_dataset(np.array([30.0]), [as_perturbation(None),
    ...                                              as_perturbation("ei_dec")],
    ...                           scores, ("go", "nogo"), {"task": "go_nogo"})
    >>> ds.perturbation.values.tolist(), ds.perturbation_target.values.tolist()
    (['none', 'ei_dec'], ['', 'inh->exc'])
    >>> ds.accuracy.values.ravel(), ds.accuracy_change.values.ravel()
    (array([0.75, 0.25]), array([ 0. , -0.5]))
    >>> ds.trials_lost.values.ravel(), ds.mcnemar_p.values.ravel()
    (array([0, 2]), array([1. , 0.5]))
    """
    n_factors = len(scaling_factors)
    per_perturbation = []
    for index in range(len(perturbations)):
        part = slice(index * n_factors, (index + 1) * n_factors)
        sliced = [TrialScores(s.trial, s.label, s.condition, s.correct[part], s.response[part],
                              s.response_time[part], s.mean_rate[part],
                              None if s.rate is None else slice_comparison(s.rate, part))
                  for s in scores]
        single = build_dataset(scaling_factors, sliced, conditions, {}, rule=rule)
        if exc is not None and sliced and sliced[0].rate is not None:
            data, coords = comparison_variables(
                [s.rate for s in sorted(sliced, key=lambda s: s.trial)], exc)
            single = single.assign_coords(coords).assign(data)
        per_perturbation.append(single)
    labels = [p.label for p in perturbations]
    dataset = xr.concat(per_perturbation, dim="perturbation", coords="minimal",
                        compat="override", join="override")
    # Per-trial and per-condition facts are those of the trials, the same for every variant.
    dataset["condition_trials"] = dataset.condition_trials.isel(perturbation=0, drop=True)
    records = [p.describe() for p in perturbations]
    dataset = dataset.assign_coords(
        perturbation=("perturbation", labels,
                      variable_attrs("perturbation",
                                     "perturbation of the network ('none': intact)")),
        perturbation_kind=("perturbation", [str(r["kind"]) for r in records],
                           variable_attrs("perturbation kind", "kind of perturbation")),
        perturbation_target=("perturbation", [str(r["target"]) for r in records],
                             variable_attrs("perturbation target",
                                            "what the perturbation acts on")),
        perturbation_strength=("perturbation", [float(r["strength"]) for r in records],
                               variable_attrs("perturbation strength",
                                              "factor, fraction or unit count of the "
                                              "perturbation (NaN if it has none)")),
    )
    for name in per_perturbation[0].variables:
        dataset[name].attrs = dict(per_perturbation[0][name].attrs)
    _add_paired(dataset)
    dataset.attrs = {**attrs, "n_trials_completed": int(dataset.sizes["trial"]),
                     "intact_perturbation": labels[0]}
    return dataset


def _add_paired(dataset: xr.Dataset) -> None:
    correct = dataset.correct.values  # (P, F, T)
    both, gained, lost, neither = _paired_counts(correct)
    n_trials = correct.shape[-1]
    dims = ("perturbation", "scaling_factor")
    with np.errstate(invalid="ignore", divide="ignore"):
        change = (gained - lost) / n_trials if n_trials else np.full(both.shape, np.nan)
    low, high = paired_difference_interval(both, gained, lost, neither)
    dataset["accuracy_change"] = (dims, change, variable_attrs(
        "accuracy change", "accuracy minus the intact network's, on the same trials"))
    dataset["accuracy_change_ci_low"] = (dims, low, variable_attrs(
        "accuracy change, 95 % CI low",
        "lower bound of the 95 % interval of the change (Newcombe, paired)"))
    dataset["accuracy_change_ci_high"] = (dims, high, variable_attrs(
        "accuracy change, 95 % CI high",
        "upper bound of the 95 % interval of the change (Newcombe, paired)"))
    dataset["trials_gained"] = (dims, gained, variable_attrs(
        "trials gained", "trials correct here and wrong in the intact network"))
    dataset["trials_lost"] = (dims, lost, variable_attrs(
        "trials lost", "trials wrong here and correct in the intact network"))
    dataset["mcnemar_p"] = (dims, mcnemar_exact(gained, lost), variable_attrs(
        "McNemar p-value", "two-sided exact McNemar p-value of the change"))
    conditions = dataset.task_condition.values
    condition = dataset.condition.values
    shape = (*both.shape, conditions.size)
    change_c, p_c = np.full(shape, np.nan), np.ones(shape)
    for column, name in enumerate(conditions):
        chosen = correct[..., condition == name]
        if chosen.shape[-1]:
            _, g, lo, _ = _paired_counts(chosen)
            change_c[..., column] = (g - lo) / chosen.shape[-1]
            p_c[..., column] = mcnemar_exact(g, lo)
    dims_c = (*dims, "task_condition")
    dataset["condition_accuracy_change"] = (dims_c, change_c, variable_attrs(
        "accuracy change per condition", "accuracy change per condition, on the same trials"))
    dataset["condition_mcnemar_p"] = (dims_c, p_c, variable_attrs(
        "McNemar p-value per condition",
        "two-sided exact McNemar p-value of the change per condition"))
