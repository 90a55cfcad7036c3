"""``.. sw-argparse:: module:function``: a command line, rendered from its argparse parser.

The function returns an ``argparse.ArgumentParser`` (``spikewidgets.cli:build_parser``).
The directive renders the program's usage and options, then one section per
subcommand: its help, usage, description and every option of every argument
group, as ``.. program::`` / ``.. option::`` entries (so ``:option:`` links
to them). Help texts are the parser's own, ``%(default)s`` and the like
expanded as ``--help`` does; they are shown as plain text (nothing in them is
read as markup). Options whose help is ``argparse.SUPPRESS`` are left out.

argparse has no public way to list a parser's groups and actions; like every
tool that documents a parser, this reads its ``_action_groups``.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import re

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

#: Width of the usage lines (the page's, whatever the terminal of the build).
USAGE_WIDTH = 72
#: Characters that reStructuredText would read as markup.
MARKUP = re.compile(r"([\\`*_|\[\]<>])")


def escape(text: str) -> str:
    """``text`` as plain reStructuredText (no markup), on one line."""
    return MARKUP.sub(r"\\\1", " ".join(text.split()))


def expand_help(action: argparse.Action, prog: str) -> str:
    """An action's help with ``%(name)s`` filled in, as argparse's ``--help`` does."""
    params = {key: value for key, value in vars(action).items()
              if value is not argparse.SUPPRESS}
    params["prog"] = prog
    for key, value in list(params.items()):
        if hasattr(value, "__name__"):
            params[key] = value.__name__
    if params.get("choices") is not None:
        params["choices"] = ", ".join(str(choice) for choice in params["choices"])
    return (action.help or "") % params


def metavar(action: argparse.Action) -> str:
    """The argument(s) an option takes, as in its usage (``TRIALS``, ``[X ...]``)."""
    if action.nargs == 0:
        return ""
    if action.metavar is not None:
        name = action.metavar
    elif action.choices is not None:
        name = "{" + ",".join(str(choice) for choice in action.choices) + "}"
    else:
        name = action.dest.upper() if action.option_strings else action.dest
    names = list(name) if isinstance(name, tuple) else [name]
    nargs = action.nargs
    if nargs is None:
        return names[0]
    if nargs == argparse.OPTIONAL:
        return f"[{names[0]}]"
    if nargs == argparse.ZERO_OR_MORE:
        return f"[{names[0]} ...]"
    if nargs == argparse.ONE_OR_MORE:
        return f"{names[0]} [{names[0]} ...]"
    if isinstance(nargs, int):
        return " ".join(names if len(names) == nargs else names * nargs)
    return names[0]


def option_lines(action: argparse.Action, prog: str) -> list[str]:
    """The ``.. option::`` entry of one argument."""
    args = metavar(action)
    if action.option_strings:
        signature = ", ".join(f"{flag} {args}".strip() for flag in action.option_strings)
    else:
        signature = action.dest if action.metavar is None else args
    text = escape(expand_help(action, prog))
    if not action.option_strings and action.choices is not None:
        text = (text + " " if text else "") + escape(
            "One of: " + ", ".join(str(choice) for choice in action.choices) + ".")
    if action.required and action.option_strings:
        text = (text + " " if text else "") + "Required."
    return [f".. option:: {signature}", "", f"   {text}" if text else "   \\", ""]


def usage_lines(parser: argparse.ArgumentParser) -> list[str]:
    """The parser's usage as a literal block, wrapped at ``USAGE_WIDTH`` (not the terminal's)."""
    parser.formatter_class = functools.partial(argparse.HelpFormatter, width=USAGE_WIDTH)
    usage = parser.format_usage().strip()
    usage = usage[len("usage: "):] if usage.startswith("usage: ") else usage
    return ["::", "", *(f"   {line}" for line in usage.splitlines()), ""]


def parser_lines(parser: argparse.ArgumentParser) -> list[str]:
    """Usage, description and options of one parser (not its subcommands)."""
    lines = usage_lines(parser)
    if parser.description:
        lines += [escape(parser.description), ""]
    lines += [f".. program:: {parser.prog}", ""]
    for group in parser._action_groups:
        actions = [action for action in group._group_actions
                   if action.help is not argparse.SUPPRESS and
                   not isinstance(action, argparse._SubParsersAction)]
        if not actions:
            continue
        lines += [f".. rubric:: {escape(group.title or 'options')}", ""]
        for action in actions:
            lines += option_lines(action, parser.prog)
    return lines


def subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """(name, help, parser) of every subcommand, in the order of ``--help``."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            found += [(name, helps.get(name, ""), sub) for name, sub in action.choices.items()]
    return found


class ArgparseDirective(SphinxDirective):
    """Render ``module:function()``'s parser (see the module's text)."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        module_name, _, function = self.arguments[0].partition(":")
        parser = getattr(importlib.import_module(module_name), function)()
        lines = parser_lines(parser)
        for name, help_text, sub in subcommands(parser):
            title = f"{parser.prog} {name}"
            lines += [title, "-" * len(title), ""]
            if help_text:
                lines += [escape(help_text[0].upper() + help_text[1:]) + ".", ""]
            lines += parser_lines(sub)
        lines += [".. program:: None", ""]
        container = nodes.container()
        nested_parse_with_titles(self.state, StringList(lines, source=self.arguments[0]),
                                 container)
        return container.children


def setup(app: Sphinx) -> dict:
    """Register the directive."""
    app.add_directive("sw-argparse", ArgparseDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
