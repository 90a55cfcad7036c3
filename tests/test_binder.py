"""The Binder configuration (``binder/``) gives the notebooks everything they need.

``test_notebooks_run_in_a_binder_environment`` does with ``binder/`` what
repo2docker does: a fresh virtual environment, ``pip install -r
binder/requirements.txt``, then ``binder/postBuild`` run from the repository
root. It checks there that every module the notebooks import can be imported
and that JupyterLab has the widget and Bokeh extensions, then runs the
notebooks under strict nbval in that environment (pytest and nbval are added
for this only, after the import check, so they cannot hide a missing
dependency). It takes a few minutes: in CI (``CI`` set) it always runs; on a
developer's machine only with ``SPIKEWIDGETS_BINDER_TEST=1``.

The other tests only read the files.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import skip_or_fail
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
NOTEBOOKS = REPO / "notebooks"
#: Extras of spikewidgets that the notebooks use.
EXTRAS = ("lab", "train", "dask")
#: Needed by the notebooks' JupyterLab, not imported by the notebooks themselves.
LAB_MODULES = ("ipykernel", "ipywidgets", "jupyter_bokeh", "jupyterlab")
#: JupyterLab extensions that render the widgets and Bokeh figures.
LAB_EXTENSIONS = ("@jupyter-widgets/jupyterlab-manager", "@bokeh/jupyter_bokeh")

RUN_VENV_TEST = bool(os.environ.get("CI") or os.environ.get("SPIKEWIDGETS_BINDER_TEST"))


def _requirements() -> dict[str, Requirement]:
    found = {}
    for line in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def _pyproject() -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            skip_or_fail("reading pyproject.toml on Python 3.10 needs tomli")
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _lower_bound(requirement: Requirement) -> Version | None:
    lows = [Version(spec.version) for spec in requirement.specifier
            if spec.operator in (">=", "==", "~=")]
    return max(lows) if lows else None


def notebook_modules() -> list[str]:
    """Every module the notebooks import (dotted names, as written)."""
    modules = set()
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            lines = [line for line in source.splitlines()
                     if not line.lstrip().startswith(("%", "!"))]  # IPython magics
            for node in ast.walk(ast.parse("\n".join(lines))):
                if isinstance(node, ast.Import):
                    modules.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module)
    return sorted(modules)


# ---------------------------------------------------------------------------- the files


def test_every_requirement_has_a_lower_and_an_upper_bound():
    for name, requirement in _requirements().items():
        operators = {spec.operator for spec in requirement.specifier}
        assert operators & {">=", "==", "~="}, f"{name} has no lower bound in requirements.txt"
        assert operators & {"<", "<=", "==", "~="}, (
            f"{name} has no upper bound in requirements.txt")


def test_requirements_cover_the_dependencies_of_the_extras_the_notebooks_use():
    project = _pyproject()["project"]
    wanted = list(project["dependencies"])
    for extra in EXTRAS:
        wanted += project["optional-dependencies"][extra]
    pinned = _requirements()
    for text in wanted:
        dependency = Requirement(text)
        name = canonicalize_name(dependency.name)
        assert name in pinned, (
            f"{dependency.name} (pyproject.toml) is missing from requirements.txt")
        low = _lower_bound(pinned[name])
        assert low is not None and dependency.specifier.contains(low, prereleases=True), (
            f"requirements.txt allows {pinned[name]}, below pyproject.toml's {dependency}")
        assert dependency.extras <= pinned[name].extras, (
            f"requirements.txt has {pinned[name]}, without the extras of {dependency}")


def test_post_build_installs_this_checkout_with_the_extras():
    script = BINDER / "postBuild"
    assert os.access(script, os.X_OK), "binder/postBuild must be executable"
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash\n")
    match = re.search(r"pip install .*-e \"?\.\[([a-z,]+)\]\"?", text)
    assert match, "postBuild should pip install -e '.[extras]' from the repository root"
    assert set(EXTRAS) <= set(match.group(1).split(","))


def test_runtime_is_a_python_the_project_supports():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", runtime)
    assert match, f"runtime.txt is {runtime!r}, expected python-X.Y"
    from packaging.specifiers import SpecifierSet

    supported = SpecifierSet(_pyproject()["project"]["requires-python"])
    assert supported.contains(Version(match.group(1)))


def test_the_notebooks_import_only_what_the_binder_environment_installs():
    from importlib.metadata import packages_distributions

    provided = {canonicalize_name(name) for name in _requirements()} | {"spikewidgets"}
    owners = packages_distributions()
    for module in notebook_modules():
        top = module.split(".")[0]
        if top in sys.stdlib_module_names or top == "spikewidgets":
            continue
        distributions = {canonicalize_name(name) for name in owners.get(top, [])}
        origin = ", ".join(sorted(distributions)) or "no installed distribution"
        assert distributions & provided, (
            f"the notebooks import {module} (from {origin}), which binder/requirements.txt "
            "does not provide")


# ---------------------------------------------------------------------------- the environment


def _run(command: list[str], *, env: dict[str, str], timeout: float) -> str:
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, (
        f"{' '.join(map(str, command))} exited with {done.returncode}:\n{output[-6000:]}")
    return output


@pytest.mark.skipif(not RUN_VENV_TEST,
                    reason="builds a Binder environment (minutes); set SPIKEWIDGETS_BINDER_TEST=1")
def test_notebooks_run_in_a_binder_environment(tmp_path):
    if shutil.which("bash") is None:
        pytest.fail("binder/postBuild needs bash")
    prefix = tmp_path / "binder-env"
    subprocess.run([sys.executable, "-m", "venv", str(prefix)], check=True, timeout=300)
    python = str(prefix / "bin" / "python")
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV",
                          "CONDA_PREFIX", "JUPYTER_PATH", "JUPYTER_CONFIG_DIR")}
    env.update(VIRTUAL_ENV=str(prefix), PATH=f"{prefix / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               PIP_DISABLE_PIP_VERSION_CHECK="1", JUPYTER_PLATFORM_DIRS="1")

    # What repo2docker does with binder/.
    _run([python, "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt"],
         env=env, timeout=1800)
    _run([str(BINDER / "postBuild")], env=env, timeout=900)

    # Everything the notebooks import, from this checkout; the lab extensions.
    modules = [*notebook_modules(), *LAB_MODULES]
    where = _run([python, "-c",
                  "import importlib, sys\n"
                  "for name in sys.argv[1:]:\n"
                  "    importlib.import_module(name)\n"
                  "import spikewidgets\n"
                  "print(spikewidgets.__file__)\n", *modules], env=env, timeout=600)
    assert Path(where.strip().splitlines()[-1]).resolve().is_relative_to(REPO), (
        f"spikewidgets was not installed from this checkout: {where}")
    listed = _run([python, "-m", "jupyter", "labextension", "list"], env=env, timeout=300)
    extensions = re.sub(r"\x1b\[[0-9;]*m", "", listed)  # without colours
    for name in LAB_EXTENSIONS:
        assert re.search(rf"{re.escape(name)} v\S+ enabled\s+OK", extensions), (
            f"JupyterLab extension {name} missing or disabled:\n{extensions}")

    # The notebooks, under strict nbval, in that environment.
    _run([python, "-m", "pip", "install", "--quiet", "pytest", "nbval"], env=env, timeout=900)
    _run([python, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q",
          "--nbval", "--nbval-current-env",
          "--nbval-sanitize-with", "notebooks/nbval_sanitize.cfg", "notebooks/"],
         env=env, timeout=1800)
