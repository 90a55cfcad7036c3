"""Store a picture of every figure of the tutorial notebooks beside its interactive view.

The figures of the notebooks are ipywidgets that show Bokeh: they need a
kernel, so where nothing runs (a code-hosting site, nbviewer, the
documentation) a notebook file would show only their text stand-in. This
script gives each such output an ``image/png`` picture of what JupyterLab
shows in it:

1. the notebook is executed from a fresh kernel with nbclient, as the strict
   nbval check runs it (no widget state, no timings, the text of each stream
   of a cell in one output): these are the outputs that nbval compares;
2. meanwhile a copy of it runs in a headless JupyterLab in Chromium (the
   Debian package, driven by Playwright; nothing is loaded from outside
   127.0.0.1), with every cell attached to the page; once every figure has
   rendered, each widget output is captured;
3. each capture, trimmed of its empty margin and reduced to a palette of at
   most ``--colors`` colours, is added to the matching output of step 1 as
   ``image/png``, and the notebook is written in place (atomically). Beside
   it, ``metadata["spikewidgets"]["texts"]`` holds each title and axis label
   of the figures captured, measured in the page (``TEXT_FIT_JS`` of
   ``tests/browser_utils.py``): where it starts and ends and the room it has,
   which ``tests/test_notebooks.py`` checks; a text that does not fit is
   also reported here.

nbval compares neither ``image/png`` nor widget views, so a notebook still
passes strict nbval when a new run gives no picture. Viewers without a kernel
show the picture; a running notebook shows the interactive figure in its
place. The notebooks draw every random number from fixed seeds, so a rerun
gives the same outputs.

Usage (needs the ``test`` and ``docs`` extras and ``apt-get install chromium``)::

    python notebooks/render_pictures.py                      # every notebooks/*.ipynb
    python notebooks/render_pictures.py notebooks/02-rate-to-spikes.ipynb
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import io
import json
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent
REPO = NOTEBOOKS.parent
# This checkout's spikewidgets, and JupyterLab and Chromium run as the browser tests run them.
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from browser_utils import (  # noqa: E402
    TEXT_FIT_JS,
    JupyterLab,
    cut_texts,
    find_chromium,
    launch_chromium,
)

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
PICTURE_MIME = "image/png"
#: Text that a widget output shows until its figures are in the page.
LOADING = re.compile(r"Loading (widget|.*BokehJS)")
#: JupyterLab settings: every cell attached to the page (no windowing), no autosave.
LAB_SETTINGS = {
    "notebook-extension/tracker": {"windowingMode": "none"},
    "docmanager-extension/plugin": {"autosave": False},
}

#: Progress of "Run All" in the open notebook: kernel status, cells still to run, errors.
RUN_STATE_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return null;
  const session = panel.sessionContext.session;
  const state = {status: session && session.kernel ? session.kernel.status : 'none',
                 pending: 0, errors: []};
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') continue;
    for (const output of cell.model.outputs.toJSON()) {
      if (output.output_type === 'error') state.errors.push(`${output.ename}: ${output.evalue}`);
    }
    if (cell.model.sharedModel.getSource().trim() && cell.model.executionCount === null) {
      state.pending += 1;
    }
  }
  return state;
}
"""

#: Mark the k-th widget output of cell i with data-spw-picture="i-k"; the list of [i, k].
MARK_WIDGET_OUTPUTS_JS = """
(mime) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const marked = [];
  panel.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    const area = cell.outputArea;
    let k = 0;
    for (let j = 0; j < area.model.length; j++) {
      if (!(mime in area.model.get(j).data)) continue;
      const child = area.widgets[j].node;
      const node = child.querySelector('.jp-OutputArea-output') || child;
      node.setAttribute('data-spw-picture', `${i}-${k}`);
      marked.push([i, k]);
      k += 1;
    }
  });
  return marked;
}
"""

#: The Bokeh views of the page: [how many, whether all have finished rendering].
BOKEH_VIEWS_JS = """
() => {
  const B = window.Bokeh;
  if (B === undefined || B.index === undefined) return [0, true];
  const views = Object.values(B.index);
  return [views.length,
          views.every((view) => typeof view.has_finished !== 'function' || view.has_finished())];
}
"""
#: Seconds that a figure output may take to show its first Bokeh canvas once loaded.
CANVAS_GRACE = 20.0
#: Seconds that the Bokeh views must stay the same, all rendered, before the captures.
SETTLED = 1.0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (see the module's text)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to render (default: every notebooks/*.ipynb)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds allowed for a notebook to run and show its figures "
                             "in JupyterLab, and for one cell under nbclient (default 600)")
    parser.add_argument("--colors", type=int, default=128,
                        help="largest number of colours of a picture (default 128)")
    parser.add_argument("--chromium", default=None,
                        help="Chromium executable (default: the one on PATH)")
    return parser.parse_args(argv)


# --------------------------------------------------------------------------- notebooks


def execute(path: str, timeout: float) -> str:
    """Run the notebook at ``path`` from a fresh kernel in its folder.

    As ``jupyter nbconvert --execute`` with ``store_widget_state=False`` and
    ``record_timing=False``: the outputs that strict nbval compares. The text
    a cell prints is kept as one output per stream (as nbval compares it),
    whichever pieces the kernel happened to send it in, so that a rerun gives
    the same file. Meant to run in a process of its own (it sets the
    ``PYTHONPATH`` of the kernel).

    Parameters
    ----------
    path : str
        The notebook file (not changed).
    timeout : float
        Seconds allowed for one cell.

    Returns
    -------
    str
        The executed notebook, as the JSON text of a notebook file.
    """
    from nbclient import NotebookClient

    # The kernel imports spikewidgets from this checkout, as in JupyterLab (browser_utils).
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO),
                                                             os.environ.get("PYTHONPATH")]))
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=int(timeout), kernel_name="python3",
                   store_widget_state=False, record_timing=False, coalesce_streams=True,
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    # The Python version of whoever ran it last: not part of the notebook.
    notebook.metadata.get("language_info", {}).pop("version", None)
    return nbformat.writes(notebook)


def without_outputs(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``notebook`` with no outputs and no execution counts (to run in JupyterLab)."""
    copy = nbformat.from_dict(json.loads(nbformat.writes(notebook)))
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return copy


def widget_outputs(notebook: nbformat.NotebookNode) -> list[tuple[int, int, dict]]:
    """(cell index, k, output) of the k-th widget output of each code cell, in order."""
    found = []
    for index, cell in enumerate(notebook.cells):
        widget_views = [output for output in cell.get("outputs", [])
                        if WIDGET_MIME in output.get("data", {})]
        found += [(index, k, output) for k, output in enumerate(widget_views)]
    return found


def add_pictures(notebook: nbformat.NotebookNode,
                 pictures: dict[tuple[int, int], tuple[bytes, list]], name: str) -> int:
    """Put each picture into its widget output as ``image/png``, with its measured texts.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        The executed notebook (changed in place).
    pictures : dict
        ``{(cell index, k): (PNG bytes, texts)}`` for the k-th widget output of
        each cell; ``texts`` is what ``TEXT_FIT_JS`` measured in it.
    name : str
        The notebook's name, for the message of an error.

    Returns
    -------
    int
        The number of pictures added.

    Raises
    ------
    RuntimeError
        If the page showed other widget outputs than the executed notebook holds.
    """
    outputs = widget_outputs(notebook)
    if sorted((index, k) for index, k, _ in outputs) != sorted(pictures):
        raise RuntimeError(f"{name}: the executed notebook has widget outputs "
                           f"{[(index, k) for index, k, _ in outputs]} but JupyterLab showed "
                           f"{sorted(pictures)}")
    for index, k, output in outputs:
        png, texts = pictures[index, k]
        output["data"][PICTURE_MIME] = base64.b64encode(png).decode("ascii")
        output.setdefault("metadata", {})["spikewidgets"] = {"texts": texts}
    return len(outputs)


def write_notebook(path: Path, notebook: nbformat.NotebookNode) -> None:
    """Validate and write the notebook in place, atomically."""
    from spikewidgets.io._atomic import atomic_write

    nbformat.validate(notebook)
    text = nbformat.writes(notebook)
    atomic_write(path, lambda temporary: Path(temporary).write_text(
        text if text.endswith("\n") else text + "\n", encoding="utf-8"))


# --------------------------------------------------------------------------- pictures


def shrink(png: bytes, colors: int) -> bytes:
    """A screenshot trimmed of its empty (white) margin, as a PNG of a palette.

    Parameters
    ----------
    png : bytes
        The screenshot (a PNG file).
    colors : int
        Largest number of colours of the palette (without dithering, so that
        flat areas and lines stay flat and compress well).

    Returns
    -------
    bytes
        The smaller PNG file.
    """
    from PIL import Image, ImageChops

    image = Image.open(io.BytesIO(png)).convert("RGB")
    edge = 2  # the outermost pixels can hold a neighbour's border or a scrollbar's edge
    image = image.crop((edge, edge, image.width - edge, image.height - edge))
    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    if box is not None:
        margin = 4
        image = image.crop((max(box[0] - margin, 0), max(box[1] - margin, 0),
                            min(box[2] + margin, image.width), min(box[3] + margin, image.height)))
    palette = image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT,
                             dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


class LabPictures:
    """A headless JupyterLab in Chromium that runs notebooks and captures their widget outputs.

    Parameters
    ----------
    chromium : str
        The Chromium executable.
    home : Path
        An empty folder for the server's files, the notebooks run and the browser profile.
    colors : int
        Largest number of colours of a picture.
    """

    def __init__(self, chromium: str, home: Path, colors: int) -> None:
        self.chromium = chromium
        self.home = home
        self.colors = colors
        self.root = home / "notebooks"
        self.root.mkdir()
        self.lab = JupyterLab(self.root, home)
        for name, values in LAB_SETTINGS.items():
            settings = home / "settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
            settings.parent.mkdir(parents=True, exist_ok=True)
            settings.write_text(json.dumps(values))
        self.page_errors: list[str] = []
        self.refused: list[str] = []
        self._stack = ExitStack()

    def __enter__(self) -> LabPictures:
        from playwright.sync_api import sync_playwright

        self._stack.enter_context(_stopping(self.lab.start()))
        playwright = self._stack.enter_context(sync_playwright())
        context = launch_chromium(playwright, self.home / "profile", self.chromium)
        self._stack.callback(context.close)
        context.route("**/*", self._local_only)
        self.page = context.pages[0] if context.pages else context.new_page()
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def _local_only(self, route) -> None:
        url = route.request.url
        if url.startswith((self.lab.url, "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            self.refused.append(url)
            route.abort()

    def capture(self, notebook: nbformat.NotebookNode, name: str,
                timeout: float) -> dict[tuple[int, int], tuple[bytes, list]]:
        """Run ``notebook`` in JupyterLab and capture each widget output once rendered.

        Parameters
        ----------
        notebook : nbformat.NotebookNode
            The notebook; a copy without outputs runs, in a temporary folder.
        name : str
            The file name of the copy.
        timeout : float
            Seconds allowed for running it and rendering its figures.

        Returns
        -------
        dict
            ``{(cell index, k): (PNG bytes, texts)}`` for the k-th widget output of
            each cell, ``texts`` being its titles and axis labels as ``TEXT_FIT_JS``
            measured them.
        """
        nbformat.write(without_outputs(notebook), self.root / name)
        deadline = time.monotonic() + timeout
        page = self.page
        self.page_errors.clear()
        page.goto(f"{self.lab.url}/lab/workspaces/render/tree/{name}?reset")
        page.get_by_text("| Idle").first.wait_for(timeout=120_000)
        page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
        page.evaluate("window.jupyterapp.commands.execute('runmenu:run-all')")
        try:
            self._wait_until_run(name, deadline)
            marked = page.evaluate(MARK_WIDGET_OUTPUTS_JS, WIDGET_MIME)
            self._wait_for_figures(name, marked, deadline)
            page.mouse.move(0, 0)  # no hover tool shows a tooltip
            return {(index, k): self._picture(index, k) for index, k in marked}
        finally:
            self._shut_down_kernels()

    def _wait_until_run(self, name: str, deadline: float) -> None:
        while True:
            state = self.page.evaluate(RUN_STATE_JS)
            if state and state["errors"]:
                raise RuntimeError(f"{name} failed in JupyterLab: {state['errors'][0]}")
            if state and state["pending"] == 0 and state["status"] == "idle":
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} did not finish running in JupyterLab ({state})")
            self.page.wait_for_timeout(250)

    def _wait_for_figures(self, name: str, marked: list, deadline: float) -> None:
        """Wait until each figure output is loaded and every Bokeh view has settled."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        from playwright.sync_api import expect

        page = self.page
        for index, k in marked:
            output = page.locator(f'[data-spw-picture="{index}-{k}"]')
            remaining = max(deadline - time.monotonic(), 1.0) * 1000
            expect(output.get_by_text(LOADING)).to_have_count(0, timeout=remaining)
            try:  # a Bokeh view is created a moment after its widget is shown
                output.locator(".bk-Canvas").first.wait_for(timeout=CANVAS_GRACE * 1000)
            except PlaywrightTimeout:
                pass  # a widget without a Bokeh figure
        self._wait_until_settled(name, deadline)
        errors = page.locator(".jupyter-widgets-error-widget")
        if errors.count() or self.page_errors:
            raise RuntimeError(f"{name}: a figure failed in JupyterLab "
                               f"({errors.count()} widget errors; {self.page_errors[:3]})")

    def _wait_until_settled(self, name: str, deadline: float) -> None:
        """Wait until the Bokeh views have stayed the same and rendered for SETTLED seconds."""
        last, since = None, time.monotonic()
        while True:
            views = self.page.evaluate(BOKEH_VIEWS_JS)
            if views != last or not views[1]:
                last, since = views, time.monotonic()
            elif time.monotonic() - since >= SETTLED:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name}: the Bokeh figures did not finish rendering")
            self.page.wait_for_timeout(100)

    def _picture(self, index: int, k: int) -> tuple[bytes, list]:
        selector = f'[data-spw-picture="{index}-{k}"]'
        png = self.page.locator(selector).screenshot(animations="disabled", caret="hide")
        texts = self.page.evaluate(TEXT_FIT_JS, selector)
        for cut in cut_texts(texts):
            print(f"code cell {index}, figure output {k}: cut {cut}", file=sys.stderr)
        return shrink(png, self.colors), texts

    def _shut_down_kernels(self) -> None:
        self.page.evaluate("() => window.jupyterapp.serviceManager.sessions.shutdownAll()")


@contextmanager
def _stopping(lab: JupyterLab) -> Iterator[JupyterLab]:
    try:
        yield lab
    finally:
        lab.stop()


# --------------------------------------------------------------------------- main


def notebook_paths(given: Sequence[Path]) -> list[Path]:
    """The notebooks named (each must exist), or every notebook of this folder."""
    paths = [path.resolve() for path in given] or sorted(NOTEBOOKS.glob("*.ipynb"))
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise SystemExit(f"no such notebook: {', '.join(missing)}")
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Render the pictures of the notebooks named on the command line (all by default)."""
    args = parse_args(argv)
    paths = notebook_paths(args.notebooks)
    chromium = args.chromium or find_chromium()
    if chromium is None:
        raise SystemExit("Chromium is needed: apt-get install -y chromium")
    started = time.perf_counter()
    # The executions (nbclient) run in another process while the browser runs the copies.
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool, \
            tempfile.TemporaryDirectory(prefix="spikewidgets-pictures-") as home, \
            LabPictures(chromium, Path(home), args.colors) as lab:
        render(paths, lab, pool, args.timeout)
        if lab.refused:
            print(f"refused requests to outside addresses: {lab.refused[:5]}", file=sys.stderr)
    print(f"{len(paths)} notebooks in {time.perf_counter() - started:.0f} s")
    return 0


def render(paths: Sequence[Path], lab: LabPictures, pool: concurrent.futures.Executor,
           timeout: float) -> None:
    """Execute the notebooks in ``pool``, capture their figures with ``lab``, write each one.

    A notebook is written only once both of its runs succeeded; on a failure the
    executions not yet started are cancelled and the notebooks not yet written
    are left as they were.
    """
    executions = {path: pool.submit(execute, str(path), timeout) for path in paths}
    try:
        for path in paths:
            begun = time.perf_counter()
            pictures = lab.capture(nbformat.read(path, as_version=4), path.name, timeout)
            executed = nbformat.reads(executions[path].result(), as_version=4)
            count = add_pictures(executed, pictures, path.name)
            write_notebook(path, executed)
            pictures_text = "1 picture" if count == 1 else f"{count} pictures"
            print(f"{path.name}: {pictures_text}, {path.stat().st_size / 1024:.0f} KB "
                  f"({time.perf_counter() - begun:.0f} s)", flush=True)
    finally:
        for execution in executions.values():
            execution.cancel()


if __name__ == "__main__":
    sys.exit(main())
