"""Sphinx configuration of the spikewidgets documentation.

Build (offline; every warning is an error, every reference must resolve)::

    python -m pip install -e ".[docs]"
    sphinx-build -W -n -b html docs docs/_build/html

The tutorials are the notebooks of ``notebooks/``, rendered from their stored
outputs (never executed) through the link files of ``docs/tutorials/``
(``_ext/sw_notebooks.py``). The API reference documents every name of the
``__all__`` of the public modules in ``sw_api_modules``, one page per function
or class, written into ``api/`` when the build starts (``_ext/sw_api.py``); the
command line is rendered from ``spikewidgets.cli.build_parser`` (``_ext/sw_cli.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

from spikewidgets import __version__  # noqa: E402

project = "spikewidgets"
author = "spikewidgets developers"
copyright = "spikewidgets developers"
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_nb",
    "sw_notebooks",
    "sw_api",
    "sw_cli",
]

exclude_patterns = ["_build", "_ext", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
nitpicky = True

# ----------------------------------------------------------------------------- notebooks
# myst-nb reads the link files of tutorials/ as notebooks (sw_notebooks puts the
# notebook in place of the link when Sphinx reads it) and never executes them.
nb_custom_formats = {".nblink": ["nbformat.reads", {"as_version": 4}]}
nb_execution_mode = "off"
# The notebooks store no widget state (it would hold BokehJS), so a widget view
# cannot be drawn in a page: a figure output shows the picture stored beside
# its view (image/png, by notebooks/render_pictures.py) instead.
nb_mime_priority_overrides = [("*", "application/vnd.jupyter.widget-view+json", None)]
myst_heading_anchors = 3

# ----------------------------------------------------------------------------- API
#: The public modules (no part of the name starts with ``_``), in the order of the
#: reference: one page each, listing its ``__all__``, and one page per public
#: function or class (``_ext/sw_api.py`` writes them into api/ as the build starts).
sw_api_modules = [
    "spikewidgets",
    "spikewidgets.errors",
    "spikewidgets.io",
    "spikewidgets.sim",
    "spikewidgets.sim.constants",
    "spikewidgets.stats",
    "spikewidgets.search",
    "spikewidgets.search.adaptive",
    "spikewidgets.tasks",
    "spikewidgets.perturbations",
    "spikewidgets.analysis",
    "spikewidgets.plots",
    "spikewidgets.panel",
    "spikewidgets.train",
    "spikewidgets.cli",
]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

# ----------------------------------------------------------------------------- references
# Offline, names of other projects (Python itself, NumPy, xarray, ...) cannot be
# resolved: no intersphinx. Only those are ignored; the project's own names
# must resolve.
OTHER_PROJECTS = (
    "numpy", "np", "npt", "scipy", "xarray", "xr", "pandas", "pd", "numba", "h5py",
    "h5netcdf", "tqdm", "bokeh", "ipywidgets", "traitlets", "IPython", "jax", "jnp",
    "optax", "dask", "distributed", "concurrent", "pytest",
)
nitpick_ignore: list[tuple[str, str]] = []
# Names of other projects as their own code or an unevaluated annotation spells
# them: traitlets' ``t.Any`` (typing.Any) in the constructor of every widget,
# Bokeh's and ipywidgets' classes in the annotations of spikewidgets.plots and
# spikewidgets.panel.
nitpick_ignore += [("py:class", name) for name in (
    "t.Any", "ColumnDataSource", "Label", "LegendItem", "Widget")]
nitpick_ignore_regex = [
    (r"py:.*", rf"(?:{'|'.join(sorted(OTHER_PROJECTS))})(?:\..+)?"),
    (r"py:.*", rf"(?:{'|'.join(sorted(sys.stdlib_module_names))})\..+"),
]

# ----------------------------------------------------------------------------- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"spikewidgets {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = ["_static"]
# The header is sticky: an entry that a link scrolls to is kept below it.
html_js_files = ["sw-anchors.js"]
# Tables fit their column: long code in a cell wraps.
html_css_files = ["sw-tables.css"]
