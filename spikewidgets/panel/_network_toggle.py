"""The toggle that chooses which network of a perturbation search replays a trial."""

from __future__ import annotations

import ipywidgets as widgets
import xarray as xr

from spikewidgets.panel._replay import INTACT, perturbation_labels

__all__ = ["NetworkToggle"]


class NetworkToggle(widgets.ToggleButtons):
    """Buttons ``intact`` / ``perturbed: LABEL``, one per network of a perturbation search.

    Hidden while the Dataset is a plain search's (one network). The value is
    the network's label: ``"none"`` for the intact network (CSS class
    ``spw-network``).

    Examples
    --------
    >>> import spikewidgets as sw
    >>> from spikewidgets.panel._network_toggle import NetworkToggle
    >>> path = sw.example_model("go_nogo", ".")
    >>> ds = sw.perturbation_search(path, "go_nogo", ["ei_dec"], n_trials=2, seed=0,
    ...                             progress=False)
    >>> toggle = NetworkToggle()
    >>> toggle.layout.display  # hidden: one network only
    'none'
    >>> toggle.set_networks(ds, keep="ei_dec"), [text for text, _ in toggle.options]
    ('ei_dec', ['intact', 'perturbed: ei_dec'])
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(options=[("intact", INTACT)], value=INTACT,
                         style={"button_width": "auto"},
                         tooltips=["replay the trial in the intact network"],
                         layout=widgets.Layout(display="none"), **kwargs)
        self.add_class("spw-network")

    @property
    def labels(self) -> list[str]:
        """The labels of the networks offered, the intact one first."""
        return [value for _text, value in self.options]

    def set_networks(self, dataset: xr.Dataset | None, keep: str) -> str:
        """Offer the networks of ``dataset``; return the one chosen (``keep`` if offered).

        Parameters
        ----------
        dataset : xarray.Dataset or None
            A search's Dataset (a perturbation search's shows the toggle).
        keep : str
            The label chosen so far.

        Returns
        -------
        str
            ``keep`` if ``dataset`` has that network, else the intact one's label.
        """
        intact, perturbed = perturbation_labels(dataset)
        options = [("intact", intact)] + [(f"perturbed: {label}", label) for label in perturbed]
        chosen = keep if keep in perturbed else intact
        if tuple(self.options) != tuple(options):
            self.options = options
            self.tooltips = ["replay the trial in the intact network", *(
                f"replay the trial in the network perturbed by {label}" for label in perturbed)]
        if self.value != chosen:
            self.value = chosen
        self.layout.display = None if perturbed else "none"
        return chosen
