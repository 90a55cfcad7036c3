"""The package's layers, read from the source: data flows one way.

model files -> the networks (the kernel: NumPy and Numba only) -> tasks and
statistics -> perturbations -> searches, analyses, training -> plots -> the
panel and the command line. A core module that imported the panel, Bokeh or
JAX would make every search pay for them (and fail where they are not
installed). The contracts are ``[tool.importlinter]`` of pyproject.toml, run
here by import-linter (``lint-imports`` does the same); on top of them no
module of spikewidgets takes part in an import cycle, not even through an
import inside a function.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from conftest import skip_or_fail

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "spikewidgets"
#: The kernel may use these third-party packages; every other one is forbidden to it.
KERNEL_PACKAGES = {"numpy", "numba", "llvmlite"}


def _grimp():
    try:
        import grimp
    except ImportError:
        skip_or_fail("the import checks need import-linter (the test extra), which brings grimp")
    return grimp


def lint_imports(folder: Path, config: Path) -> subprocess.CompletedProcess:
    """Run import-linter's ``lint-imports`` on ``config`` in ``folder``, with this interpreter."""
    try:
        import importlinter  # noqa: F401
    except ImportError:
        skip_or_fail("the import contracts need import-linter (the test extra)")
    command = [sys.executable, "-c",
               "from importlinter.cli import lint_imports_command; lint_imports_command()",
               "--config", str(config), "--no-cache"]
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False,
                            env={**os.environ, "NO_COLOR": "1"})
    # Some versions colour their report even when it goes to a pipe.
    result.stdout = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    return result


def _reachable(start: str, edges: dict[str, set[str]]) -> set[str]:
    """The modules that ``start`` imports, directly or through others (itself if in a cycle)."""
    found: set[str] = set()
    pending = list(edges[start])
    while pending:
        module = pending.pop()
        if module not in found:
            found.add(module)
            pending += edges[module]
    return found


def import_cycles(modules: Iterable[str],
                  imported_by: Callable[[str], Iterable[str]]) -> list[list[str]]:
    """The import cycles among ``modules``, each as the sorted modules that import each other.

    ``imported_by(module)`` gives the modules that ``module`` imports
    directly; imports of modules outside ``modules`` are left out. A module
    that imports itself is a cycle of one.
    """
    modules = set(modules)
    edges = {module: set(imported_by(module)) & modules for module in modules}
    reach = {module: _reachable(module, edges) for module in modules}
    cycles = {frozenset(other for other in reach[module] if module in reach[other])
              for module in modules if module in reach[module]}
    return sorted(sorted(cycle) for cycle in cycles)


def _contracts() -> list[dict]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            skip_or_fail("reading pyproject.toml on Python 3.10 needs tomli")
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["contracts"]


def _contract(contract_id: str) -> dict:
    return next(contract for contract in _contracts() if contract["id"] == contract_id)


# ------------------------------------------------------------------ the package


def test_the_import_contracts_are_kept():
    result = lint_imports(REPO, REPO / "pyproject.toml")
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "3 kept, 0 broken" in report, report


def test_no_module_takes_part_in_an_import_cycle():
    grimp = _grimp()
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    modules = {module for module in graph.modules if module.split(".")[0] == PACKAGE}
    assert len(modules) > 80
    cycles = import_cycles(modules, graph.find_modules_directly_imported_by)
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(cycle) for cycle in cycles)


def test_every_subpackage_is_in_a_layer_and_errors_is_kept_apart():
    root = REPO / PACKAGE
    subpackages = {f"{PACKAGE}.{path.parent.name}" for path in root.glob("*/__init__.py")}
    layered = {name.strip() for layer in _contract("layers")["layers"]
               for name in layer.split("|")}
    assert layered == subpackages
    others = subpackages | {f"{PACKAGE}.{path.stem}" for path in root.glob("*.py")
                            if path.stem != "__init__"}
    assert set(_contract("errors")["forbidden_modules"]) == others - {f"{PACKAGE}.errors"}


def test_the_kernel_contract_names_every_other_third_party_package():
    """A package that spikewidgets starts to import is forbidden to the kernel too."""
    grimp = _grimp()
    graph = grimp.build_graph(PACKAGE, include_external_packages=True, cache_dir=None)
    imported = {module for module in graph.modules if "." not in module
                and module != PACKAGE and module not in sys.stdlib_module_names}
    assert KERNEL_PACKAGES <= imported
    forbidden = {module for module in _contract("kernel")["forbidden_modules"]
                 if not module.startswith(f"{PACKAGE}.")}
    assert forbidden == imported - KERNEL_PACKAGES


# ------------------------------------------------------------------ the checks themselves


def test_a_broken_contract_fails_with_its_report(tmp_path):
    toy = tmp_path / "toy"
    toy.mkdir()
    (toy / "__init__.py").write_text("")
    (toy / "low.py").write_text("def f():\n    from toy import high  # upwards\n")
    (toy / "high.py").write_text("from toy import low\n")
    config = tmp_path / "setup.cfg"
    config.write_text("[importlinter]\nroot_package = toy\n\n"
                      "[importlinter:contract:layers]\nname = high over low\ntype = layers\n"
                      "layers =\n    toy.high\n    toy.low\n")
    result = lint_imports(tmp_path, config)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "toy.low -> toy.high" in result.stdout, result.stdout


def test_the_cycle_finder_finds_cycles_and_only_them():
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}, "f": {"d"}}
    assert import_cycles(imports, imports.__getitem__) == [["a", "b", "c"], ["e"]]
    assert import_cycles({"a", "b"}, {"a": {"b"}, "b": {"x"}}.__getitem__) == []


def test_the_graph_holds_imports_inside_functions(tmp_path, monkeypatch):
    grimp = _grimp()
    toy = tmp_path / "toy_cycle"
    toy.mkdir()
    (toy / "__init__.py").write_text("")
    (toy / "one.py").write_text("from toy_cycle import two\n")
    (toy / "two.py").write_text("def f():\n    from toy_cycle.one import g\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("toy_cycle", cache_dir=None)
    cycles = import_cycles(graph.modules, graph.find_modules_directly_imported_by)
    assert cycles == [["toy_cycle.one", "toy_cycle.two"]]
