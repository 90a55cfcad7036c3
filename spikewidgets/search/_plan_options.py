"""What a search simulates besides its model, task, grid and seed, and how its optimum is chosen.

The public searches take these as keyword arguments (``paired``,
``downsample``, ``use_initial_weights``, ``perturbations``, ``adaptive``,
``optimum``) and build one :class:`PlanOptions`, checked once, whatever the
number of models; ``SearchPlan.prepare`` takes it. How a search runs is
another object, ``spikewidgets.search._run_options.RunOptions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spikewidgets.io._validation import positive_int
from spikewidgets.perturbations import Perturbation
from spikewidgets.perturbations._presets import as_perturbation
from spikewidgets.search.adaptive._strategies import Strategy, as_strategy
from spikewidgets.sim._kernel.network import rate_sample_interval
from spikewidgets.stats._optimum import check_optimum_rule

__all__ = ["PlanOptions", "checked_strategy", "with_intact"]


@dataclass(frozen=True)
class PlanOptions:
    """The choices of a search plan other than its model, task, grid and seed, checked.

    Attributes
    ----------
    paired : bool
        Whether every variant sees the same trials (else one stream per variant).
    downsample : int
        LIF time-step multiplier.
    use_initial_weights : bool
        Simulate the untrained recurrent weights ``w0``.
    perturbations : tuple of Perturbation or None
        None for a plain search; otherwise the intact network (``"none"``)
        first, then every perturbation (given as objects of
        :mod:`spikewidgets.perturbations`, preset names, or lists applied in
        order). A perturbation search is paired.
    adaptive : Strategy or None
        How an adaptive search spends its trials (given as for
        :func:`~spikewidgets.lambda_grid_search`); None for the full grid.
    optimum : str
        The optimum rule, ``"first"`` or ``"robust"``.
    compare_rate : bool
        Compare every trial's spiking units with the rate network's
        (``spikewidgets.search._rate_comparison``); not with an adaptive
        search, and ``downsample`` must divide 100.

    Raises
    ------
    ValueError
        Naming the argument, its value and what was expected.

    Examples
    --------
    >>> from spikewidgets.search._plan_options import PlanOptions
    >>> options = PlanOptions(perturbations="ei_dec")
    >>> [p.label for p in options.perturbations], options.adaptive, options.optimum
    (['none', 'ei_dec'], None, 'first')
    >>> PlanOptions(adaptive="race").adaptive
    Race(alpha=0.05, margin=0.02, look_every=10)
    >>> PlanOptions(paired=False, perturbations=["ei_dec"])
    Traceback (most recent call last):
    ...
    ValueError: paired is False, but a perturbation search compares every variant on the same
    trials; expected paired=True
    """

    paired: bool = True
    downsample: int = 1
    use_initial_weights: bool = False
    perturbations: tuple[Perturbation, ...] | None = None
    adaptive: Strategy | None = None
    optimum: str = "first"
    compare_rate: bool = False

    def __post_init__(self) -> None:
        def keep(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        keep("paired", bool(self.paired))
        keep("downsample", positive_int("downsample", self.downsample))
        keep("use_initial_weights", bool(self.use_initial_weights))
        if self.perturbations is not None:
            keep("perturbations", with_intact(self.perturbations))
            if not self.paired:
                raise ValueError("paired is False, but a perturbation search compares every "
                                 "variant on the same trials; expected paired=True")
        keep("adaptive", checked_strategy(self.adaptive, self.paired, self.perturbations))
        keep("optimum", check_optimum_rule(self.optimum))
        keep("compare_rate", bool(self.compare_rate))
        if self.compare_rate and self.adaptive is not None:
            raise ValueError("compare_rate is True with an adaptive search; expected "
                             "adaptive=False")
        if self.compare_rate:
            rate_sample_interval(self.downsample)


def checked_strategy(adaptive: object, paired: bool, perturbations: object) -> Strategy | None:
    """The strategy of ``adaptive``, refused with an unpaired or a perturbation search.

    Examples
    --------
    >>> from spikewidgets.search._plan_options import checked_strategy
    >>> checked_strategy("race", paired=True, perturbations=None)
    Race(alpha=0.05, margin=0.02, look_every=10)
    >>> checked_strategy(True, paired=False, perturbations=None)
    Traceback (most recent call last):
    ...
    ValueError: paired is False, but an adaptive search compares factors on the same trials;
    expected paired=True
    """
    strategy = as_strategy(adaptive)
    if strategy is not None and not paired:
        raise ValueError("paired is False, but an adaptive search compares factors on the "
                         "same trials; expected paired=True")
    if strategy is not None and perturbations:
        raise ValueError(f"adaptive is {adaptive!r} with perturbations; a perturbation "
                         "search runs every variant on every trial: expected adaptive=False")
    return strategy


def with_intact(perturbations: Sequence[object]) -> tuple[Perturbation, ...]:
    """The perturbations as objects, the intact network ``"none"`` first, labels unique.

    Examples
    --------
    >>> from spikewidgets.perturbations import LesionConnections
    >>> from spikewidgets.search._plan_options import with_intact
    >>> [p.label for p in with_intact(["ee_inc", LesionConnections(0.1)])]
    ['none', 'ee_inc', 'lesion 0.1']
    """
    if isinstance(perturbations, (str, Perturbation)):
        perturbations = [perturbations]
    made = [as_perturbation(item) for item in perturbations]
    made = [as_perturbation(None)] + [p for p in made if p.label != "none"]
    labels = [p.label for p in made]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ValueError(f"perturbations has repeated labels {repeated}; expected each "
                         "perturbation once")
    return tuple(made)
