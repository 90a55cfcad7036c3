"""A perturbation search's Dataset, read for plotting: one row per perturbation at one factor.

The figures of ``spikewidgets.plots._perturbation`` and
``spikewidgets.plots._perturbation_effects`` and the accuracy plot of a
perturbation search read the Dataset of
:func:`~spikewidgets.search.perturbation_search` (dims ``perturbation`` x
``scaling_factor`` x ``trial``) through these functions. The examples below
run a small perturbation search of the bundled Go-NoGo model, copied into the
working folder.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from spikewidgets.plots._datasets import check_dataset

__all__ = [
    "PERTURBATION_COLUMNS",
    "PERTURBATION_VARIABLES",
    "at_scaling_factor",
    "check_perturbation_dataset",
    "group_name",
    "intact_label",
    "perturbation_columns",
]

#: Variables a perturbation search's Dataset must hold to be plotted.
PERTURBATION_VARIABLES = ("perturbation", "perturbation_kind", "perturbation_target",
                          "perturbation_strength", "accuracy", "accuracy_ci_low",
                          "accuracy_ci_high", "accuracy_change", "accuracy_change_ci_low",
                          "accuracy_change_ci_high", "mcnemar_p")
#: Columns of :func:`perturbation_columns`.
PERTURBATION_COLUMNS = ("label", "kind", "target", "strength", "accuracy", "accuracy_low",
                        "accuracy_high", "change", "change_low", "change_high", "gained",
                        "lost", "mcnemar_p")


def intact_label(ds: xr.Dataset) -> str:
    """Label of the intact network in a perturbation search's Dataset (``"none"``).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots._perturbation_data import intact_label
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.perturbation_search(path, "go_nogo", ["ei_dec"], scaling_factors=[30],
    ...                             n_trials=2, seed=0, progress=False)
    >>> intact_label(ds), ds.perturbation.values.tolist()
    ('none', ['none', 'ei_dec'])
    """
    labels = [str(label) for label in ds.perturbation.values]
    label = str(ds.attrs.get("intact_perturbation", labels[0] if labels else "none"))
    return label if label in labels else (labels[0] if labels else label)


def check_perturbation_dataset(ds: object) -> None:
    """Raise TypeError / ValueError unless ``ds`` is a perturbation search's Dataset.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots._perturbation_data import check_perturbation_dataset
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.perturbation_search(path, "go_nogo", ["ei_dec"], scaling_factors=[30],
    ...                             n_trials=2, seed=0, progress=False)
    >>> check_perturbation_dataset(ds)  # fine: no error
    >>> check_perturbation_dataset(ds.sel(perturbation="ei_dec"))
    Traceback (most recent call last):
    ...
    ValueError: ds has no perturbation dimension; expected the Dataset returned by ...
    """
    check_dataset(ds, "ds", PERTURBATION_VARIABLES, made_by="perturbation_search")
    if "perturbation" not in ds.dims:  # type: ignore[union-attr]
        raise ValueError("ds has no perturbation dimension; expected the Dataset returned by "
                         "perturbation_search (not a selection of one perturbation)")


def at_scaling_factor(ds: xr.Dataset, scaling_factor: float | None = None
                      ) -> tuple[xr.Dataset, float]:
    """``ds`` at one scaling factor (the first when None) and that factor.

    Raises
    ------
    ValueError
        If ``scaling_factor`` is not one of the Dataset's.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots._perturbation_data import at_scaling_factor
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.perturbation_search(path, "go_nogo", ["ei_dec"], scaling_factors=[20, 30],
    ...                             n_trials=2, seed=0, progress=False)
    >>> one, factor = at_scaling_factor(ds, 30)
    >>> factor, dict(one.sizes)
    (30.0, {'perturbation': 2, 'trial': 2, 'task_condition': 2})
    >>> at_scaling_factor(ds, 25)
    Traceback (most recent call last):
    ...
    ValueError: scaling_factor is 25, expected one of the Dataset's factors 20, 30
    """
    factors = np.asarray(ds.scaling_factor.values, dtype=np.float64)
    if "scaling_factor" not in ds.dims:  # already one factor
        return ds, float(factors)
    if scaling_factor is None:
        index = 0
    else:
        matches = np.flatnonzero(np.isclose(factors, float(scaling_factor), rtol=1e-9, atol=0))
        if matches.size == 0:
            raise ValueError(f"scaling_factor is {scaling_factor!r}, expected one of the "
                             f"Dataset's factors {', '.join(f'{f:g}' for f in factors)}")
        index = int(matches[0])
    return ds.isel(scaling_factor=index), float(factors[index])


def perturbation_columns(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """One row per perturbation of ``ds`` at one scaling factor, as plot columns.

    Columns (:data:`PERTURBATION_COLUMNS`): ``label``, ``kind``, ``target``,
    ``strength``, ``accuracy`` with ``accuracy_low``/``accuracy_high``
    (Wilson), ``change`` with ``change_low``/``change_high`` (Newcombe,
    paired), ``gained``, ``lost`` and ``mcnemar_p``.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.plots._perturbation_data import at_scaling_factor, perturbation_columns
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.perturbation_search(path, "go_nogo", ["ei_dec"], scaling_factors=[30],
    ...                             n_trials=2, seed=0, progress=False)
    >>> columns = perturbation_columns(at_scaling_factor(ds)[0])
    >>> columns["label"].tolist(), columns["kind"].tolist(), columns["strength"].tolist()
    (['none', 'ei_dec'], ['none', 'scale'], [nan, 0.7])
    """
    def values(name: str, dtype: type = np.float64) -> np.ndarray:
        return np.asarray(ds[name].values, dtype=dtype).reshape(-1)

    n = ds.sizes["perturbation"]
    counts = {name: values(name) if name in ds else np.zeros(n)
              for name in ("trials_gained", "trials_lost")}
    return {
        "label": values("perturbation", str), "kind": values("perturbation_kind", str),
        "target": values("perturbation_target", str),
        "strength": values("perturbation_strength"),
        "accuracy": values("accuracy"), "accuracy_low": values("accuracy_ci_low"),
        "accuracy_high": values("accuracy_ci_high"), "change": values("accuracy_change"),
        "change_low": values("accuracy_change_ci_low"),
        "change_high": values("accuracy_change_ci_high"),
        "gained": counts["trials_gained"], "lost": counts["trials_lost"],
        "mcnemar_p": values("mcnemar_p"),
    }


def group_name(kind: str, target: str) -> str:
    """The line a perturbation belongs to in a sweep: ``"scale: inh->exc"``.

    Its kind and target (the target names no strength: fractions of the same
    units in the same window make one line).

    Examples
    --------
    >>> from spikewidgets.plots._perturbation_data import group_name
    >>> group_name("scale", "inh->exc"), group_name("remove_self_connections", "")
    ('scale: inh->exc', 'remove_self_connections')
    """
    return f"{kind}: {target}" if target else kind
