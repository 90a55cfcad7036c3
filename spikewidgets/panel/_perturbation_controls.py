"""Choosing a perturbation of the network: none, a published preset, or a custom scaling."""

from __future__ import annotations

import html

import ipywidgets as widgets
import traitlets

from spikewidgets.panel._common import Part
from spikewidgets.perturbations import PRESETS, Perturbation, ScaleConnections

__all__ = ["NONE", "PerturbationControls", "describe_perturbation", "preset_text"]

#: The choice meaning "no perturbation: the intact network only".
NONE = "none"
#: The choice of a connection type and factor of one's own.
CUSTOM = "custom"

_TYPE_NAMES = {"exc": "excitatory", "inh": "inhibitory", "any": "any"}
_TYPE_OPTIONS = [(name, key) for key, name in _TYPE_NAMES.items()]


def preset_text(name: str) -> str:
    """``"ei_dec: inh → exc × 0.7"``: a preset's name with what it scales (sender first).

    Examples
    --------
    >>> from spikewidgets.panel._perturbation_controls import preset_text
    >>> preset_text("ei_dec"), preset_text("ee_inc")
    ('ei_dec: inh → exc × 0.7', 'ee_inc: exc → exc × 1.3')
    """
    scale = PRESETS[name]
    return f"{name}: {scale.pre} → {scale.post} × {scale.factor:g}"


def describe_perturbation(perturbation: Perturbation | None) -> str:
    """One sentence saying what Run does with ``perturbation`` (None: the intact network only).

    Examples
    --------
    >>> from spikewidgets.panel._perturbation_controls import describe_perturbation
    >>> from spikewidgets.perturbations import ScaleConnections
    >>> describe_perturbation(None)
    'Run searches the intact network only.'
    >>> print(describe_perturbation(ScaleConnections("exc", "inh", 1.5)))
    Run compares the intact network with a copy that has its excitatory → inhibitory weights
    multiplied by 1.5, on the same trials (same stimuli, same noise).
    """
    if perturbation is None:
        return "Run searches the intact network only."
    if isinstance(perturbation, ScaleConnections):
        what = (f"its {_TYPE_NAMES[perturbation.pre]} → {_TYPE_NAMES[perturbation.post]} "
                f"weights multiplied by {perturbation.factor:g}")
        if perturbation.label in PRESETS:
            what += f" (preset {perturbation.label}: receiving type first)"
    else:
        what = perturbation.label
    return (f"Run compares the intact network with a copy that has {what}, on the same "
            "trials (same stimuli, same noise).")


class PerturbationControls(Part, widgets.VBox):
    """A perturbation of the network to run next to the intact one.

    A dropdown offers ``none`` (the intact network only), the eight published
    connection-type modulations (:data:`~spikewidgets.perturbations.PRESETS`,
    receiving type first: ``ei_dec`` multiplies inhibitory -> excitatory
    weights by 0.7) and ``custom``, which shows the sending type, the
    receiving type and a factor.

    Parameters
    ----------
    perturbation : str or ScaleConnections, optional
        The initial choice: ``"none"`` (default), a preset name, ``"custom"``,
        or a :class:`~spikewidgets.perturbations.ScaleConnections` (shown as
        custom with its types and factor).

    Attributes
    ----------
    choice : str (trait)
        ``"none"``, a preset name or ``"custom"`` (linked to ``choice_field``).
    pre, post : str (traits)
        Sending and receiving unit types of a custom scaling: ``"exc"``,
        ``"inh"`` or ``"any"`` (linked to ``pre_field`` and ``post_field``).
    factor : float (trait)
        Multiplier of a custom scaling, > 0 (linked to ``factor_field``).
    perturbation : Perturbation or None (trait, read-only)
        The chosen perturbation (None for ``"none"``).
    label : str (trait, read-only)
        Its label, the ``perturbation`` coordinate it gets in a search
        Dataset (``"none"`` for none).
    note : ipywidgets.HTML
        What Run does with the choice, in words.

    Examples
    --------
    >>> from spikewidgets.panel._perturbation_controls import PerturbationControls
    >>> controls = PerturbationControls()
    >>> controls.label, controls.read() is None
    ('none', True)
    >>> controls.choice_field.value = "custom"  # shows the sender, receiver and factor
    >>> controls.pre_field.value, controls.post_field.value = "exc", "inh"
    >>> controls.factor_field.value = 1.5
    >>> controls.label, controls.custom_box.layout.display is None
    ('exc->inh x1.5', True)
    """

    choice = traitlets.Unicode(NONE)
    pre = traitlets.Enum(tuple(_TYPE_NAMES), default_value="inh")
    post = traitlets.Enum(tuple(_TYPE_NAMES), default_value="exc")
    factor = traitlets.Float(0.7)
    perturbation = traitlets.Instance(Perturbation, allow_none=True, read_only=True)
    label = traitlets.Unicode(NONE, read_only=True)

    def __init__(self, perturbation: str | ScaleConnections | None = None,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)
        options = [("none (intact network only)", NONE)]
        options += [(preset_text(name), name) for name in PRESETS]
        options += [("custom…", CUSTOM)]
        self.choice_field = widgets.Dropdown(
            options=options, value=NONE, description="perturbation",
            style={"description_width": "initial"}, layout=widgets.Layout(width="300px"))
        self.pre_field = widgets.Dropdown(options=_TYPE_OPTIONS, value="inh", description="from",
                                          layout=widgets.Layout(width="170px"),
                                          style={"description_width": "40px"})
        self.post_field = widgets.Dropdown(options=_TYPE_OPTIONS, value="exc", description="to",
                                           layout=widgets.Layout(width="170px"),
                                           style={"description_width": "30px"})
        self.factor_field = widgets.BoundedFloatText(
            value=0.7, min=0.01, max=100.0, step=0.05, description="× factor",
            layout=widgets.Layout(width="150px"), style={"description_width": "55px"})
        self.custom_box = widgets.HBox([self.pre_field, self.post_field, self.factor_field])
        self.note = widgets.HTML()
        self.choice_field.add_class("spw-perturbation")
        self.custom_box.add_class("spw-custom-perturbation")
        for control, name in ((self.choice_field, "choice"), (self.pre_field, "pre"),
                              (self.post_field, "post"), (self.factor_field, "factor")):
            traitlets.link((control, "value"), (self, name))
        self.observe(self._update, names=["choice", "pre", "post", "factor"])
        self.children = (widgets.HBox([self.choice_field, self.custom_box],
                                      layout=widgets.Layout(align_items="center",
                                                            flex_flow="row wrap")),
                         self.note)
        self.set(perturbation)
        self._update()

    @traitlets.validate("choice")
    def _check_choice(self, proposal: traitlets.Bunch) -> str:
        choices = (NONE, *PRESETS, CUSTOM)
        if proposal.value not in choices:
            raise traitlets.TraitError(f"choice is {proposal.value!r}, expected one of "
                                       f"{', '.join(choices)}")
        return proposal.value

    @traitlets.validate("factor")
    def _check_factor(self, proposal: traitlets.Bunch) -> float:
        if not proposal.value > 0:
            raise traitlets.TraitError(f"factor is {proposal.value!r}, expected a number > 0")
        return float(proposal.value)

    def set(self, perturbation: str | ScaleConnections | None) -> None:
        """Choose ``perturbation``: ``"none"`` or None, a preset name, ``"custom"`` or a scaling.

        Raises
        ------
        ValueError
            For another kind of perturbation or an unknown name.
        """
        if isinstance(perturbation, ScaleConnections):
            with self.hold_trait_notifications():
                self.pre, self.post = perturbation.pre, perturbation.post
                self.factor, self.choice = perturbation.factor, CUSTOM
            return
        if perturbation is not None and not isinstance(perturbation, str):
            raise ValueError(f"perturbation is {perturbation!r}, expected 'none', a preset name "
                             f"({', '.join(PRESETS)}), 'custom' or a ScaleConnections")
        try:
            self.choice = NONE if perturbation is None else perturbation
        except traitlets.TraitError as error:
            raise ValueError(str(error)) from None

    def read(self) -> Perturbation | None:
        """The chosen perturbation (None for ``"none"``)."""
        if self.choice == NONE:
            return None
        if self.choice == CUSTOM:
            return ScaleConnections(self.pre, self.post, float(self.factor))
        return PRESETS[self.choice]

    def _update(self, _change: object = None) -> None:
        chosen = self.read()
        self.custom_box.layout.display = None if self.choice == CUSTOM else "none"
        self.set_trait("perturbation", chosen)
        self.set_trait("label", NONE if chosen is None else chosen.label)
        self.note.value = f"<i>{html.escape(describe_perturbation(chosen))}</i>"
