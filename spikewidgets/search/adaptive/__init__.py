"""Adaptive searches: spend the simulations on the scaling factors that may be the best.

Pass a strategy as ``adaptive=`` to :func:`spikewidgets.lambda_grid_search`
or :func:`spikewidgets.search_models` (``True`` means :class:`FixedBudget`,
``"race"`` a :class:`Race` with its defaults). Each round of an adaptive
search is the same plan as the full grid's, on fewer factors: trial ``t`` has
the same stimulus and noise whichever factors run it.

:class:`FixedBudget`
    Sequential halving (Karnin, Koren & Somekh 2013): a budget of
    simulations split equally between rounds, the better half of the factors
    kept after each. Never more simulations than the budget.
:class:`Race`
    An elimination race (Maron & Moore 1997) with exact paired tests: the
    chance of losing any factor within ``margin`` of the best is at most
    ``alpha``.

:func:`replay` runs a strategy on known outcomes, without simulating.
"""

from spikewidgets.search.adaptive._strategies import FixedBudget, Race, replay

__all__ = ["FixedBudget", "Race", "replay"]
