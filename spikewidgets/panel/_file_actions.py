"""Saving a search's optimum into its model file, and exporting its Dataset to netCDF.

For a perturbation search (dims ``perturbation`` x ``scaling_factor`` x
``trial``), Save writes the optimum of the intact network only: its trials
are those of a plain search with the same seed, bit for bit, so the file
gets what a search without the perturbation would have saved. Export writes
the whole Dataset, both networks and their paired comparison.

The examples below search the bundled Go-NoGo model, copied into the working
folder, on a small grid.
"""

from __future__ import annotations

import os
from pathlib import Path

import ipywidgets as widgets
import traitlets
import xarray as xr

from spikewidgets.io._atomic import write_netcdf
from spikewidgets.io._modelfile import file_sha256, write_search_results
from spikewidgets.panel._common import Part, StatusLine, guarded

__all__ = ["FileActions", "export_result", "intact_search", "save_result"]


def intact_search(dataset: xr.Dataset) -> xr.Dataset:
    """The intact network of a perturbation search's Dataset (a plain search's Dataset as is).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._file_actions import intact_search
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.perturbation_search(path, "go_nogo", ["ei_dec"], scaling_factors=[20, 30],
    ...                             n_trials=2, seed=0, progress=False)
    >>> "perturbation" in intact_search(ds).dims, intact_search(ds).perturbation.item()
    (False, 'none')
    """
    if "perturbation" not in dataset.dims:
        return dataset
    return dataset.sel(perturbation=dataset.attrs.get("intact_perturbation", "none"))


def save_result(dataset: xr.Dataset | None, saved_sha: str | None = None) -> tuple[Path, str]:
    """Write the optimum of a complete search into its model file.

    Parameters
    ----------
    dataset : xarray.Dataset or None
        The search's Dataset. For a perturbation search, the intact
        network's optimum, accuracies and factors are written.
    saved_sha : str, optional
        The file's checksum after an earlier save of the same result (saving
        twice is allowed).

    Returns
    -------
    path : Path
        The model file.
    sha : str
        Its new checksum.

    Raises
    ------
    ValueError
        Without a complete result, or if the file changed since the search.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._file_actions import save_result
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 4, [5, 30, 80], seed=0, save=False,
    ...                            progress=False)
    >>> saved, sha = save_result(ds)
    >>> saved.name, sw.load_model(saved).opt_scaling_factor
    ('go_nogo_example.mat', 30.0)
    """
    if dataset is None:
        raise ValueError("there is no search result to save: run a search first")
    if not dataset.attrs.get("complete"):
        raise ValueError("the last search was stopped before its end: run it to the end "
                         "before saving its optimum")
    path = Path(dataset.attrs["model_path"])
    if not path.is_file():
        raise ValueError(f"model file {path} no longer exists")
    if file_sha256(path) not in (dataset.attrs.get("model_sha256"), saved_sha):
        raise ValueError(f"model file {path} changed since the search: run the search again "
                         "before saving")
    intact = intact_search(dataset)
    write_search_results(path, float(intact.opt_scaling_factor), intact.accuracy.values,
                         intact.scaling_factor.values)
    dataset.attrs["saved_to_model"] = 1
    return path, file_sha256(path)


def export_result(dataset: xr.Dataset | None, path: str | os.PathLike) -> Path:
    """Write a search Dataset to netCDF, atomically (``.nc`` added to a bare name).

    Raises
    ------
    ValueError
        Without a Dataset or without a file name.

    Examples
    --------
    >>> import xarray as xr
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._file_actions import export_result
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 2, [5, 30, 80], seed=0, save=False,
    ...                            progress=False)
    >>> target = export_result(ds, "search")  # ".nc" is added
    >>> target.name, xr.load_dataset(target).accuracy.identical(ds.accuracy)
    ('search.nc', True)
    """
    if dataset is None:
        raise ValueError("there is no search result to export: run a search first")
    target = Path(os.fspath(path).strip()).expanduser()
    if not target.name:
        raise ValueError(f"the netCDF file name is {os.fspath(path)!r}: type a path such as "
                         "search.nc")
    if not target.suffix:
        target = target.with_suffix(".nc")
    write_netcdf(dataset, target)
    return target


class FileActions(Part, widgets.Box):
    """Save the optimum into the model file; export the Dataset to netCDF.

    Save is enabled for a complete search, Export for any (also a stopped one).
    For a perturbation search, Save writes the intact network's optimum (the
    button says so) and Export the whole Dataset.

    Parameters
    ----------
    dataset : xarray.Dataset, optional
        The search's Dataset.
    export_path : str, default "search.nc"
        Initial name of the netCDF file.
    vertical : bool, default False
        Stack the controls in a column instead of a row.
    status : StatusLine, optional
        Where to report; by default the row shows its own line.

    Attributes
    ----------
    export_path : str (trait)
        The netCDF file (linked to ``path_field``).
    dataset : xarray.Dataset or None
        What Save and Export write (set it with :meth:`set_dataset`).
    save_button, export_button : ipywidgets.Button

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._file_actions import FileActions
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.lambda_grid_search(path, "go_nogo", 1, [5, 30, 80], seed=0, save=False,
    ...                            progress=False)
    >>> actions = FileActions(ds, export_path="panel-search.nc")
    >>> actions.save_button.disabled, actions.export_button.disabled
    (False, False)
    >>> actions.export_button.click()
    >>> actions.status.text  # doctest: +ELLIPSIS
    '✔ Wrote panel-search.nc (... kB).'
    """

    export_path = traitlets.Unicode("search.nc")

    def __init__(self, dataset: xr.Dataset | None = None, *, export_path: str = "search.nc",
                 vertical: bool = False, status: StatusLine | None = None,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.layout.flex_flow = "column" if vertical else "row"
        self.layout.align_items = "flex-start"
        own_status = status is None
        self.status = StatusLine() if status is None else status
        self.dataset: xr.Dataset | None = None
        self._saved_sha: str | None = None
        self.save_button = widgets.Button(description="Save optimum to model file", icon="save",
                                          disabled=True, layout=widgets.Layout(width="260px"))
        self.path_field = widgets.Text(value=export_path, description="netCDF file",
                                       layout=widgets.Layout(width="340px"))
        self.export_button = widgets.Button(description="Export", icon="download", disabled=True)
        self.save_button.add_class("spw-save")
        self.export_button.add_class("spw-export")
        traitlets.link((self.path_field, "value"), (self, "export_path"))
        self.save_button.on_click(guarded(lambda _button: self.save(), self.status))
        self.export_button.on_click(guarded(lambda _button: self.export(), self.status))
        self.children = (self.save_button, self.path_field, self.export_button) + (
            (self.status,) if own_status else ())
        self.set_dataset(dataset)

    def set_dataset(self, dataset: xr.Dataset | None) -> None:
        """Save and export ``dataset`` from now on (None disables both buttons)."""
        self.dataset = dataset
        self._saved_sha = None
        self.export_button.disabled = dataset is None
        self.save_button.disabled = dataset is None or not dataset.attrs.get("complete")
        perturbed = dataset is not None and "perturbation" in dataset.dims
        self.save_button.description = ("Save intact optimum to model file" if perturbed
                                        else "Save optimum to model file")
        self.save_button.tooltip = ("write the intact network's optimum (not the perturbed "
                                    "network's) into the model file" if perturbed else "")

    def save(self) -> Path:
        """Write the optimum of the (complete) search into its model file.

        For a perturbation search, the intact network's. Writes
        ``opt_scaling_factor``, ``all_perfs`` and ``scaling_factors``
        with :func:`~spikewidgets.io.write_search_results` (atomic),
        after checking that the file's checksum is still the one the search
        recorded.

        Returns
        -------
        Path
            The model file.

        Raises
        ------
        ValueError
            If there is no complete search result, or the model file changed
            since the search.
        """
        path, self._saved_sha = save_result(self.dataset, self._saved_sha)
        optimum = float(intact_search(self.dataset).opt_scaling_factor)
        if "perturbation" in self.dataset.dims:
            self.status.show(f"Saved the intact network's opt_scaling_factor = {optimum:g} "
                             f"(with all_perfs and scaling_factors) into {path}; the perturbed "
                             "network is not saved there (Export keeps it).", "success")
        else:
            self.status.show(f"Saved opt_scaling_factor = {optimum:g} (with all_perfs and "
                             f"scaling_factors) into {path}.", "success")
        return path

    def export(self, path: str | os.PathLike | None = None) -> Path:
        """Write the Dataset to a netCDF file (``spikewidgets.io._atomic.write_netcdf``).

        Parameters
        ----------
        path : path-like, optional
            Target file (default: ``export_path``); ``.nc`` is added to a
            name without a suffix.

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        ValueError
            If there is no Dataset yet or the name is empty.
        """
        target = export_result(self.dataset, self.export_path if path is None else path)
        self.status.show(f"Wrote {target} ({target.stat().st_size / 1024:.0f} kB).", "success")
        return target
