"""The tutorial notebooks as committed: small, executed, portable, no BokehJS inside.

Running them is strict nbval's job (``python -m pytest --nbval
--nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg
notebooks/``), which compares every output with the committed one. These
tests check what nbval does not: the files stay small and carry no copy of
BokehJS (neither inline nor from a CDN), no saved widget state, and no
outputs that would only hold on the machine that ran them; and every figure
output (a widget view: a Bokeh figure or the panel, which needs a kernel)
carries a picture of itself (``image/png``, stored by
``notebooks/render_pictures.py``) for the viewers where no kernel runs.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = (
    "01-quickstart",
    "02-rate-to-spikes",
    "03-analysing-results",
    "04-the-panel",
    "05-your-own-model",
    "06-scaling-out",
    "07-working-memory",
    "08-perturbations",
    "09-adaptive-search",
    "10-why-a-factor-works",
)
#: Largest committed notebook.
MAX_BYTES = 1024 * 1024
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Smallest picture of a figure (width, height): a capture of a loading note is smaller.
MIN_PICTURE_SIZE = (200, 100)
#: Text found in BokehJS itself (inline resources) or in its CDN loader.
BOKEHJS_MARKERS = ("BEGIN bokeh.min.js", "Anaconda, Inc., and Bokeh Contributors",
                   "cdn.bokeh.org")
#: Longest JavaScript output allowed (the loaders of notebook outputs are larger).
MAX_JAVASCRIPT_CHARS = 5000
#: Things in a checked output that would differ on another machine or checkout.
MACHINE_FOLDERS = ("tmp", "work", "home", "root")
MACHINE_SPECIFIC = re.compile("|".join(f"/{name}/" for name in MACHINE_FOLDERS)
                              + r"|ipykernel_\d+")

PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _text(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _code_cells(notebook: dict) -> list[dict]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def _ignored(cell: dict) -> bool:
    return any(line.strip() == "# NBVAL_IGNORE_OUTPUT"
               for line in _text(cell["source"]).splitlines())


def test_the_tutorial_notebooks_are_all_there():
    assert [path.stem for path in PATHS] == list(EXPECTED)


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.stem)
def test_notebook_is_small_and_holds_no_bokehjs(path):
    size = path.stat().st_size
    assert size < MAX_BYTES, f"{path.name} is {size / 1024:.0f} KB, expected < {MAX_BYTES // 1024}"
    text = path.read_text(encoding="utf-8")
    for marker in BOKEHJS_MARKERS:
        assert marker not in text, f"{path.name} contains BokehJS ({marker!r})"
    notebook = _load(path)
    assert "widgets" not in notebook["metadata"], (
        f"{path.name} saved its widget state (which holds BokehJS); save without it")
    for index, cell in enumerate(_code_cells(notebook)):
        for output in cell.get("outputs", []):
            script = _text(output.get("data", {}).get("application/javascript", ""))
            assert len(script) <= MAX_JAVASCRIPT_CHARS, (
                f"{path.name}, code cell {index}: {len(script)} characters of JavaScript")


def _png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the header of a PNG file."""
    assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR", "not a PNG file"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.stem)
def test_every_figure_output_carries_its_picture(path):
    for index, cell in enumerate(_code_cells(_load(path))):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_MIME not in data:
                assert "image/png" not in data, (
                    f"{path.name}, code cell {index}: a picture outside a figure output")
                continue
            assert "image/png" in data, (
                f"{path.name}, code cell {index} shows a figure with no picture of it: "
                "run python notebooks/render_pictures.py " + path.name)
            assert "text/plain" in data  # what a viewer without images shows
            width, height = _png_size(base64.b64decode(_text(data["image/png"])))
            assert width >= MIN_PICTURE_SIZE[0] and height >= MIN_PICTURE_SIZE[1], (
                f"{path.name}, code cell {index}: a {width}x{height} picture is no figure")


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.stem)
def test_no_title_or_axis_label_is_cut_in_the_pictures(path):
    """Every title and axis label of every stored picture fits inside its figure.

    The measuring happens where the figures are drawn: while
    ``render_pictures.py`` captures a picture in Chromium, ``TEXT_FIT_JS``
    (``tests/browser_utils.py``) walks the BokehJS views of that output and
    measures each title and axis label with the canvas's ``measureText`` in
    the very font BokehJS draws it in (style, size, family of the model; the
    widest line of a text of several), and places it as BokehJS does: a
    title from its panel's left edge plus its offset, an axis label centred on
    its axis. What lies outside the figure's canvas (its width for a title or
    an x axis label, its height for a y axis label) is cut, so each text must
    start at 0 or later and end within that room. The measures are stored
    beside the picture (``metadata["spikewidgets"]["texts"]``) and read here,
    so this runs without a browser; an old picture without them fails too.
    """
    from browser_utils import cut_texts

    for index, cell in enumerate(_code_cells(_load(path))):
        for output in cell.get("outputs", []):
            if WIDGET_MIME not in output.get("data", {}):
                continue
            texts = output.get("metadata", {}).get("spikewidgets", {}).get("texts")
            assert texts, (f"{path.name}, code cell {index}: no measured titles or axis "
                           "labels beside the picture: run python notebooks/render_pictures.py "
                           + path.name)
            assert all(text["width"] > 0 and text["room"] > 0 for text in texts)
            assert cut_texts(texts) == [], f"{path.name}, code cell {index}: cut texts"

def test_the_spike_rasters_of_notebook_02_are_a_figure_output_with_a_picture():
    cells = [cell for cell in _code_cells(_load(NOTEBOOKS / "02-rate-to-spikes.ipynb"))
             if "plot_raster(" in _text(cell["source"])]
    assert len(cells) == 1
    [output] = [output for output in cells[0]["outputs"] if WIDGET_MIME in output.get("data", {})]
    # Stacked, each at least 600 px wide: readable where the page is as narrow as one.
    width, height = _png_size(base64.b64decode(_text(output["data"]["image/png"])))
    assert width >= 600 and height > width  # three figures, one above the other


def test_the_png_size_is_read_from_the_header():
    header = PNG_SIGNATURE + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 640, 220)
    assert _png_size(header + bytes(5)) == (640, 220)
    with pytest.raises(AssertionError):
        _png_size(b"GIF89a" + bytes(30))


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.stem)
def test_notebook_is_executed_in_order_without_errors(path):
    notebook = _load(path)
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    counts = []
    for index, cell in enumerate(_code_cells(notebook)):
        if not _text(cell["source"]).strip():
            continue
        counts.append(cell["execution_count"])
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", (
                f"{path.name}, code cell {index}: {output.get('ename')}: {output.get('evalue')}")
            if not _ignored(cell):
                assert output.get("name") != "stderr", (
                    f"{path.name}, code cell {index} writes to stderr: "
                    f"{_text(output.get('text', ''))[:200]}")
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name} was not run top to bottom in one go (execution counts {counts})")


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.stem)
def test_checked_outputs_do_not_depend_on_the_machine(path):
    for index, cell in enumerate(_code_cells(_load(path))):
        if _ignored(cell):
            continue
        for output in cell.get("outputs", []):
            texts = [_text(output.get("text", ""))]
            texts += [_text(value) for key, value in output.get("data", {}).items()
                      if key.startswith("text/")]
            for text in texts:
                found = MACHINE_SPECIFIC.search(text)
                assert found is None, (
                    f"{path.name}, code cell {index} shows {found.group()!r}, which differs "
                    "between machines: print a file's name, not its path")


def _sanitize_rules() -> list[tuple[str, str]]:
    """The (regex, replace) pairs, read the way nbval reads them."""
    text = (NOTEBOOKS / "nbval_sanitize.cfg").read_text(encoding="utf-8")
    pairs = re.findall(r"^regex: (.*)$\n^replace: (.*)$", text, flags=re.MULTILINE)
    assert len(pairs) == len(re.findall(r"^regex: ", text, flags=re.MULTILINE)), (
        "every 'regex:' line needs a 'replace:' line right below it")
    return pairs


@pytest.mark.parametrize("varying, same", [
    ("12 factors × 12 trials in 4.0 s. Click a point",
     "12 factors × 12 trials in 13 s. Click a point"),
    ("12/12 trials × 12 factors · 5.7 s elapsed · done",
     "12/12 trials × 12 factors · 0.9 s elapsed · done"),
    ("<div id='f3b1c2d4-0a1b-4c2d-8e3f-0123456789ab'>",
     "<div id='00000000-1111-2222-3333-444444444444'>"),
    ("<object at 0x7f3a2c1d9e80>", "<object at 0x55d0c0ffee00>"),
    ("VBox(children=(Box(children=(HTML(value='<i>Loading BokehJS…</i>'),)), Box(child…",
     "VBox(children=(HTML(value='<b>spikewidgets</b>: scaling-factor search of a rate…"),
])
def test_sanitize_rules_remove_what_varies(varying, same):
    def sanitize(text: str) -> str:
        for regex, replace in _sanitize_rules():
            text = re.sub(regex, replace, text)
        return text

    assert sanitize(varying) == sanitize(same)
    assert sanitize("accuracy 100% (95 % CI 76%–100%), response time 0.5 s") == \
        "accuracy 100% (95 % CI 76%–100%), response time 0.5 s"
