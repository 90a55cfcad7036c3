"""Render the tutorial notebooks of ``notebooks/`` where they are, from their stored outputs.

A ``.nblink`` file in the documentation holds the path of a notebook relative
to itself, as JSON (``{"path": "../../notebooks/01-quickstart.ipynb"}``, the
format of nbsphinx-link). When Sphinx reads the link file, this extension puts
the notebook in its place, so the notebook is rendered (by myst-nb, which is
told to read ``.nblink`` sources as notebooks and never to execute them)
without being copied into ``docs/``, and a change of the notebook rebuilds
its page. Before it is rendered:

- relative links and images of its Markdown cells are rebased from the
  notebook's folder to the link file's, so ``img/panel.png`` still shows; a
  link to another notebook becomes a link to that notebook's page;
- a widget output (an ipywidgets view such as a Bokeh figure, which needs a
  running kernel: the notebooks store no widget state) keeps the picture
  stored beside it (``image/png``, by ``notebooks/render_pictures.py``;
  ``conf.py`` ranks it above the widget view); one without a picture becomes
  a short note saying what is shown there when the notebook runs.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

LINK_SUFFIX = ".nblink"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
PICTURE_MIME = "image/png"
#: What a widget output becomes in the rendered page.
WIDGET_NOTE = ('<p class="sw-widget-note"><em>An interactive figure (ipywidgets and Bokeh) '
               "is shown here when the notebook runs in Jupyter.</em></p>")
#: ``](target)`` of a Markdown link or image, with an optional title.
LINK_RE = re.compile(r'(\]\()([^)\s]+)((?:\s+"[^"]*")?\))')


def read_link(link: Path) -> Path:
    """The notebook that a ``.nblink`` file points to (its path is relative to the file)."""
    target = json.loads(link.read_text(encoding="utf-8"))["path"]
    return (link.parent / target).resolve()


def rebase(target: str, notebook_dir: Path, link_dir: Path, pages: dict[Path, str]) -> str:
    """A Markdown link target of the notebook, as seen from the link file's folder."""
    if re.match(r"^[a-zA-Z][\w+.-]*:", target) or target.startswith(("#", "/")):
        return target  # a URL, an anchor or an absolute path
    path, hash_, anchor = target.partition("#")
    resolved = (notebook_dir / path).resolve()
    if resolved in pages:  # another tutorial: its page
        path = pages[resolved]
    else:
        path = Path(os.path.relpath(resolved, link_dir)).as_posix()
    return path + hash_ + anchor


def prepare(notebook: nbformat.NotebookNode, notebook_dir: Path, link_dir: Path,
            pages: dict[Path, str]) -> nbformat.NotebookNode:
    """Rebase the Markdown links and replace the widget outputs without a picture (see above)."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = LINK_RE.sub(
                lambda m: m[1] + rebase(m[2], notebook_dir, link_dir, pages) + m[3], cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_MIME in data and PICTURE_MIME not in data:
                output["data"] = {"text/html": WIDGET_NOTE}
    return notebook


def link_pages(srcdir: Path, link_dir: Path) -> dict[Path, str]:
    """Every linked notebook -> the name of its link file relative to ``link_dir``."""
    pages = {}
    for link in srcdir.rglob(f"*{LINK_SUFFIX}"):
        pages[read_link(link)] = Path(os.path.relpath(link, link_dir)).as_posix()
    return pages


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    """Replace a link file's text with its (prepared) notebook."""
    link = Path(app.env.doc2path(docname))
    if link.suffix != LINK_SUFFIX:
        return
    notebook_path = read_link(link)
    if not notebook_path.is_file():
        logger.warning("%s: notebook %s not found", link.name, notebook_path,
                       location=docname, type="sw_notebooks")
        source[0] = json.dumps(nbformat.v4.new_notebook())
        return
    app.env.note_dependency(str(notebook_path))
    notebook = nbformat.read(notebook_path, as_version=4)
    pages = link_pages(Path(app.srcdir), link.parent)
    prepare(notebook, notebook_path.parent, link.parent, pages)
    source[0] = nbformat.writes(notebook)


def setup(app: Sphinx) -> dict:
    """Register the handler (myst-nb is told about the suffix in ``conf.py``)."""
    app.connect("source-read", on_source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
