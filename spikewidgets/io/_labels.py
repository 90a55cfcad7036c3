"""The labels every variable of a spikewidgets Dataset carries (and keeps in netCDF)."""

from __future__ import annotations

__all__ = ["variable_attrs"]


def variable_attrs(long_name: str, description: str, units: str | None = None
                   ) -> dict[str, str]:
    """Attributes of a variable or coordinate of the Datasets that spikewidgets builds.

    xarray labels a plot's axes ``"long_name [units]"``, so ``long_name`` is
    short (with its units, at most 30 characters, one line under xarray's
    wrapping) and the detail goes to ``description``. ``units`` is set only
    for a physical unit (``"s"``, ``"ms"``, ``"Hz"``); fractions, counts,
    flags, indices, p-values and text have none. Every value is a plain
    string, so the Dataset writes to netCDF as it is.

    Parameters
    ----------
    long_name : str
        Short label, such as ``"accuracy"`` or ``"scaling factor"``.
    description : str
        What the values are, in a sentence.
    units : str, optional
        Physical unit; leave it out for dimensionless values.

    Returns
    -------
    dict
        ``long_name``, ``description`` and, when given, ``units``.

    Examples
    --------
    >>> from spikewidgets.io._labels import variable_attrs
    >>> variable_attrs("rate", "spikes per second", "Hz")
    {'long_name': 'rate', 'description': 'spikes per second', 'units': 'Hz'}
    >>> variable_attrs("accuracy", "fraction of trials correct")
    {'long_name': 'accuracy', 'description': 'fraction of trials correct'}
    """
    attrs = {"long_name": long_name, "description": description}
    if units is not None:
        attrs["units"] = units
    return attrs
