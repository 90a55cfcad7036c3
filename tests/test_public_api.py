"""A public API that a person can hold in their head: about a hundred names, each with examples.

A public name is one in the ``__all__`` of a public module (no part of its
name starts with an underscore). A name re-exported by several modules is one
object and counts once; constants count. Everything else is private: the
package's own modules import it from the private modules that define it.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import types

from test_docstring_examples import has_examples, missing_examples, public_modules

#: At most this many public names, in all the public modules together.
MAX_PUBLIC_NAMES = 100

#: The public modules: a new one is a decision, made here.
PUBLIC_MODULES = [
    "spikewidgets",
    "spikewidgets.analysis",
    "spikewidgets.cli",
    "spikewidgets.errors",
    "spikewidgets.io",
    "spikewidgets.panel",
    "spikewidgets.perturbations",
    "spikewidgets.plots",
    "spikewidgets.search",
    "spikewidgets.search.adaptive",
    "spikewidgets.sim",
    "spikewidgets.sim.constants",
    "spikewidgets.stats",
    "spikewidgets.tasks",
    "spikewidgets.train",
]


def _key(name: str, value: object) -> tuple:
    """One key per object: functions, classes and modules by identity, other values by name too."""
    if inspect.ismodule(value) or inspect.isclass(value) or callable(value):
        return ("object", id(value))
    return ("value", name, id(value))


def public_names(module_names: list[str]) -> dict[tuple, str]:
    """Each public object once, as the first ``module.name`` that exports it."""
    found: dict[tuple, str] = {}
    for module_name in module_names:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            found.setdefault(_key(name, getattr(module, name)), f"{module_name}.{name}")
    return found


def test_the_public_modules_are_the_chosen_ones():
    assert public_modules() == PUBLIC_MODULES


def test_every_public_module_lists_its_names():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        listed = module.__all__
        assert len(set(listed)) == len(listed), module_name
        assert [name for name in listed if not hasattr(module, name)] == [], module_name


def test_the_public_api_has_at_most_about_a_hundred_names():
    names = sorted(public_names(PUBLIC_MODULES).values())
    assert len(names) <= MAX_PUBLIC_NAMES, (
        f"{len(names)} public names (at most {MAX_PUBLIC_NAMES}): make a name private, "
        "or drop one, before adding another:\n" + "\n".join(names))


def test_a_re_export_counts_once_and_constants_count():
    names = public_names(["spikewidgets", "spikewidgets.search", "spikewidgets.sim.constants"])
    exported = list(names.values())
    assert "spikewidgets.lambda_grid_search" in exported
    assert "spikewidgets.search.lambda_grid_search" not in exported  # the same function
    assert "spikewidgets.sim.constants.V_RESET" in exported
    assert "spikewidgets.sim.constants.V_PEAK" in exported  # another constant, counted


def test_every_public_function_and_class_has_an_examples_section():
    missing = missing_examples(PUBLIC_MODULES)
    assert missing == [], (f"{len(missing)} public functions and classes have no Examples "
                           "section:\n" + "\n".join(missing))


def test_the_examples_check_asks_functions_and_classes_not_constants(monkeypatch):
    probe = types.ModuleType("probe_api")

    def shown():
        """Shown.

        Examples
        --------
        >>> shown()
        """

    def bare():
        """Not shown."""

    class Bare:
        """Not shown either."""

    probe.shown, probe.bare, probe.Bare, probe.LIMIT = shown, bare, Bare, 3
    for value in (shown, bare, Bare):
        value.__module__, value.__qualname__ = "probe_api", value.__name__
    probe.__all__ = ["LIMIT", "Bare", "bare", "shown"]
    monkeypatch.setitem(sys.modules, "probe_api", probe)
    assert has_examples(shown) and not has_examples(bare)
    assert missing_examples(["probe_api"]) == ["probe_api.Bare", "probe_api.bare"]
