"""The statistics of searches: accuracy intervals, paired tests, optimum rules.

- :func:`wilson_interval`: the 95 % interval of an accuracy.
- :func:`mcnemar_exact` and :func:`paired_difference_interval`: two network
  variants compared on the same trials.

The optimum rules (``optimum="first"`` or ``"robust"`` of the searches) are
described in :func:`spikewidgets.lambda_grid_search`.
"""

from spikewidgets.stats._intervals import wilson_interval
from spikewidgets.stats._paired import mcnemar_exact, paired_difference_interval

__all__ = ["mcnemar_exact", "paired_difference_interval", "wilson_interval"]
