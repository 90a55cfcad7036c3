"""Every example runs, and the checker that asks public names for examples.

The public names are those of the ``__all__`` of the public modules of the
package; a module whose name has a part that starts with an underscore (as
``spikewidgets.sim._kernel.run`` and ``spikewidgets.cli.__main__``) is private.
Each public function and class (constants are not asked for) must have a
numpydoc ``Examples`` section with at least one ``>>>`` line in its own
docstring (tests/test_public_api.py asks it, with `missing_examples`). A name
exported by several modules is one object, reported once, where it is
defined.

The examples of every module that holds some, private ones too, run as
doctests, in a temporary working folder (they copy the bundled example models
into it), with the flags ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import re
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "spikewidgets"
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
#: A numpydoc Examples section: the heading, its underline, then text with a ``>>>`` line.
EXAMPLES = re.compile(r"^Examples\n-{8}\n(?:(?!^\S[^\n]*\n-{3,}\n).)*?^>>> ", re.M | re.S)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> list[str]:
    """Names of all the package's modules, found on disk (nothing is imported)."""
    return sorted(_module_name(path) for path in PACKAGE_DIR.rglob("*.py"))


def public_modules() -> list[str]:
    """Names of the package's public modules: no part of the name starts with ``_``."""
    return [name for name in all_modules()
            if not any(part.startswith("_") for part in name.split("."))]


def _source(module_name: str) -> str:
    relative = Path(*module_name.split(".")[1:])
    path = PACKAGE_DIR / relative / "__init__.py"
    if not path.is_file():
        path = (PACKAGE_DIR / relative).with_suffix(".py")
    return path.read_text(encoding="utf-8")


def _defines_public_names(source: str) -> bool:
    """Whether the source defines, at top level, a function or class named in its ``__all__``."""
    tree = ast.parse(source)
    listed: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "__all__"
                for target in node.targets):
            listed |= {element.value for element in getattr(node.value, "elts", [])
                       if isinstance(element, ast.Constant)}
    return any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
               and node.name in listed for node in tree.body)


def modules_with_examples() -> list[str]:
    """Modules that hold examples, private ones too, and public modules that define public names.

    A public module of the second kind without examples fails `test_the_examples_run`.
    """
    public = set(public_modules())
    return [name for name in all_modules() if ">>> " in _source(name)
            or (name in public and _defines_public_names(_source(name)))]


def has_examples(obj: object) -> bool:
    """Whether ``obj``'s own docstring (not one inherited) has an Examples section."""
    own = obj.__doc__ if isinstance(obj.__doc__, str) else ""
    return EXAMPLES.search(inspect.cleandoc(own)) is not None


def _is_function_or_class(value: object) -> bool:
    return inspect.isclass(value) or inspect.isroutine(value) or (
        callable(value) and not inspect.ismodule(value))


def missing_examples(module_names: list[str]) -> list[str]:
    """``module.name`` of each public function or class without an Examples section."""
    missing = set()
    for module_name in module_names:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if _is_function_or_class(value) and not has_examples(value):
                missing.add(f"{getattr(value, '__module__', module_name)}."
                            f"{getattr(value, '__qualname__', name)}")
    return sorted(missing)


# ------------------------------------------------------------------ the checker itself


def _documented(doc: str):
    def function():
        pass

    function.__doc__ = doc
    return function


@pytest.mark.parametrize("doc", [
    "Summary.\n\nExamples\n--------\n>>> 1 + 1\n2\n",
    "Summary.\n\n    Examples\n    --------\n    Some text.\n\n    >>> 1 + 1\n    2\n    ",
    "Summary.\n\nNotes\n-----\nText.\n\nExamples\n--------\n>>> x = 1  # doctest: +SKIP\n",
])
def test_the_checker_accepts_an_examples_section(doc):
    assert has_examples(_documented(doc))


@pytest.mark.parametrize("doc", [
    None,
    "Summary.",
    "Summary.\n\n>>> 1 + 1\n2\n",  # an example, but no section
    "Summary.\n\nExamples\n--------\nText only.\n",
    "Summary.\n\nExamples\n--------\nText.\n\nNotes\n-----\n>>> 1\n1\n",  # not in the section
    "Summary.\n\nExample\n-------\n>>> 1\n1\n",  # not the numpydoc heading
])
def test_the_checker_refuses_anything_else(doc):
    assert not has_examples(_documented(doc))


def test_the_checker_does_not_take_an_inherited_docstring():
    class Base:
        """Base.

        Examples
        --------
        >>> Base()  # doctest: +SKIP
        """

    class Child(Base):
        pass

    assert has_examples(Base)
    assert not has_examples(Child)


def test_the_checker_finds_every_kind_of_module():
    names = public_modules()
    assert {"spikewidgets", "spikewidgets.perturbations", "spikewidgets.sim.constants",
            "spikewidgets.search.adaptive", "spikewidgets.cli"} <= set(names)
    private = {"spikewidgets.sim._kernel.run", "spikewidgets.sim._kernel._compiled",
               "spikewidgets.cli.__main__", "spikewidgets._version", "spikewidgets.plots._base"}
    assert private <= set(all_modules()) and not private & set(names)
    with_examples = modules_with_examples()
    assert "spikewidgets._version" not in with_examples  # a constant only
    assert "spikewidgets.cli.__main__" not in with_examples  # running it would exit
    assert {"spikewidgets.sim._kernel.run", "spikewidgets.plots._base",
            "spikewidgets.sim.constants"} <= set(with_examples)


# ------------------------------------------------------------------ the package


@pytest.mark.parametrize("module_name", modules_with_examples())
def test_the_examples_run(module_name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples copy the bundled models into "."
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=DOCTEST_FLAGS, verbose=False)
    assert result.failed == 0, f"{result.failed} example(s) of {module_name} failed (above)"
    assert result.attempted > 0, f"{module_name} has examples or public names, but none ran"
