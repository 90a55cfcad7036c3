"""The repository's promises about itself.

CI runs README's test command, lint is clean, the top-level API lists what it
has, and no module uses another module's private names (a private module is
private to its package, which may use it anywhere). What the package
imports is installed with it (the panel and the plots too), and every extra
that the code and the documents name exists. README's first search prints
what README shows.
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.metadata
import importlib.util
import re
import shlex
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import skip_or_fail

REPO = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_commands():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    ci_lines = [line.strip() for line in ci.splitlines()]
    fresh = [line for line in readme.splitlines() if line.startswith("apt-get update")]
    assert len(fresh) == 1, "README gives one fresh-machine test command"
    test_command = fresh[0].split("&&")[-1].strip()
    assert test_command == "python -m pytest"
    assert test_command in ci_lines
    install = fresh[0].split("&&")[2].strip()
    extras = re.search(r'"\.\[(.*)\]"', install).group(1)
    assert f'"{".[" + extras + "]"}"' in ci
    # The quick subset that README gives runs, as written, in the lowest-versions job.
    quick = re.search(r'^(python -m pytest -m ".*")$', readme, re.MULTILINE).group(1)
    assert quick in ci_lines
    # Each job in a virtual environment made for the run, on pyproject's Pythons.
    assert ci.count('"$python" -m venv') == 1 and "mktemp -d" in ci
    assert "--resolution lowest-direct" in ci
    lowest_python = re.search(r"LOWEST_PYTHON=(\S+)", ci).group(1)
    assert _project()["requires-python"] == f">={lowest_python}"


# ------------------------------------------------------------- dependencies and extras


def _project() -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            skip_or_fail("reading pyproject.toml on Python 3.10 needs tomli")
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _installed_with(requirements: list[str]) -> set[str]:
    """Distributions that installing ``requirements`` brings (as installed here)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found: set[str] = set()
    pending = [Requirement(text) for text in requirements]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name == "spikewidgets":
            optional = _project()["optional-dependencies"]
            pending += [Requirement(text) for extra in requirement.extras
                        for text in optional[extra]]
            continue
        if name in found:
            continue
        found.add(name)
        try:
            requires = importlib.metadata.requires(requirement.name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in requires:
            needed = Requirement(text)
            if needed.marker is None or any(needed.marker.evaluate({"extra": extra})
                                            for extra in [*requirement.extras, ""]):
                pending.append(needed)
    return found


def _third_party_imports(path: Path) -> set[str]:
    """Top-level names of the modules a file imports from outside the standard library."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return {name for name in names
            if name not in sys.stdlib_module_names and name != "spikewidgets"}


def test_the_panel_and_the_plots_come_with_the_package():
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = _project()
    core = {canonicalize_name(Requirement(text).name) for text in project["dependencies"]}
    # ipywidgets, Bokeh and jupyter_bokeh for SearchPanel and spikewidgets.plots;
    # matplotlib for xarray's own plots (ds.accuracy.plot()).
    assert {"ipywidgets", "bokeh", "jupyter-bokeh", "matplotlib"} <= core
    assert [Requirement(text).name for text in project["optional-dependencies"]["lab"]] == [
        "jupyterlab"]


def _distributions_of_modules() -> dict[str, list[str]]:
    """Top-level module -> the distributions that install it.

    As ``importlib.metadata.packages_distributions`` of Python 3.11+, which
    infers the modules from each distribution's files; Python 3.10's reads
    only ``top_level.txt``, which many wheels do not have.
    """
    import inspect

    found: dict[str, list[str]] = {}
    for dist in importlib.metadata.distributions():
        modules = set((dist.read_text("top_level.txt") or "").split())
        modules |= {file.parts[0] if len(file.parts) > 1 else inspect.getmodulename(file.name)
                    for file in dist.files or () if file.suffix == ".py"}
        for module in modules - {None}:
            found.setdefault(module, []).append(dist.metadata["Name"])
    return found


def test_every_import_is_installed_with_the_package_or_names_its_extra():
    from packaging.utils import canonicalize_name

    project = _project()
    core = _installed_with(project["dependencies"])
    extras = {extra: _installed_with([f"spikewidgets[{extra}]"])
              for extra in project["optional-dependencies"]}
    distributions = _distributions_of_modules()
    problems = []
    for path in sorted((REPO / "spikewidgets").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for module in sorted(_third_party_imports(path)):
            installed_by = {canonicalize_name(name) for name in distributions.get(module, [])}
            if not installed_by:
                problems.append(f"{path.relative_to(REPO)}: {module} is not installed here")
            elif not installed_by & core and not any(
                    installed_by & extras[extra] and f"spikewidgets[{extra}]" in text
                    for extra in extras):
                problems.append(f"{path.relative_to(REPO)}: {module} is neither installed with "
                                "spikewidgets nor named with its extra (spikewidgets[EXTRA])")
    assert problems == []


def test_every_extra_named_exists():
    extras = set(_project()["optional-dependencies"])
    places = [REPO / "README.md", REPO / ".ci" / "run", REPO / "binder" / "postBuild",
              *REPO.glob("docs/*.md"), *(REPO / "spikewidgets").rglob("*.py")]
    named = {}
    for path in places:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"spikewidgets\[([a-z,]+)\]|\"\.\[([a-z,]+)\]\"", text):
            for extra in (match.group(1) or match.group(2)).split(","):
                named.setdefault(extra, path.relative_to(REPO))
    assert {"train", "dask", "lab"} <= set(named)
    assert {extra: str(path) for extra, path in named.items() if extra not in extras} == {}


# ------------------------------------------------------------- README's first search


def _section(readme: str, title: str) -> str:
    return readme.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _numbers(comment: str) -> list[float]:
    return [float(number) for number in re.findall(r"\d+(?:\.\d+)?", comment)]


@pytest.mark.slow
def test_readmes_first_search_prints_what_readme_shows(tmp_path, monkeypatch, capsys):
    import numpy as np
    import xarray as xr

    from spikewidgets.cli import main

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    fresh = _section(readme, "On a fresh machine")
    command = re.search(r"```bash\n(.*?)\n```", fresh, re.S).group(1)
    search = next(part for part in command.split("&&")
                  if part.strip().startswith("spikewidgets search"))
    shown = re.search(r"```text\n(.*?)\n```", fresh, re.S).group(1).splitlines()
    monkeypatch.chdir(tmp_path)
    assert main(["example", "go_nogo", "."]) == 0
    capsys.readouterr()
    assert main([*shlex.split(search)[1:], "--quiet", "--out", "cli.nc"]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines()[:len(shown)] == shown
    assert printed.err == "", "README's search gives no warning"

    quick = _section(readme, "Quick start")
    first, plateau = re.findall(r"```python\n(.*?)\n```", quick, re.S)[:2]
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", DeprecationWarning)
        exec(first, namespace)  # README's code, as a reader runs it
    ds = namespace["ds"]
    with xr.open_dataset("cli.nc") as cli:  # "the command line's search, with the same Dataset"
        assert np.array_equal(cli.correct.values, ds.correct.values)
    said = re.search(r"float\(ds\.opt_scaling_factor\)\s+# ([\d.]+)", first).group(1)
    assert float(ds.opt_scaling_factor) == float(said)
    lines = dict(line.split("#", 1) for line in plateau.splitlines()[:2])
    for code, comment in lines.items():
        values = eval(code, namespace)  # README's own line
        assert values.tolist() == _numbers(comment)[:values.size], (code, comment)


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    assert ruff, "ruff is part of the test extra"
    result = subprocess.run([ruff, "check", str(REPO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_name_of_all_is_an_attribute_and_listed_by_dir():
    import spikewidgets

    listed = dir(spikewidgets)
    assert [name for name in spikewidgets.__all__ if name not in listed] == []
    assert [name for name in spikewidgets.__all__ if not hasattr(spikewidgets, name)] == []
    assert len(set(spikewidgets.__all__)) == len(spikewidgets.__all__)


# ------------------------------------------------------------- no private imports across modules

#: Developer scripts that may use spikewidgets' private modules, as the package itself does.
FRIENDS = {"benchmarks": frozenset({"spikewidgets"})}

#: Documented public APIs whose names start with an underscore.
DOCUMENTED_UNDERSCORE = frozenset({"os._exit", "sys._getframe"})


def _private(name: str) -> bool:
    """``_name`` or ``__name``, but not a dunder (``__name__``) or ``_`` itself."""
    return name.startswith("_") and name != "_" and not (
        name.startswith("__") and name.endswith("__"))


def _package_of(path: Path) -> tuple[str, ...]:
    """The package a file belongs to, by the ``__init__.py`` files above it."""
    parts: list[str] = []
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return tuple(parts)


def _is_module(dotted: tuple[str, ...], path: Path) -> bool:
    """Whether ``dotted`` names a module or package, found on disk without importing it."""
    package = _package_of(path)
    if package and package[0] == dotted[0]:
        folder = path.parents[len(package) - 1]  # the file's own top-level package
    else:
        try:
            spec = importlib.util.find_spec(dotted[0])  # imports nothing for a top-level name
        except (ImportError, ValueError):
            return False
        if spec is None or len(dotted) == 1:
            return spec is not None
        if not spec.submodule_search_locations:
            return False
        folder = Path(next(iter(spec.submodule_search_locations)))
    if len(dotted) == 1:
        return True
    folder = folder.joinpath(*dotted[1:-1])
    suffixes = importlib.machinery.all_suffixes()
    return (folder / dotted[-1]).is_dir() or any(
        (folder / (dotted[-1] + suffix)).is_file() for suffix in suffixes)


class _PrivateUses(ast.NodeVisitor):
    """The bookkeeping of `private_uses` for one file.

    ``visit`` looks at one node only (``generic_visit`` does not descend): it is
    called on every node of ``ast.walk``, so that imports are recorded in the
    same order as they are found there. It checks import statements and
    records the names bound to modules by them (``modules``) and the names
    bound otherwise (``rebound``); `check_attribute` then checks ``X._name``.
    """

    def __init__(self, path: Path, friends: frozenset[str]) -> None:
        self.path = path
        self.package = _package_of(path)
        self.friends = friends | set(self.package[:1])
        self.found: list[str] = []
        self.modules: dict[str, tuple[str, ...]] = {}  # names bound to modules by imports
        self.rebound: set[str] = set()

    def report(self, node: ast.AST, what: str) -> None:
        self.found.append(f"{self.path}:{node.lineno}: {what}")

    def check_module(self, node: ast.AST, dotted: tuple[str, ...], statement: str) -> None:
        """Report the first private part of a module's name, unless the file is a friend."""
        if dotted[0] in self.friends:
            return
        for i, part in enumerate(dotted):
            if _private(part):
                self.report(node, f"{statement}: {'.'.join(dotted[:i + 1])} is private to "
                                  f"{'.'.join(dotted[:i]) or 'its package'}")
                return

    def generic_visit(self, node: ast.AST) -> None:
        """Nodes of other kinds bind nothing, and their children are visited by the caller."""

    # ------------------------------------------------------------------ imports

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            dotted = tuple(alias.name.split("."))
            self.check_module(node, dotted, f"import {alias.name}")
            if alias.asname:
                self.modules[alias.asname] = dotted
            else:
                self.modules[dotted[0]] = dotted[:1]

    def _base(self, node: ast.ImportFrom) -> tuple[str, ...] | None:
        """The module a ``from`` import imports from; None when it cannot be resolved."""
        if node.level:
            if node.level > len(self.package):
                return None  # not resolvable: not inside a package
            base = self.package[:len(self.package) - node.level + 1]
        else:
            base = ()
        return base + (tuple(node.module.split(".")) if node.module else ())

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._base(node)
        if base is None:
            return
        statement = f"from {'.' * node.level}{node.module or ''} import"
        self.check_module(node, base, statement)
        for alias in node.names:
            dotted = (*base, alias.name)
            if alias.name == "*":
                continue
            if _is_module(dotted, self.path):
                self.check_module(node, dotted, f"{statement} {alias.name}")
                self.modules[alias.asname or alias.name] = dotted
            elif _private(alias.name):
                self.report(node, f"{statement} {alias.name}: private name of {'.'.join(base)}")

    # ------------------------------------------------------------------ other bindings

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.rebound.add(node.id)

    def visit_arg(self, node: ast.arg) -> None:
        self.rebound.add(node.arg)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.rebound.add(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.rebound.add(node.name)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.rebound.add(node.name)

    # ------------------------------------------------------------------ attributes

    def module_of(self, node: ast.expr) -> tuple[str, ...] | None:
        """The module an expression is, when it is an imported name or its submodule."""
        if isinstance(node, ast.Name):
            return self.modules.get(node.id) if node.id not in self.rebound else None
        if isinstance(node, ast.Attribute) and not _private(node.attr):
            owner = self.module_of(node.value)
            if owner and _is_module((*owner, node.attr), self.path):
                return (*owner, node.attr)
        return None

    def check_attribute(self, node: ast.AST) -> None:
        """Report ``X._name`` where ``X`` is a module; called after all nodes are visited."""
        if not (isinstance(node, ast.Attribute) and _private(node.attr)):
            return
        owner = self.module_of(node.value)
        if owner is None:
            return
        dotted = (*owner, node.attr)
        written = f"{ast.unparse(node.value)}.{node.attr}"
        if ".".join(dotted) in DOCUMENTED_UNDERSCORE:
            return
        if _is_module(dotted, self.path):
            self.check_module(node, dotted, written)
        else:
            self.report(node, f"{written}: private name of {'.'.join(owner)}")


def private_uses(source: str, path: Path, friends: frozenset[str] = frozenset()) -> list[str]:
    """Uses of other modules' private names in one file, as ``path:line: what``.

    A private name starts with an underscore and is not a dunder. Reported:
    ``from X import _name`` (and ``X._name``, ``X`` bound by an import
    statement to a module) where ``_name`` is a function, class or other
    object, wherever ``X`` is; and any import of a private module of another
    top-level package (``pkg._numba``, ``pkg.sub._inner``): a private module
    is private to its top-level package, whose modules may all import it. A
    file outside any package (a script) may import the private modules of the
    top-level packages named in ``friends``. Attribute chains are followed
    through submodules (``pkg.mod._f``). Names that the file also binds
    otherwise (an assignment, an argument) are not taken for modules, and
    ``self._x`` is never looked at.
    """
    tree = ast.parse(source, filename=str(path))
    checker = _PrivateUses(path, friends)
    for node in ast.walk(tree):
        checker.visit(node)
    for node in ast.walk(tree):
        checker.check_attribute(node)
    return sorted(set(checker.found), key=lambda line: (int(line.split(":")[1]), line))


@pytest.fixture
def package(tmp_path) -> Path:
    """``pkg`` with ``mod`` (``f``, ``_f``), a private ``_impl`` and a subpackage ``sub``."""
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    for name in ("__init__.py", "mod.py", "_impl.py", "sub/__init__.py", "sub/_inner.py",
                 "sub/here.py"):
        (root / name).write_text("def f(): pass\ndef _f(): pass\n")
    return root


ALLOWED = [
    "from ._impl import f",
    "from . import _impl\n_impl.f()",
    "from pkg._impl import f",
    # A private module of the package, from anywhere in it.
    "from .sub import _inner",
    "from .sub._inner import f",
    "import pkg.sub._inner",
    "from . import sub\nsub._inner.f()",
    "import pkg\npkg.sub._inner.f",
    "import pkg.sub._inner as inner\ninner.f()",
    "from .mod import f as _f\n_f()",
    "from . import mod as _mod\n_mod.f()",
    "from __future__ import annotations",
    "import os\nos.__name__, os.path.__file__, os._exit",
    "import sys\nsys._getframe()",
    "import numpy as np\nnp.__version__",
    "from pathlib import Path\nPath('x')._str",  # an object, not a module
    "class A:\n    def f(self):\n        return self._x, type(self)._y",
    "from collections import namedtuple\nP = namedtuple('P', 'x')\nP(1)._asdict()",
    "import numpy as np\nnp = {}\nnp._x",  # rebound: no longer the module
    "def f(np):\n    return np._x",
    "from .mod import f\nf._cache",
    "from pathlib import Path\nPath._flavour",
    "import pkg.sub\npkg.sub.here.f()",
]

REPORTED = [
    ("from .mod import _f", "from .mod import _f: private name of pkg.mod"),
    ("from pkg.mod import _f as g", "from pkg.mod import _f: private name of pkg.mod"),
    ("from . import mod\nmod._f()", "mod._f: private name of pkg.mod"),
    ("import numpy as np\nnp._x", "np._x: private name of numpy"),
    ("import os.path\nos._private", "os._private: private name of os"),
    ("from .mod import __f", "from .mod import __f: private name of pkg.mod"),
    ("import pkg.mod\npkg.mod._f", "pkg.mod._f: private name of pkg.mod"),
    # A private module may be imported, but not its private names.
    ("from ._impl import _f", "from ._impl import _f: private name of pkg._impl"),
    ("from pkg.sub._inner import _f", "from pkg.sub._inner import _f: private name of "
                                      "pkg.sub._inner"),
    ("from .sub import _inner\n_inner._f()", "_inner._f: private name of pkg.sub._inner"),
    # Another package's private modules are its own.
    ("from concurrent.futures import _base",
     "from concurrent.futures import _base: concurrent.futures._base is private to "
     "concurrent.futures"),
    ("import concurrent.futures._base",
     "import concurrent.futures._base: concurrent.futures._base is private to "
     "concurrent.futures"),
]


@pytest.mark.parametrize("source", ALLOWED)
def test_the_private_use_checker_allows(package, source):
    assert private_uses(source, package / "user.py") == []


@pytest.mark.parametrize(("source", "expected"), REPORTED)
def test_the_private_use_checker_reports(package, source, expected):
    found = private_uses(source, package / "user.py")
    assert [line.split(": ", 1)[1] for line in found] == [expected]
    assert found[0].startswith(f"{package / 'user.py'}:{source.count(chr(10)) + 1}: ")


def test_the_private_use_checker_sees_private_modules_from_outside(package, monkeypatch):
    monkeypatch.syspath_prepend(str(package.parent))
    outside = package.parent / "scripts" / "run.py"
    source = "from pkg._impl import f\nimport pkg._impl\nfrom pkg import _impl"
    assert [line.split(": ", 1)[1] for line in private_uses(source, outside)] == [
        "from pkg._impl import: pkg._impl is private to pkg",
        "import pkg._impl: pkg._impl is private to pkg",
        "from pkg import _impl: pkg._impl is private to pkg",
    ]
    # A script that is a friend of the package may, as the package itself does;
    # private names stay private to their module.
    assert private_uses(source, outside, frozenset({"pkg"})) == []
    assert [line.split(": ", 1)[1] for line in private_uses(
        "from pkg._impl import _f", outside, frozenset({"pkg"}))] == [
        "from pkg._impl import _f: private name of pkg._impl"]
    assert private_uses("from pkg.sub._inner import f", package / "sub" / "here.py") == []


def test_no_module_uses_another_modules_private_names():
    offenders = []
    for folder in ("spikewidgets", "benchmarks"):
        for path in sorted((REPO / folder).rglob("*.py")):
            found = private_uses(path.read_text(encoding="utf-8"), path,
                                 FRIENDS.get(folder, frozenset()))
            offenders += [line.replace(f"{REPO}/", "", 1) for line in found]
    assert not offenders, "private names used across modules:\n" + "\n".join(offenders)
