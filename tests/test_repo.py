"""The repository's promises about itself: CI runs README's test command, lint is clean."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    fresh = [line for line in readme.splitlines() if line.startswith("apt-get update")]
    assert len(fresh) == 1, "README gives one fresh-machine test command"
    test_command = fresh[0].split("&&")[-1].strip()
    assert test_command == "python -m pytest"
    assert any(line.strip() == test_command for line in ci.splitlines())
    install = fresh[0].split("&&")[2].strip()
    extras = re.search(r'"\.\[(.*)\]"', install).group(1)
    assert f'"{".[" + extras + "]"}"' in ci or f"\".[{extras}]\"" in ci


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    assert ruff, "ruff is part of the test extra"
    result = subprocess.run([ruff, "check", str(REPO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
