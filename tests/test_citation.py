"""The licence and the citation file: MIT as pyproject says, a valid CITATION.cff."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "tests" / "data" / "citation-file-format-1.2.0.schema.json"
#: The papers users are asked to cite: the method, and the working-memory study.
METHOD_DOI = "10.1073/pnas.1905926116"
WORKING_MEMORY_DOI = "10.1038/s41593-020-00753-w"


def _project() -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _as_text(value):
    """YAML dates as the ISO strings that the schema describes."""
    if isinstance(value, dict):
        return {key: _as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_text(item) for item in value]
    return value.isoformat() if isinstance(value, datetime.date) else value


@pytest.fixture(scope="module")
def citation() -> dict:
    return _as_text(yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8")))


def test_the_licence_is_the_mit_licence_that_pyproject_names():
    licence = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in licence
    assert re.search(r"Copyright \(c\) \d{4} spikewidgets developers", licence)
    declared = _project()["license"]
    assert (declared if isinstance(declared, str) else declared["text"]) == "MIT"


def test_the_citation_file_is_valid(citation):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(citation, schema, format_checker=jsonschema.FormatChecker())


def test_the_validation_can_fail(citation):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    for broken in ({**citation, "authors": []}, {**citation, "cff-version": "9"},
                   {key: value for key, value in citation.items() if key != "title"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)


def test_the_citation_names_this_version_and_the_papers_to_cite(citation):
    assert citation["version"] == _project()["version"]
    assert citation["license"] == "MIT"
    dois = [reference.get("doi") for reference in citation["references"]]
    assert dois == [METHOD_DOI, WORKING_MEMORY_DOI]
    message = " ".join(citation["message"].split())
    assert "Kim, Li & Sejnowski (PNAS 2019)" in message
    assert "Kim & Sejnowski (Nature Neuroscience 2021)" in message
