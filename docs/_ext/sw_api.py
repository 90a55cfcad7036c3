"""The API reference: one directive per module, documenting every name of its ``__all__``.

``.. sw-module:: spikewidgets.search._grid`` gives the module's docstring, a summary
table (autosummary) of every name of its ``__all__`` and, below it, the full
entry (autodoc, numpydoc) of each name that this module is the documented home
of. The modules documented are listed in ``conf.py`` (``sw_api_modules``);
the directive refuses any other, so the list and the pages agree.

A name is documented once, in its *home*: the documented module that is the
longest prefix of the module that defines it (``LIFNetwork``, defined in
``spikewidgets.sim._kernel.network``, is documented in ``spikewidgets.sim._kernel``).
Where another documented module re-exports it (``spikewidgets.search._grid`` re-exports
``parse_scaling_factors`` of ``spikewidgets.io._validation``), its row in the
summary table links to the home. The top-level ``spikewidgets`` namespace
re-exports names only.

References to the other spellings of a documented name (the defining module's
``spikewidgets.sim.LIFNetwork`` in a signature, a re-export's
``spikewidgets.io._validation.parse_scaling_factors``, ``spikewidgets.lambda_grid_search``,
an undocumented submodule such as ``spikewidgets.sim._kernel.network``) are resolved
to the documented entry, by name, from the same table of homes.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import sys
from dataclasses import dataclass, field
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_refnode, nested_parse_with_titles

logger = logging.getLogger(__name__)

PACKAGE = "spikewidgets"
#: The index of each source folder being built (made when its builder starts).
_INDEXES: dict[str, ApiIndex] = {}
#: A value whose repr is longer is not shown in its entry.
MAX_VALUE_REPR = 70


def _kind(obj: object) -> str:
    if inspect.ismodule(obj):
        return "module"
    if isinstance(obj, type):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return "data"


def _assigned_names(module_name: str) -> frozenset[str]:
    """Names assigned in a module's source (its constants, also under ``try`` or ``if``)."""
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    if not path or not path.endswith(".py"):
        return frozenset()
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        names.update(target.id for target in targets if isinstance(target, ast.Name))
    return frozenset(names)


@dataclass
class ApiIndex:
    """Where every documented name lives, and the other spellings that point to it."""

    modules: list[str]
    #: Module name -> its public names.
    exports: dict[str, list[str]] = field(default_factory=dict)
    #: (module, name) -> the module that documents the name.
    home: dict[tuple[str, str], str] = field(default_factory=dict)
    #: Another spelling -> the documented full name.
    aliases: dict[str, str] = field(default_factory=dict)
    #: (module, name) -> the module whose source assigns the name (data only).
    defined_in: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def build(cls, modules: list[str]) -> ApiIndex:
        index = cls(modules)
        for module_name in modules:
            module = importlib.import_module(module_name)
            index.exports[module_name] = list(module.__all__)
        for module_name in modules:
            for name in index.exports[module_name]:
                index._place(module_name, name)
        index._alias_submodules()
        return index

    def _defining_module(self, module_name: str, name: str, obj: object) -> str:
        if _kind(obj) == "module":
            return obj.__name__
        if _kind(obj) != "data":
            return getattr(obj, "__module__", module_name)
        # The module whose source assigns it; first the listing module and its submodules.
        for candidate in sorted(sys.modules, key=lambda candidate: (
                candidate != module_name and not candidate.startswith(module_name + "."),
                candidate)):
            if (candidate == PACKAGE or candidate.startswith(PACKAGE + ".")) and \
                    getattr(sys.modules[candidate], name, None) is obj and \
                    name in _assigned_names(candidate):
                return candidate
        return module_name

    def _documented_prefix(self, module_name: str) -> str | None:
        found = [m for m in self.modules if m != PACKAGE and
                 (module_name == m or module_name.startswith(m + "."))]
        return max(found, key=len) if found else None

    def _place(self, module_name: str, name: str) -> None:
        obj = getattr(importlib.import_module(module_name), name)
        if _kind(obj) == "module":
            self.home[module_name, name] = module_name
            if obj.__name__ != f"{module_name}.{name}":
                self.aliases[f"{module_name}.{name}"] = obj.__name__
            return
        defining = self._defining_module(module_name, name, obj)
        self.defined_in[module_name, name] = defining
        home = self._documented_prefix(defining)
        if home is None or name not in self.exports.get(home, ()):
            home = next((m for m in self.modules if m != PACKAGE and
                         getattr(importlib.import_module(m), name, None) is obj and
                         name in self.exports[m]), module_name)
        self.home[module_name, name] = home
        canonical = f"{home}.{name}"
        spellings = [f"{module_name}.{name}", f"{defining}.{name}"]
        qualname = getattr(obj, "__qualname__", None)
        if _kind(obj) != "data" and qualname:  # also where it was defined, by qualname
            spellings.append(f"{obj.__module__}.{qualname}")
        for spelling in spellings:
            if spelling != canonical:
                self.aliases[spelling] = canonical

    def _alias_submodules(self) -> None:
        """Undocumented submodules of a documented package point to the package."""
        for module_name in sorted(sys.modules):
            if not module_name.startswith(PACKAGE + ".") or module_name in self.modules:
                continue
            home = self._documented_prefix(module_name)
            if home is not None:
                self.aliases.setdefault(module_name, home)

    def comment(self, module_name: str, name: str) -> list[str]:
        """The ``#:`` comment of a constant, from the module that assigns it."""
        defining = self.defined_in[module_name, name]
        return list(ModuleAnalyzer.for_module(defining).find_attr_docs().get(("", name), []))

    def canonical(self, target: str) -> str | None:
        """The documented name of another spelling (or of a member of it), or None."""
        if target in self.aliases:
            return self.aliases[target]
        parts = target.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:cut])
            if prefix in self.aliases:
                return ".".join([self.aliases[prefix], *parts[cut:]])
        return None


def _value_option(obj: object) -> list[str]:
    text = repr(obj)
    if len(text) > MAX_VALUE_REPR or "\n" in text:
        return []
    return [f"   :value: {text}"]


class ModuleDirective(SphinxDirective):
    """``.. sw-module:: NAME``: a section of a module's docstring, summary table and entries."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        module_name = self.arguments[0]
        index = _INDEXES[str(self.env.srcdir)]
        if module_name not in index.exports:
            logger.warning("sw-module %s: not in sw_api_modules of conf.py", module_name,
                           location=self.get_location(), type="sw_api")
            return []
        title = f"``{module_name}``"
        lines = [title, "-" * len(title), "",
                 f".. automodule:: {module_name}", "   :no-members:", ""]
        names = index.exports[module_name]
        if names:
            lines += [".. rubric:: Summary", "", ".. autosummary::", "   :nosignatures:", ""]
            lines += [f"   {name}" for name in names]
            lines.append("")
        for name in names:
            if index.home[module_name, name] == module_name:
                lines += self._entry(index, module_name, name)
        content = StringList(lines, source=f"<sw-module {module_name}>")
        container = nodes.container()
        nested_parse_with_titles(self.state, content, container)
        return container.children

    @staticmethod
    def _entry(index: ApiIndex, module_name: str, name: str) -> list[str]:
        obj = getattr(importlib.import_module(module_name), name)
        kind = _kind(obj)
        if kind == "module":
            return []
        if kind == "data":
            doc = index.comment(module_name, name)
            return [f".. py:data:: {name}", *_value_option(obj), "",
                    *(f"   {line}" for line in doc), ""]
        directive = {"class": "autoclass", "exception": "autoexception",
                     "function": "autofunction"}[kind]
        options = ["   :members:"] if kind == "class" else []
        return [f".. {directive}:: {name}", *options, ""]


def resolve_alias(app: Sphinx, env, node: nodes.Element, contnode: nodes.Element):
    """``missing-reference``: resolve another spelling of a documented name."""
    if node.get("refdomain") != "py":
        return None
    index = _INDEXES[str(env.srcdir)]
    domain = env.domains["py"]
    target = node["reftarget"]
    context = [c for c in (node.get("py:module"), node.get("py:class")) if c]
    candidates = [target]
    if "." not in target and context:
        candidates += [f"{'.'.join(context)}.{target}", f"{context[0]}.{target}"]
    for candidate in candidates:
        for name in (index.canonical(candidate), candidate if candidate != target else None):
            entry = domain.objects.get(name) if name else None
            if entry is not None:
                return make_refnode(app.builder, node["refdoc"], entry.docname,
                                    entry.node_id, contnode, name)
    return None


def show_factories(app: Sphinx, what: str, name: str, obj: object, options: dict,
                   signature: str | None, return_annotation: str | None):
    """``autodoc-process-signature``: a dataclass field's ``<factory>`` default as a call.

    ``inspect`` shows a ``default_factory`` as ``<factory>``, which is no Python
    (the signature then cannot be parsed); it becomes ``list()``, ``dict()``, ...
    """
    if what != "class" or not signature or "<factory>" not in signature or \
            not dataclasses.is_dataclass(obj):
        return None
    for item in dataclasses.fields(obj):
        if item.init and item.default_factory is not dataclasses.MISSING:
            name = getattr(item.default_factory, "__qualname__", "")
            if not all(part.isidentifier() for part in name.split(".")):
                name = "factory"  # a lambda
            signature = signature.replace("<factory>", f"{name}()", 1)
    return signature, return_annotation


def data_comments(app: Sphinx, what: str, name: str, obj: object, options: dict,
                  lines: list[str]) -> None:
    """``autodoc-process-docstring``: a constant's ``#:`` comment, never its type's docstring.

    autosummary summarises ``spikewidgets.__version__`` by the docstring of
    ``str`` unless the module it is listed in holds the comment; the comment is
    read from the module that assigns the constant.
    """
    module_name, _, attribute = name.rpartition(".")
    index = _INDEXES.get(str(app.srcdir))
    if what != "data" or index is None or (module_name, attribute) not in index.defined_in:
        return
    lines[:] = index.comment(module_name, attribute)


def build_index(app: Sphinx) -> None:
    """``builder-inited``: import the documented modules and find every name's home."""
    _INDEXES[str(app.srcdir)] = ApiIndex.build(list(app.config.sw_api_modules))


def setup(app: Sphinx) -> dict:
    """Register the directive, the index of homes and the resolver of other spellings."""
    app.add_config_value("sw_api_modules", [], "env", types=(list, tuple))
    app.add_directive("sw-module", ModuleDirective)
    app.connect("builder-inited", build_index)
    app.connect("missing-reference", resolve_alias)
    app.connect("autodoc-process-signature", show_factories)
    app.connect("autodoc-process-docstring", data_comments)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
