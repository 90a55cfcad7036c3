"""Size limits of the package's source, read with an AST walk.

Every module has at most 400 lines, every function body at most 60 lines
(from the first statement after the docstring to the function's last line)
and every non-public function at most 8 parameters (``self`` and ``cls``
not counted; ``*args`` and ``**kwargs`` count one each). Public functions
(the names in ``__all__`` of the public packages' ``__init__`` files) and the
methods of public classes keep the signatures users call, so the parameter
limit does not apply to them. The compiled LIF step loop is exempt from the
body and parameter limits: it is one loop on purpose (speed), and Numba
passes its state as arguments.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "spikewidgets"

MAX_MODULE_LINES = 400
MAX_BODY_LINES = 60
MAX_PARAMETERS = 8
#: (module relative to the package, qualified name) exempt from the body and parameter limits.
EXEMPT = {("sim/_kernel/_compiled.py", "advance")}

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _modules(root: Path = PACKAGE) -> list[Path]:
    return sorted(root.rglob("*.py"))


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _functions(tree: ast.Module) -> Iterator[tuple[str, Function, bool]]:
    """Every function and method: (qualified name, node, whether it is a method)."""
    def walk(node: ast.AST, prefix: str, in_class: bool) -> Iterator[tuple[str, Function, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, Function):
                name = f"{prefix}{child.name}"
                yield name, child, in_class
                yield from walk(child, f"{name}.", False)
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.", True)
            else:
                yield from walk(child, prefix, in_class)

    yield from walk(tree, "", False)


def body_lines(function: Function) -> int:
    """Lines from the first statement after the docstring to the function's end."""
    body = function.body
    if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        body = body[1:]
    if not body:
        return 0
    return function.end_lineno - body[0].lineno + 1


def parameter_count(function: Function, is_method: bool) -> int:
    """Named parameters, ``*args`` and ``**kwargs``; a method's ``self`` or ``cls`` not counted."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    static = any(isinstance(d, ast.Name) and d.id == "staticmethod"
                 for d in function.decorator_list)
    if is_method and not static and positional and positional[0].arg in ("self", "cls"):
        positional = positional[1:]
    return (len(positional) + len(arguments.kwonlyargs)
            + (arguments.vararg is not None) + (arguments.kwarg is not None))


def _exported(tree: ast.Module) -> list[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
    return []


def _module_path(module: str, root: Path) -> Path | None:
    """The file of an absolute module name inside the package, or None."""
    parts = module.split(".")
    if parts[0] != root.name:
        return None
    base = root.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _definition(path: Path, name: str, root: Path, seen: set) -> tuple[Path, str] | None:
    """Follow ``from ... import`` re-exports of ``name`` to the module that defines it."""
    if (path, name) in seen:
        return None
    seen.add((path, name))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, Function | ast.ClassDef) and node.name == name:
            return path, name
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    source = _module_path(node.module, root)
                    if source is not None:
                        return _definition(source, alias.name, root, seen)
    return None


def public_definitions(root: Path = PACKAGE) -> set[tuple[str, str]]:
    """(module, name) of every function and class that a public package exports."""
    public = set()
    for init in root.rglob("__init__.py"):
        if any(part.startswith("_") for part in init.relative_to(root).parts[:-1]):
            continue  # a private package: its __all__ is not the package's interface
        for name in _exported(ast.parse(init.read_text(encoding="utf-8"))):
            found = _definition(init, name, root, set())
            if found is not None:
                public.add((_relative(found[0], root), found[1]))
    return public


def _is_public(module: str, qualname: str, public: set[tuple[str, str]]) -> bool:
    parts = qualname.split(".")
    if (module, parts[0]) not in public:
        return False
    if len(parts) == 1:
        return True
    method = parts[1]
    dunder = method.startswith("__") and method.endswith("__")
    return len(parts) == 2 and (dunder or not method.startswith("_"))


def long_modules(root: Path = PACKAGE) -> list[str]:
    offenders = []
    for path in _modules(root):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            offenders.append(f"{_relative(path, root)}: {lines} lines")
    return offenders


def long_functions(root: Path = PACKAGE) -> list[str]:
    offenders = []
    for path in _modules(root):
        module = _relative(path, root)
        for name, function, _ in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            lines = body_lines(function)
            if lines > MAX_BODY_LINES and (module, name) not in EXEMPT:
                offenders.append(f"{module}:{function.lineno} {name}: body of {lines} lines")
    return offenders


def long_signatures(root: Path = PACKAGE) -> list[str]:
    public = public_definitions(root)
    offenders = []
    for path in _modules(root):
        module = _relative(path, root)
        for name, function, is_method in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            count = parameter_count(function, is_method)
            if (count > MAX_PARAMETERS and (module, name) not in EXEMPT
                    and not _is_public(module, name, public)):
                offenders.append(f"{module}:{function.lineno} {name}: {count} parameters")
    return offenders


def test_modules_have_at_most_400_lines():
    offenders = long_modules()
    assert not offenders, "modules longer than 400 lines:\n" + "\n".join(offenders)


def test_function_bodies_have_at_most_60_lines():
    offenders = long_functions()
    assert not offenders, "function bodies longer than 60 lines:\n" + "\n".join(offenders)


def test_private_functions_have_at_most_8_parameters():
    offenders = long_signatures()
    assert not offenders, "non-public functions with more than 8 parameters:\n" + "\n".join(
        offenders)


def test_the_public_interface_is_found():
    public = public_definitions()
    assert ("sim/_kernel/run.py", "run_lif") in public
    assert ("search/_grid.py", "lambda_grid_search") in public
    assert ("io/_modelfile.py", "RateModel") in public
    assert not any(module.startswith("sim/_kernel/") and name == "libm_exp"
                   for module, name in public)  # exported by a private package only


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    """A small package with one offender of each limit and their allowed twins."""
    root = tmp_path / "pkg"
    (root / "_private").mkdir(parents=True)
    many = ", ".join(f"a{n}" for n in range(9))
    body = "".join(f"    x{n} = {n}\n" for n in range(61))
    (root / "__init__.py").write_text(
        'from pkg._impl import Api, api\n\n__all__ = ["Api", "api"]\n')
    (root / "_impl.py").write_text(
        f'def api({many}):\n    """Public."""\n\n\n'
        f"class Api:\n    def method(self, {many}):\n        pass\n\n"
        f"    def _helper(self, {many}):\n        pass\n\n\n"
        f"def helper({many}):\n    pass\n\n\n"
        f"def eight(self, {', '.join(f'b{n}' for n in range(7))}):\n    pass\n\n\n"
        f'def long():\n    """Docstring\n\n    lines.\n    """\n{body}\n\n'
        f'def short():\n    """Docstring."""\n{body[: body.rindex("    x60")]}')
    (root / "_private" / "__init__.py").write_text(
        'from pkg._private._hidden import hidden\n\n__all__ = ["hidden"]\n')
    (root / "_private" / "_hidden.py").write_text(f"def hidden({many}):\n    pass\n")
    (root / "big.py").write_text("x = 1\n" * 401)
    (root / "small.py").write_text("x = 1\n" * 400)
    return root


def test_the_checker_finds_each_kind_of_offender(probe):
    assert long_modules(probe) == ["big.py: 401 lines"]
    assert [o.split(" ", 1)[1] for o in long_functions(probe)] == ["long: body of 61 lines"]
    assert sorted(o.split(" ", 1)[1] for o in long_signatures(probe)) == [
        "Api._helper: 9 parameters",
        "helper: 9 parameters",
        "hidden: 9 parameters",
    ]
