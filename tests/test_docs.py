"""The documentation site (``docs/``) and the examples of the docstrings.

The site is built here as README says, offline, with every warning an error
and every reference checked (``sphinx-build -W -n``), into a temporary folder;
the tests then read the built pages, and headless Chromium opens some of them
(the top-level module's page, from which it follows the link to the page of
``lambda_grid_search``, the tutorial with the panel's screenshot and the
tutorial whose outputs show the spike rasters), refusing every request that
would leave the built folder. The API reference has one page per public module
and one per public function or class, generated from the ``__all__`` of the
public modules (``docs/_ext/sw_api.py``); no docstring or page names a private
module in a reference. A figure output of a notebook (a widget,
which needs a kernel) is shown on its page as the picture the notebook stores
beside it (``notebooks/render_pictures.py``). Every docstring example runs
in ``tests/test_docstring_examples.py``.

The build needs the ``docs`` extra; without it (or without Chromium and
Playwright for the browser test) the tests are skipped locally and fail in CI.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import inspect
import io
import json
import pkgutil
import re
import runpy
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser_utils import launch_chromium, require_chromium
from conftest import skip_or_fail

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"

#: The public modules (no part of the name starts with ``_``): one API page each.
REQUIRED_API_MODULES = [
    "spikewidgets", "spikewidgets.errors", "spikewidgets.io", "spikewidgets.sim",
    "spikewidgets.sim.constants", "spikewidgets.stats", "spikewidgets.search",
    "spikewidgets.search.adaptive", "spikewidgets.tasks", "spikewidgets.perturbations",
    "spikewidgets.analysis", "spikewidgets.plots", "spikewidgets.panel", "spikewidgets.train",
    "spikewidgets.cli",
]
#: A cross-reference in reStructuredText (``:func:`~a.b```) or MyST (``{func}`a.b```).
REFERENCE = re.compile(r"(?::[a-z]+(?::[a-z]+)?:|\{[a-z]+(?::[a-z]+)?\})`([^`]+)`")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _conf() -> dict:
    return runpy.run_path(str(DOCS / "conf.py"))


def _figure_pictures(notebook: Path) -> list[tuple[str, bytes]]:
    """(cell source, stored picture) of every figure output (widget view) of the notebook."""
    found = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_MIME in data:
                assert "image/png" in data, f"{notebook.name}: a figure output has no picture"
                found.append((source, base64.b64decode("".join(data["image/png"]))))
    return found


# ------------------------------------------------------------------------ without a build


def test_the_landing_page_gives_readmes_fresh_machine_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## On a fresh machine", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", section, re.S)
    assert len(commands) == 2
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for command in commands:
        assert f"```bash\n{command}\n```" in index
    assert "](../notebooks/img/panel.png)" in index


def test_every_notebook_is_a_tutorial():
    notebooks = sorted(path.stem for path in (REPO / "notebooks").glob("*.ipynb"))
    links = sorted((DOCS / "tutorials").glob("*.nblink"))
    assert [link.stem for link in links] == notebooks
    for link in links:
        target = json.loads(link.read_text(encoding="utf-8"))["path"]
        assert (link.parent / target).resolve() == REPO / "notebooks" / f"{link.stem}.ipynb"


def _is_private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.endswith("__") for part in dotted.split("."))


def _public_modules() -> list[str]:
    import spikewidgets

    found = ["spikewidgets"]
    for info in pkgutil.walk_packages(spikewidgets.__path__, "spikewidgets."):
        if not _is_private(info.name) and not info.name.endswith("__main__"):
            found.append(info.name)
    return found


def _public_objects() -> dict[int, object]:
    """Every public function and class (by identity): the ``__all__`` of the public modules."""
    found = {}
    for module_name in _conf()["sw_api_modules"]:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            if callable(value):  # a class or a function (also a cached or compiled one)
                found[id(value)] = value
    return found


def test_the_api_reference_documents_the_public_modules_only():
    documented = _conf()["sw_api_modules"]
    assert sorted(documented) == sorted(REQUIRED_API_MODULES)
    assert sorted(documented) == sorted(_public_modules())
    # The pages are generated from those modules; api/index.rst lists them.
    assert ".. sw-api-modules::" in (DOCS / "api" / "index.rst").read_text(encoding="utf-8")
    assert not re.search(r"^\.\. (?:sw-module|automodule|autofunction|autoclass)::",
                         (DOCS / "cli.rst").read_text(encoding="utf-8"), re.M)


def _reference_sources() -> dict[str, str]:
    """Name -> text of every file whose references the documentation renders or shows."""
    sources = {str(path.relative_to(REPO)): path.read_text(encoding="utf-8")
               for path in sorted((REPO / "spikewidgets").rglob("*.py"))}
    for path in [REPO / "README.md", *DOCS.glob("*.md"), *DOCS.glob("*.rst"),
                 DOCS / "api" / "index.rst", *DOCS.glob("tutorials/*.md")]:
        sources[str(path.relative_to(REPO))] = path.read_text(encoding="utf-8")
    for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        sources[str(notebook.relative_to(REPO))] = "\n".join(
            "".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    return sources


def test_no_reference_names_a_private_module():
    private = []
    for name, text in _reference_sources().items():
        for target in REFERENCE.findall(text):
            target = target.lstrip("~!").rpartition("<")[2].rstrip(">")
            if target.startswith("spikewidgets") and _is_private(target):
                private.append(f"{name}: {target}")
    assert private == []


# ------------------------------------------------------------------------ the built site


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """Build the site as README says (``-W -n``) into a temporary folder; its html folder.

    In a process of its own: autodoc (``autodoc_preserve_defaults``) replaces the
    defaults of the functions it documents with objects that show their source
    text, which would change the package for the tests that run after it.
    """
    try:
        for extension in ("sphinx", "numpydoc", "myst_nb", "pydata_sphinx_theme"):
            importlib.import_module(extension)
    except ImportError as error:
        skip_or_fail(f"building the documentation needs the docs extra ({error.name})")
    out = tmp_path_factory.mktemp("docs")
    warnings_file = out / "warnings.txt"
    build = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-m", "sphinx", "-W", "-n", "-q",
         "-b", "html", "-d", str(out / "doctrees"), "-w", str(warnings_file), str(DOCS),
         str(out / "html")], capture_output=True, text=True, check=False)
    reported = warnings_file.read_text(encoding="utf-8") if warnings_file.exists() else ""
    assert build.returncode == 0 and not reported.strip(), (
        f"sphinx-build failed ({build.returncode}):\n{reported}{build.stderr[-3000:]}")
    return out / "html"


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


@pytest.mark.slow
def test_the_site_builds_warning_free_with_every_page(site):
    for page in ("index", "migration", "cli", "api/index", "tutorials/index"):
        assert (site / f"{page}.html").is_file(), page
    for notebook in (REPO / "notebooks").glob("*.ipynb"):
        assert (site / "tutorials" / f"{notebook.stem}.html").is_file(), notebook.name
    assert (site / "_images" / "panel.png").is_file()


class _OutputImages(HTMLParser):
    """The ``src`` of every image inside the output of a notebook cell (``div.cell_output``)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # of <div> inside the current cell output; 0: not in one
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "div" and (self.depth or "cell_output" in classes):
            self.depth += 1
        elif tag == "img" and self.depth:
            self.sources.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self.depth:
            self.depth -= 1


@pytest.mark.slow
def test_every_figure_output_of_a_tutorial_is_its_stored_picture(site):
    shown = 0
    for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
        html = (site / "tutorials" / f"{notebook.stem}.html").read_text(encoding="utf-8")
        parser = _OutputImages()
        parser.feed(html)
        outputs = [Path(source).stem for source in parser.sources]
        pictures = _figure_pictures(notebook)
        # myst-nb names an output's image file by the SHA-256 of its bytes.
        names = [hashlib.sha256(picture).hexdigest() for _, picture in pictures]
        assert [name for name in names if name not in outputs] == [], notebook.name
        for name, (_, picture) in zip(names, pictures, strict=True):
            assert (site / "_images" / f"{name}.png").read_bytes() == picture
        assert "sw-widget-note" not in html, f"{notebook.name}: a figure shows no picture"
        assert "VBox(children=" not in html and "FigurePane(children=" not in html
        shown += len(pictures)
    assert shown >= len(list((REPO / "notebooks").glob("*.ipynb")))


@pytest.mark.slow
def test_every_public_name_has_an_entry(site):
    ids = set().union(*(_ids(path.read_text(encoding="utf-8"))
                        for path in site.glob("api/*.html")))
    documented = {}
    for anchor in ids:
        if not anchor.startswith("spikewidgets"):
            continue
        module_name, _, name = anchor.rpartition(".")
        module = sys.modules.get(module_name)  # the build imported every documented module
        if module is not None and hasattr(module, name):
            documented.setdefault(name, []).append(getattr(module, name))
    missing = []
    for module_name in _conf()["sw_api_modules"]:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.ismodule(value):
                assert f"module-{value.__name__}" in ids, value.__name__
            elif not any(entry is value for entry in documented.get(name, [])):
                missing.append(f"{module_name}.{name}")
    assert missing == []


def _h1(html: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", html, re.S)
    if not found:
        return ""
    return re.sub(r"<[^>]+>", "", re.sub(r'<a class="headerlink".*?</a>', "", found.group(1),
                                         flags=re.S)).strip()


@pytest.mark.slow
def test_one_page_per_public_module_function_and_class(site):
    modules = _conf()["sw_api_modules"]
    pages = {path.stem: path.read_text(encoding="utf-8") for path in site.glob("api/*.html")}
    assert set(modules) <= set(pages)
    assert [stem for stem in pages if _is_private(stem)] == []  # no private module
    object_pages = {stem: html for stem, html in pages.items()
                    if stem not in modules and stem != "index"}
    objects = _public_objects()
    assert len(object_pages) == len(objects)
    documented = {}
    for stem, html in object_pages.items():
        module_name, _, name = stem.rpartition(".")
        value = getattr(importlib.import_module(module_name), name)
        documented[id(value)] = value
        assert _h1(html) == name, stem
        # One entry: the object's own (its members are inside it).
        entries = re.findall(r'<dl class="py (?:function|class|exception)">\s*<dt[^>]*id="([^"]+)"',
                             html)
        assert entries == [stem], stem
    assert documented.keys() == objects.keys()
    # lambda_grid_search has a page of its own; every module exporting it links there.
    [own] = [stem for stem in object_pages if stem.endswith(".lambda_grid_search")]
    for module_name in ("spikewidgets", "spikewidgets.search"):
        assert f'href="{own}.html"' in pages[module_name], module_name
    # Each module page lists every name of its __all__; a function or class with
    # the first line of its docstring.
    for module_name in modules:
        module = importlib.import_module(module_name)
        tables = "".join(re.findall(r'<table class="autosummary.*?</table>', pages[module_name],
                                    re.S))
        rows = [[re.sub(r"<[^>]+>", "", cell).strip() for cell in row.split("</td>")[:2]]
                for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tables, re.S)]
        assert sorted(name for name, _ in rows) == sorted(module.__all__), module_name
        unsummarised = [name for name, summary in rows
                        if callable(getattr(module, name)) and not summary]
        assert unsummarised == [], module_name


@pytest.mark.slow
def test_the_command_line_page_has_every_subcommand_and_option(site):
    from spikewidgets.cli import build_parser

    html = (site / "cli.html").read_text(encoding="utf-8")
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # argparse keeps them private
    assert list(commands) == ["search", "example", "train", "perturb"]
    for name, sub in commands.items():
        assert f"spikewidgets {name}</h2>" in re.sub(r"<a class=\"headerlink\".*?</a>", "", html)
        for action in sub._actions:
            flags = action.option_strings or [f"arg-{action.metavar or action.dest}"]
            for flag in flags:
                anchor = f"cmdoption-spikewidgets-{name}-{flag.lstrip('-')}"
                assert f'id="{anchor}"' in html, anchor


def _in_view_below_header(page, locator) -> bool:
    """Whether the element's top is in the window, below the sticky header, and not covered."""
    return locator.evaluate("""(element) => {
        const header = document.querySelector(".bd-header").getBoundingClientRect();
        const box = element.getBoundingClientRect();
        const hit = document.elementFromPoint(box.left + 4, box.top + 4);
        return box.top >= header.bottom - 1 && box.top < window.innerHeight &&
            element.contains(hit);
    }""")


@pytest.mark.slow
@pytest.mark.browser
def test_a_browser_shows_the_signature_and_a_tutorials_figure(site, tmp_path):
    executable = require_chromium("the browser test of the documentation")
    from PIL import Image
    from playwright.sync_api import expect, sync_playwright

    refused: list[str] = []

    def local_only(route):
        if route.request.url.startswith(("file://", "data:", "blob:")):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile", executable)
        try:
            context.route("**/*", local_only)
            page = context.pages[0] if context.pages else context.new_page()
            # From the top-level module's table to the page of lambda_grid_search.
            [own] = site.glob("api/*.lambda_grid_search.html")
            page.goto((site / "api" / "spikewidgets.html").as_uri())
            page.locator("table.autosummary a", has_text="lambda_grid_search").first.click()
            page.wait_for_url(own.as_uri())
            title = page.locator("article h1")
            expect(title).to_have_text(re.compile(r"^lambda_grid_search\W*$"))
            assert _in_view_below_header(page, title)
            signature = page.locator(f'dt[id="{own.stem}"]')
            expect(signature).to_be_visible()
            text = " ".join(signature.inner_text().split())
            assert "lambda_grid_search(" in text
            for parameter in ("model_path", "task_name", "n_trials", "scaling_factors", "seed"):
                assert parameter in text, parameter
            # An old link to the entry's anchor scrolls it to just below the sticky header.
            page.set_viewport_size({"width": 1100, "height": 500})
            page.goto(f"{own.as_uri()}#{own.stem}")
            page.wait_for_function("() => window.scrollY > 0")
            assert _in_view_below_header(page, signature)
            page.set_viewport_size({"width": 1280, "height": 1400})

            page.goto((site / "tutorials" / "04-the-panel.html").as_uri())
            figure = page.locator('article img[src$="panel.png"]').first
            expect(figure).to_be_visible()
            width = figure.evaluate("(img) => img.complete ? img.naturalWidth : 0")
            assert width > 500  # the picture loaded, not a broken link
            expect(page.locator("div.cell_output").first).to_be_attached()

            # A figure output of a notebook: the spike rasters of notebook 02.
            notebook = REPO / "notebooks" / "02-rate-to-spikes.ipynb"
            raster = next(picture for source, picture in _figure_pictures(notebook)
                          if "plot_raster(" in source)
            page.goto((site / "tutorials" / f"{notebook.stem}.html").as_uri())
            cell = page.locator("div.cell").filter(
                has=page.locator("div.cell_input", has_text="plot_raster("))
            figure = cell.locator("div.cell_output img")
            expect(figure).to_have_count(1)
            figure.scroll_into_view_if_needed()
            expect(figure).to_be_visible()
            page.wait_for_function("(img) => img.complete", arg=figure.element_handle())
            size = figure.evaluate("(img) => [img.naturalWidth, img.naturalHeight]")
            stored = Image.open(io.BytesIO(raster)).size
            assert size == list(stored) and size[0] > 500
            assert figure.get_attribute("src").endswith(
                f"{hashlib.sha256(raster).hexdigest()}.png")
            box = figure.bounding_box()
            assert box["width"] > 300 and box["height"] > 100  # drawn, not squeezed away
        finally:
            context.close()
    assert refused == [], "the site loads something from outside its folder"


#: The width at which every page is checked (a laptop's browser window).
PAGE_WIDTH = 1280


@pytest.mark.slow
@pytest.mark.browser
def test_every_page_fits_its_column_and_shows_its_anchors(site, tmp_path):
    executable = require_chromium("the browser test of the documentation")
    from playwright.sync_api import sync_playwright

    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 50
    too_wide, hidden = [], []
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile", executable)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_viewport_size({"width": PAGE_WIDTH, "height": 900})
            for path in pages:
                page.goto(path.as_uri())
                # Each table against the text column that holds it.
                too_wide += [f"{path.relative_to(site)}: {width} px in {column} px"
                             for width, column in page.evaluate("""() => Array.from(
                                 document.querySelectorAll("article table"), (table) => [
                                     Math.ceil(table.getBoundingClientRect().width),
                                     Math.floor(table.closest("article")
                                         .getBoundingClientRect().width)])
                                 .filter(([width, column]) => width > column + 1)""")]
                # The first section heading or entry a link can point at, scrolled to.
                target = page.evaluate("""() => {
                    const element = document.querySelector(
                        "article section section[id], article dt[id]");
                    return element ? element.id : null; }""")
                if target:
                    page.goto(f"{path.as_uri()}#{target}")
                    locator = page.locator(f'[id="{target}"]')
                    heading = locator.locator(":scope > h2, :scope > h3").first \
                        if locator.evaluate("(e) => e.tagName") == "SECTION" else locator
                    if not _in_view_below_header(page, heading):
                        hidden.append(f"{path.relative_to(site)}#{target}")
        finally:
            context.close()
    assert too_wide == [], "tables wider than their column:\n" + "\n".join(too_wide)
    assert hidden == [], "anchor targets under the header:\n" + "\n".join(hidden)
