"""Bokeh figures of a timescale Dataset: autocorrelation curves, timescale against synaptic decay.

Each builder takes the Dataset of
:func:`~spikewidgets.analysis.network_timescales` (or of
:func:`~spikewidgets.analysis.timescales_from_counts` with ``unit_type`` and
``synaptic_decay``) and returns a :class:`bokeh.plotting.figure`, excitatory
units in red and inhibitory units in blue, as the figures of
:mod:`spikewidgets.plots`. Only the units with a timescale (``exclusion``
empty) are drawn; the title says how many of how many.

The examples below make spike counts whose fluctuations decay over about
four 50 ms bins (an autoregressive drive of Poisson counts), so that the
units get a timescale in a fraction of a second (how many get one, and which
timescale, is a fit to noisy counts: the examples do not print them).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from bokeh.models import ColumnDataSource, HoverTool
from bokeh.plotting import figure

from spikewidgets.plots._base import EXC_COLOR, INH_COLOR, legend_below, new_figure, plural

__all__ = ["UNIT_TYPES", "plot_autocorrelation", "plot_timescale_vs_decay"]

#: Unit type -> (legend name, colour).
UNIT_TYPES = {"exc": ("excitatory", EXC_COLOR), "inh": ("inhibitory", INH_COLOR)}


def _check(ds: object, needed: tuple[str, ...]) -> xr.Dataset:
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds is {type(ds).__name__}, expected an xarray.Dataset")
    missing = [key for key in needed if key not in ds.variables]
    if missing:
        raise ValueError(
            f"ds has no variable(s) {', '.join(missing)}; expected the Dataset returned by "
            "spikewidgets.analysis.network_timescales"
        )
    return ds


def _fitted_by_type(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """Indices of the units with a timescale, by unit type."""
    fitted = np.asarray(ds.exclusion.values) == ""
    types = np.asarray(ds.unit_type.values).astype(str)
    return {name: np.flatnonzero(fitted & (types == name)) for name in UNIT_TYPES}


def _title(prefix: str, ds: xr.Dataset, width: int) -> str:
    """``"{prefix}: 44 of 200 units, scaling factor 30, 60 trials"``, on two lines if too wide.

    A 10 pt bold title takes about 6.4 pixels a character and starts about 55
    pixels in (past the y axis); one that would not fit in ``width`` breaks
    after the count of units.
    """
    n_fitted = int((np.asarray(ds.exclusion.values) == "").sum())
    first = f"{prefix}: {n_fitted} of {plural(int(ds.sizes['unit']), 'unit')}"
    rest = []
    if "scaling_factor" in ds.attrs:
        rest.append(f"scaling factor {ds.attrs['scaling_factor']:g}")
    if "n_trials" in ds.attrs:
        rest.append(plural(int(ds.attrs["n_trials"]), "trial"))
    text = ", ".join([first, *rest])
    if not rest or len(text) * 6.4 <= width - 60:
        return text
    return f"{first}\n{', '.join(rest)}"


def plot_autocorrelation(ds: xr.Dataset, *, show_units: bool = True, width: int = 460,
                         height: int = 320) -> figure:
    """Spike-count autocorrelation against lag: each fitted unit, and the mean by unit type.

    Parameters
    ----------
    ds : xarray.Dataset
        A timescale Dataset (``autocorrelation``, ``exclusion``, ``unit_type``).
    show_units : bool
        Draw each unit's curve (thin, faint) under the means.
    width, height : int
        Size in pixels.

    Returns
    -------
    bokeh.plotting.figure
        Named ``"autocorrelation"``.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.analysis import timescales_from_counts
    >>> from spikewidgets.plots._timescales import plot_autocorrelation
    >>> rng = np.random.default_rng(0)
    >>> drive = np.zeros((4, 100, 40))  # units x trials x 50 ms bins
    >>> for k in range(1, 40):
    ...     drive[..., k] = 0.8 * drive[..., k - 1] + rng.normal(0, 0.5, (4, 100))
    >>> ds = timescales_from_counts(rng.poisson(2 * np.exp(drive)),
    ...                             unit_type=["exc", "exc", "inh", "inh"])
    >>> fig = plot_autocorrelation(ds)
    >>> fig.name, fig.title.text.split(":")[0], fig.title.text.endswith("of 4 units, 100 trials")
    ('autocorrelation', 'Spike-count autocorrelation', True)
    >>> [item.label.value.split(" (")[0] for item in fig.legend[0].items]
    ['excitatory', 'inhibitory']
    """
    _check(ds, ("autocorrelation", "exclusion", "unit_type"))
    fig = new_figure("autocorrelation", _title("Spike-count autocorrelation", ds, width), width,
                     height, x_axis_label="lag (ms)",
                     y_axis_label="spike-count autocorrelation")
    lags = np.asarray(ds.lag.values, dtype=np.float64)
    curves = np.asarray(ds.autocorrelation.values, dtype=np.float64)
    for name, units in _fitted_by_type(ds).items():
        label, color = UNIT_TYPES[name]
        if not units.size:
            continue
        if show_units:
            source = ColumnDataSource({"xs": [lags] * units.size,
                                       "ys": [curves[unit] for unit in units]},
                                      name=f"autocorrelation_{name}_units")
            fig.multi_line("xs", "ys", source=source, color=color, alpha=0.12, line_width=1)
        mean = ColumnDataSource({"lag": lags, "autocorrelation": curves[units].mean(axis=0)},
                                name=f"autocorrelation_{name}_mean")
        legend = f"{label} (mean of {units.size})"
        fig.line("lag", "autocorrelation", source=mean, color=color, line_width=2.5,
                 legend_label=legend)
        fig.scatter("lag", "autocorrelation", source=mean, color=color, fill_color="white",
                    size=6, legend_label=legend)
    if fig.legend:
        legend_below(fig)
    return fig


def plot_timescale_vs_decay(ds: xr.Dataset, *, width: int = 460, height: int = 340) -> figure:
    """Each fitted unit's timescale against its synaptic decay constant, by unit type.

    Parameters
    ----------
    ds : xarray.Dataset
        A timescale Dataset with ``synaptic_decay`` (as
        :func:`~spikewidgets.analysis.network_timescales` returns).
    width, height : int
        Size in pixels.

    Returns
    -------
    bokeh.plotting.figure
        Named ``"timescale_vs_decay"``; the timescale axis is logarithmic.
        Hovering a point shows the unit, its decay constant, timescale and rate.

    Examples
    --------
    >>> import numpy as np
    >>> from spikewidgets.analysis import timescales_from_counts
    >>> from spikewidgets.plots._timescales import plot_timescale_vs_decay
    >>> rng = np.random.default_rng(0)
    >>> drive = np.zeros((4, 100, 40))  # units x trials x 50 ms bins
    >>> for k in range(1, 40):
    ...     drive[..., k] = 0.8 * drive[..., k - 1] + rng.normal(0, 0.5, (4, 100))
    >>> ds = timescales_from_counts(rng.poisson(2 * np.exp(drive)),
    ...                             unit_type=["exc", "exc", "inh", "inh"],
    ...                             synaptic_decay=[20.0, 25.0, 30.0, 40.0])
    >>> fig = plot_timescale_vs_decay(ds)
    >>> fig.yaxis.axis_label, [item.label.value.split(" (")[0] for item in fig.legend[0].items]
    ('autocorrelation timescale (ms)', ['excitatory', 'inhibitory'])
    """
    _check(ds, ("timescale", "synaptic_decay", "exclusion", "unit_type", "mean_rate"))
    fig = new_figure("timescale_vs_decay", _title("Timescale against synaptic decay", ds, width),
                     width, height, x_axis_label="synaptic decay constant td (ms)",
                     y_axis_label="autocorrelation timescale (ms)", y_axis_type="log")
    for name, units in _fitted_by_type(ds).items():
        label, color = UNIT_TYPES[name]
        if not units.size:
            continue
        source = ColumnDataSource({
            "unit": units,
            "synaptic_decay": np.asarray(ds.synaptic_decay.values[units], dtype=np.float64),
            "timescale": np.asarray(ds.timescale.values[units], dtype=np.float64),
            "mean_rate": np.asarray(ds.mean_rate.values[units], dtype=np.float64),
        }, name=f"timescale_{name}")
        fig.scatter("synaptic_decay", "timescale", source=source, color=color, alpha=0.7,
                    size=6, legend_label=f"{label} ({units.size})")
    fig.add_tools(HoverTool(tooltips=[("unit", "@unit"), ("td", "@synaptic_decay{0.0} ms"),
                                      ("timescale", "@timescale{0.0} ms"),
                                      ("rate", "@mean_rate{0.0} Hz")]))
    if fig.legend:
        legend_below(fig)
    return fig
