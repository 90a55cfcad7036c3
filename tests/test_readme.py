"""README.md: short, and every command and code block in it runs as shown.

README's first search and its Quick start are checked number by number in
``tests/test_repo.py``; here the rest: the length, every Python block run in
order as a reader would, the command line's synopsis against the parser, and
the commands of the tutorials.
"""

from __future__ import annotations

import re
import shlex
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
MAX_LINES = 250


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)\n```", README, re.S)


def test_readme_is_short():
    assert len(README.splitlines()) <= MAX_LINES


def test_every_link_into_the_repository_exists():
    targets = re.findall(r"\]\((?!https?://|#)([^)]+)\)", README)
    assert targets, "README links into the documentation"
    missing = [target for target in targets if not (REPO / target.split("#")[0]).exists()]
    assert missing == []


@pytest.mark.slow
def test_every_python_block_runs_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", DeprecationWarning)
        for block in _blocks("python"):
            exec(block, namespace)  # README's code, as a reader runs it
    assert float(namespace["ds"].opt_scaling_factor) > 0
    assert namespace["sim"].voltage.dims == ("unit", "time")
    assert type(namespace["panel"]).__name__ == "SearchPanel"


def test_the_command_lines_flags_are_the_parsers():
    from spikewidgets.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    (synopsis,) = [block for block in _blocks("text") if block.startswith("spikewidgets ")]
    flags = 0
    for line in synopsis.splitlines():
        words = shlex.split(line.split("#", 1)[0])
        assert words[0] == "spikewidgets" and words[1] in commands, line
        known = {flag for action in commands[words[1]]._actions
                 for flag in action.option_strings}
        shown = {re.sub(r"[\[\]]", "", word) for word in words[2:] if "--" in word}
        assert shown <= known, (line, shown - known)
        flags += len(shown)
    assert flags >= 10


def test_the_tutorials_open_as_shown():
    (commands,) = [block for block in _blocks("bash") if "jupyter lab" in block]
    install, start = (line.split("#", 1)[0].strip() for line in commands.splitlines())
    assert install == 'python -m pip install "spikewidgets[lab]"'
    assert start == "jupyter lab notebooks/"
    from packaging.requirements import Requirement

    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lab = [Requirement(text).name for text in project["optional-dependencies"]["lab"]]
    assert "jupyterlab" in lab
    listed = re.findall(r"^\| \[([0-9]{2}-[a-z-]+)\]\(notebooks/\1\.ipynb\)", README, re.M)
    present = sorted(path.stem for path in (REPO / "notebooks").glob("*.ipynb"))
    assert listed == present
