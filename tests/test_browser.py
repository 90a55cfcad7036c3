"""The panel in a real JupyterLab and a real (headless) Chromium, offline.

JupyterLab runs on a free localhost port with isolated folders; every request
that leaves 127.0.0.1 is refused, so BokehJS can only come from the kernel.
The test runs a notebook that shows the panel and a figure_widget, checks that
every Bokeh canvas renders without widget errors or page errors, that each
empty plot says what will appear in it (with the swatches of its legend),
that the slider reads the grid at its precision, the empty accuracy axis
spans that grid and the model dropdown names the bundled example, that no
title or axis label runs past its figure (``TEXT_FIT_JS``, before the run and
after), presses Run, waits for the accuracy source in the page
to hold one value per scaling factor and for an optimum inside the grid,
clicks a point and waits for the spike raster (and its caption) to fill, then
saves the notebook and checks that it carries no BokehJS.

Screenshots go to ``artifacts/browser/``; with
``SPIKEWIDGETS_UPDATE_SCREENSHOT=1`` the panel's screenshot (a finished
search of the bundled Go-NoGo example, 20 trials per factor, and one Go
trial) also replaces ``notebooks/img/panel.png``::

    SPIKEWIDGETS_UPDATE_SCREENSHOT=1 python -m pytest tests/test_browser.py

Without Chromium or Playwright the test is skipped locally but fails when
``CI`` is set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from browser_utils import (
    READ_SOURCES_JS,
    TEXT_FIT_JS,
    JupyterLab,
    cut_texts,
    launch_chromium,
    require_chromium,
    write_notebook,
)

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts" / "browser"
README_SCREENSHOT = REPO / "notebooks" / "img" / "panel.png"
UPDATE_SCREENSHOT = os.environ.get("SPIKEWIDGETS_UPDATE_SCREENSHOT") == "1"
N_FACTORS = 12  # the panel's default grid, 10 to 65 by 5: its optimum lies inside
N_TRIALS = 20 if UPDATE_SCREENSHOT else 5
CLICKED_FACTOR = 45.0

NOTEBOOK_CELLS = [
    # A trained example model when the package ships one, else an untrained one.
    "from pathlib import Path\n"
    "import scipy.io\n"
    "from spikewidgets.io._synthetic import random_model_arrays\n"
    "try:\n"
    "    from spikewidgets.io._examples import example_model\n"
    "    model = example_model('go_nogo', directory='.')\n"
    "except Exception:\n"
    "    model = Path('gonogo_model.mat')\n"
    "    scipy.io.savemat(model, random_model_arrays(200, 1, seed=0))\n"
    "print(model)",
    "from spikewidgets import SearchPanel\n"
    f"panel = SearchPanel(model, n_trials={N_TRIALS}, seed=1)\n"
    "panel",
    # Any Bokeh figure, shown the same way as the panel's.
    "from bokeh.plotting import figure\n"
    "from spikewidgets.panel import figure_widget\n"
    "standalone = figure(width=300, height=150, name='standalone')\n"
    "standalone.line([0, 1, 2], [0, 1, 0])\n"
    "figure_widget(standalone)",
]

#: Page coordinates of the point (x, y) of the named figure, from BokehJS's own scales.
POINT_JS = """
([name, x, y]) => {
  const views = Object.values(window.Bokeh.index)
    .filter((view) => view.model.name === name && view.el.isConnected);
  const view = views[views.length - 1];
  const box = view.canvas_view.el.getBoundingClientRect();
  return [box.left + view.frame.x_scale.compute(x), box.top + view.frame.y_scale.compute(y)];
}
"""

#: Title of the named figure in the page.
TITLE_JS = """
(name) => window.Bokeh.documents.flatMap((doc) => [...doc.all_models])
  .filter((model) => model.name === name).map((model) => model.title.text).pop()
"""

#: How many models of the page have the given name (the legend keys of the empty figures).
COUNT_JS = """
(name) => window.Bokeh.documents.flatMap((doc) => [...doc.all_models])
  .filter((model) => model.name === name).length
"""

#: Text and visibility of the named model (a placeholder Label), or null.
LABEL_JS = """
(name) => {
  for (const doc of (window.Bokeh && window.Bokeh.documents) || []) {
    for (const model of doc.all_models) {
      if (model.name === name) return [model.text, model.visible];
    }
  }
  return null;
}
"""

#: True once the named source's column holds ``n`` finite numbers (any, if n is null).
COLUMN_READY_JS = """
([name, column, n]) => {
  for (const doc of (window.Bokeh && window.Bokeh.documents) || []) {
    for (const model of doc.all_models) {
      if (model.name !== name || model.data === undefined) continue;
      const data = model.data;
      const values = Array.from((data instanceof Map ? data.get(column) : data[column]) || []);
      const finite = values.filter((v) => Number.isFinite(v));
      if (n === null ? finite.length > 0 : (values.length === n && finite.length === n)) {
        return true;
      }
    }
  }
  return false;
}
"""


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium("the browser test")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    home = tmp_path_factory.mktemp("jupyter")
    root = home / "notebooks"
    root.mkdir()
    write_notebook(root / "panel.ipynb", NOTEBOOK_CELLS)
    server = JupyterLab(root, home).start()
    yield server
    server.stop()


def _first_go_trial(seed: int) -> int:
    from spikewidgets.sim._seeding import trial_generator
    from spikewidgets.tasks import get_task

    task = get_task("go_nogo")
    settings = task.settings()
    return next(t for t in range(1, 100)
                if task.make_trial(trial_generator(seed, t), settings).condition == "go")


def _values(page, name: str, column: str) -> list:
    return page.evaluate(READ_SOURCES_JS, [name]).get(name, {}).get(column, [])


def test_panel_runs_and_plots_in_jupyterlab(chromium, lab, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page_errors: list[str] = []
    refused: list[str] = []
    timings: dict[str, float] = {}

    def local_only(route):
        url = route.request.url
        if url.startswith((lab.url, "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile", chromium)
        try:
            context.route("**/*", local_only)
            page = context.pages[0] if context.pages else context.new_page()
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.on("console", lambda message: page_errors.append(f"console: {message.text}")
                    if message.type == "error" else None)
            page.goto(f"{lab.url}/lab/tree/panel.ipynb")
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
            page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
            page.evaluate("window.jupyterapp.commands.execute('runmenu:run-all')")

            # Every Bokeh canvas renders (the panel's four and figure_widget's),
            # no widget failed, BokehJS is the kernel's.
            expect(page.locator(".bk-Canvas")).to_have_count(5, timeout=60_000)
            expect(page.locator(".jupyter-widgets-error-widget")).to_have_count(0)
            import bokeh

            assert page.evaluate("window.Bokeh.version") == bokeh.__version__
            # Before the first run each plot says what will appear in it, and its legend
            # has swatches (the legend keys): no bare words.
            text, visible = page.evaluate(LABEL_JS, "accuracy_figure_placeholder")
            assert visible and text.startswith("Press Run")
            for name in ("raster_figure", "output_figure", "rates_figure"):
                text, visible = page.evaluate(LABEL_JS, f"{name}_placeholder")
                assert visible and text.startswith("Click a point"), name
            assert page.evaluate(COUNT_JS, "legend_key") >= 2 + 3 + 2 + 2
            caption, _ = page.evaluate(LABEL_JS, "raster_figure_caption")
            assert "first step" in caption
            # The empty accuracy axis spans the grid of the controls, not 0 to 100.
            assert _values(page, "accuracy_figure_extent", "x") == [10.0, 65.0]
            # No title or axis label of the panel runs past its figure (measured as drawn).
            texts = page.evaluate(TEXT_FIT_JS, ".spw-panel")
            assert len(texts) >= 4 * 3 and cut_texts(texts) == []
            # The slider reads the grid at its precision; the dropdown names the example.
            expect(page.locator(".spw-factor-range .widget-readout")).to_have_text(
                re.compile(r"^10\s*[–-]\s*65$"))
            model_choice = page.locator(".spw-panel select").first
            chosen = model_choice.evaluate("(el) => el.options[el.selectedIndex].text")
            assert " ".join(chosen.split()) == "go_nogo example"  # the page writes a no-break space
            page.locator(".spw-panel").screenshot(path=str(ARTIFACTS / "panel_loaded.png"))

            # Run: one accuracy value per scaling factor arrives in the page.
            started = time.perf_counter()
            page.locator(".spw-run").click()
            page.wait_for_function(COLUMN_READY_JS, arg=["accuracy", "accuracy", None],
                                   timeout=30_000, polling=50)
            timings["first_point_s"] = time.perf_counter() - started
            page.wait_for_function(COLUMN_READY_JS, arg=["accuracy", "accuracy", N_FACTORS],
                                   timeout=60_000, polling=50)
            expect(page.locator(".spw-message", has_text="Optimum:")).to_be_visible(
                timeout=60_000)
            timings["run_s"] = time.perf_counter() - started
            # A complete search with its optimum inside the grid: no edge-of-grid warning.
            expect(page.locator(".spw-status .spw-success", has_text="Optimum:")).to_be_visible()
            assert _values(page, "accuracy", "n_trials") == [N_TRIALS] * N_FACTORS
            assert page.evaluate(LABEL_JS, "accuracy_figure_placeholder")[1] is False
            page.locator(".spw-panel").screenshot(path=str(ARTIFACTS / "panel_run.png"))

            # Clicking a point fills the spike raster with that factor's trial.
            assert _values(page, "raster", "time") == []
            factors = _values(page, "accuracy", "scaling_factor")
            accuracy = _values(page, "accuracy", "accuracy")
            index = factors.index(CLICKED_FACTOR)
            x, y = page.evaluate(POINT_JS, ["accuracy_figure", CLICKED_FACTOR, accuracy[index]])
            clicked = time.perf_counter()
            page.mouse.click(x, y)
            page.wait_for_function(COLUMN_READY_JS, arg=["raster", "time", None],
                                   timeout=30_000, polling=50)
            timings["trial_shown_s"] = time.perf_counter() - clicked
            page.wait_for_function(COLUMN_READY_JS, arg=["rate_output", "output", None],
                                   timeout=30_000, polling=50)
            expect(page.locator(".spw-factor")).to_contain_text("45")
            assert page.evaluate(LABEL_JS, "raster_figure_placeholder")[1] is False
            assert page.evaluate(TITLE_JS, "raster_figure").startswith(
                "spikes, scaling factor 45, trial 0")

            # The trial field replays another trial of the search: the first Go trial.
            trial = _first_go_trial(seed=1)
            page.locator(".spw-trial input").fill(str(trial))
            page.locator(".spw-trial input").press("Enter")
            shows_go = f"() => ({TITLE_JS})('raster_figure').includes('trial {trial}, go')"
            page.wait_for_function(shows_go, timeout=30_000, polling=50)
            page.mouse.move(5, 5)
            page.wait_for_timeout(400)
            texts = page.evaluate(TEXT_FIT_JS, ".spw-panel")  # with the data's titles
            assert len(texts) >= 4 * 3 and cut_texts(texts) == []
            panel = page.locator(".spw-panel")
            panel.screenshot(path=str(ARTIFACTS / "panel_trial.png"))
            if UPDATE_SCREENSHOT:
                README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(ARTIFACTS / "panel_trial.png", README_SCREENSHOT)

            # The saved notebook holds widget references, not BokehJS.
            notebook = lab.root / "panel.ipynb"
            page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
            deadline = time.monotonic() + 20
            while "widget-view+json" not in notebook.read_text():
                assert time.monotonic() < deadline, "the notebook was not saved"
                time.sleep(0.1)
            saved = notebook.read_text()
            timings["saved_notebook_kB"] = len(saved.encode()) / 1024
            assert len(saved.encode()) < 100_000
            assert "Anaconda, Inc., and Bokeh Contributors" not in saved

            # With "compare with rate network", Run adds the comparison's three figures:
            # correlation beside accuracy, unit gains at the optimum, then a unit's traces.
            page.locator(".spw-compare-rate input").check()
            expect(page.locator(".bk-Canvas")).to_have_count(8, timeout=60_000)
            page.locator(".spw-run").click()
            page.wait_for_function(
                COLUMN_READY_JS, arg=["rate_correlation_source", "correlation", N_FACTORS],
                timeout=90_000, polling=100)
            expect(page.locator(".spw-message", has_text="Optimum:")).to_be_visible(
                timeout=60_000)
            page.wait_for_function(COLUMN_READY_JS, arg=["unit_gain_source", "gain", None],
                                   timeout=30_000, polling=100)
            x, y = page.evaluate(POINT_JS, ["accuracy_figure", CLICKED_FACTOR,
                                            _values(page, "accuracy", "accuracy")[index]])
            page.mouse.click(x, y)
            deadline = time.monotonic() + 30
            while _values(page, "unit_traces_source", "legend") != ["unit 0, spiking",
                                                                     "unit 0, rate"]:
                assert time.monotonic() < deadline, "the unit's traces did not arrive"
                time.sleep(0.1)
            for name in ("rate_correlation", "unit_gain", "unit_traces"):
                assert page.evaluate(LABEL_JS, f"{name}_placeholder")[1] is False, name
            expect(page.locator(".jupyter-widgets-error-widget")).to_have_count(0)
            page.locator(".spw-panel").screenshot(path=str(ARTIFACTS / "panel_rate.png"))
        finally:
            if "page" in locals():
                page.screenshot(path=str(ARTIFACTS / "page_last.png"), full_page=True)
            (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=1))
            context.close()
    assert page_errors == []
    assert refused == [], f"requests left localhost: {refused}"
    print(f"browser timings: {timings}")
