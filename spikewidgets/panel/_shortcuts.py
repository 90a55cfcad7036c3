"""What the search panel offers to code: its plots, the trial shown, and one-call actions.

:class:`PanelShortcuts` is a mixin of :class:`~spikewidgets.panel.SearchPanel`:
each property or method forwards to one of the panel's parts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import xarray as xr

from spikewidgets.io._modelfile import RateModel

if TYPE_CHECKING:
    from spikewidgets.panel._accuracy_view import AccuracyView
    from spikewidgets.panel._common import StatusLine
    from spikewidgets.panel._file_actions import FileActions
    from spikewidgets.panel._model_picker import ModelPicker
    from spikewidgets.panel._search_runner import SearchRunner
    from spikewidgets.panel._trial_viewer import TrialViewer

__all__ = ["PanelShortcuts"]


class PanelShortcuts:
    """Properties and methods of the search panel that forward to its parts.

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets import SearchPanel
    >>> panel = SearchPanel(sw.example_model("go_nogo", "."), scaling_factors=(5, 80, 75))
    >>> panel.status  # the status line's text
    '✔ Loaded go_nogo_example.mat: 200 units (163 excitatory, 37 inhibitory), 1 input; ...'
    >>> list(panel.plots), panel.running, panel.sim is None
    (['accuracy', 'output', 'raster', 'rates'], False, True)
    >>> panel.close()
    """

    model_picker: ModelPicker
    status_line: StatusLine
    accuracy_view: AccuracyView
    trial_viewer: TrialViewer
    file_actions: FileActions
    runner: SearchRunner

    @property
    def plots(self) -> dict:
        """The plot objects by name: ``accuracy``, ``output``, ``raster`` and ``rates``.

        Each holds a Bokeh ``figure`` and its sources (see :mod:`spikewidgets.plots`).
        """
        return {"accuracy": self.accuracy_view.plot, **self.trial_viewer.plots}

    sim = property(lambda self: self.trial_viewer.sim,
                   doc="The trial shown (:func:`~spikewidgets.search.simulate`), or None.")
    rate = property(lambda self: self.trial_viewer.rate,
                    doc="The rate network's output for the input of the trial shown, or None.")

    @property
    def status(self) -> str:
        """The text of the status line."""
        return self.status_line.text

    @property
    def running(self) -> bool:
        """Whether a search is running."""
        return self.runner.running

    @property
    def timings(self) -> dict[str, float]:
        """``perf_counter`` times of the last run (see :attr:`SearchRunner.timings`)."""
        return self.runner.timings

    def load(self, model: str | os.PathLike, task: str | None = None,
             task_settings: Mapping[str, float] | None = None) -> RateModel | None:
        """Load a model file (or the bundled example of a task) into the panel.

        See :meth:`ModelPicker.load`. Returns the model, or None if it could
        not be read (the status line then says why, in words).
        """
        return self.model_picker.load(model, task, task_settings)

    def select(self, scaling_factor: float, trial: int = 0,
               perturbation: str | None = None) -> xr.Dataset:
        """Show one trial at one searched scaling factor and return it (as ``simulate`` does).

        See :meth:`TrialViewer.select` (a partial search works too): ValueError
        if there is no search result yet or ``scaling_factor`` was not searched.
        After a run with a perturbation, ``perturbation`` chooses the network
        (``"none"``: intact; its label: perturbed), as the toggle does.
        """
        return self.trial_viewer.select(scaling_factor, trial, perturbation)

    def save(self) -> Path:
        """Write the optimum of the last (complete) search into its model file.

        See :meth:`FileActions.save`: refused if the file changed since the
        search. After a run with a perturbation, the intact network's optimum.
        """
        return self.file_actions.save()

    def export(self, path: str | os.PathLike | None = None) -> Path:
        """Write the panel's result to a netCDF file (default: the name in the export field).

        See :meth:`FileActions.export`. After a run with a perturbation, the
        whole perturbation search (both networks).
        """
        return self.file_actions.export(path)
