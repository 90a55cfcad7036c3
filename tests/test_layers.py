"""The package's layers, read from the source: data flows one way.

model files -> kernel (NumPy/Numba only) -> tasks -> search plan -> results;
the plots, the panel, training and the command line sit on top. A core
module that imported the panel, Bokeh or JAX would make every search pay for
them (and fail where they are not installed).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "spikewidgets"

#: Modules and packages that make up the core, and what they may not import.
CORE = ["atomic", "examples", "kernel", "many", "modelfile", "plan", "rate", "reference",
        "results", "scheduling", "search", "seeding", "simulate", "store", "tasks",
        "validation", "version"]
UPPER = {"panel", "plots", "train", "cli"}
DISPLAY_AND_TRAINING = {"ipywidgets", "bokeh", "jupyter_bokeh", "jax", "optax", "matplotlib"}


def _files(name: str) -> list[Path]:
    path = PACKAGE / name
    return sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


def _imports(path: Path, root: Path = PACKAGE) -> set[tuple[str, int]]:
    """(top-level name, level) of every import: level 0 is absolute, 1+ relative."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], 0) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add((node.module.split(".")[0], 0))
            else:
                # Resolve against the package root: spikewidgets/<sub>/x.py with level 2 -> root.
                depth = len(path.relative_to(root).parts) - 1
                if node.level - 1 == depth and node.module:
                    found.add((node.module.split(".")[0], 1))
                elif node.level - 1 == depth:
                    found |= {(alias.name, 1) for alias in node.names}
    return found


@pytest.mark.parametrize("name", CORE)
def test_core_modules_do_not_import_the_upper_layers(name):
    for path in _files(name):
        imports = _imports(path)
        upper = {module for module, level in imports if level and module in UPPER}
        heavy = {module for module, level in imports if not level
                 and module in DISPLAY_AND_TRAINING}
        assert not upper, f"{path.relative_to(PACKAGE)} imports {sorted(upper)}"
        assert not heavy, f"{path.relative_to(PACKAGE)} imports {sorted(heavy)}"


def test_the_kernel_is_numpy_and_numba_only():
    allowed = {"numpy", "numba", "llvmlite", "math", "dataclasses", "collections", "__future__"}
    for path in _files("kernel"):
        absolute = {module for module, level in _imports(path) if not level}
        assert absolute <= allowed, f"{path.name} imports {sorted(absolute - allowed)}"
        relative = {module for module, level in _imports(path) if level}
        assert relative <= {"modelfile"}, f"{path.name} imports {sorted(relative)}"


def test_the_checker_sees_relative_imports(tmp_path):
    def imports_of(code: str, depth: int) -> set[tuple[str, int]]:
        folder = tmp_path / "kernel" if depth else tmp_path
        folder.mkdir(exist_ok=True)
        path = folder / "probe.py"
        path.write_text(code)
        return _imports(path, tmp_path)

    assert ("panel", 1) in imports_of("from ..panel import SearchPanel\n", depth=1)
    assert ("panel", 1) in imports_of("from . import panel\n", depth=0)
    assert ("xarray", 0) in imports_of("import xarray as xr\n", depth=0)
    assert ("run", 1) not in imports_of("from .run import run_lif\n", depth=1)
