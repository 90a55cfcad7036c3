"""Every public function and class shows how it is used, and every example runs.

The public names are those of the ``__all__`` of every module of the package;
private modules (a part of the name starts with an underscore, as
``spikewidgets.sim._kernel._compiled`` and ``spikewidgets.cli.__main__``) are not
public. Each function and class among them (constants are not asked for) must
have a numpydoc ``Examples`` section with at least one ``>>>`` line in its own
docstring. A name exported by several modules is one object, reported once,
where it is defined.

The examples of every module that holds some run as doctests, in a temporary
working folder (they copy the bundled example models into it), with the
flags ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``.
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


def public_modules() -> list[str]:
    """Names of the package's public modules, found on disk (nothing is imported)."""
    names = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        name = _module_name(path)
        if not any(part.startswith("_") for part in name.split(".")):
            names.append(name)
    return sorted(names)


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
    """Public modules that define public functions or classes, or hold examples."""
    return [name for name in public_modules()
            if ">>> " in _source(name) or _defines_public_names(_source(name))]


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
    assert "spikewidgets" in names and "spikewidgets.sim._kernel.run" in names
    assert "spikewidgets.perturbations" in names
    assert "spikewidgets.sim._kernel._compiled" not in names
    assert "spikewidgets.cli.__main__" not in names
    assert "spikewidgets._version" not in modules_with_examples()  # a constant only
    assert "spikewidgets.sim._kernel.run" in modules_with_examples()


# ------------------------------------------------------------------ the package


def test_every_public_function_and_class_has_an_examples_section():
    missing = missing_examples(public_modules())
    assert missing == [], (f"{len(missing)} public functions and classes have no Examples "
                           "section:\n" + "\n".join(missing))


@pytest.mark.parametrize("module_name", modules_with_examples())
def test_the_examples_run(module_name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples copy the bundled models into "."
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=DOCTEST_FLAGS, verbose=False)
    assert result.failed == 0, f"{result.failed} example(s) of {module_name} failed (above)"
    defined_here = [name for name in getattr(module, "__all__", ())
                    if _is_function_or_class(getattr(module, name))
                    and getattr(getattr(module, name), "__module__", None) == module_name]
    if defined_here:
        assert result.attempted > 0, f"{module_name} defines {defined_here} but no example ran"
